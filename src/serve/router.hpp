#pragma once
// Which replica a new request goes to. Policies are registered by name in one
// table (router.cpp); scenarios and flags choose them by that name.
#include <memory>
#include <string>
#include <vector>

#include "serve/replica.hpp"

namespace jalapeno {

class Router {
 public:
  virtual ~Router() = default;
  virtual uint32_t route(const Request& request, const std::vector<Replica>& replicas) = 0;
};

// "round-robin", "least-outstanding" (fewest unfinished requests), "least-kv"
// (lowest KV-cache occupancy). Ties go to the lowest index. Unknown names
// throw ConfigError listing the known ones.
std::unique_ptr<Router> make_router(const std::string& name, const std::string& where);
std::vector<std::string> router_names();

}  // namespace jalapeno
