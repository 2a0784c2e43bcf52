#include "serve/prefix_cache.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace jalapeno {

PrefixCache::Probe PrefixCache::probe(const uint64_t* ids, int64_t n,
                                      std::vector<Node>& nodes) const {
  Probe p;
  nodes.clear();
  for (int64_t i = 0; i < n; ++i) {
    const auto it = index_.find(ids[i]);
    if (it == index_.end()) break;
    ++p.blocks;
    nodes.push_back(it->second);
    if (nodes_[it->second].refs == 0) ++p.evictable;
  }
  return p;
}

PrefixCache::Entry& PrefixCache::live(Node node, const char* what) {
  if (node >= nodes_.size() || nodes_[node].refs < 0) {
    throw std::logic_error(fmt::format("prefix cache: {} node {}, not cached", what, node));
  }
  return nodes_[node];
}

uint32_t PrefixCache::node_of(uint64_t id, const char* what) const {
  const auto it = index_.find(id);
  if (it == index_.end()) {
    throw std::logic_error(fmt::format("prefix cache: {} block {:016x}, not cached", what, id));
  }
  return it->second;
}

int64_t PrefixCache::references(uint64_t id) const {
  const auto it = index_.find(id);
  return it == index_.end() ? 0 : nodes_[it->second].refs;
}

void PrefixCache::unlink(uint32_t node) {
  Entry& x = nodes_[node];
  (x.prev == kNone ? head_ : nodes_[x.prev].next) = x.next;
  (x.next == kNone ? tail_ : nodes_[x.next].prev) = x.prev;
  x.prev = x.next = kNone;
  --evictable_;
}

void PrefixCache::push_back(uint32_t node) {
  Entry& x = nodes_[node];
  x.prev = tail_;
  x.next = kNone;
  (tail_ == kNone ? head_ : nodes_[tail_].next) = node;
  tail_ = node;
  ++evictable_;
}

int64_t PrefixCache::acquire(const Node* nodes, int64_t n) {
  int64_t taken = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (live(nodes[i], "acquiring").refs++ == 0) {
      unlink(nodes[i]);
      ++taken;
    }
  }
  return taken;
}

PrefixCache::Node PrefixCache::insert(uint64_t id) {
  uint32_t node;
  if (!free_nodes_.empty()) {
    node = free_nodes_.back();
    free_nodes_.pop_back();
  } else {
    node = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  if (!index_.emplace(id, node).second) {
    nodes_[node].refs = -1;
    free_nodes_.push_back(node);
    throw std::logic_error(fmt::format("prefix cache: block {:016x} cached twice", id));
  }
  nodes_[node] = Entry{id, 1, kNone, kNone};
  return node;
}

int64_t PrefixCache::release(const Node* nodes, int64_t n) {
  int64_t freed = 0;
  for (int64_t i = n; i-- > 0;) {
    Entry& entry = live(nodes[i], "releasing");
    if (entry.refs == 0) {
      throw std::logic_error(
          fmt::format("prefix cache: releasing block {:016x}, which no sequence holds", entry.id));
    }
    if (--entry.refs == 0) {
      push_back(nodes[i]);
      ++freed;
    }
  }
  return freed;
}

void PrefixCache::evict(int64_t n) {
  if (n > evictable_) {
    throw std::logic_error(
        fmt::format("prefix cache: evicting {} blocks with {} evictable", n, evictable_));
  }
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t node = head_;
    unlink(node);
    index_.erase(nodes_[node].id);
    nodes_[node].refs = -1;
    free_nodes_.push_back(node);
    ++evictions_;
  }
}

}  // namespace jalapeno
