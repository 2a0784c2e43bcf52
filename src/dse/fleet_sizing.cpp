#include "dse/fleet_sizing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "plan/hardware.hpp"
#include "report/serving_metrics.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"

namespace jalapeno {

namespace {

// Plans are the same replica layout when they split one replica alike.
bool same_layout(const ParallelPlan& a, const ParallelPlan& b) {
  return a.tp == b.tp && a.pp == b.pp && a.ep == b.ep && a.dp_attention == b.dp_attention &&
         a.weights_in == b.weights_in;
}

// One replica's layout, as the table names it: "TP2 x PP1", "TP8 EP8 DEP".
std::string layout_name(const ParallelPlan& p) {
  std::string name = fmt::format("TP{} x PP{}", p.tp, p.pp);
  if (p.ep > 1) name += fmt::format(" EP{}", p.ep);
  if (p.dp_attention) name += " DEP";
  if (p.weights_in == MemoryLevelKind::kSram) name += " SRAM";
  return name;
}

}  // namespace

FleetVerdict simulate_fleet(const FleetSpec& spec, const ParallelPlan& plan, int64_t replicas) {
  // 300 requests a replica, at least 3,000, at most 500,000 (about half a
  // second of simulation each).
  const int64_t requests =
      spec.requests > 0 ? spec.requests : std::clamp<int64_t>(300 * replicas, 3000, 500000);
  Scenario s = plan_scenario(spec.plan, plan, requests);
  s.serve.replicas = static_cast<uint32_t>(replicas);
  s.serve.router = spec.router;
  const Hardware hw = load_hardware(spec.plan.hw, spec.plan.topology);
  const int64_t per_system = std::max<int64_t>(1, hw.chips / plan.chips_per_replica());
  s.systems = (replicas + per_system - 1) / per_system;
  s.synthetic.arrivals = ArrivalKind::kPoisson;
  s.synthetic.rate_per_s = spec.rate_per_s;
  FleetVerdict v;
  v.replicas = replicas;
  const double q = spec.percentile / 100;
  // Each seed on its own cost model, so that seeds may run on several
  // threads (parallel_for_index); the verdict is the same either way.
  struct Run {
    double ttft_s = 0, tpot_s = 0;
  };
  std::vector<Run> runs(static_cast<size_t>(spec.seeds));
  parallel_for_index(runs.size(), spec.jobs, [&](size_t k) {
    Scenario run = s;
    run.seed = static_cast<uint64_t>(1 + k);
    run.synthetic.seed = run.serve.seed = run.seed;
    StepCostModel cost = make_scenario_cost_model(run);
    auto source = make_source(run);
    ServingMetrics metrics(run.serve.replicas, run.slo, 10.0);
    Simulator sim(cost, run.serve, *source, metrics);
    sim.run();
    runs[k] = {metrics.ttft().quantile(q), metrics.tpot().quantile(q)};
  });
  for (const Run& r : runs) {
    v.ttft_s = std::max(v.ttft_s, r.ttft_s);
    v.tpot_s = std::max(v.tpot_s, r.tpot_s);
    const bool ok = (spec.plan.slo_ttft_s == 0 || r.ttft_s <= spec.plan.slo_ttft_s) &&
                    (spec.plan.slo_tpot_s == 0 || r.tpot_s <= spec.plan.slo_tpot_s);
    v.seeds_passing += ok ? 1 : 0;
    ++v.seeds;
  }
  return v;
}

FleetResult size_fleet(const FleetSpec& spec) {
  if (!(spec.rate_per_s > 0) || !std::isfinite(spec.rate_per_s)) {
    throw ConfigError(fmt::format("--rate: expected a rate above zero, got {}", spec.rate_per_s));
  }
  if (!(spec.percentile > 0 && spec.percentile < 100)) {
    throw ConfigError(
        fmt::format("--percentile: expected above 0 and below 100, got {}", spec.percentile));
  }
  if (spec.seeds < 1 || spec.seeds > 100) {
    throw ConfigError(fmt::format("--seeds: expected 1 to 100, got {}", spec.seeds));
  }
  if (spec.plan.slo_ttft_s == 0 && spec.plan.slo_tpot_s == 0) {
    throw ConfigError("--rate: fleet sizing needs an SLO to meet (--slo-ttft, --slo-tpot)");
  }
  make_router(spec.router, "--router");  // an unknown name is an error now
  const PlanSearchResult search = search_plans(spec.plan);
  FleetResult result;
  result.model = search.model;
  result.system = search.system;
  result.system_chips = search.chips;
  for (const PlanResult& p : search.plans) {
    if (!p.meets_slos || !(p.tokens_per_s > 0)) continue;
    const bool seen =
        std::any_of(result.candidates.begin(), result.candidates.end(),
                    [&](const FleetCandidate& c) { return same_layout(c.plan, p.plan); });
    if (seen) continue;
    FleetCandidate c;
    c.plan = p.plan;
    c.plan.replicas = 1;
    c.chips_per_replica = p.plan.chips_per_replica();
    c.capacity_per_replica = p.tokens_per_s / static_cast<double>(p.plan.replicas) /
                             static_cast<double>(spec.plan.output_tokens);
    // Compared as a double first: a huge rate must not overflow the cast.
    const double estimate = std::ceil(spec.rate_per_s / c.capacity_per_replica);
    c.estimated_replicas = estimate > static_cast<double>(spec.max_replicas)
                               ? spec.max_replicas + 1
                               : std::max<int64_t>(1, static_cast<int64_t>(estimate));
    result.candidates.push_back(c);
    if (result.candidates.size() >= spec.candidates) break;
  }
  if (result.candidates.empty()) {
    throw InfeasibleError(fmt::format(
        "no layout of {} on {} meets the SLOs even unloaded: `jalapeno plan` without --rate says "
        "why each misses",
        search.model, search.system));
  }
  const bool any_in_reach = std::any_of(
      result.candidates.begin(), result.candidates.end(),
      [&](const FleetCandidate& c) { return c.estimated_replicas <= spec.max_replicas; });
  if (!any_in_reach) {
    throw ConfigError(fmt::format(
        "--rate: {:.4g} requests/s needs about {} replicas of the best layout, beyond the {} one "
        "run simulates",
        spec.rate_per_s, result.candidates.front().estimated_replicas, spec.max_replicas));
  }
  for (FleetCandidate& c : result.candidates) {
    if (c.estimated_replicas > spec.max_replicas) continue;  // not found, not simulated
    // The fewest replicas that pass: from the estimate up until one passes
    // (growing by a quarter), then down by bisection to the last that does.
    const auto verdict = [&](int64_t n) {
      FleetVerdict v = simulate_fleet(spec, c.plan, n);
      c.tried.push_back(v);
      return v;
    };
    int64_t n = std::min(c.estimated_replicas, spec.max_replicas);
    FleetVerdict v = verdict(n);
    int64_t fail = 0;  // the largest count known to fail
    // How far from the SLOs a verdict is (1: on them); growing stops when
    // three more replica counts in a row bring it no closer by 1%: the SLO
    // is then out of reach of more replicas (a TPOT bound below what one
    // replica does at any load), and the layout is not found.
    const auto excess = [&](const FleetVerdict& f) {
      double e = 0;
      if (spec.plan.slo_ttft_s > 0) e = std::max(e, f.ttft_s / spec.plan.slo_ttft_s);
      if (spec.plan.slo_tpot_s > 0) e = std::max(e, f.tpot_s / spec.plan.slo_tpot_s);
      return e;
    };
    double best = excess(v);
    int stalled = 0;
    while (!v.passes() && n < spec.max_replicas && stalled < 3) {
      fail = n;
      n = std::min(spec.max_replicas, std::max(n + 1, n + n / 4));
      v = verdict(n);
      const double e = excess(v);
      stalled = e < 0.99 * best ? 0 : stalled + 1;
      best = std::min(best, e);
    }
    if (!v.passes()) {
      c.verdict = v;
      continue;
    }
    FleetVerdict pass = v;
    int64_t lo = fail, hi = n;  // lo fails (or is 0), hi passes
    if (fail == 0 && n > 1) {
      // The estimate passed: does one fewer too?
      const FleetVerdict fewer = verdict(n - 1);
      if (fewer.passes()) {
        hi = n - 1;
        pass = fewer;
      } else {
        lo = n - 1;
      }
    }
    while (hi - lo > 1) {
      const int64_t mid = lo + (hi - lo) / 2;
      const FleetVerdict m = verdict(mid);
      if (m.passes()) {
        hi = mid;
        pass = m;
      } else {
        lo = mid;
      }
    }
    c.found = true;
    c.verdict = pass;
  }
  std::stable_sort(result.candidates.begin(), result.candidates.end(),
                   [](const FleetCandidate& a, const FleetCandidate& b) {
                     if (a.found != b.found) return a.found;
                     return a.found && a.chips() < b.chips();
                   });
  return result;
}

std::string FleetResult::layout() const {
  if (candidates.empty() || !candidates.front().found) return "no fleet found";
  const FleetCandidate& best = candidates.front();
  const int64_t per_system = std::max<int64_t>(1, system_chips / best.chips_per_replica);
  const int64_t systems = (best.verdict.replicas + per_system - 1) / per_system;
  return fmt::format(
      "{} replicas of {} ({} chip{} each) in {} {} system{} ({} replicas a system, "
      "{} chips in all); each replica within one system on its own links, the replicas "
      "independent: joined only by the request router",
      best.verdict.replicas, layout_name(best.plan), best.chips_per_replica,
      best.chips_per_replica == 1 ? "" : "s", systems, system, systems == 1 ? "" : "s", per_system,
      best.chips());
}

std::string format_fleet_table(const FleetSpec& spec, const FleetResult& r) {
  std::string out = fmt::format(
      "{} on {} systems ({} chips each): {:.4g} requests/s, p{:g} TTFT <= {}, TPOT <= {}, "
      "router {}, {} seeds a verdict\n\n",
      r.model, r.system, r.system_chips, spec.rate_per_s, spec.percentile,
      spec.plan.slo_ttft_s > 0 ? fmt::format("{:g} ms", 1e3 * spec.plan.slo_ttft_s) : "-",
      spec.plan.slo_tpot_s > 0 ? fmt::format("{:g} ms", 1e3 * spec.plan.slo_tpot_s) : "-",
      spec.router, spec.seeds);
  out += fmt::format("{:<22} {:>10} {:>10} {:>9} {:>9} {:>7} {:>11} {:>11} {:>10}\n", "replica",
                     "req/s each", "estimated", "verified", "chips", "systems",
                     fmt::format("p{:g} TTFT", spec.percentile),
                     fmt::format("p{:g} TPOT", spec.percentile), "seeds ok");
  for (const FleetCandidate& c : r.candidates) {
    const int64_t per_system = std::max<int64_t>(1, r.system_chips / c.chips_per_replica);
    const int64_t systems = (c.verdict.replicas + per_system - 1) / per_system;
    out +=
        fmt::format("{:<22} {:>10.3g} {:>10} {:>9} {:>9} {:>7} {:>8.1f} ms {:>8.2f} ms {:>10}\n",
                    layout_name(c.plan), c.capacity_per_replica, c.estimated_replicas,
                    c.found ? std::to_string(c.verdict.replicas) : "none", c.found ? c.chips() : 0,
                    c.found ? systems : 0, 1e3 * c.verdict.ttft_s, 1e3 * c.verdict.tpot_s,
                    fmt::format("{}/{}", c.verdict.seeds_passing, c.verdict.seeds));
  }
  out += "\nfewest chips: " + r.layout() + "\n";
  if (!r.candidates.empty() && r.candidates.front().found) {
    const FleetCandidate& best = r.candidates.front();
    for (const FleetVerdict& v : best.tried) {
      if (v.replicas == best.verdict.replicas - 1) {
        out += fmt::format(
            "one replica fewer ({}) fails: p{:g} TTFT {:.1f} ms, TPOT {:.2f} ms, {}/{} seeds "
            "within the SLOs\n",
            v.replicas, spec.percentile, 1e3 * v.ttft_s, 1e3 * v.tpot_s, v.seeds_passing, v.seeds);
      }
    }
  }
  return out;
}

}  // namespace jalapeno
