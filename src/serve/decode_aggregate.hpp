#pragma once
// The decoding sequences of one replica kept as one aggregate, so that a
// step of B decoders costs O(1) instead of O(B) (README "Serving core").
//
// A member decodes one token in every step of the group from the step it
// joins on, so its cache length at group step t is (its length at joining)
// + (t - the step it joined at): the length minus the joining step, its
// phase, is constant. Everything a step needs is then a function of the
// members' phases kept as running sums and counts by residue:
//   - positions attended:   sum of phases + B (t + 1);
//   - lengths not a multiple of 8 elements, and new KV blocks wanted:
//     counts of phases by residue modulo 8 and modulo the block size;
//   - 256-position attention blocks: a running sum that grows by the count
//     of members whose length crosses a multiple of 256;
//   - completions: a hierarchical timing wheel keyed by the step that yields
//     a member's last token (three levels of 64 slots, a heap beyond 2^18
//     steps), so a member costs O(1) to insert and to take where a binary
//     heap of B members took O(log B); taken in admission order, as the
//     per-sequence loop finishes them.
// The per-sequence state of a member (cache length, tokens, energy) is
// recovered on demand from its phase: on completion, and when a step needs
// the per-sequence path (preemption, a budget that does not cover every
// sequence, a pipeline).
#include <cstdint>
#include <vector>

#include "model/batch.hpp"

namespace jalapeno {

class DecodeAggregate {
 public:
  struct Member {
    int64_t finish_step;  // the group step that yields its last token
    uint64_t order;       // admission order
    int64_t phase;        // cache length at joining - the group step joined at
    uint32_t slot;
  };

  // `block_size` tokens per KV block; `per_token`: whether positions take
  // blocks at all (not for a model without attention layers).
  DecodeAggregate(int64_t block_size, bool per_token);

  // Group steps completed: the index of the next one.
  int64_t step() const { return step_; }
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // A sequence with `kv_tokens` cached positions that will decode
  // `tokens_left` (>= 1) more tokens joins before the next group step.
  void insert(int64_t kv_tokens, int64_t tokens_left, uint64_t order, uint32_t slot);
  // Adds the members' decode tokens of the next group step to `summary`,
  // exactly as add_to_summary() would one by one (a model without a local
  // attention window: the replica keeps windowed models per sequence).
  void add_to(BatchSummary& summary) const;
  // KV blocks the members need for the next group step's tokens.
  int64_t blocks_needed() const;
  // Moves the members whose last token is the current group step's into
  // `due` (appended, in admission order).
  void take_due(std::vector<Member>& due);
  // The current group step is done: every member has one more position.
  void advance();
  // Calls visit(member) for every member, in no particular order (to hand
  // them back to the per-sequence path); then clear().
  template <class Visit>
  void for_each_member(Visit&& visit) const {
    if (size_ == 0) return;
    for (const std::vector<Member>& slot : wheel_) {
      for (const Member& m : slot) visit(m);
    }
    for (const Member& m : overflow_) visit(m);
  }
  void clear();

 private:
  static constexpr int kSlotBits = 6;  // 64 slots a level
  static constexpr int kLevels = 3;    // the wheel spans 2^18 steps
  void remove_phase(int64_t phase);
  // Files a member under its finishing step, relative to the current step.
  void file(const Member& m);
  // The overflow heap's order: the earliest finish on top.
  static bool finishes_later(const Member& a, const Member& b) {
    return a.finish_step > b.finish_step;
  }
  static int64_t mod(int64_t x, int64_t m) { return ((x % m) + m) % m; }
  // x mod a power of two, negative x included (two's complement).
  template <int64_t kPowerOfTwo>
  static size_t mod2(int64_t x) {
    static_assert((kPowerOfTwo & (kPowerOfTwo - 1)) == 0);
    return static_cast<size_t>(x & (kPowerOfTwo - 1));
  }
  size_t kv_block_residue(int64_t x) const {
    return kv_block_mask_ >= 0 ? static_cast<size_t>(x & kv_block_mask_)
                               : static_cast<size_t>(mod(x, block_size_));
  }

  int64_t block_size_;
  int64_t kv_block_mask_;  // block_size - 1 for a power of two, else -1
  bool per_token_;
  int64_t step_ = 0;
  int64_t phase_sum_ = 0;          // sum over members of (length at joining - joining step)
  int64_t kv_blocks_ = 0;          // sum over members of ceil(length attended / 256), this step
  std::vector<int64_t> by_align_;  // members by phase mod kAlignElements
  std::vector<int64_t> by_attention_block_;  // ... mod kAttentionBlock
  std::vector<int64_t> by_kv_block_;         // ... mod block_size
  int64_t size_ = 0;
  // Level L, slot k: the members finishing in the step whose bits above
  // 6 (L + 1) are the current step's and bits 6 L .. 6 L + 5 are k. Level 0
  // slot k holds exactly the members finishing at step k (mod 64) of the
  // current 64. Made with the first member, as the counts are.
  std::vector<std::vector<Member>> wheel_;
  std::vector<Member> overflow_;   // min-heap by finish_step, beyond the wheel
  std::vector<Member> cascading_;  // a slot being refiled (kept for its capacity)
};

}  // namespace jalapeno
