#include "serve/router.hpp"

#include <fmt/format.h>

#include <functional>

#include "core/error.hpp"

namespace jalapeno {
namespace {

class RoundRobin : public Router {
 public:
  uint32_t route(const Request&, const std::vector<Replica>& replicas) override {
    const uint32_t pick = next_;
    next_ = (next_ + 1) % static_cast<uint32_t>(replicas.size());
    return pick;
  }

 private:
  uint32_t next_ = 0;
};

// The replica minimising a load measure.
template <typename Load>
class LeastLoaded : public Router {
 public:
  explicit LeastLoaded(Load load) : load_(load) {}
  uint32_t route(const Request&, const std::vector<Replica>& replicas) override {
    uint32_t best = 0;
    for (uint32_t i = 1; i < replicas.size(); ++i) {
      if (load_(replicas[i]) < load_(replicas[best])) best = i;
    }
    return best;
  }

 private:
  Load load_;
};

struct Entry {
  const char* name;
  std::function<std::unique_ptr<Router>()> make;
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      {"round-robin", [] { return std::make_unique<RoundRobin>(); }},
      {"least-outstanding",
       [] {
         auto load = [](const Replica& r) { return static_cast<double>(r.outstanding()); };
         return std::make_unique<LeastLoaded<decltype(load)>>(load);
       }},
      {"least-kv",
       [] {
         auto load = [](const Replica& r) { return r.kv_used_fraction(); };
         return std::make_unique<LeastLoaded<decltype(load)>>(load);
       }},
  };
  return entries;
}

}  // namespace

std::vector<std::string> router_names() {
  std::vector<std::string> names;
  for (const auto& e : registry()) names.push_back(e.name);
  return names;
}

std::unique_ptr<Router> make_router(const std::string& name, const std::string& where) {
  for (const auto& e : registry()) {
    if (name == e.name) return e.make();
  }
  std::string known;
  for (const auto& n : router_names()) known += (known.empty() ? "" : ", ") + n;
  throw ConfigError(fmt::format("{}: unknown router '{}' (known: {})", where, name, known));
}

}  // namespace jalapeno
