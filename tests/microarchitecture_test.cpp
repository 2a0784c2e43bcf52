// Chip microarchitecture (issue 13, items 1-2): matrix rates derived from the
// arrays, K padded to their depth, memory levels weights can live in, SerDes
// and package limits, and the bad-input rules that guard them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "cost/engine_profile.hpp"
#include "cost/step_cost.hpp"
#include "hw/chip_spec.hpp"
#include "hw/topology.hpp"
#include "model/batch.hpp"
#include "model/model_spec.hpp"
#include "serve/replica.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using ::testing::HasSubstr;
using testing_support::config_error;

const std::string kFixture =
    std::string(JALAPENO_SOURCE_DIR) + "/tests/data/params/chips/microarchitecture.yaml";

// A chip file laid over the fixture with `body` replacing its keys.
std::string write_chip(const std::string& name, const std::string& body) {
  const auto dir = std::filesystem::temp_directory_path() / "jalapeno_microarchitecture_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (name + ".yaml")).string();
  std::ofstream(path) << "extends: " << kFixture << "\n" << body;
  return path;
}

TEST(MatrixEngines, RatesDeriveFromTheArrays) {
  const ChipSpec chip = load_chip(kFixture);
  ASSERT_TRUE(chip.matrix_engines.has_value());
  // 64 arrays x 128 x 128 cells x 2 FLOPs x 1.5 GHz, twice that in fp8.
  const double bf16 = 64.0 * 128 * 128 * 2 * 1.5e9;
  EXPECT_DOUBLE_EQ(chip.matrix_flops.at("bf16"), bf16);
  EXPECT_DOUBLE_EQ(chip.matrix_flops.at("fp8"), 2 * bf16);
  EXPECT_FALSE(chip.matrix_flops.count("fp4"));  // no MACs stated: refused, not emulated
}

TEST(MatrixEngines, KIsPaddedToTheArrayDepth) {
  const ChipSpec chip = load_chip(kFixture);
  EXPECT_EQ(chip.padded_k(128), 128);
  EXPECT_EQ(chip.padded_k(129), 256);
  EXPECT_EQ(chip.padded_k(64), 128);
  // A GPU preset has no arrays: nothing padded.
  EXPECT_EQ(load_chip("h200-sxm").padded_k(100), 100);
}

TEST(MatrixEngines, StatedRatesMustAgreeWithTheArrays) {
  const std::string path = write_chip("mismatch", "matrix: {bf16: 4000TFLOPS, fp8: 8000TFLOPS}\n");
  const std::string message = config_error([&] { load_chip(path); });
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("matrix_engines.macs_per_cycle.bf16"));
  // Within 2% is accepted (datasheets round).
  EXPECT_NO_THROW(load_chip(write_chip("rounded", "matrix: {bf16: 3.1PFLOPS, fp8: 6.2PFLOPS}\n")));
}

TEST(MatrixEngines, ArrayShapeMustDivideEveryTile) {
  const std::string path = write_chip("tile", "gemm_tiles: [{m: 128, n: 96, efficiency: 1.0}]\n");
  const std::string message = config_error([&] { load_chip(path); });
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("gemm_tiles"));
  EXPECT_THAT(message, HasSubstr("divide"));
  // Rows (M) stream through the arrays: any m is accepted.
  EXPECT_NO_THROW(load_chip(write_chip("rows", "gemm_tiles: [{m: 1, n: 128, efficiency: 1.0}]\n")));
}

TEST(MemoryLevels, ZeroBandwidthIsRefusedAtEveryLevel) {
  for (const char* body : {"hbm: {capacity: 144GB, bandwidth: 0TB/s, stacks: 6}\n",
                           "sram: {capacity: 256MB, bandwidth: 0TB/s}\n"}) {
    SCOPED_TRACE(body);
    const std::string path = write_chip("zero-bandwidth", body);
    const std::string message = config_error([&] { load_chip(path); });
    EXPECT_THAT(message, HasSubstr(path));
    EXPECT_THAT(message, HasSubstr("bandwidth"));
  }
}

TEST(MemoryLevels, AChipWithoutHbmNeedsSramBandwidth) {
  const auto dir = std::filesystem::temp_directory_path() / "jalapeno_microarchitecture_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "no-hbm.yaml").string();
  std::ofstream(path) << "name: no hbm\nsource: test\nmatrix: {bf16: 100TFLOPS}\nvector: 1TFLOPS\n"
                         "compute_units: 1\nsram: {capacity: 230MB}\ntdp: 300W\n"
                         "efficiency: {matrix: 0.8, unit_bandwidth: 1TB/s}\n"
                         "kernel_fixed_cost: 1us\ngemm_fixed_cost: 1us\n";
  const std::string message = config_error([&] { load_chip(path); });
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("sram.bandwidth"));
}

TEST(Package, HbmStacksAndSerdesLanesMustFit) {
  const std::string stacks = write_chip("stacks",
                                        "hbm: {capacity: 144GB, bandwidth: 6TB/s, "
                                        "stacks: 12}\n");
  std::string message = config_error([&] { load_chip(stacks); });
  EXPECT_THAT(message, HasSubstr(stacks));
  EXPECT_THAT(message, HasSubstr("package.hbm_sites"));

  const std::string lanes = write_chip("lanes",
                                       "io: {lanes: 256, lane_rate: 200Gb/s, "
                                       "efficiency: 0.95}\n");
  message = config_error([&] { load_chip(lanes); });
  EXPECT_THAT(message, HasSubstr(lanes));
  EXPECT_THAT(message, HasSubstr("io.lanes"));
  EXPECT_THAT(message, HasSubstr("128"));
}

// A system's links leave the chip through its SerDes: no more than io carries.
TEST(Package, SystemLinksFitTheChipsSerdes) {
  const auto dir = std::filesystem::temp_directory_path() / "jalapeno_microarchitecture_test";
  std::filesystem::create_directories(dir);
  const auto system = [&](const std::string& name, const std::string& link) {
    const std::string path = (dir / (name + ".yaml")).string();
    std::ofstream(path) << "name: " << name << "\nsource: test\nchip: " << kFixture
                        << "\ntopology:\n  kind: switched\n  chips: 8\n  link: " << link
                        << "\n  switch_latency: 0.25us\n  message_overhead: 1us\n"
                           "  collective_launch: 5us\n";
    return path;
  };
  // 64 lanes x 200 Gb/s = 1.6 TB/s per direction.
  EXPECT_NO_THROW(load_system(system("fits", "{bandwidth: 200GB/s, count: 8, latency: 0.5us}")));
  const std::string over = system("over", "{bandwidth: 200GB/s, count: 9, latency: 0.5us}");
  const std::string message = config_error([&] { load_system(over); });
  EXPECT_THAT(message, HasSubstr(over));
  EXPECT_THAT(message, HasSubstr("topology.link.bandwidth"));
  EXPECT_THAT(message, HasSubstr("64 lanes"));
}

// A rack's chips at their board limit, with their share of the hosts, NICs
// and switches, must stay within its power budget.
TEST(Rack, OverItsPowerBudgetIsRefusedNamingTheKey) {
  const SystemSpec nvl72 = load_system("gb200-nvl72");
  ASSERT_TRUE(nvl72.rack.has_value());
  EXPECT_LE(nvl72.rack->draw_W, nvl72.rack->power_budget_W);
  EXPECT_EQ(nvl72.rack->racks(nvl72.topology.chips), 1);
  const auto dir = std::filesystem::temp_directory_path() / "jalapeno_microarchitecture_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "over-budget.yaml").string();
  std::ofstream(path) << "extends: gb200-nvl72\nrack: {chips_per_rack: 72, power_budget: 100kW}\n";
  const std::string message = config_error([&] { load_system(path); });
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("rack.power_budget"));
  EXPECT_THAT(message, HasSubstr("119 kW"));
}

TEST(Package, IoIsLanesTimesRate) {
  const ChipSpec chip = load_chip(kFixture);
  ASSERT_TRUE(chip.io.has_value());
  EXPECT_DOUBLE_EQ(chip.io->raw_Bps(), 64 * 200e9 / 8);
  EXPECT_DOUBLE_EQ(chip.io->efficiency, 0.95);
}

// Weights placed in SRAM stream at SRAM's rate, the KV cache at HBM's; a
// model whose weights per chip exceed the SRAM is refused, never spilled.
TEST(WeightsIn, SramStreamsFasterAndRefusesWhatDoesNotFit) {
  const ChipSpec chip = load_chip(kFixture);
  const EngineProfile engine = load_engine("fused");
  const ModelSpec small = load_model("llama-3.2-1b");
  ParallelContext in_sram;
  in_sram.plan.weights_in = MemoryLevelKind::kSram;
  const StepCostModel sram(small, chip, engine, in_sram);
  const StepCostModel hbm(small, chip, engine);
  EXPECT_EQ(sram.weight_level().kind, MemoryLevelKind::kSram);
  EXPECT_EQ(sram.kv_level().kind, MemoryLevelKind::kHbm);
  EXPECT_EQ(hbm.weight_level().kind, MemoryLevelKind::kHbm);
  // 1B in bf16 is ~2.5 GB: it does not fit one chip's 256 MB of SRAM.
  const SchedulerConfig config;
  EXPECT_THROW(kv_cache_blocks(sram, config), InfeasibleError);
  EXPECT_GT(kv_cache_blocks(hbm, config), 0);
  // One layer and a small vocabulary fit (the 1B's embedding alone is 0.5 GB).
  ModelSpec tiny = small;
  set_num_layers(tiny, 1);
  tiny.vocab_size = 1024;
  const StepCostModel tiny_sram(tiny, chip, engine, in_sram);
  ASSERT_LT(tiny_sram.weight_bytes_per_chip(), chip.sram_bytes);
  EXPECT_GT(kv_cache_blocks(tiny_sram, config), 0);
  const StepCostModel tiny_hbm(tiny, chip, engine);
  const BatchSummary batch = decode_batch(1, 128);
  EXPECT_LT(tiny_sram.cost(batch).seconds, tiny_hbm.cost(batch).seconds);
}

}  // namespace
}  // namespace jalapeno

namespace jalapeno {
namespace {

// No preset beats its own roofline: a step moves its weight and KV bytes no
// faster than the fastest memory level's peak, and does its FLOPs no faster
// than the fastest matrix rate, on every chip preset, decode and prefill.
TEST(Roofline, NoPresetBeatsItsOwnRoofline) {
  const EngineProfile engine = load_engine("fused");
  ModelSpec tiny = load_model("llama-3.2-1b");
  set_num_layers(tiny, 1);
  tiny.vocab_size = 1024;  // one layer and a small vocabulary fit every SRAM machine
  for (const std::string& name : chip_preset_names()) {
    SCOPED_TRACE(name);
    const ChipSpec chip = load_chip(name);
    double peak_Bps = 0, peak_flops = 0;
    for (const MemoryLevelKind kind : {MemoryLevelKind::kHbm, MemoryLevelKind::kSram}) {
      if (const auto level = chip.level(kind)) peak_Bps = std::max(peak_Bps, level->Bps);
    }
    for (const auto& [dtype, rate] : chip.matrix_flops) peak_flops = std::max(peak_flops, rate);
    ASSERT_GT(peak_Bps, 0);
    const StepCostModel cost(tiny, chip, engine);
    for (const BatchSummary& batch :
         {decode_batch(1, 1024), decode_batch(64, 1024), prefill_batch(1, 512)}) {
      const StepCost step = cost.cost(batch);
      EXPECT_GE(step.seconds, (step.weight_bytes + step.kv_read_bytes) / peak_Bps);
      EXPECT_GE(step.seconds, step.flops / peak_flops);
      EXPECT_GT(step.seconds, 0);
    }
  }
}

}  // namespace
}  // namespace jalapeno
