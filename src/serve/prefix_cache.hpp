#pragma once
// Automatic prefix caching, as vLLM's block manager and SGLang's radix cache
// do it: a full KV block, once computed, is kept under its content id
// (workload/content.hpp) and shared by every sequence whose prompt starts
// with the same blocks. Entries are reference-counted; one no sequence
// holds is evictable, still a hit until it is evicted, least recently
// released first. A sequence's blocks are released tail first, so the tail
// of a prefix goes before its head (vLLM v1's free-block queue does the
// same). The cache only names blocks: the pool they come from, and how many
// are free, is KvBlockManager's.
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace jalapeno {

class PrefixCache {
 public:
  struct Probe {
    int64_t blocks = 0;     // leading ids found, in order from the first
    int64_t evictable = 0;  // of them, held by no sequence (so counted free)
  };
  Probe probe(const uint64_t* ids, int64_t n) const;
  bool contains(uint64_t id) const { return index_.count(id) != 0; }
  // A reference on each cached id; returns how many were evictable (and
  // are now held). Throws std::logic_error for an id not cached.
  int64_t acquire(const uint64_t* ids, int64_t n);
  // A block just computed, cached with one reference. Throws for an id
  // already cached (the caller shares that entry instead).
  void insert(uint64_t id);
  // One reference dropped from each, last id first; returns how many became
  // evictable. Throws for an id not held.
  int64_t release(const uint64_t* ids, int64_t n);
  // Forgets the n least recently released evictable entries; throws when
  // fewer are evictable (a held block is never evicted).
  void evict(int64_t n);

  int64_t evictable() const { return evictable_; }
  int64_t entries() const { return static_cast<int64_t>(index_.size()); }
  uint64_t evictions() const { return evictions_; }
  // References held on `id` (0: evictable or not cached).
  int64_t references(uint64_t id) const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Node {
    uint64_t id = 0;
    int64_t refs = 0;
    uint32_t prev = kNone, next = kNone;  // the evictable list, when refs is 0
  };
  uint32_t node_of(uint64_t id, const char* what) const;
  void unlink(uint32_t node);
  void push_back(uint32_t node);  // most recently released

  std::unordered_map<uint64_t, uint32_t> index_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> free_nodes_;
  uint32_t head_ = kNone, tail_ = kNone;  // evictable: least recently released at the head
  int64_t evictable_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace jalapeno
