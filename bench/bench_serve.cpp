// Speed of the serving simulator: requests simulated per second of wall time
// on the reference workload (Llama-3.1-8B on one H200, mean 512 input
// and 256 output tokens, Poisson arrivals at 90% of capacity).
#include <benchmark/benchmark.h>

#include "report/serving_metrics.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"

namespace {

using namespace jalapeno;

Scenario reference(ArrivalKind arrivals, double rate, int64_t requests) {
  Scenario s;
  s.synthetic.arrivals = arrivals;
  s.synthetic.rate_per_s = rate;
  s.synthetic.requests = requests;
  s.synthetic.input = LengthDistribution::parse("lognormal:512:0.6:4096", "input");
  s.synthetic.output = LengthDistribution::parse("lognormal:256:0.6:2048", "output");
  return s;
}

double serve(StepCostModel& cost, const Scenario& s, ServingMetrics& metrics) {
  auto source = make_source(s);
  Simulator sim(cost, s.serve, *source, metrics);
  sim.run();
  return metrics.end_s();
}

void BM_ServePoissonAt90PercentOfCapacity(benchmark::State& state) {
  StepCostModel cost(load_model("llama-3.1-8b"), load_chip("h200-sxm"), load_engine("fused"));
  ServingMetrics offline_metrics(1, {});
  const double span = serve(cost, reference(ArrivalKind::kOffline, 1, 20000), offline_metrics);
  const double capacity = 20000 / span;
  const Scenario s = reference(ArrivalKind::kPoisson, 0.9 * capacity, state.range(0));
  for (auto _ : state) {
    ServingMetrics metrics(1, {});
    benchmark::DoNotOptimize(serve(cost, s, metrics));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["capacity_rps"] = capacity;
}
BENCHMARK(BM_ServePoissonAt90PercentOfCapacity)->Arg(10000)->Unit(benchmark::kMillisecond);

// 2,000 requests over N replicas with the least-outstanding router: the time
// per request must not grow with N (it took > 20 s at N = 100,000 when every
// arrival scanned every replica).
void BM_ServeManyReplicas(benchmark::State& state) {
  StepCostModel cost(load_model("llama-3.1-8b"), load_chip("h200-sxm"), load_engine("fused"));
  Scenario s = reference(ArrivalKind::kPoisson, 50, 2000);
  s.serve.replicas = static_cast<uint32_t>(state.range(0));
  s.serve.router = "least-outstanding";
  for (auto _ : state) {
    ServingMetrics metrics(s.serve.replicas, {});
    benchmark::DoNotOptimize(serve(cost, s, metrics));
  }
  state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_ServeManyReplicas)->Arg(16)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
