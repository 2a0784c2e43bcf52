#pragma once
// The paged KV cache of one replica: fixed-size blocks of token positions,
// as vLLM's block manager hands them out. Only counts are kept; which block
// holds what does not change a step's cost. A model with recurrent layers
// also holds a fixed state per sequence, taken as `state_blocks` blocks of
// the same pool (vLLM's hybrid allocator pages both from one pool); a model
// with no attention at all caches nothing per token, and its block is one
// sequence's state.
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "serve/prefix_cache.hpp"

namespace jalapeno {

class KvBlockManager {
 public:
  KvBlockManager(int64_t total_blocks, int64_t block_size, int64_t state_blocks = 0,
                 bool per_token = true);

  int64_t block_size() const { return block_size_; }
  int64_t total_blocks() const { return total_blocks_; }
  int64_t free_blocks() const { return free_; }
  int64_t used_blocks() const { return total_blocks_ - free_; }
  double used_fraction() const {
    return static_cast<double>(used_blocks()) / static_cast<double>(total_blocks_);
  }
  // Blocks a sequence needs to hold `tokens` positions (and its state).
  int64_t blocks_for(int64_t tokens) const {
    if (tokens <= 0) return 0;
    return state_blocks_ + (per_token_ ? (tokens + block_size_ - 1) / block_size_ : 0);
  }
  // The most positions one sequence can hold.
  int64_t capacity_tokens() const {
    if (!per_token_) return std::numeric_limits<int64_t>::max();
    return (total_blocks_ - state_blocks_) * block_size_;
  }
  int64_t state_blocks() const { return state_blocks_; }

  bool can_allocate(int64_t blocks) const { return blocks <= free_; }
  // Throws std::logic_error when more is taken than is free, or more given
  // back than was taken: KV accounting must never go wrong silently. With
  // a prefix cache, taking more than the uncached free blocks evicts the
  // least recently released cached ones.
  void allocate(int64_t blocks);
  void release(int64_t blocks);

  // Prefix caching: free blocks then include the cached blocks no sequence
  // holds (they are hits until evicted). The caller keeps, per sequence,
  // the ids of its leading blocks that are cache entries; its other blocks
  // are plain.
  void enable_prefix_cache() { cache_.emplace(); }
  bool caching() const { return cache_.has_value(); }
  const PrefixCache& cache() const { return *cache_; }
  using Node = PrefixCache::Node;
  PrefixCache::Probe probe(const uint64_t* ids, int64_t n, std::vector<Node>& nodes) const {
    return cache_->probe(ids, n, nodes);
  }
  // Hits: one more reference on each (the evictable ones leave the free
  // count).
  void take_cached(const Node* nodes, int64_t n);
  // One of the caller's plain blocks has just been filled with content `id`:
  // it becomes the cache entry, or, when that content is cached already,
  // the caller holds that entry instead and its own block is freed. The
  // entry's node, which the caller now holds.
  Node cache_computed(uint64_t id);
  void release_cached(const Node* nodes, int64_t n);

 private:
  int64_t total_blocks_;
  int64_t block_size_;
  int64_t state_blocks_;
  bool per_token_;
  int64_t free_;  // held by no sequence: plain, or cached and evictable
  std::optional<PrefixCache> cache_;
};

}  // namespace jalapeno
