// Speed of the step cost model: the serving simulator calls it for every
// step, so a memoised lookup must be far cheaper than a cold evaluation.
#include <benchmark/benchmark.h>

#include "cost/step_cost.hpp"

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
