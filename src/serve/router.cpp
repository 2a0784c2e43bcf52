#include "serve/router.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "workload/content.hpp"

namespace jalapeno {
namespace {

class RoundRobin : public Router {
 public:
  void reset(uint32_t replicas) override {
    replicas_ = replicas;
    next_ = 0;
  }
  uint32_t route(const Request&) override {
    ++operations_;
    const uint32_t pick = next_;
    next_ = (next_ + 1) % replicas_;
    return pick;
  }

 private:
  uint32_t replicas_ = 1;
  uint32_t next_ = 0;
};

// The replica minimising a load measure, ties to the lowest index: the top of
// a binary min-heap over (load, index) with each replica's position in it, so
// a pick is O(1) and a load change O(log replicas). The same pick as a scan
// that keeps the first strict minimum.
template <typename Load>
class LeastLoaded : public Router {
 public:
  explicit LeastLoaded(Load load) : load_(load) {}

  void reset(uint32_t replicas) override {
    // Every load is 0: the identity order is a valid heap.
    heap_.resize(replicas);
    pos_.resize(replicas);
    key_.assign(replicas, 0.0);
    for (uint32_t i = 0; i < replicas; ++i) heap_[i] = pos_[i] = i;
  }

  uint32_t route(const Request&) override {
    ++operations_;
    return heap_.front();
  }

  void update(uint32_t index, const Replica& replica) override {
    const double key = load_(replica);
    const double old = key_[index];
    ++operations_;
    if (key == old) return;
    key_[index] = key;
    if (key < old) {
      sift_up(pos_[index]);
    } else {
      sift_down(pos_[index]);
    }
  }

 private:
  bool less(uint32_t a, uint32_t b) {
    ++operations_;
    return key_[a] < key_[b] || (key_[a] == key_[b] && a < b);
  }
  void place(size_t at, uint32_t id) {
    heap_[at] = id;
    pos_[id] = static_cast<uint32_t>(at);
  }
  void sift_up(size_t at) {
    const uint32_t id = heap_[at];
    while (at > 0) {
      const size_t parent = (at - 1) / 2;
      if (!less(id, heap_[parent])) break;
      place(at, heap_[parent]);
      at = parent;
    }
    place(at, id);
  }
  void sift_down(size_t at) {
    const uint32_t id = heap_[at];
    const size_t n = heap_.size();
    for (;;) {
      size_t child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && less(heap_[child + 1], heap_[child])) ++child;
      if (!less(heap_[child], id)) break;
      place(at, heap_[child]);
      at = child;
    }
    place(at, id);
  }

  Load load_;
  std::vector<uint32_t> heap_;  // replica indices, heap-ordered by (key, index)
  std::vector<uint32_t> pos_;   // each replica's position in heap_
  std::vector<double> key_;     // each replica's load as last reported
};

// The less loaded of two replicas drawn uniformly at random (distinct when
// there are two or more), ties to the lower index: O(1) a request whatever
// the fleet, and load spread nearly as well as the least-loaded choice
// (Mitzenmacher, "The power of two choices in randomized load balancing",
// IEEE TPDS 2001). Draws come from the scenario's seed: same seed, same picks.
class PowerOfTwoChoices : public Router {
 public:
  explicit PowerOfTwoChoices(uint64_t seed) : rng_(seed, "router-power-of-two") {}

  void reset(uint32_t replicas) override { load_.assign(replicas, 0); }

  uint32_t route(const Request&) override {
    const auto n = static_cast<uint64_t>(load_.size());
    operations_ += 2;
    if (n == 1) return 0;
    const auto a = static_cast<uint32_t>(rng_.next_u64() % n);
    auto b = static_cast<uint32_t>(rng_.next_u64() % (n - 1));
    if (b >= a) ++b;  // distinct from a
    const uint32_t low = std::min(a, b), high = std::max(a, b);
    return load_[high] < load_[low] ? high : low;
  }

  void update(uint32_t index, const Replica& replica) override {
    ++operations_;
    load_[index] = replica.outstanding();
  }

 private:
  Rng rng_;
  std::vector<int64_t> load_;  // each replica's unfinished requests as last reported
};

// A replica drawn uniformly at random, blind to load: each of n replicas
// then sees Poisson arrivals at rate / n when the workload is Poisson
// (splitting a Poisson stream at random keeps it Poisson), the textbook
// baseline the load-aware routers beat, and the one whose replicas are
// independent M/G/1-like queues. Draws come from the scenario's seed.
class RandomRouter : public Router {
 public:
  explicit RandomRouter(uint64_t seed) : rng_(seed, "router-random") {}
  void reset(uint32_t replicas) override { replicas_ = replicas; }
  uint32_t route(const Request&) override {
    ++operations_;
    return static_cast<uint32_t>(rng_.next_u64() % replicas_);
  }

 private:
  Rng rng_;
  uint64_t replicas_ = 1;
};

// Where the request's prefix is cached, in the manner of SGLang's
// cache-aware router (sgl-router, "cache_aware" policy): the replica holding
// the longest run of the prompt's leading blocks, unless it is busier than
// the least-loaded one by more than kBalance unfinished requests, when load
// wins; with no hit anywhere, the least loaded (ties to the lowest index).
// It asks every replica's cache, so a request costs O(replicas x prompt
// blocks): meant for the replicas of one deployment, not a 100,000-replica
// fleet. Needs scheduler.prefix_caching (checked by the simulator).
class PrefixAware : public Router {
 public:
  // SGLang's default balance_abs_threshold is 64 queued requests; a smaller
  // margin keeps a session's replica from being overloaded by its own
  // popularity at the loads a single deployment sees.
  static constexpr int64_t kBalance = 32;

  void reset(uint32_t replicas) override {
    load_.assign(replicas, 0);
    replica_.assign(replicas, nullptr);
  }

  uint32_t route(const Request& request) override {
    const auto n = static_cast<uint32_t>(load_.size());
    uint32_t least = 0;
    for (uint32_t i = 1; i < n; ++i) {
      if (load_[i] < load_[least]) least = i;
    }
    operations_ += n;
    uint32_t best = least;
    int64_t best_hit = 0;
    ids_.clear();
    bool have_ids = false;
    for (uint32_t i = 0; i < n; ++i) {
      const Replica* r = replica_[i];
      if (r == nullptr || !r->kv().caching()) continue;
      const int64_t block = r->kv().block_size();
      if (!have_ids) {
        append_block_ids(request, 0, (request.input_tokens - 1) / block, block, ids_);
        have_ids = true;
      }
      const int64_t hit =
          r->kv().probe(ids_.data(), static_cast<int64_t>(ids_.size()), nodes_).blocks;
      operations_ += static_cast<uint64_t>(hit) + 1;
      if (load_[i] > load_[least] + kBalance) continue;
      if (hit > best_hit || (hit == best_hit && hit > 0 && load_[i] < load_[best])) {
        best = i;
        best_hit = hit;
      }
    }
    return best;
  }

  void update(uint32_t index, const Replica& replica) override {
    ++operations_;
    load_[index] = replica.outstanding();
    replica_[index] = &replica;
  }

 private:
  std::vector<int64_t> load_;             // unfinished requests as last reported
  std::vector<const Replica*> replica_;   // for its cache; null until it has state
  std::vector<uint64_t> ids_;             // the request's block ids (scratch)
  std::vector<PrefixCache::Node> nodes_;  // the probe's (unused)
};

struct Entry {
  const char* name;
  std::function<std::unique_ptr<Router>(uint64_t seed)> make;
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      {"round-robin", [](uint64_t) { return std::make_unique<RoundRobin>(); }},
      {"least-outstanding",
       [](uint64_t) {
         auto load = [](const Replica& r) { return static_cast<double>(r.outstanding()); };
         return std::make_unique<LeastLoaded<decltype(load)>>(load);
       }},
      {"least-kv",
       [](uint64_t) {
         auto load = [](const Replica& r) { return r.kv_used_fraction(); };
         return std::make_unique<LeastLoaded<decltype(load)>>(load);
       }},
      {"power-of-two", [](uint64_t seed) { return std::make_unique<PowerOfTwoChoices>(seed); }},
      {"random", [](uint64_t seed) { return std::make_unique<RandomRouter>(seed); }},
      {"prefix-aware", [](uint64_t) { return std::make_unique<PrefixAware>(); }},
  };
  return entries;
}

}  // namespace

std::vector<std::string> router_names() {
  std::vector<std::string> names;
  for (const auto& e : registry()) names.push_back(e.name);
  return names;
}

std::unique_ptr<Router> make_router(const std::string& name, const std::string& where,
                                    uint64_t seed) {
  for (const auto& e : registry()) {
    if (name == e.name) return e.make(seed);
  }
  std::string known;
  for (const auto& n : router_names()) known += (known.empty() ? "" : ", ") + n;
  throw ConfigError(fmt::format("{}: unknown router '{}' (known: {})", where, name, known));
}

}  // namespace jalapeno
