#include "model/batch.hpp"

namespace jalapeno {

namespace {
// Attention alignment unit: 16 bytes of bf16, the vector width tensor-core
// paths load.
constexpr int64_t kAlignElements = 8;

}  // namespace

void add_to_summary(BatchSummary& s, const SequenceInStep& seq) {
  s.sequences += 1;
  s.tokens += seq.new_tokens;
  const int64_t kv_len = seq.context + seq.new_tokens;
  if (seq.new_tokens == 1) {
    s.decode_sequences += 1;
    s.decode_kv_positions += kv_len;
    s.decode_unaligned += (kv_len % kAlignElements != 0) ? 1 : 0;
    s.decode_kv_blocks += (kv_len + kAttentionBlock - 1) / kAttentionBlock;
  } else {
    s.prefill_sequences += 1;
    s.prefill_tokens += seq.new_tokens;
    // Each new token attends to the cached context and to itself and the new
    // tokens before it.
    s.prefill_pairs += seq.new_tokens * seq.context + seq.new_tokens * (seq.new_tokens + 1) / 2;
    s.prefill_kv_positions += kv_len;
  }
}

BatchSummary summarize(const std::vector<SequenceInStep>& batch) {
  BatchSummary s;
  for (const auto& seq : batch) add_to_summary(s, seq);
  return s;
}

// Closed forms of summarize() over identical sequences, so that a batch of
// any size costs O(1) to describe.
BatchSummary decode_batch(int64_t batch, int64_t context) {
  BatchSummary s;
  add_to_summary(s, {1, context});
  s.sequences *= batch;
  s.tokens *= batch;
  s.decode_sequences *= batch;
  s.decode_kv_positions *= batch;
  s.decode_unaligned *= batch;
  s.decode_kv_blocks *= batch;
  return s;
}

BatchSummary prefill_batch(int64_t batch, int64_t tokens) {
  BatchSummary s;
  add_to_summary(s, {tokens, 0});
  if (tokens == 1) return decode_batch(batch, 0);
  s.sequences *= batch;
  s.tokens *= batch;
  s.prefill_sequences *= batch;
  s.prefill_tokens *= batch;
  s.prefill_pairs *= batch;
  s.prefill_kv_positions *= batch;
  return s;
}

size_t BatchSummaryHash::operator()(const BatchSummary& s) const noexcept {
  const int64_t fields[] = {s.sequences,           s.tokens,           s.decode_sequences,
                            s.decode_kv_positions, s.decode_unaligned, s.decode_kv_blocks,
                            s.prefill_sequences,   s.prefill_tokens,   s.prefill_pairs,
                            s.prefill_kv_positions};
  uint64_t h = 1469598103934665603ull;
  for (int64_t f : fields) {
    h ^= static_cast<uint64_t>(f) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  }
  return static_cast<size_t>(h);
}

}  // namespace jalapeno
