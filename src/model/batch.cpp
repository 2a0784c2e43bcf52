#include "model/batch.hpp"

#include <algorithm>
#include <cmath>

namespace jalapeno {

namespace {
// Keys attended to by the queries at positions 1..p, each seeing at most
// `window` of them: sum over q of min(q, window).
int64_t windowed_pairs_upto(int64_t p, int64_t window) {
  if (p <= window) return p * (p + 1) / 2;
  return window * (window + 1) / 2 + (p - window) * window;
}

// The same under chunked attention: the query at position q sees the
// positions of its chunk up to itself, ((q - 1) mod chunk) + 1 of them.
int64_t chunked_pairs_upto(int64_t p, int64_t chunk) {
  const int64_t full = p / chunk, rest = p % chunk;
  return full * (chunk * (chunk + 1) / 2) + rest * (rest + 1) / 2;
}

}  // namespace

BatchSummary empty_summary(AttentionWindow window) {
  BatchSummary s;
  s.attention_window = window.size;
  s.window_chunked = window.chunked;
  return s;
}

void add_to_summary(BatchSummary& s, const SequenceInStep& seq) {
  s.sequences += 1;
  s.tokens += seq.new_tokens;
  const int64_t kv_len = seq.context + seq.new_tokens;
  if (seq.new_tokens == 1) {
    s.decode_sequences += 1;
    s.decode_kv_positions += kv_len;
    s.decode_unaligned += (kv_len % kAlignElements != 0) ? 1 : 0;
    s.decode_kv_blocks += (kv_len + kAttentionBlock - 1) / kAttentionBlock;
    if (s.attention_window > 0) {
      const int64_t w = s.attention_window;
      const int64_t seen = s.window_chunked ? (kv_len - 1) % w + 1 : std::min(kv_len, w);
      s.decode_window_positions += seen;
      s.decode_window_blocks += (seen + kAttentionBlock - 1) / kAttentionBlock;
    }
  } else {
    s.prefill_sequences += 1;
    s.prefill_tokens += seq.new_tokens;
    // Each new token attends to the cached context and to itself and the new
    // tokens before it.
    s.prefill_pairs += seq.new_tokens * seq.context + seq.new_tokens * (seq.new_tokens + 1) / 2;
    s.prefill_kv_positions += kv_len;
    s.prefill_resumed += seq.context > 0 ? 1 : 0;
    if (s.attention_window > 0 && s.window_chunked) {
      const int64_t w = s.attention_window;
      s.prefill_window_pairs += chunked_pairs_upto(kv_len, w) - chunked_pairs_upto(seq.context, w);
      // The first new token sees back to the start of its chunk.
      s.prefill_window_kv_positions += seq.context % w + seq.new_tokens;
    } else if (s.attention_window > 0) {
      const int64_t w = s.attention_window;
      s.prefill_window_pairs +=
          windowed_pairs_upto(kv_len, w) - windowed_pairs_upto(seq.context, w);
      // The first new token sees back to position context - window + 1.
      s.prefill_window_kv_positions += std::min(seq.context, w - 1) + seq.new_tokens;
    }
  }
}

BatchSummary summarize(const std::vector<SequenceInStep>& batch, AttentionWindow window) {
  BatchSummary s = empty_summary(window);
  for (const auto& seq : batch) add_to_summary(s, seq);
  return s;
}

// Closed forms of summarize() over identical sequences, so that a batch of
// any size costs O(1) to describe.
BatchSummary decode_batch(int64_t batch, int64_t context, AttentionWindow window) {
  BatchSummary s = empty_summary(window);
  add_to_summary(s, {1, context});
  s.sequences *= batch;
  s.tokens *= batch;
  s.decode_sequences *= batch;
  s.decode_kv_positions *= batch;
  s.decode_unaligned *= batch;
  s.decode_kv_blocks *= batch;
  s.decode_window_positions *= batch;
  s.decode_window_blocks *= batch;
  return s;
}

BatchSummary prefill_batch(int64_t batch, int64_t tokens, AttentionWindow window) {
  BatchSummary s = empty_summary(window);
  add_to_summary(s, {tokens, 0});
  if (tokens == 1) return decode_batch(batch, 0, window);
  s.sequences *= batch;
  s.tokens *= batch;
  s.prefill_sequences *= batch;
  s.prefill_tokens *= batch;
  s.prefill_pairs *= batch;
  s.prefill_kv_positions *= batch;
  s.prefill_window_pairs *= batch;
  s.prefill_window_kv_positions *= batch;
  return s;
}

BatchSummary share_of_batch(const BatchSummary& b, int64_t ranks) {
  if (ranks <= 1 || b.sequences == 0) return b;
  const auto up = [ranks](int64_t x) { return (x + ranks - 1) / ranks; };
  // x scaled by part / whole, rounded up.
  const auto scaled = [](int64_t x, int64_t part, int64_t whole) {
    if (whole == 0) return int64_t{0};
    return static_cast<int64_t>(
        std::ceil(static_cast<double>(x) * static_cast<double>(part) / static_cast<double>(whole)));
  };
  BatchSummary s = empty_summary(AttentionWindow(b.attention_window, b.window_chunked));
  s.sequences = up(b.sequences);
  s.tokens = up(b.tokens);
  s.prefill_sequences = up(b.prefill_sequences);
  s.decode_sequences = s.sequences - s.prefill_sequences;
  s.prefill_tokens = s.tokens - s.decode_sequences;
  const int64_t d = s.decode_sequences, bd = b.decode_sequences;
  s.decode_kv_positions = scaled(b.decode_kv_positions, d, bd);
  s.decode_unaligned = std::min(d, scaled(b.decode_unaligned, d, bd));
  s.decode_kv_blocks = scaled(b.decode_kv_blocks, d, bd);
  s.decode_window_positions = scaled(b.decode_window_positions, d, bd);
  s.decode_window_blocks = scaled(b.decode_window_blocks, d, bd);
  const int64_t p = s.prefill_sequences, bp = b.prefill_sequences;
  s.prefill_pairs = scaled(b.prefill_pairs, p, bp);
  s.prefill_kv_positions = std::max(s.prefill_tokens, scaled(b.prefill_kv_positions, p, bp));
  s.prefill_resumed = std::min(p, scaled(b.prefill_resumed, p, bp));
  s.prefill_window_pairs = scaled(b.prefill_window_pairs, p, bp);
  s.prefill_window_kv_positions = scaled(b.prefill_window_kv_positions, p, bp);
  return s;
}

size_t BatchSummaryHash::operator()(const BatchSummary& s) const noexcept {
  const int64_t fields[] = {s.sequences,
                            s.tokens,
                            s.decode_sequences,
                            s.decode_kv_positions,
                            s.decode_unaligned,
                            s.decode_kv_blocks,
                            s.prefill_sequences,
                            s.prefill_tokens,
                            s.prefill_pairs,
                            s.prefill_kv_positions,
                            s.prefill_resumed,
                            s.attention_window,
                            s.window_chunked ? 1 : 0,
                            s.decode_window_positions,
                            s.decode_window_blocks,
                            s.prefill_window_pairs,
                            s.prefill_window_kv_positions};
  uint64_t h = 1469598103934665603ull;
  for (int64_t f : fields) {
    h ^= static_cast<uint64_t>(f) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  }
  return static_cast<size_t>(h);
}

}  // namespace jalapeno
