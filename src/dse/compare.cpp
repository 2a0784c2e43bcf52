#include "dse/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "plan/hardware.hpp"

namespace jalapeno {

std::vector<int64_t> curve_caps(int64_t max_sequences) {
  std::vector<int64_t> caps;
  for (int64_t cap = 1; cap < max_sequences; cap *= 2) caps.push_back(cap);
  caps.push_back(max_sequences);
  return caps;
}

namespace {

// The best few estimates of each system are simulated, and the first the
// simulation shows meeting the SLOs wins: the estimate alone picks plans at
// the edge of the TPOT SLO, which queueing pushes over it.
constexpr size_t kSimulatedPerSystem = 4;

// A curve point is about throughput at a batch cap: ranked per chip, the
// TPOT SLO lifted (the curve is what trading it buys).
std::optional<CurvePoint> curve_point(const PlanSearchSpec& base, int64_t cap) {
  PlanSearchSpec spec = base;
  spec.max_sequences = cap;
  spec.slo_tpot_s = 0;
  spec.objective = plan_objectives().front().name;  // tokens per s per chip
  const PlanSearchResult result = search_plans(spec);
  if (result.plans.empty() || !result.plans.front().meets_slos) return std::nullopt;
  const PlanResult& best = result.plans.front();
  if (!(best.tpot_s > 0)) return std::nullopt;
  CurvePoint point;
  point.max_sequences = cap;
  point.plan = best.plan.describe();
  point.tokens_per_s_per_user = 1 / best.tpot_s;
  point.tokens_per_s_per_chip = best.tokens_per_s_per_chip;
  point.tokens_per_s_per_MW = best.tokens_per_s_per_MW;
  return point;
}

}  // namespace

namespace {

void check_system_names(const std::vector<std::string>& systems) {
  if (systems.empty()) throw ConfigError("--systems: expected at least one system");
  if (systems.size() > 64) {
    throw ConfigError(fmt::format("--systems: at most 64, got {}", systems.size()));
  }
  std::set<std::string> seen;
  for (const std::string& system : systems) {
    if (system.empty()) throw ConfigError("--systems: an empty name (two commas?)");
    if (!seen.insert(system).second) {
      throw ConfigError(fmt::format("--systems: '{}' is given twice", system));
    }
  }
}

}  // namespace

void check_compare_systems(const std::vector<std::string>& systems) {
  check_system_names(systems);
  for (const std::string& system : systems) {
    try {
      load_hardware(system, std::nullopt);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("--systems: {}: {}", system, e.what()));
    }
  }
}

CompareResult compare_systems(const CompareSpec& spec) {
  check_system_names(spec.systems);
  CompareResult out;
  out.objective = find_plan_objective(spec.plan.objective).name;
  for (const std::string& system : spec.systems) {
    PlanSearchSpec plan = spec.plan;
    plan.hw = system;
    PlanSearchResult searched;
    try {
      searched = search_plans(plan, spec.simulate ? kSimulatedPerSystem : 0, spec.requests, 0.9,
                              spec.jobs);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("--systems: {}: {}", system, e.what()));
    }
    out.model = searched.model;
    ComparedSystem row;
    row.system = system;
    row.name = searched.system;
    row.chips = searched.chips;
    row.chips_per_rack = searched.chips_per_rack;
    if (!searched.plans.empty() && searched.plans.front().tokens_per_s > 0) {
      row.best = searched.plans.front();
      row.meets_slos =
          row.best->meets_slos && (!row.best->simulated || row.best->simulated->meets_slos());
    }
    if (row.best && row.best->meets_slos && row.best->simulated && !row.meets_slos) {
      const int64_t missed_batch = row.best->batch;
      for (const int64_t numerator : {6, 4, 2, 1}) {
        const int64_t cap = missed_batch * numerator / 8;
        if (cap < 1) break;
        PlanSearchSpec capped = plan;
        capped.max_sequences = cap;
        PlanSearchResult again =
            search_plans(capped, kSimulatedPerSystem, spec.requests, 0.9, spec.jobs);
        if (again.plans.empty()) continue;
        const PlanResult& first = again.plans.front();
        if (first.meets_slos && first.simulated && first.simulated->meets_slos()) {
          row.best = first;
          row.meets_slos = true;
          row.served_cap = cap;
          break;
        }
      }
    }
    if (spec.curve) {
      for (int64_t cap : curve_caps(spec.plan.max_sequences)) {
        if (auto point = curve_point(plan, cap)) row.curve.push_back(std::move(*point));
      }
    }
    out.systems.push_back(std::move(row));
  }
  return out;
}

std::string format_compare_table(const CompareResult& result) {
  const PlanObjective& objective = find_plan_objective(result.objective);
  std::string out = fmt::format("{} on {} systems: each one's best plan by {}\n", result.model,
                                result.systems.size(), objective.description);
  size_t name_width = 8, plan_width = 4;
  for (const ComparedSystem& s : result.systems) {
    name_width = std::max(name_width, s.system.size());
    if (s.best) plan_width = std::max(plan_width, s.best->plan.describe().size());
  }
  out += fmt::format(
      "{:<{}} {:>5} {:<{}} {:>6} {:>10} {:>10} {:>10} {:>10} {:>8} {:>17} {:>17}  {}\n", "system",
      name_width, "chips", "plan", plan_width, "batch", "tok/s/user", "tok/s/chip", "tok/s/rack",
      "tok/s/MW", "$/Mtok", "TTFT p50/p99 ms", "TPOT p50/p99 ms", "SLOs");
  for (const ComparedSystem& s : result.systems) {
    if (!s.best) {
      out += fmt::format("{:<{}} {:>5} {:<{}}  no plan runs\n", s.system, name_width, s.chips, "-",
                         plan_width);
      continue;
    }
    const PlanResult& p = *s.best;
    const std::string per_MW =
        p.tokens_per_s_per_MW ? fmt::format("{:.3g}", *p.tokens_per_s_per_MW) : "-";
    const std::string usd = p.usd_per_million_output_tokens
                                ? fmt::format("{:.3f}", *p.usd_per_million_output_tokens)
                                : "-";
    std::string ttft = "-", tpot = "-";
    if (p.simulated) {
      ttft = fmt::format("{:.0f}/{:.0f}", 1e3 * p.simulated->ttft_p50_s,
                         1e3 * p.simulated->ttft_p99_s);
      tpot = fmt::format("{:.1f}/{:.1f}", 1e3 * p.simulated->tpot_p50_s,
                         1e3 * p.simulated->tpot_p99_s);
    }
    const std::string per_rack =
        s.chips_per_rack > 0
            ? fmt::format("{:.0f}", p.tokens_per_s_per_chip * static_cast<double>(s.chips_per_rack))
            : "-";
    out += fmt::format(
        "{:<{}} {:>5} {:<{}} {:>6} {:>10.1f} {:>10.0f} {:>10} {:>10} {:>8} {:>17} {:>17}  {}\n",
        s.system, name_width, s.chips, p.plan.describe(), plan_width, p.batch, 1 / p.tpot_s,
        p.tokens_per_s_per_chip, per_rack, per_MW, usd, ttft, tpot,
        !s.meets_slos      ? "missed: " + p.verdict
        : s.served_cap > 0 ? fmt::format("met at <= {} sequences per replica", s.served_cap)
                           : std::string("met"));
  }
  out +=
      "tok/s/user is 1 / TPOT at the plan's batch (analytical); TTFT and TPOT percentiles are "
      "simulated at 90% of the plan's estimated throughput (--no-simulate leaves them out).\n";
  bool any_curve = false;
  for (const ComparedSystem& s : result.systems) any_curve = any_curve || !s.curve.empty();
  if (!any_curve) return out;
  out +=
      "\nthroughput against interactivity: the best plan at each cap on sequences per replica "
      "(TTFT SLO held, TPOT free)\n";
  for (const ComparedSystem& s : result.systems) {
    out += fmt::format("{}\n{:>8} {:>10} {:>10} {:>10}  {}\n", s.system, "max seqs", "tok/s/user",
                       "tok/s/chip", "tok/s/MW", "plan");
    for (const CurvePoint& c : s.curve) {
      out += fmt::format(
          "{:>8} {:>10.1f} {:>10.0f} {:>10}  {}\n", c.max_sequences, c.tokens_per_s_per_user,
          c.tokens_per_s_per_chip,
          c.tokens_per_s_per_MW ? fmt::format("{:.3g}", *c.tokens_per_s_per_MW) : "-", c.plan);
    }
  }
  return out;
}

nlohmann::ordered_json compare_json(const CompareResult& result) {
  nlohmann::ordered_json doc;
  doc["schema"] = "jalapeno.compare/1";
  doc["model"] = result.model;
  doc["objective"] = result.objective;
  doc["systems"] = nlohmann::ordered_json::array();
  for (const ComparedSystem& s : result.systems) {
    nlohmann::ordered_json row;
    row["system"] = s.system;
    row["name"] = s.name;
    row["chips"] = s.chips;
    row["meets_slos"] = s.meets_slos;
    row["served_cap"] =
        s.served_cap > 0 ? nlohmann::ordered_json(s.served_cap) : nlohmann::ordered_json(nullptr);
    row["chips_per_rack"] = s.chips_per_rack > 0 ? nlohmann::ordered_json(s.chips_per_rack)
                                                 : nlohmann::ordered_json(nullptr);
    if (s.best) {
      row["tokens_per_s_per_user"] = 1 / s.best->tpot_s;
      row["tokens_per_s_per_rack"] =
          s.chips_per_rack > 0 ? nlohmann::ordered_json(s.best->tokens_per_s_per_chip *
                                                        static_cast<double>(s.chips_per_rack))
                               : nlohmann::ordered_json(nullptr);
      row["best"] = plan_result_json(*s.best);
      if (s.best->simulated) {
        const SimulatedPlan& sim = *s.best->simulated;
        row["latency"] = {{"ttft_p50_s", sim.ttft_p50_s},
                          {"ttft_p99_s", sim.ttft_p99_s},
                          {"tpot_p50_s", sim.tpot_p50_s},
                          {"tpot_p99_s", sim.tpot_p99_s}};
      } else {
        row["latency"] = nullptr;
      }
    } else {
      row["tokens_per_s_per_user"] = nullptr;
      row["tokens_per_s_per_rack"] = nullptr;
      row["best"] = nullptr;
      row["latency"] = nullptr;
    }
    row["curve"] = nlohmann::ordered_json::array();
    for (const CurvePoint& c : s.curve) {
      row["curve"].push_back(
          {{"max_sequences", c.max_sequences},
           {"plan", c.plan},
           {"tokens_per_s_per_user", c.tokens_per_s_per_user},
           {"tokens_per_s_per_chip", c.tokens_per_s_per_chip},
           {"tokens_per_s_per_MW", c.tokens_per_s_per_MW
                                       ? nlohmann::ordered_json(*c.tokens_per_s_per_MW)
                                       : nlohmann::ordered_json(nullptr)}});
    }
    doc["systems"].push_back(std::move(row));
  }
  return doc;
}

}  // namespace jalapeno
