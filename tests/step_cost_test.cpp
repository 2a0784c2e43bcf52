// The cost model against closed forms, and its invariants.
#include "cost/step_cost.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "plan/hardware.hpp"

namespace jalapeno {
namespace {

struct Fixture : ::testing::Test {
  ChipSpec chip = load_chip("h200-sxm");
  EngineProfile engine = load_engine("fused");
  double rate = chip.matrix_flops_for("bfloat16") * chip.matrix_efficiency;
};

using GemmTime = Fixture;

// A GEMV streams its weights: bytes at the achievable read bandwidth plus the
// fixed cost, nothing else.
TEST_F(GemmTime, GemvIsWeightStreaming) {
  const KernelTime t =
      gemm_time(chip, engine, rate, 1, 8192, 57344, 1, 2, chip.gemm_fixed_s, false);
  const double bytes = (8192.0 + 8192.0 * 57344 + 57344) * 2;
  EXPECT_EQ(t.bound(), Bound::kMemory);
  EXPECT_NEAR(t.seconds(), bytes / (chip.hbm_Bps * chip.read_efficiency) + chip.gemm_fixed_s,
              1e-12);
}

// A large square GEMM whose tiles fill whole waves runs at the achievable
// matrix rate.
TEST_F(GemmTime, LargeGemmIsComputeBound) {
  // 132 units x 4 waves of 128x256 tiles.
  const int64_t m = 128 * 12, n = 256 * 44, k = 8192;
  const KernelTime t = gemm_time(chip, engine, rate, m, k, n, 1, 2, 0, false);
  EXPECT_EQ(t.bound(), Bound::kCompute);
  EXPECT_NEAR(t.seconds(), 2.0 * m * n * k / rate, 1e-9);
}

// One more row than a whole wave costs a whole extra wave of the best tile.
TEST_F(GemmTime, WaveQuantisation) {
  const int64_t n = 256 * 132, k = 8192;
  const double one_wave = gemm_time(chip, engine, rate, 128, k, n, 1, 2, 0, false).seconds();
  const double just_over = gemm_time(chip, engine, rate, 129, k, n, 1, 2, 0, false).seconds();
  EXPECT_GT(just_over, one_wave * 1.2);
}

TEST_F(GemmTime, UnalignedIsSlower) {
  const double aligned = gemm_time(chip, engine, rate, 4, 4096, 128, 64, 2, 0, false).seconds();
  const double unaligned = gemm_time(chip, engine, rate, 4, 4097, 128, 64, 2, 0, true).seconds();
  EXPECT_GT(unaligned, 3 * aligned);
}

using StepCostTest = Fixture;

TEST_F(StepCostTest, StepIsSumOfOps) {
  StepCostModel model(load_model("llama-3.1-8b"), chip, engine);
  const StepCost step = model.cost(decode_batch(32, 2048));
  double sum = 0;
  for (const auto& op : step.ops) sum += op.seconds;
  EXPECT_NEAR(sum, step.gpu_seconds, 1e-12);
  EXPECT_DOUBLE_EQ(step.seconds, step.gpu_seconds);  // decode replays a graph: no host time
  EXPECT_EQ(step.tokens, 32);
}

// The memoised path returns exactly what a full evaluation returns, for
// decode, prefill and mixed batches, and memoises only the context-free part:
// shapes that differ only in their contexts share one entry.
TEST_F(StepCostTest, MemoisedEqualsCold) {
  for (const char* engine_name : {"fused", "torch-eager"}) {
    StepCostModel model(load_model("llama-3.1-8b"), chip, load_engine(engine_name));
    const BatchSummary a = decode_batch(8, 100), b = decode_batch(8, 101);
    const BatchSummary mixed = summarize({{512, 1024}, {1, 100}, {1, 3000}});
    for (const BatchSummary& batch :
         {a, b, a, mixed, prefill_batch(1, 128), prefill_batch(4, 2048)}) {
      EXPECT_EQ(model.seconds(batch), model.cost(batch).seconds) << engine_name;
    }
    // a and b share their entries: 4 token counts and 4 sequence counts.
    EXPECT_EQ(model.memo_size(), 8u) << engine_name;
  }
}

// Decode of a memory-bound model: at batch 1 the step is at least the time
// to stream the weights once, and within a small factor of it.
TEST_F(StepCostTest, DecodeAtBatchOneIsNearWeightStreaming) {
  StepCostModel model(load_model("llama-3.1-70b", 20), chip, engine);
  const StepCost step = model.cost(decode_batch(1, 128));
  const double streaming = step.weight_bytes / (chip.hbm_Bps * chip.read_efficiency);
  EXPECT_GT(step.seconds, streaming);
  EXPECT_LT(step.seconds, 1.25 * streaming);
}

TEST_F(StepCostTest, FusionOrdersEngines) {
  const ModelSpec m = load_model("llama-3.1-8b");
  const BatchSummary batch = decode_batch(16, 1024);
  const double eager = StepCostModel(m, chip, load_engine("torch-eager")).cost(batch).seconds;
  const double compiled = StepCostModel(m, chip, load_engine("torch-compiled")).cost(batch).seconds;
  const double fused = StepCostModel(m, chip, engine).cost(batch).seconds;
  EXPECT_GT(eager, compiled);
  EXPECT_GT(compiled, fused);
}

TEST_F(StepCostTest, FasterMemoryMeansFasterDecode) {
  const ModelSpec m = load_model("llama-3.1-8b");
  ChipSpec slow = chip;
  slow.hbm_Bps *= 0.7;
  const BatchSummary batch = decode_batch(16, 4096);
  const double base = StepCostModel(m, chip, engine).cost(batch).seconds;
  const double slower = StepCostModel(m, slow, engine).cost(batch).seconds;
  EXPECT_GT(slower, base * 1.25);
  EXPECT_LT(slower, base / 0.7 + 1e-9);
}

// Without a CUDA graph, a step of many tiny kernels is bound by the host.
TEST_F(StepCostTest, EagerPrefillOfFewTokensIsHostBound) {
  StepCostModel model(load_model("llama-3.1-8b"), chip, load_engine("torch-eager"));
  const StepCost step = model.cost(prefill_batch(1, 128));
  EXPECT_GT(step.host_seconds, step.gpu_seconds);
  EXPECT_DOUBLE_EQ(step.seconds, step.kernels * model.engine().host_overhead_s);
}

TEST_F(StepCostTest, CalibrationTableRefinesMeasuredShapes) {
  ChipSpec calibrated = chip;
  calibrated.calibration =
      read_calibration(std::string(JALAPENO_SOURCE_DIR) + "/data/calibration/h200/kernels.json");
  StepCostModel model(load_model("llama-3.1-8b"), calibrated, load_engine("torch-eager"));
  const auto ops = build_step_ops(model.model(), decode_batch(128, 1023));
  for (const Op& op : ops) {
    if (op.name == "gate_up_proj") {
      // kernels.json measures 8b.gate_up at m = 128 as 110.3 us exactly.
      const KernelTime t = model.op_time(op, decode_batch(128, 1023));
      EXPECT_TRUE(t.calibrated);
      EXPECT_NEAR(t.seconds(), 110.32e-6, 0.01e-6);
    }
  }
  // Between measured m (64 and 128) the table interpolates log-log.
  const double between = *calibrated.calibration->gemm_seconds(96, 4096, 28672);
  EXPECT_GT(between, 63.6e-6);
  EXPECT_LT(between, 110.4e-6);
  // Outside the measured range the analytical model stays.
  EXPECT_FALSE(calibrated.calibration->gemm_seconds(32768, 4096, 28672).has_value());
}

TEST_F(StepCostTest, BatchThatDoesNotFitNamesBothFigures) {
  const ModelSpec m = load_model("llama-3.1-70b");
  try {
    StepCostModel(m, load_chip("h100-sxm"), engine).check_fits(decode_batch(64, 1024));
    FAIL() << "expected InfeasibleError";
  } catch (const InfeasibleError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("does not fit"), std::string::npos) << msg;
    EXPECT_NE(msg.find("80.00 GB"), std::string::npos) << msg;
    EXPECT_NE(msg.find("162.60 GB"), std::string::npos) << msg;
  }
  EXPECT_NO_THROW(
      StepCostModel(load_model("llama-3.1-8b"), chip, engine).check_fits(decode_batch(64, 1024)));
}

}  // namespace
}  // namespace jalapeno

namespace jalapeno {
namespace {

// A collective replayed inside the step's CUDA graph costs the engine's
// graph-captured launch; one called eagerly (a prefill, not captured) its
// eager launch: torch-compiled decodes at TP8 pay 8 us per all-reduce, not 25.
TEST(CollectiveLaunch, GraphCapturedDecodeAndEagerPrefill) {
  const Hardware hw = load_hardware("hgx-a100", std::nullopt);
  ParallelContext parallel;
  parallel.plan.tp = 8;
  parallel.network = hw.network;
  const EngineProfile engine = load_engine("torch-compiled");
  ASSERT_GT(engine.collective_launch_s, engine.collective_launch_graph_s);
  const StepCostModel model(load_model("llama-2-7b"), hw.chip, engine, parallel);
  const auto first_collective = [&](const BatchSummary& batch) {
    for (const Op& op : build_parallel_step_ops(model.model(), batch, model.plan())) {
      if (op.kind == OpKind::kCollective) return model.op_time(op, batch).seconds();
    }
    return -1.0;
  };
  const double decode_s = first_collective(decode_batch(2, 128));
  const double prefill_s = first_collective(prefill_batch(1, 2));
  // Same message size (two tokens), so only the launch differs.
  EXPECT_NEAR(prefill_s - decode_s, engine.collective_launch_s - engine.collective_launch_graph_s,
              1e-12);
}

}  // namespace
}  // namespace jalapeno

namespace jalapeno {
namespace {

// Host work of a step (scheduler, sampling, detokenisation): the GPU waits
// for it unless the engine overlaps it with the step.
TEST(HostStep, SerialAddsAndOverlappedHides) {
  const ChipSpec chip = load_chip("h200-sxm");
  const ModelSpec model = load_model("llama-3.1-8b");
  EngineProfile engine = load_engine("fused");
  const BatchSummary batch = decode_batch(8, 1024);
  const StepCost base = StepCostModel(model, chip, engine).cost(batch);
  EXPECT_EQ(base.host_step_seconds, 0);

  engine.host_step_fixed_s = 1e-3;
  engine.host_step_per_sequence_s = 50e-6;
  engine.host_step_overlapped = false;
  StepCostModel serial(model, chip, engine);
  const StepCost s = serial.cost(batch);
  EXPECT_DOUBLE_EQ(s.host_step_seconds, 1e-3 + 8 * 50e-6);
  EXPECT_DOUBLE_EQ(s.seconds, base.seconds + s.host_step_seconds);
  EXPECT_DOUBLE_EQ(serial.seconds(batch), s.seconds);  // the memoised path agrees

  engine.host_step_overlapped = true;
  EXPECT_DOUBLE_EQ(StepCostModel(model, chip, engine).cost(batch).seconds, base.seconds);
  engine.host_step_fixed_s = 2 * base.seconds;  // host-bound: the host sets the pace
  StepCostModel host_bound(model, chip, engine);
  EXPECT_DOUBLE_EQ(host_bound.cost(batch).seconds, 2 * base.seconds + 8 * 50e-6);
  EXPECT_DOUBLE_EQ(host_bound.seconds(batch), host_bound.cost(batch).seconds);
}

// A flash attention call costs at least its fixed cost, whatever it reads.
TEST(AttentionFixedCost, FloorsTheSmallestCalls) {
  const ChipSpec chip = load_chip("h200-sxm");
  const ModelSpec model = load_model("llama-3.1-8b", 1);
  EngineProfile engine = load_engine("fused");
  engine.decode_attention_fixed_s = 40e-6;
  engine.prefill_attention_fixed_s = 70e-6;
  const StepCost decode = StepCostModel(model, chip, engine).cost(decode_batch(1, 16));
  const StepCost prefill = StepCostModel(model, chip, engine).cost(prefill_batch(1, 16));
  for (const StepCost* step : {&decode, &prefill}) {
    for (const OpCost& op : step->ops) {
      if (op.kind == OpKind::kAttentionDecode) {
        EXPECT_NEAR(op.seconds, 40e-6, 2e-6);
      }
      if (op.kind == OpKind::kAttentionPrefill) {
        EXPECT_NEAR(op.seconds, 70e-6, 2e-6);
      }
    }
  }
}

// The odd-length batched matmul is bound per compute unit, not by HBM: a
// chip with 30% less bandwidth (an H100 SXM against an H200) runs it as fast.
TEST(UnalignedGemm, CeilingIsPerUnitNotPerHbm) {
  const ChipSpec h200 = load_chip("h200-sxm");
  ChipSpec slower_hbm = h200;
  slower_hbm.hbm_Bps *= 0.7;
  const EngineProfile eager = load_engine("torch-eager");
  const double rate = h200.matrix_flops_for("bf16") * h200.matrix_efficiency;
  const auto t = [&](const ChipSpec& c) {
    return gemm_time(c, eager, rate, 4, 4097, 128, 512, 2, c.gemm_fixed_s, true).seconds();
  };
  EXPECT_NEAR(t(slower_hbm), t(h200), 1e-12);
  ChipSpec fewer_units = h200;
  fewer_units.compute_units /= 2;
  EXPECT_GT(t(fewer_units), 1.5 * t(h200));
}

}  // namespace
}  // namespace jalapeno
