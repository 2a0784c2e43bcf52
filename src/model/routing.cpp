#include "model/routing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>
#include <utility>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/rng.hpp"

namespace jalapeno {
namespace {

// Each expert's share of the routing: uniform, a power law over a fixed
// shuffle of the experts (which experts are hot is not their index order,
// so a contiguous placement mixes hot and cold ones), or given loads.
std::vector<double> popularity(const MoeSpec& moe, const RoutingSpec& spec) {
  const auto experts = static_cast<size_t>(moe.experts);
  std::vector<double> p(experts, 1.0);
  if (!spec.loads.empty()) {
    p = spec.loads;
  } else if (spec.skew > 0) {
    std::vector<size_t> order(experts);
    std::iota(order.begin(), order.end(), size_t{0});
    Rng rng(1, "expert-popularity");  // fixed: a property of the routing, not of a run
    for (size_t i = experts; i > 1; --i) {
      std::swap(order[i - 1], order[rng.next_u64() % i]);
    }
    for (size_t r = 0; r < experts; ++r) {
      p[order[r]] = std::pow(static_cast<double>(r + 1), -spec.skew);
    }
  }
  const double total = std::accumulate(p.begin(), p.end(), 0.0);
  for (double& x : p) x /= total;
  return p;
}

// The probability that a token picks each expert when it picks top_k
// distinct ones in proportion to popularity: top_k x share, an expert
// picked by every token at most (water-filling the excess over the rest).
std::vector<double> pick_probabilities(const std::vector<double>& share, int64_t top_k) {
  std::vector<double> pick(share.size(), 0);
  std::vector<bool> capped(share.size(), false);
  double left = static_cast<double>(top_k);
  for (size_t round = 0; round <= share.size(); ++round) {
    double free_share = 0;
    for (size_t e = 0; e < share.size(); ++e) {
      if (!capped[e]) free_share += share[e];
    }
    bool changed = false;
    for (size_t e = 0; e < share.size(); ++e) {
      if (capped[e]) continue;
      pick[e] = free_share > 0 ? left * share[e] / free_share : 0;
      if (pick[e] > 1) {
        capped[e] = true;
        changed = true;
      }
    }
    if (!changed) break;
    left = static_cast<double>(top_k);
    for (size_t e = 0; e < share.size(); ++e) {
      if (capped[e]) {
        pick[e] = 1;
        left -= 1;
      }
    }
  }
  return pick;
}

}  // namespace

ExpertRouting::ExpertRouting(const MoeSpec& moe, const RoutingSpec& spec, int64_t ranks)
    : ranks_(ranks) {
  const int64_t slots = moe.experts + spec.redundant;
  if (ranks < 1 || slots % ranks != 0) {
    throw ConfigError(fmt::format(
        "expert parallelism: {} ranks do not divide the {} expert slots ({} experts{})", ranks,
        slots, moe.experts,
        spec.redundant > 0 ? fmt::format(" + {} redundant", spec.redundant) : std::string()));
  }
  if (!spec.loads.empty() && static_cast<int64_t>(spec.loads.size()) != moe.experts) {
    throw ConfigError(
        fmt::format("{}: expected {} expert loads (the model's routed experts), got {}",
                    spec.loads_source, moe.experts, spec.loads.size()));
  }
  if (!spec.loads.empty()) {
    // A token picks top_k distinct experts: that many must be pickable.
    const auto loaded =
        std::count_if(spec.loads.begin(), spec.loads.end(), [](double load) { return load > 0; });
    if (loaded < moe.top_k) {
      throw ConfigError(fmt::format(
          "{}: expected at least {} experts (the model's top_k) with a load above 0, got {}",
          spec.loads_source, moe.top_k, loaded));
    }
  }
  if (spec.redundant > moe.experts * 16) {
    throw ConfigError(
        fmt::format("expected at most {} redundant experts (16 copies of each expert), got {}",
                    moe.experts * 16, spec.redundant));
  }
  pick_ = pick_probabilities(popularity(moe, spec), moe.top_k);
  // Redundant copies go to the expert with the most load per copy (EPLB's
  // replication, github.com/deepseek-ai/EPLB); a copy takes an even share.
  std::vector<int64_t> copies(pick_.size(), 1);
  {
    // The hottest per copy first, ties to the lowest index (a heap: a
    // scan per copy is quadratic at 65,536 experts).
    using Entry = std::pair<double, size_t>;
    const auto cooler = [](const Entry& a, const Entry& b) {
      return a.first < b.first || (a.first == b.first && a.second > b.second);
    };
    std::priority_queue<Entry, std::vector<Entry>, decltype(cooler)> hottest(cooler);
    for (size_t e = 0; e < pick_.size(); ++e) hottest.push({pick_[e], e});
    for (int64_t r = 0; r < spec.redundant; ++r) {
      const size_t e = hottest.top().second;
      hottest.pop();
      ++copies[e];
      hottest.push({pick_[e] / static_cast<double>(copies[e]), e});
    }
  }
  std::vector<Slot> all;
  all.reserve(static_cast<size_t>(slots));
  for (size_t e = 0; e < pick_.size(); ++e) {
    for (int64_t c = 0; c < copies[e]; ++c) {
      all.push_back({static_cast<int64_t>(e), pick_[e] / static_cast<double>(copies[e])});
    }
  }
  const auto per_rank = static_cast<size_t>(slots / ranks);
  rank_slots_.assign(static_cast<size_t>(ranks), {});
  std::vector<double> load(static_cast<size_t>(ranks), 0);
  if (spec.balanced) {
    // Heaviest slot first onto the least loaded rank with room (EPLB's
    // balanced packing).
    std::stable_sort(all.begin(), all.end(),
                     [](const Slot& a, const Slot& b) { return a.pick > b.pick; });
    // The least loaded rank with room, ties to the lowest index.
    using Entry = std::pair<double, size_t>;
    const auto busier = [](const Entry& a, const Entry& b) {
      return a.first > b.first || (a.first == b.first && a.second > b.second);
    };
    std::priority_queue<Entry, std::vector<Entry>, decltype(busier)> least(busier);
    for (size_t r = 0; r < rank_slots_.size(); ++r) least.push({0.0, r});
    for (const Slot& slot : all) {
      const size_t best = least.top().second;
      least.pop();
      rank_slots_[best].push_back(slot);
      load[best] += slot.pick;
      if (rank_slots_[best].size() < per_rank) least.push({load[best], best});
    }
  } else {
    // Contiguous: rank r holds experts r * E/ranks onwards (vLLM's and
    // SGLang's default), each copy beside its expert.
    for (size_t i = 0; i < all.size(); ++i) {
      rank_slots_[i / per_rank].push_back(all[i]);
      load[i / per_rank] += all[i].pick;
    }
  }
  busiest_ = static_cast<size_t>(std::max_element(load.begin(), load.end()) - load.begin());
  alike_ = spec.skew == 0 && spec.loads.empty() && spec.redundant == 0;
  log_missed_.resize(rank_slots_.size());
  for (size_t r = 0; r < rank_slots_.size(); ++r) {
    for (const Slot& slot : rank_slots_[r]) log_missed_[r].push_back(std::log1p(-slot.pick));
  }
}

RankLoad ExpertRouting::rank_load(size_t rank, double tokens) const {
  RankLoad out;
  const std::vector<Slot>& slots = rank_slots_[rank];
  out.slots = static_cast<int64_t>(slots.size());
  if (!(tokens > 0)) return out;  // (0 x log 0 would be NaN)
  for (size_t i = 0; i < slots.size(); ++i) {
    out.assignments += tokens * slots[i].pick;
    // 1 - (1 - pick)^T; a slot every token picks (log(0)) is always hit.
    out.experts_hit += 1 - std::exp(tokens * log_missed_[rank][i]);
  }
  return out;
}

RankLoad ExpertRouting::most_loaded(int64_t tokens, double seconds_per_expert,
                                    double seconds_per_assignment) const {
  const auto t = static_cast<double>(tokens);
  if (alike_) return rank_load(0, t);
  RankLoad slowest;
  double slowest_s = -1;
  for (size_t r = 0; r < rank_slots_.size(); ++r) {
    const RankLoad load = rank_load(r, t);
    const double s =
        std::max(load.experts_hit * seconds_per_expert, load.assignments * seconds_per_assignment);
    if (s > slowest_s) {
      slowest_s = s;
      slowest = load;
    }
  }
  return slowest;
}

double ExpertRouting::imbalance() const {
  double busiest = 0, total = 0;
  for (const Slot& slot : rank_slots_[busiest_]) busiest += slot.pick;
  for (double p : pick_) total += p;
  return busiest * static_cast<double>(ranks_) / total;
}

std::vector<double> read_expert_loads(const std::string& path) {
  const nlohmann::json doc = read_json_file(path, "expert loads");
  const nlohmann::json& list = doc.is_object() && doc.contains("loads") ? doc.at("loads") : doc;
  if (!list.is_array() || list.empty() || list.size() > (1u << 16)) {
    throw ConfigError(fmt::format(
        "{}: expected a list of expert loads (or {{\"loads\": [...]}}), one per routed expert",
        path));
  }
  std::vector<double> loads;
  loads.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& v = list[i];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0) {
      throw ConfigError(
          fmt::format("{}: loads[{}]: expected a non-negative number, got {}", path, i, v.dump()));
    }
    loads.push_back(v.get<double>());
  }
  const double total = std::accumulate(loads.begin(), loads.end(), 0.0);
  if (!(total > 0) || !std::isfinite(total)) {
    throw ConfigError(fmt::format(
        "{}: expected some expert with a load above 0, and a finite total, got {}", path, total));
  }
  return loads;
}

}  // namespace jalapeno
