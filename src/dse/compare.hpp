#pragma once
// `jalapeno compare`: one model and workload on several systems side by side.
// Each system's plans are searched as `jalapeno plan` searches them; its best
// plan (by the objective, among those meeting the SLOs) is reported with the
// figures people compare machines by (tokens/s per user, per chip and per
// facility MW, $ per million output tokens) and, simulated, TTFT and TPOT at
// p50 and p99. With a curve, each system's best throughput at each cap on
// the batch: throughput against interactivity, as InferenceMAX plots it.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dse/plan_search.hpp"

namespace jalapeno {

struct CompareSpec {
  PlanSearchSpec plan;               // model, workload, SLOs, objective; hw is set per system
  std::vector<std::string> systems;  // presets or files: systems, or single chips
  bool simulate = true;              // check each best plan with the serving simulator
  int64_t requests = 2000;           // per simulation
  bool curve = false;
  size_t jobs = 1;  // threads for the simulations (the same result however many)
};

// With simulation, a system whose best plan misses the SLOs as served is
// searched again with its batch capped, at 3/4, 1/2, 1/4 and 1/8 of the
// missing plan's batch, and the first cap whose best plan meets them is
// reported (the analytical search sizes a batch by its mean step; served,
// arrivals and prefill chunks spread the steps).

// The best throughput one system reaches with at most `max_sequences` per
// replica (TTFT SLO held; the TPOT SLO is what the curve trades).
struct CurvePoint {
  int64_t max_sequences = 0;
  std::string plan;  // as ParallelPlan::describe() writes it
  double tokens_per_s_per_user = 0;
  double tokens_per_s_per_chip = 0;
  std::optional<double> tokens_per_s_per_MW;
};

struct ComparedSystem {
  std::string system;  // as given
  std::string name;    // the system's (or chip's) own name
  int64_t chips = 0;
  int64_t chips_per_rack = 0;  // 0: the system states no rack
  // Best first as the plan search ranks them; empty when no plan runs.
  std::optional<PlanResult> best;
  bool meets_slos = false;  // the best plan meets them (simulated, when simulated)
  // Simulated, the uncapped search's best missed the SLOs as served, and this
  // cap on sequences per replica is the largest tried that meets them (0:
  // no cap was needed, or none tried met them).
  int64_t served_cap = 0;
  std::vector<CurvePoint> curve;
};

struct CompareResult {
  std::string model;
  std::string objective;
  std::vector<ComparedSystem> systems;  // in the order given
};

// Throws ConfigError for bad input (an unknown system, model or objective;
// no systems; the same system twice).
CompareResult compare_systems(const CompareSpec& spec);
// The list's own checks (none, an empty name, one twice), and each system
// found (the command's check-only mode runs no search).
void check_compare_systems(const std::vector<std::string>& systems);
std::string format_compare_table(const CompareResult& result);
nlohmann::ordered_json compare_json(const CompareResult& result);  // schema jalapeno.compare/1

// The caps a curve visits: 1, 2, 4, ... up to max_sequences, which is last.
std::vector<int64_t> curve_caps(int64_t max_sequences);

}  // namespace jalapeno
