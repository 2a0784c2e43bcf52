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
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <vector>

namespace jalapeno {

class PrefixCache {
 public:
  // Entries are named by their content id when looked up, and by their
  // node (an index, stable while the entry is held) afterwards: a sequence
  // keeps its nodes, so taking and dropping references costs no hashing.
  using Node = uint32_t;
  struct Probe {
    int64_t blocks = 0;     // leading ids found, in order from the first
    int64_t evictable = 0;  // of them, held by no sequence (so counted free)
  };
  // The leading run of ids[0..n) cached; their nodes into `nodes` (cleared).
  Probe probe(const uint64_t* ids, int64_t n, std::vector<Node>& nodes) const;
  bool contains(uint64_t id) const { return index_.count(id) != 0; }
  // The node of a cached id; throws std::logic_error for one not cached.
  Node node(uint64_t id) const { return node_of(id, "looking up"); }
  // A reference on each node; returns how many were evictable (and are now
  // held). Throws std::logic_error for a node not cached.
  int64_t acquire(const Node* nodes, int64_t n);
  // A block just computed, cached with one reference: its node. Throws for
  // an id already cached (the caller shares that entry instead).
  Node insert(uint64_t id);
  // One reference dropped from each, last first; returns how many became
  // evictable. Throws for a node not held.
  int64_t release(const Node* nodes, int64_t n);
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
  struct Entry {
    uint64_t id = 0;
    int64_t refs = -1;                    // -1: a free node
    uint32_t prev = kNone, next = kNone;  // the evictable list, when refs is 0
  };
  uint32_t node_of(uint64_t id, const char* what) const;
  Entry& live(Node node, const char* what);
  void unlink(uint32_t node);
  void push_back(uint32_t node);  // most recently released

  // Open addressing (Abseil's Swiss table): a probe is a few cache lines,
  // not a node per entry.
  absl::flat_hash_map<uint64_t, uint32_t> index_;
  std::vector<Entry> nodes_;
  std::vector<uint32_t> free_nodes_;
  uint32_t head_ = kNone, tail_ = kNone;  // evictable: least recently released at the head
  int64_t evictable_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace jalapeno
