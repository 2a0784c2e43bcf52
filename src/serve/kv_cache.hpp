#pragma once
// The paged KV cache of one replica: fixed-size blocks of token positions,
// as vLLM's block manager hands them out. Only counts are kept; which block
// holds what does not change a step's cost.
#include <cstdint>

namespace jalapeno {

class KvBlockManager {
 public:
  KvBlockManager(int64_t total_blocks, int64_t block_size);

  int64_t block_size() const { return block_size_; }
  int64_t total_blocks() const { return total_blocks_; }
  int64_t free_blocks() const { return free_; }
  int64_t used_blocks() const { return total_blocks_ - free_; }
  double used_fraction() const {
    return static_cast<double>(used_blocks()) / static_cast<double>(total_blocks_);
  }
  // Blocks a sequence needs to hold `tokens` positions.
  int64_t blocks_for(int64_t tokens) const { return (tokens + block_size_ - 1) / block_size_; }

  bool can_allocate(int64_t blocks) const { return blocks <= free_; }
  // Throws std::logic_error when more is taken than is free, or more given
  // back than was taken: KV accounting must never go wrong silently.
  void allocate(int64_t blocks);
  void release(int64_t blocks);

 private:
  int64_t total_blocks_;
  int64_t block_size_;
  int64_t free_;
};

}  // namespace jalapeno
