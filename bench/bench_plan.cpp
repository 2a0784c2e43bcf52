// Speed of plan search: every TP x PP split of a model over a 64-chip rack,
// each costed at the largest batch its KV cache and TPOT SLO allow.
#include <benchmark/benchmark.h>

#include "dse/plan_search.hpp"

namespace {

// Searches `spec` once an iteration and counts its plans.
void search(benchmark::State& state, const jalapeno::PlanSearchSpec& spec) {
  size_t plans = 0;
  for (auto _ : state) {
    const auto result = jalapeno::search_plans(spec);
    plans = result.plans.size();
    benchmark::DoNotOptimize(result.plans.data());
  }
  state.counters["plans"] = static_cast<double>(plans);
}

void BM_PlanSearch405bOn64Chips(benchmark::State& state) {
  jalapeno::PlanSearchSpec spec;
  spec.model = "llama-3.1-405b";
  spec.hw = "ethernet-rack-64";
  spec.slo_tpot_s = 0.05;
  spec.slo_ttft_s = 3;
  search(state, spec);
}
BENCHMARK(BM_PlanSearch405bOn64Chips)->Unit(benchmark::kMillisecond);

// DeepSeek-R1 over 64 chips: TP x EP x DP x PP, with attention data
// parallel plans beside the tensor-parallel ones.
void BM_PlanSearchDeepSeekR1On64Chips(benchmark::State& state) {
  jalapeno::PlanSearchSpec spec;
  spec.model = "deepseek-r1";
  spec.hw = "ethernet-rack-64";
  spec.engine = "sglang";
  spec.slo_tpot_s = 0.05;
  search(state, spec);
}
BENCHMARK(BM_PlanSearchDeepSeekR1On64Chips)->Unit(benchmark::kMillisecond);

}  // namespace
