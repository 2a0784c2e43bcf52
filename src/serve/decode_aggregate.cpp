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
    : block_size_(block_size),
      kv_block_mask_(block_size > 0 && (block_size & (block_size - 1)) == 0 ? block_size - 1 : -1),
      per_token_(per_token) {
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
    wheel_.resize(size_t{kLevels} << kSlotBits);
  }
  const int64_t phase = kv_tokens - step_;
  phase_sum_ += phase;
  ++by_align_[mod2<kAlignElements>(phase)];
  ++by_attention_block_[mod2<kAttentionBlock>(phase)];
  ++by_kv_block_[kv_block_residue(phase)];
  kv_blocks_ += ceil_div(kv_tokens + 1, kAttentionBlock);
  file({step_ + tokens_left - 1, order, phase, slot});
  ++size_;
}

void DecodeAggregate::file(const Member& m) {
  // The lowest level whose span, aligned, holds both the current step and
  // the member's finishing one.
  const auto differ = static_cast<uint64_t>(m.finish_step ^ step_);
  constexpr uint64_t kSlots = uint64_t{1} << kSlotBits;
  for (int level = 0; level < kLevels; ++level) {
    if (differ >> (kSlotBits * (level + 1)) == 0) {
      const auto slot = static_cast<size_t>(
          (static_cast<uint64_t>(m.finish_step) >> (kSlotBits * level)) & (kSlots - 1));
      wheel_[(static_cast<size_t>(level) << kSlotBits) + slot].push_back(m);
      return;
    }
  }
  overflow_.push_back(m);
  std::push_heap(overflow_.begin(), overflow_.end(), finishes_later);
}

void DecodeAggregate::remove_phase(int64_t phase) {
  phase_sum_ -= phase;
  --by_align_[mod2<kAlignElements>(phase)];
  --by_attention_block_[mod2<kAttentionBlock>(phase)];
  --by_kv_block_[kv_block_residue(phase)];
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
  s.decode_unaligned += n - by_align_[mod2<kAlignElements>(-(step_ + 1))];
  s.decode_kv_blocks += kv_blocks_;
}

int64_t DecodeAggregate::blocks_needed() const {
  // A new block for each member whose cache fills its last one exactly.
  return per_token_ && !empty() ? by_kv_block_[kv_block_residue(-step_)] : 0;
}

void DecodeAggregate::take_due(std::vector<Member>& due) {
  if (size_ == 0) return;
  std::vector<Member>& slot = wheel_[static_cast<size_t>(step_) & ((size_t{1} << kSlotBits) - 1)];
  if (slot.empty()) return;
  const size_t first = due.size();
  for (const Member& m : slot) {
    remove_phase(m.phase);
    due.push_back(m);
  }
  size_ -= static_cast<int64_t>(slot.size());
  slot.clear();
  if (due.size() - first > 1) {
    std::sort(due.begin() + static_cast<std::ptrdiff_t>(first), due.end(),
              [](const Member& a, const Member& b) { return a.order < b.order; });
  }
}

void DecodeAggregate::advance() {
  // Lengths attended go from phase + step + 1 to one more: a member whose
  // length was a multiple of 256 starts a new attention block.
  if (!empty()) kv_blocks_ += by_attention_block_[mod2<kAttentionBlock>(-(step_ + 1))];
  ++step_;
  if (size_ == 0) return;
  // Entering a new span of a level: the members of its slot for this span
  // go down a level or more (the highest level first, so that one coming
  // down two levels is filed against the current step once).
  // (step_ >= 0: a mask is its remainder.)
  if ((step_ & ((int64_t{1} << (kSlotBits * kLevels)) - 1)) == 0) {
    while (!overflow_.empty() &&
           (overflow_.front().finish_step ^ step_) >> (kSlotBits * kLevels) == 0) {
      std::pop_heap(overflow_.begin(), overflow_.end(), finishes_later);
      const Member m = overflow_.back();
      overflow_.pop_back();
      file(m);
    }
  }
  for (int level = kLevels - 1; level >= 1; --level) {
    if ((step_ & ((int64_t{1} << (kSlotBits * level)) - 1)) != 0) continue;
    const auto index =
        (static_cast<size_t>(level) << kSlotBits) +
        ((static_cast<size_t>(step_) >> (kSlotBits * level)) & ((size_t{1} << kSlotBits) - 1));
    cascading_.swap(wheel_[index]);
    for (const Member& m : cascading_) file(m);
    cascading_.clear();
  }
}

void DecodeAggregate::clear() {
  for (std::vector<Member>& slot : wheel_) slot.clear();
  overflow_.clear();
  size_ = 0;
  phase_sum_ = 0;
  kv_blocks_ = 0;
  std::fill(by_align_.begin(), by_align_.end(), 0);
  std::fill(by_attention_block_.begin(), by_attention_block_.end(), 0);
  std::fill(by_kv_block_.begin(), by_kv_block_.end(), 0);
}

}  // namespace jalapeno
