#pragma once
// Running a scenario with every callback of the serving simulator kept, for
// the suites that compare runs step by step (serve_equivalence_test,
// scheduler_policy_test).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "report/serving_metrics.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"

namespace jalapeno::testing_support {

// Everything the simulator reports, kept whole.
struct Recorder : ServingObserver {
  std::vector<StepRecord> steps;
  std::vector<RequestRecord> done;
  std::map<double, uint64_t> gaps;  // gap -> how many
  uint64_t gap_count = 0;
  uint64_t preemptions = 0;
  double end_s = 0;
  void on_step(const StepRecord& s) override { steps.push_back(s); }
  void on_token_gap(double g) override { on_repeated_token_gap(g, 1); }
  void on_repeated_token_gap(double g, uint64_t n) override {
    gaps[g] += n;
    gap_count += n;
  }
  void on_request_done(const RequestRecord& r) override { done.push_back(r); }
  void on_preemption(uint32_t) override { ++preemptions; }
  void on_end(double t) override { end_s = t; }
};

// Hands every callback to both observers.
struct Tee : ServingObserver {
  ServingObserver& a;
  ServingObserver& b;
  Tee(ServingObserver& x, ServingObserver& y) : a(x), b(y) {}
  void on_replica(uint32_t i) override { a.on_replica(i), b.on_replica(i); }
  void on_step(const StepRecord& s) override { a.on_step(s), b.on_step(s); }
  void on_token_gap(double g) override { a.on_token_gap(g), b.on_token_gap(g); }
  void on_token_gaps(const double* g, size_t n) override {
    a.on_token_gaps(g, n), b.on_token_gaps(g, n);
  }
  void on_repeated_token_gap(double g, uint64_t n) override {
    a.on_repeated_token_gap(g, n), b.on_repeated_token_gap(g, n);
  }
  void on_request_done(const RequestRecord& r) override {
    a.on_request_done(r), b.on_request_done(r);
  }
  void on_preemption(uint32_t i) override { a.on_preemption(i), b.on_preemption(i); }
  void on_end(double t) override { a.on_end(t), b.on_end(t); }
};

struct SimRun {
  Recorder seen;
  int64_t steps = 0;
  int64_t aggregated_steps = 0;
  double peak_kv = 0;
  std::string summary;  // ServingMetrics' JSON, less the float sums
};

inline SimRun simulate(const Scenario& s, bool per_sequence_only = false) {
  Scenario scenario = s;
  scenario.serve.per_sequence_only = per_sequence_only;
  StepCostModel cost = make_scenario_cost_model(scenario);
  auto source = make_source(scenario);
  ServingMetrics metrics(scenario.serve.replicas, scenario.slo, scenario.sample_interval_s);
  SimRun run;
  Tee both(metrics, run.seen);
  Simulator sim(cost, scenario.serve, *source, both);
  sim.run();
  for (uint32_t i = 0; i < sim.replica_count(); ++i) {
    if (const Replica* r = sim.replica(i)) {
      run.steps += r->steps();
      run.aggregated_steps += r->aggregated_steps();
    }
  }
  for (const StepRecord& step : run.seen.steps) {
    run.peak_kv = std::max(run.peak_kv, step.kv_used_fraction);
  }
  nlohmann::json doc = metrics.to_json();
  // Sums of gaps and of energies are added in another order: equal to
  // rounding, compared apart below. Everything else must be identical.
  doc["itl_s"].erase("mean");
  if (doc.contains("energy") && doc["energy"].is_object()) {
    doc["energy"].erase("mean_joules_per_request");
  }
  if (doc.contains("sessions")) doc["sessions"].erase("joules_per_task");
  run.summary = doc.dump();
  return run;
}

inline Scenario poisson(double rate, int64_t requests, const std::string& input,
                        const std::string& output) {
  Scenario s;
  s.synthetic.arrivals = ArrivalKind::kPoisson;
  s.synthetic.rate_per_s = rate;
  s.synthetic.requests = requests;
  s.synthetic.input = LengthDistribution::parse(input, "input");
  s.synthetic.output = LengthDistribution::parse(output, "output");
  s.synthetic.seed = 11;
  return s;
}

}  // namespace jalapeno::testing_support
