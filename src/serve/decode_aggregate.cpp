#include "serve/decode_aggregate.hpp"

#include <algorithm>
#include <stdexcept>

namespace jalapeno {

namespace {
int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
}  // namespace

DecodeAggregate::DecodeAggregate(int64_t block_size, bool per_token)
    : block_size_(block_size), per_token_(per_token) {
  if (block_size < 1) throw std::invalid_argument("decode aggregate: block size below 1");
}

void DecodeAggregate::insert(int64_t kv_tokens, int64_t tokens_left, uint64_t order,
                             uint32_t slot) {
  if (tokens_left < 1 || kv_tokens < 1) {
    throw std::logic_error("decode aggregate: a member must have a cache and tokens to decode");
  }
  if (by_align_.empty()) {
    // The counts are made with the first member: a replica that never
    // aggregates (a pipeline, a windowed model) holds none.
    by_align_.assign(kAlignElements, 0);
    by_attention_block_.assign(kAttentionBlock, 0);
    by_kv_block_.assign(static_cast<size_t>(block_size_), 0);
  }
  const int64_t phase = kv_tokens - step_;
  phase_sum_ += phase;
  ++by_align_[mod(phase, kAlignElements)];
  ++by_attention_block_[mod(phase, kAttentionBlock)];
  ++by_kv_block_[mod(phase, block_size_)];
  kv_blocks_ += ceil_div(kv_tokens + 1, kAttentionBlock);
  heap_.push_back({step_ + tokens_left - 1, order, phase, slot});
  std::push_heap(heap_.begin(), heap_.end(), finishes_later);
}

void DecodeAggregate::remove_phase(int64_t phase) {
  phase_sum_ -= phase;
  --by_align_[mod(phase, kAlignElements)];
  --by_attention_block_[mod(phase, kAttentionBlock)];
  --by_kv_block_[mod(phase, block_size_)];
  kv_blocks_ -= ceil_div(phase + step_ + 1, kAttentionBlock);
}

void DecodeAggregate::add_to(BatchSummary& s) const {
  const int64_t n = size();
  if (n == 0) return;
  if (s.attention_window > 0) {
    throw std::logic_error("decode aggregate: windowed attention is summarised per sequence");
  }
  s.sequences += n;
  s.tokens += n;
  s.decode_sequences += n;
  // Each member attends to its cache and the new token: phase + step + 1.
  s.decode_kv_positions += phase_sum_ + n * (step_ + 1);
  s.decode_unaligned += n - by_align_[mod(-(step_ + 1), kAlignElements)];
  s.decode_kv_blocks += kv_blocks_;
}

int64_t DecodeAggregate::blocks_needed() const {
  // A new block for each member whose cache fills its last one exactly.
  return per_token_ && !empty() ? by_kv_block_[mod(-step_, block_size_)] : 0;
}

void DecodeAggregate::take_due(std::vector<Member>& due) {
  while (!heap_.empty() && heap_.front().finish_step == step_) {
    std::pop_heap(heap_.begin(), heap_.end(), finishes_later);
    due.push_back(heap_.back());
    heap_.pop_back();
    remove_phase(due.back().phase);
  }
}

void DecodeAggregate::advance() {
  // Lengths attended go from phase + step + 1 to one more: a member whose
  // length was a multiple of 256 starts a new attention block.
  if (!empty()) kv_blocks_ += by_attention_block_[mod(-(step_ + 1), kAttentionBlock)];
  ++step_;
}

void DecodeAggregate::clear() {
  heap_.clear();
  phase_sum_ = 0;
  kv_blocks_ = 0;
  std::fill(by_align_.begin(), by_align_.end(), 0);
  std::fill(by_attention_block_.begin(), by_attention_block_.end(), 0);
  std::fill(by_kv_block_.begin(), by_kv_block_.end(), 0);
}

}  // namespace jalapeno
