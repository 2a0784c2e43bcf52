// Speed of the step cost model: the serving simulator calls it for every
// step, so a memoised lookup must be far cheaper than a cold evaluation.
#include <benchmark/benchmark.h>

#include "cost/step_cost.hpp"
#include "plan/hardware.hpp"

namespace {

using namespace jalapeno;

StepCostModel make_model() {
  return StepCostModel(load_model("llama-3.1-8b"), load_chip("h200-sxm"), load_engine("fused"));
}

// A cold prediction: op graph, every op's kernels, the tile search.
void BM_DecodeStepCold(benchmark::State& state) {
  const StepCostModel model = make_model();
  int64_t ctx = 1024;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.cost(decode_batch(64, ctx)).seconds);
    ctx = ctx == 4096 ? 1024 : ctx + 1;  // never the same shape twice in a row
  }
}
BENCHMARK(BM_DecodeStepCold);

// A mixture-of-experts decode step (Qwen3-30B-A3B, 128 experts, top 8),
// cold, with its breakdown.
void BM_MoeDecodeStepCold(benchmark::State& state) {
  const StepCostModel model(load_model("qwen3-30b-a3b"), load_chip("h200-sxm"),
                            load_engine("fused"));
  int64_t ctx = 1024;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.cost(decode_batch(64, ctx)).seconds);
    ctx = ctx == 4096 ? 1024 : ctx + 1;
  }
}
BENCHMARK(BM_MoeDecodeStepCold);

// DeepSeek-V3 on 8 H200s with attention data parallel and 8-way expert
// parallel, skewed routing placed by EPLB: the slowest rank found among the
// eight, the dispatch and combine all-to-all costed on the network.
void BM_DeepSeekDepDecodeStepCold(benchmark::State& state) {
  const Hardware hw = load_hardware("hgx-h200", std::nullopt);
  ParallelContext parallel{ParallelPlan{8, 1, 1}, hw.network};
  parallel.plan.ep = 8;
  parallel.plan.dp_attention = true;
  parallel.routing.skew = 1.0;
  parallel.routing.redundant = 32;
  parallel.routing.balanced = true;
  const StepCostModel model(load_model("deepseek-v3"), hw.chip, load_engine("sglang"), parallel);
  int64_t ctx = 1024;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.cost(decode_batch(256, ctx)).seconds);
    ctx = ctx == 4096 ? 1024 : ctx + 1;
  }
}
BENCHMARK(BM_DeepSeekDepDecodeStepCold);

// A memoised prediction of a shape seen before.
void BM_DecodeStepMemoised(benchmark::State& state) {
  StepCostModel model = make_model();
  const BatchSummary batch = decode_batch(64, 1024);
  model.seconds(batch);
  for (auto _ : state) benchmark::DoNotOptimize(model.seconds(batch));
}
BENCHMARK(BM_DecodeStepMemoised);

// Summarising a batch of 256 sequences plus the memoised lookup: what the
// serving loop pays per step.
void BM_SummariseAndLookup256(benchmark::State& state) {
  StepCostModel model = make_model();
  std::vector<SequenceInStep> batch(256, SequenceInStep{1, 1000});
  model.seconds(summarize(batch));
  for (auto _ : state) benchmark::DoNotOptimize(model.seconds(summarize(batch)));
}
BENCHMARK(BM_SummariseAndLookup256);

}  // namespace

BENCHMARK_MAIN();
