#pragma once
// Plan search: every way to split a model over a system's chips (tensor
// parallel x pipeline parallel, with as many replicas as fit), each costed
// analytically at the largest batch its KV cache and the TPOT SLO allow,
// ranked by output tokens per second per chip among the plans that meet the
// SLOs, each with the reason it wins or loses.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hw/cost_spec.hpp"
#include "plan/parallel_plan.hpp"

namespace jalapeno {

struct PlanSearchSpec {
  std::string model;
  std::string hw;
  std::optional<std::string> topology;
  std::string engine = "fused";
  int64_t chips = 0;      // 0: all of the system's chips
  double slo_ttft_s = 0;  // 0: unbounded
  double slo_tpot_s = 0;
  int64_t input_tokens = 1024;  // mean prompt
  int64_t output_tokens = 256;  // mean output
  int64_t max_sequences = 256;  // per replica (all micro-batches together)
  int64_t max_batched_tokens = 8192;
  double memory_utilization = 0.9;
  bool overlap = false;
  // MoE models: how tokens pick experts, the dispatch kernels, and (when
  // set) only plans of this expert-parallel degree, with or without
  // attention data parallelism.
  RoutingSpec routing;
  AllToAllMode all_to_all = AllToAllMode::kAuto;
  std::optional<int64_t> ep;
  bool dp_attention_only = false;
  // Only plans that keep weights there (unset: every level the chip offers,
  // HBM and, where its bandwidth is stated, SRAM).
  std::optional<MemoryLevelKind> weights_in;
  PrecisionOverride precision;                      // over the checkpoint's
  std::string objective = "tokens-per-s-per-chip";  // a name from plan_objectives()
  FacilitySpec facility;  // PUE, electricity and life for the power and money objectives
};

// A plan checked by the serving simulator: one replica (the others are
// alike) offered Poisson arrivals of the workload's requests at a fraction
// of the throughput the analytical estimate promises.
struct SimulatedPlan {
  double offered_requests_per_s = 0;  // per replica
  double tokens_per_s_per_chip = 0;   // output tokens, as simulated
  double ttft_p50_s = 0, ttft_p90_s = 0, ttft_p99_s = 0;
  double tpot_p50_s = 0, tpot_p90_s = 0, tpot_p99_s = 0;
  double goodput_fraction = 0;  // of requests meeting both SLOs
  // Served within the SLOs: at least 90% of requests meet both.
  bool meets_slos() const { return goodput_fraction >= 0.9; }
};

struct PlanResult {
  ParallelPlan plan;
  bool meets_slos = false;
  std::string verdict;      // why it wins or loses
  int64_t batch = 0;        // sequences in flight per replica
  double tpot_s = 0;        // decode step latency at that batch
  double ttft_s = 0;        // prefill of one prompt, unloaded
  double comm_share = 0;    // of the decode step
  double tokens_per_s = 0;  // output tokens/s, all replicas
  double tokens_per_s_per_chip = 0;
  // At that operating point (absent without a power model, or a price):
  std::optional<double> facility_power_W;               // chips, system share, conversion, PUE
  std::optional<double> tokens_per_s_per_MW;            // output tokens per facility MW
  std::optional<double> usd_per_million_output_tokens;  // capex and energy, all on output
  std::optional<SimulatedPlan> simulated;               // with search_plans(..., simulate_top > 0)
};

struct PlanSearchResult {
  std::string model;
  std::string system;
  int64_t chips = 0;
  int64_t chips_per_rack = 0;     // 0: the system states no rack
  std::string objective;          // what they are ranked by
  std::vector<PlanResult> plans;  // best first; those missing SLOs or invalid last
};

// What plans are ranked by, registered by name: a score where higher is
// better, or nothing when the plan cannot be scored (no power model).
struct PlanObjective {
  std::string name;
  std::string description;
  std::optional<double> (*score)(const PlanResult&);
};
const std::vector<PlanObjective>& plan_objectives();
// Throws ConfigError naming the known ones for an unknown name.
const PlanObjective& find_plan_objective(const std::string& name);

// Throws ConfigError for bad input (unknown model or hardware, no network).
// simulate_top > 0 also runs the serving simulator on that many of the best
// plans meeting the SLOs (requests each, at `load` of their estimated
// throughput) to check the estimate; those plans are then ranked by what the
// simulation reached, the ones it shows missing the SLOs after the others.
// `jobs`: threads for the simulations (the same result however many).
PlanSearchResult search_plans(const PlanSearchSpec& spec, size_t simulate_top = 0,
                              int64_t requests = 2000, double load = 0.9, size_t jobs = 1);
// One plan costed analytically as search_plans costs each (the largest
// batch its cache and the TPOT SLO allow, at the spec's mean lengths);
// hw.chips is what the plan may use. An invalid or infeasible plan comes
// back with meets_slos false and the reason in its verdict.
struct ModelSpec;
struct EngineProfile;
struct Hardware;
PlanResult evaluate_plan(const PlanSearchSpec& spec, const ModelSpec& model, const Hardware& hw,
                         const EngineProfile& engine, const ParallelPlan& plan);
SimulatedPlan simulate_plan(const PlanSearchSpec& spec, const PlanResult& plan, int64_t requests,
                            double load);
// The serving scenario of one replica of `plan` under the spec's model,
// engine, scheduler limits, SLOs and fixed request lengths (arrivals left
// for the caller to set).
struct Scenario;
Scenario plan_scenario(const PlanSearchSpec& spec, const ParallelPlan& plan, int64_t requests);
std::string format_plan_table(const PlanSearchResult& result, size_t top);
// One plan as plan --json writes it (absent figures as null).
nlohmann::ordered_json plan_result_json(const PlanResult& plan);

}  // namespace jalapeno
