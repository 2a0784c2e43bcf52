#pragma once
// Which replica a new request goes to. Policies are registered by name in one
// table (router.cpp); scenarios and flags choose them by that name.
//
// The work per request and per load change does not grow with the number of
// replicas beyond a logarithm: the least-loaded policies keep the replicas in
// an indexed binary heap keyed by (load, index), updated by the simulator
// whenever a replica's load changes, instead of scanning them.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "serve/replica.hpp"

namespace jalapeno {

class Router {
 public:
  virtual ~Router() = default;
  // Sizes the policy for `replicas` replicas, all idle (no requests, empty
  // caches). Called once, before the first route().
  virtual void reset(uint32_t replicas) = 0;
  // The replica for the next request.
  virtual uint32_t route(const Request& request) = 0;
  // Replica `index` changed its load (a request enqueued, a step started or
  // finished). Policies that do not look at loads ignore it.
  virtual void update(uint32_t /*index*/, const Replica& /*replica*/) {}
  // Elementary operations so far (heap comparisons, moves, picks): what a
  // test counts to see that per-request work does not grow with replicas.
  uint64_t operations() const { return operations_; }

 protected:
  uint64_t operations_ = 0;
};

// "round-robin", "least-outstanding" (fewest unfinished requests), "least-kv"
// (lowest KV-cache occupancy), "power-of-two" (the less loaded of two
// replicas drawn at random, by unfinished requests: Mitzenmacher's
// power of two choices), "random" (uniform, blind to load), "prefix-aware"
// (where the prompt's prefix is cached, unless that replica is much busier).
// Ties go to the lowest index. `seed` is the
// scenario's, for the policies that draw. Unknown names throw ConfigError
// listing the known ones.
std::unique_ptr<Router> make_router(const std::string& name, const std::string& where,
                                    uint64_t seed = 1);
std::vector<std::string> router_names();

}  // namespace jalapeno
