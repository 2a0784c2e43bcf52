// Chip and system presets: every one loads, the datasheet figures their files
// cite are the ones read (spot checks), formats a chip has no matrix unit for
// are absent (no fp4 on Hopper or Ampere), and a step runs on the newest
// presets (b200-sxm, h100-pcie, hgx-b200).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "cost/engine_profile.hpp"
#include "cost/step_cost.hpp"
#include "hw/chip_spec.hpp"
#include "hw/topology.hpp"
#include "model/batch.hpp"
#include "model/model_spec.hpp"
#include "plan/hardware.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing_support::config_error;

void expect_rel(double actual, double expected) {
  EXPECT_NEAR(actual, expected, expected * 1e-9) << "expected " << expected;
}

TEST(ChipPresets, EveryPresetLoadsWithDatasheetFiguresAndKnownDtypeKeys) {
  const std::vector<std::string> names = chip_preset_names();
  for (const char* expected :
       {"a100-sxm", "h100-sxm", "h100-pcie", "h200-sxm", "b200", "b200-sxm"}) {
    EXPECT_THAT(names, Contains(std::string(expected)));
  }
  const std::set<std::string> dtype_keys = {"bf16", "fp16", "tf32", "fp8", "fp4", "int8", "int4"};
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const ChipSpec chip = load_chip(name);
    EXPECT_EQ(chip.name, name);
    EXPECT_FALSE(chip.source.empty());
    // Device memory, or SRAM that everything streams from (Groq, Cerebras).
    EXPECT_TRUE(chip.hbm_bytes > 0 || chip.sram_Bps > 0);
    EXPECT_EQ(chip.hbm_bytes > 0, chip.hbm_Bps > 0);
    EXPECT_GT(chip.tdp_W, 0);
    EXPECT_GT(chip.compute_units, 0);
    ASSERT_TRUE(chip.matrix_flops.count("bf16"));
    for (const auto& [dtype, rate] : chip.matrix_flops) {
      EXPECT_TRUE(dtype_keys.count(dtype)) << "matrix." << dtype << " is not a dtype key";
      EXPECT_GT(rate, 0);
    }
    // Dense rates: a narrower format is never slower than a wider one (twice
    // as fast on NVIDIA's Hopper and Blackwell, equal on some of TPU v6e's and
    // Trainium's, six times on Blackwell Ultra's fp4), and fp16 runs at
    // bf16's rate; 3% for rounding. int8 is not ordered: Blackwell Ultra cut it.
    const double bf16 = chip.matrix_flops.at("bf16");
    const auto rate = [&](const char* dtype) {
      const auto it = chip.matrix_flops.find(dtype);
      return it == chip.matrix_flops.end() ? 0.0 : it->second;
    };
    if (rate("fp16") > 0) {
      EXPECT_NEAR(rate("fp16") / bf16, 1, 0.03);
    }
    if (rate("tf32") > 0) {
      EXPECT_LE(rate("tf32"), bf16 * 1.03);
    }
    if (rate("fp8") > 0) {
      EXPECT_GE(rate("fp8"), bf16 * 0.97);
    }
    if (rate("fp4") > 0) {
      EXPECT_GE(rate("fp4"), std::max(rate("fp8"), bf16) * 0.97);
    }
    if (rate("int4") > 0) {
      EXPECT_GE(rate("int4"), rate("int8") * 0.97);
    }
  }
}

TEST(ChipPresets, TheHgxB200PartIsNotTheNvl72One) {
  const ChipSpec hgx = load_chip("b200-sxm");
  expect_rel(hgx.hbm_bytes, 180e9);
  expect_rel(hgx.hbm_Bps, 7.7e12);
  expect_rel(hgx.tdp_W, 1000);
  EXPECT_EQ(hgx.compute_units, 148);
  expect_rel(hgx.matrix_flops_for("bf16"), 2.25e15);  // 4.5 PFLOPS with sparsity, halved
  expect_rel(hgx.matrix_flops_for("fp8"), 4.5e15);
  expect_rel(hgx.matrix_flops_for("fp4"), 9e15);
  expect_rel(hgx.matrix_flops_for("int8"), 4.5e15);
  EXPECT_FALSE(hgx.matrix_flops.count("int4"));

  const ChipSpec nvl72 = load_chip("b200");
  expect_rel(nvl72.hbm_bytes, 186e9);
  expect_rel(nvl72.hbm_Bps, 8e12);
  expect_rel(nvl72.tdp_W, 1200);
  expect_rel(nvl72.matrix_flops_for("bf16"), 2.5e15);
  expect_rel(nvl72.matrix_flops_for("fp4"), 10e15);
  expect_rel(nvl72.matrix_flops_for("int8"), 5e15);
  // Everything fitted is the H200's, carried unchanged.
  const ChipSpec h200 = load_chip("h200-sxm");
  for (const ChipSpec* b : {&hgx, &nvl72}) {
    EXPECT_EQ(b->matrix_efficiency, h200.matrix_efficiency);
    EXPECT_EQ(b->read_efficiency, h200.read_efficiency);
    EXPECT_EQ(b->copy_efficiency, h200.copy_efficiency);
    EXPECT_EQ(b->unit_Bps, h200.unit_Bps);
    EXPECT_EQ(b->kernel_fixed_s, h200.kernel_fixed_s);
    EXPECT_EQ(b->gemm_fixed_s, h200.gemm_fixed_s);
    EXPECT_EQ(b->gemm_tiles.size(), h200.gemm_tiles.size());
  }
}

TEST(ChipPresets, H100PcieFiguresAndHopperAmpereIntegerRates) {
  const ChipSpec pcie = load_chip("h100-pcie");
  expect_rel(pcie.tdp_W, 350);
  expect_rel(pcie.hbm_Bps, 2e12);
  expect_rel(pcie.hbm_bytes, 80e9);
  EXPECT_EQ(pcie.compute_units, 114);
  expect_rel(pcie.sram_bytes, 50e6);
  expect_rel(pcie.matrix_flops_for("bf16"), 756e12);  // 1,513 with sparsity, halved
  expect_rel(pcie.matrix_flops_for("fp8"), 1513e12);
  expect_rel(pcie.matrix_flops_for("int8"), 1513e12);
  const ChipSpec h200 = load_chip("h200-sxm");
  EXPECT_EQ(pcie.kernel_fixed_s, h200.kernel_fixed_s);
  EXPECT_EQ(pcie.read_efficiency, h200.read_efficiency);

  expect_rel(load_chip("h100-sxm").matrix_flops_for("int8"), 1979e12);
  expect_rel(h200.matrix_flops_for("int8"), 1979e12);
  const ChipSpec a100 = load_chip("a100-sxm");
  expect_rel(a100.matrix_flops_for("int8"), 624e12);
  expect_rel(a100.matrix_flops_for("int4"), 1248e12);
  EXPECT_FALSE(a100.matrix_flops.count("fp8"));
}

TEST(ChipPresets, HopperAndAmpereHaveNoFp4AndRefuseIt) {
  for (const char* name : {"a100-sxm", "h100-sxm", "h100-pcie", "h200-sxm"}) {
    SCOPED_TRACE(name);
    const ChipSpec chip = load_chip(name);
    EXPECT_FALSE(chip.matrix_flops.count("fp4"));
    EXPECT_THAT(config_error([&] { (void)chip.matrix_flops_for("fp4"); }),
                HasSubstr("key 'matrix.fp4'"));
  }
  for (const char* name : {"b200", "b200-sxm"})
    EXPECT_TRUE(load_chip(name).matrix_flops.count("fp4"));
}

TEST(SystemPresets, EveryPresetLoadsWithItsChip) {
  const std::vector<std::string> names = system_preset_names();
  EXPECT_THAT(names, Contains(std::string("hgx-b200")));
  const std::vector<std::string> chips = chip_preset_names();
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const SystemSpec system = load_system(name);
    EXPECT_EQ(system.name, name);
    EXPECT_FALSE(system.source.empty());
    EXPECT_NO_THROW(Network{system.topology});
    EXPECT_NO_THROW(load_chip(system.chip));
    const Hardware hw = load_hardware(name, std::nullopt);
    EXPECT_EQ(hw.chips, system.topology.chips);
  }
  const SystemSpec hgx = load_system("hgx-b200");
  EXPECT_EQ(hgx.chip, "b200-sxm");
  EXPECT_EQ(hgx.topology.chips, 8);
  expect_rel(hgx.topology.link.Bps, 900e9 * 0.77);  // 18 NVLink 5 links, per direction
  EXPECT_TRUE(hgx.topology.in_network_reduction);
  expect_rel(hgx.topology.in_network_Bps, 480e9);
  // The NVL72 keeps its own B200.
  EXPECT_EQ(load_system("gb200-nvl72").chip, "b200");
}

// --- a step on each new preset ------------------------------------------------

StepCost decode_step(const std::string& chip, const PrecisionOverride& precision = {}) {
  const StepCostModel model(load_model("llama-3.1-8b", std::nullopt, precision), load_chip(chip),
                            load_engine("fused"));
  return model.cost(decode_batch(64, 1024));
}

PrecisionOverride nvfp4() {
  PrecisionOverride p;
  p.weights = "nvfp4";
  p.activations = "nvfp4";
  return p;
}

TEST(PresetSteps, B200SxmRunsBf16AndNvfp4AndIsFasterThanTheH200) {
  const StepCost bf16 = decode_step("b200-sxm");
  EXPECT_GT(bf16.seconds, 0);
  EXPECT_LT(bf16.seconds, decode_step("h200-sxm").seconds);  // 7.7 TB/s against 4.8
  const StepCost fp4 = decode_step("b200-sxm", nvfp4());
  EXPECT_GT(fp4.seconds, 0);
  EXPECT_LT(fp4.seconds, bf16.seconds);  // a quarter of the projection bytes, plus scales
  EXPECT_LT(fp4.weight_bytes, bf16.weight_bytes);
}

TEST(PresetSteps, H100PcieRunsBf16AndRefusesNvfp4) {
  const StepCost bf16 = decode_step("h100-pcie");
  EXPECT_GT(bf16.seconds, 0);
  EXPECT_GT(bf16.seconds, decode_step("h100-sxm").seconds);  // 2 TB/s against 3.35
  const std::string message = config_error([] { decode_step("h100-pcie", nvfp4()); });
  EXPECT_THAT(message, HasSubstr("chip 'h100-pcie' has no fp4 matrix rate (key 'matrix.fp4'"));
  EXPECT_THAT(message, HasSubstr("h100-pcie.yaml"));
  PrecisionOverride weight_only;  // mxfp4 weights, bf16 activations: dequantised in the kernel
  weight_only.weights = "mxfp4";
  EXPECT_GT(decode_step("h100-pcie", weight_only).seconds, 0);
}

TEST(PresetSteps, HgxB200RunsATensorParallelStep) {
  const auto tp8 = [](const std::string& system) {
    const Hardware hw = load_hardware(system, std::nullopt);
    ParallelContext parallel;
    parallel.plan = {8, 1, 1};
    parallel.network = hw.network;
    const StepCostModel model(load_model("llama-3.1-70b"), hw.chip, load_engine("fused"), parallel);
    return model.cost(decode_batch(32, 2048));
  };
  const StepCost b200 = tp8("hgx-b200");
  EXPECT_GT(b200.seconds, 0);
  EXPECT_GT(b200.comm_seconds, 0);
  EXPECT_LT(b200.seconds, tp8("hgx-h200").seconds);
}

}  // namespace
}  // namespace jalapeno
