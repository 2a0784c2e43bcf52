#include "serve/kv_cache.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace jalapeno {

KvBlockManager::KvBlockManager(int64_t total_blocks, int64_t block_size, int64_t state_blocks,
                               bool per_token)
    : total_blocks_(total_blocks),
      block_size_(block_size),
      state_blocks_(state_blocks),
      per_token_(per_token),
      free_(total_blocks) {
  if (state_blocks < 0 || (!per_token && state_blocks != 1)) {
    throw std::invalid_argument(
        fmt::format("KV cache: {} state blocks per sequence{}", state_blocks,
                    per_token ? "" : " (a cache of states alone takes one per sequence)"));
  }
  if (total_blocks < 1 || block_size < 1) {
    throw std::invalid_argument(
        fmt::format("KV cache needs at least one block of one token, got "
                    "{} blocks of {}",
                    total_blocks, block_size));
  }
}

void KvBlockManager::allocate(int64_t blocks) {
  if (blocks < 0 || blocks > free_) {
    throw std::logic_error(
        fmt::format("KV cache: allocating {} blocks with {} free", blocks, free_));
  }
  if (cache_) {
    const int64_t uncached = free_ - cache_->evictable();
    if (blocks > uncached) cache_->evict(blocks - uncached);
  }
  free_ -= blocks;
}

void KvBlockManager::release(int64_t blocks) {
  if (blocks < 0 || free_ + blocks > total_blocks_) {
    throw std::logic_error(fmt::format("KV cache: releasing {} blocks with {} of {} free", blocks,
                                       free_, total_blocks_));
  }
  free_ += blocks;
}

void KvBlockManager::take_cached(const Node* nodes, int64_t n) {
  const int64_t taken = cache_->acquire(nodes, n);
  if (taken > free_) throw std::logic_error("KV cache: more evictable blocks than free ones");
  free_ -= taken;
}

KvBlockManager::Node KvBlockManager::cache_computed(uint64_t id) {
  if (!cache_->contains(id)) return cache_->insert(id);
  const Node shared = cache_->node(id);
  take_cached(&shared, 1);
  release(1);
  return shared;
}

void KvBlockManager::release_cached(const Node* nodes, int64_t n) {
  free_ += cache_->release(nodes, n);
  if (free_ > total_blocks_) {
    throw std::logic_error("KV cache: more blocks free than the cache holds");
  }
}

}  // namespace jalapeno
