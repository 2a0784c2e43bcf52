#pragma once
// A serving scenario: model, system, engine, scheduler, workload, SLOs and
// seed, read from YAML into an immutable spec (unknown keys are errors), with
// single fields overridable from the command line.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/spec_reader.hpp"
#include "cost/step_cost.hpp"
#include "hw/cost_spec.hpp"
#include "hw/power_spec.hpp"
#include "plan/hardware.hpp"
#include "serve/serving_events.hpp"
#include "serve/simulator.hpp"
#include "workload/source.hpp"

namespace jalapeno {

enum class WorkloadKind { kSynthetic, kClosedLoop, kTrace, kAgentic };

struct Scenario {
  std::string model = "llama-3.1-8b";
  std::string hw = "h200-sxm";
  std::string engine = "fused";
  // `system.hw` or `engine` written inline, as a mapping (often `extends: a
  // preset` and a few fields over it): the spec read from it, which `hw` or
  // `engine` then only names. Read once; shared, never modified.
  std::shared_ptr<const ChipSpec> inline_chip;
  std::shared_ptr<const EngineProfile> inline_engine;
  std::optional<std::string> topology;  // a system whose network joins the chips
  ParallelPlan plan;                    // tp and pp of each replica (replicas: serve.replicas)
  // Systems of the kind `hw` names that hold the replicas (each replica in
  // one of them; the replicas joined only by the router): the fleet's.
  int64_t systems = 1;
  RoutingSpec routing;  // `routing:` how MoE tokens pick experts
  bool overlap = false;
  ServeConfig serve;
  WorkloadKind workload = WorkloadKind::kSynthetic;
  SyntheticSpec synthetic;
  ClosedLoopSpec closed_loop;
  TraceSpec trace;
  AgenticSpec agentic;
  Slo slo;
  uint64_t seed = 1;
  double sample_interval_s = 1.0;
  PrecisionOverride precision;  // `precision: {weights, activations, kv, weight_group}`
  FacilitySpec facility;        // `facility:`: PUE, electricity, life (README "Energy and cost")
  ChipCostOverride cost;        // `cost:` over the chip file's
  PowerOverride power;          // `power:` over the chip file's (limit and energies)
  std::string path;             // the file it was read from, "" when built from flags alone
};

// Reads a scenario file. Relative trace paths are relative to the file.
Scenario read_scenario(const std::string& path);
// From a parsed document; relative paths are relative to doc.file's folder.
Scenario read_scenario(const Document& doc);

// The chips and network a scenario runs on (its inline chip, when it has
// one), with its `power:` overrides applied; and its engine.
Hardware scenario_hardware(const Scenario& scenario);
EngineProfile scenario_engine(const Scenario& scenario);

// Checks the values a scenario ends up with, from a file or flags, against
// the ranges a simulation can honour (ServeLimits: replicas, requests,
// simulated span; a billion tokens per step ...). Throws ConfigError naming
// the setting.
void validate_scenario(const Scenario& scenario);

std::unique_ptr<RequestSource> make_source(const Scenario& scenario);

// How many requests the scenario's run completes: the workload's count, a
// trace's max_requests, or 0 when only reading the trace would tell.
uint64_t expected_requests(const Scenario& scenario);

// What a result says of the scenario it came from (serve --json's
// "scenario"): model, hardware, engine, plan, policies, workload, seed.
nlohmann::ordered_json scenario_json(const Scenario& scenario, const StepCostModel& cost,
                                     const RequestSource& source);

// The step cost model of one replica. Throws ConfigError when the plan does
// not divide the model, or the replicas need more chips than the system has.
StepCostModel make_scenario_cost_model(const Scenario& scenario);

// What the run's energy and money come from: the chips of every replica,
// the chip's power model and cost (the scenario's `cost:` over the chip
// file's) and the facility. Nothing without a power model; no money
// (has_cost false) without a price.
std::optional<EnergyAccounting> make_energy_accounting(const Scenario& scenario);

}  // namespace jalapeno
