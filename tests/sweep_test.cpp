// Sweeps: expansion of axes into points, the scenario each point reads,
// rows that do not depend on threads or on resuming, Pareto fronts against
// brute force, CSV, and `extends:` for chips and engines.
#include "dse/sweep.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "cli_support.hpp"
#include "core/rng.hpp"
#include "cost/engine_profile.hpp"
#include "dse/plan_search.hpp"
#include "hw/chip_spec.hpp"
#include "serve/scenario.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using testing_support::config_error;

const std::string kScenario =
    "model: llama-3.1-8b\n"
    "engine: vllm\n"
    "system: {hw: h200-sxm}\n"
    "workload:\n"
    "  arrivals: {poisson: 4/s}\n"
    "  input_tokens: 256\n"
    "  output_tokens: 32\n"
    "  requests: 40\n"
    "slo: {ttft: 1s, tpot: 50ms}\n";

// A sweep over kScenario inline: `axes` and any other keys as given.
SweepSpec sweep_of(const std::string& rest) {
  std::string text = "scenario:\n";
  std::string indented = kScenario;
  for (size_t at = 0; at < indented.size();) {
    indented.insert(at, "  ");
    at = indented.find('\n', at) + 1;
  }
  return parse_sweep(text + indented + rest, "sweep.yaml");
}

TEST(Sweep, GridVariesTheFirstAxisSlowest) {
  const SweepSpec spec = sweep_of(
      "axes:\n"
      "  workload.arrivals.poisson: [2/s, 4/s]\n"
      "  scheduler.max_sequences: {from: 16, to: 64, step: 16}\n");
  ASSERT_EQ(spec.points(), 8u);
  EXPECT_EQ(sweep_point_values(spec, 0), (std::vector<std::string>{"2/s", "16"}));
  EXPECT_EQ(sweep_point_values(spec, 3), (std::vector<std::string>{"2/s", "64"}));
  EXPECT_EQ(sweep_point_values(spec, 4), (std::vector<std::string>{"4/s", "16"}));
  EXPECT_EQ(sweep_point_values(spec, 7), (std::vector<std::string>{"4/s", "64"}));
}

TEST(Sweep, RangesLinearAndLogWithTheirUnits) {
  const SweepSpec spec = sweep_of(
      "axes:\n"
      "  workload.arrivals.poisson: {from: 1/s, to: 100/s, points: 3, scale: log}\n"
      "  system.hw.hbm.bandwidth: {from: 4TB/s, to: 5TB/s, points: 3}\n");
  EXPECT_EQ(spec.axes[0].values, (std::vector<std::string>{"1/s", "10/s", "100/s"}));
  EXPECT_EQ(spec.axes[1].values, (std::vector<std::string>{"4TB/s", "4.5TB/s", "5TB/s"}));
}

TEST(Sweep, WholeNumberRangesRoundAndKeepEachValueOnce) {
  const SweepSpec spec = sweep_of(
      "axes:\n"
      "  scheduler.max_sequences: {from: 1, to: 4, points: 7, scale: log}\n");
  // 1, 1.26, 1.59, 2, 2.52, 3.17, 4 rounded: 1, 1, 2, 2, 3, 3, 4.
  EXPECT_EQ(spec.axes[0].values, (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST(Sweep, EachPointReadsItsValuesIntoTheScenario) {
  const SweepSpec spec = sweep_of(
      "axes:\n"
      "  workload.arrivals.poisson: [2/s, 8/s]\n"
      "  system.hw.hbm.bandwidth: [4.8TB/s, 9TB/s]\n"
      "  engine.host_step.fixed: [1ms]\n");
  const Scenario s = sweep_point_scenario(spec, 3);
  EXPECT_DOUBLE_EQ(s.synthetic.rate_per_s, 8);
  ASSERT_TRUE(s.inline_chip);  // the preset became {extends: h200-sxm, hbm: ...}
  EXPECT_DOUBLE_EQ(s.inline_chip->hbm_Bps, 9e12);
  EXPECT_EQ(s.inline_chip->hbm_bytes, load_chip("h200-sxm").hbm_bytes);  // the rest inherited
  ASSERT_TRUE(s.inline_engine);
  EXPECT_DOUBLE_EQ(s.inline_engine->host_step_fixed_s, 1e-3);
}

TEST(Sweep, LatinHypercubePutsOneSampleInEveryStratumOfEveryAxis) {
  const SweepSpec spec = sweep_of(
      "sampling: lhs\nsamples: 50\nseed: 9\n"
      "axes:\n"
      "  workload.arrivals.poisson: {from: 0/s, to: 50/s}\n"
      "  system.hw.hbm.bandwidth: {from: 1TB/s, to: 1024TB/s, scale: log}\n");
  ASSERT_EQ(spec.points(), 50u);
  std::set<int> rate_strata, bandwidth_strata;
  for (size_t i = 0; i < spec.points(); ++i) {
    const auto values = sweep_point_values(spec, i);
    const double rate = std::stod(values[0]);
    const double bandwidth = std::stod(values[1]);
    rate_strata.insert(static_cast<int>(rate));  // strata of 1/s each
    bandwidth_strata.insert(static_cast<int>(std::log2(bandwidth) / 10 * 50));
  }
  EXPECT_EQ(rate_strata.size(), 50u);
  EXPECT_EQ(bandwidth_strata.size(), 50u);
  // The same sweep, read again, draws the same points.
  const SweepSpec again = sweep_of(
      "sampling: lhs\nsamples: 50\nseed: 9\n"
      "axes:\n"
      "  workload.arrivals.poisson: {from: 0/s, to: 50/s}\n"
      "  system.hw.hbm.bandwidth: {from: 1TB/s, to: 1024TB/s, scale: log}\n");
  for (size_t i = 0; i < spec.points(); ++i) {
    EXPECT_EQ(sweep_point_values(spec, i), sweep_point_values(again, i));
  }
}

TEST(Sweep, RandomSamplesDrawFromTheListsAndDependOnTheSeed) {
  const auto spec = [](int seed) {
    return sweep_of(
        fmt::format("sampling: random\nsamples: 200\nseed: {}\n"
                    "axes:\n  system.tp: [1, 2, 4, 8]\n",
                    seed));
  };
  const SweepSpec a = spec(1), b = spec(2);
  std::set<std::string> seen;
  size_t differ = 0;
  for (size_t i = 0; i < a.points(); ++i) {
    seen.insert(sweep_point_values(a, i)[0]);
    differ += sweep_point_values(a, i) != sweep_point_values(b, i);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"1", "2", "4", "8"}));
  EXPECT_GT(differ, 100u);
}

TEST(Sweep, APointBeyondTheSweepIsAnError) {
  const SweepSpec lhs = sweep_of(
      "sampling: lhs\nsamples: 4\naxes:\n  workload.arrivals.poisson: {from: 1/s, to: 9/s}\n");
  EXPECT_NE(config_error([&] { sweep_point_values(lhs, 4); }).find("point 4 of a sweep of 4"),
            std::string::npos);
  const SweepSpec grid = sweep_of("axes:\n  system.tp: [1, 2]\n");
  EXPECT_NE(config_error([&] { run_sweep_point(grid, 2); }).find("point 2 of a sweep of 2"),
            std::string::npos);
}

TEST(Sweep, RowsAreTheSameOnAnyNumberOfThreadsAndWhenResumed) {
  const SweepSpec spec = sweep_of(
      "axes:\n"
      "  workload.arrivals.poisson: [2/s, 6/s, 12/s]\n"
      "  system.hw.hbm.bandwidth: [3TB/s, 4.8TB/s]\n");
  const std::vector<ordered_json> one = run_sweep(spec, 1);
  const std::vector<ordered_json> three = run_sweep(spec, 3);
  ASSERT_EQ(one.size(), 6u);
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].dump(), three[i].dump()) << "point " << i;
    EXPECT_EQ(one[i]["status"], "ok");
  }
  // Faster memory, the same load: a shorter TPOT.
  EXPECT_LT(one[1]["tpot_s.mean"].get<double>(), one[0]["tpot_s.mean"].get<double>());
  const std::vector<ordered_json> resumed = run_sweep(spec, 2, {one[0], one[4]});
  for (size_t i = 0; i < one.size(); ++i) EXPECT_EQ(one[i].dump(), resumed[i].dump());
  // A row of another sweep is refused.
  ordered_json other = one[2];
  other["system.hw.hbm.bandwidth"] = "9TB/s";
  EXPECT_NE(config_error([&] { check_resumed_row(spec, other, "f:3"); }).find("another sweep's"),
            std::string::npos);
  ordered_json nested = one[3];
  nested["x"] = ordered_json::array({1, 2});
  EXPECT_NE(config_error([&] { check_resumed_row(spec, nested, "f:4"); }).find("rows are flat"),
            std::string::npos);
}

TEST(Sweep, APointThatCannotRunSaysWhyAndTheOthersRun) {
  const SweepSpec spec = sweep_of(
      "mode: analytical\n"
      "axes:\n"
      "  model: [llama-3.1-8b, llama-3.1-405b]\n");
  const auto rows = run_sweep(spec, 1);
  EXPECT_EQ(rows[0]["status"], "ok");
  EXPECT_GT(rows[0]["tokens_per_s_per_chip"].get<double>(), 0);
  EXPECT_EQ(rows[1]["status"], "error");
  EXPECT_NE(rows[1]["error"].get<std::string>().find("do not fit"), std::string::npos);
}

TEST(Sweep, AnalyticalPointsAreThePlanSearchEstimate) {
  // tp 2 and 8 of Llama-3.1-70B on an HGX H200: each row is that plan's
  // estimate in the plan search.
  const SweepSpec spec = parse_sweep(
      "mode: analytical\n"
      "scenario:\n"
      "  model: llama-3.1-70b\n"
      "  engine: vllm\n"
      "  system: {hw: hgx-h200}\n"
      "  workload: {arrivals: {poisson: 1/s}, input_tokens: 1024, output_tokens: 256, "
      "requests: 10}\n"
      "  slo: {ttft: 2s, tpot: 50ms}\n"
      "axes:\n  system.tp: [2, 8]\n",
      "sweep.yaml");
  PlanSearchSpec plan;
  plan.model = "llama-3.1-70b";
  plan.hw = "hgx-h200";
  plan.engine = "vllm";
  plan.slo_ttft_s = 2;
  plan.slo_tpot_s = 0.05;
  const PlanSearchResult searched = search_plans(plan);
  const auto rows = run_sweep(spec, 1);
  for (const ordered_json& row : rows) {
    const int64_t tp = row["system.tp"].get<int64_t>();
    const auto match = std::find_if(searched.plans.begin(), searched.plans.end(), [&](auto& p) {
      // The search fills the system with replicas; per chip and per replica alike.
      return p.plan.tp == tp && p.plan.pp == 1 && p.plan.ep == 1 && !p.plan.dp_attention;
    });
    ASSERT_NE(match, searched.plans.end());
    EXPECT_DOUBLE_EQ(row["tokens_per_s_per_chip"].get<double>(), match->tokens_per_s_per_chip);
    EXPECT_EQ(row["batch"].get<int64_t>(), match->batch);
  }
}

TEST(Sweep, ParetoFrontMatchesBruteForce) {
  Rng rng(5, "pareto");
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<ordered_json> rows;
    for (int i = 0; i < 60; ++i) {
      ordered_json row;
      row["status"] = i % 13 == 0 ? "error" : "ok";
      // Coarse values, so that ties happen.
      row["x"] = std::floor(rng.uniform() * 8);
      row["y"] = std::floor(rng.uniform() * 8);
      row["z"] = std::floor(rng.uniform() * 8);
      rows.push_back(row);
    }
    const std::vector<ParetoObjective> goals = {{"x", true}, {"y", false}, {"z", true}};
    mark_pareto(rows, goals);
    for (size_t i = 0; i < rows.size(); ++i) {
      bool dominated = false;
      for (size_t j = 0; j < rows.size() && rows[i]["status"] == "ok"; ++j) {
        if (rows[j]["status"] != "ok") continue;
        const double dx = rows[j]["x"].get<double>() - rows[i]["x"].get<double>();
        const double dy = rows[i]["y"].get<double>() - rows[j]["y"].get<double>();
        const double dz = rows[j]["z"].get<double>() - rows[i]["z"].get<double>();
        dominated = dominated || (dx >= 0 && dy >= 0 && dz >= 0 && (dx > 0 || dy > 0 || dz > 0));
      }
      EXPECT_EQ(rows[i]["pareto"].get<bool>(), rows[i]["status"] == "ok" && !dominated)
          << "trial " << trial << " row " << i;
    }
  }
}

TEST(Sweep, ParetoMetricsMustBeOutputsWithADirection) {
  std::vector<ordered_json> rows(1);
  rows[0]["status"] = "ok";
  rows[0]["ttft_s.p90"] = 0.2;
  rows[0]["energy.tokens_per_s_per_MW"] = 1e5;
  rows[0]["widgets"] = 3.0;
  const auto goals = parse_pareto("ttft_s.p90,energy.tokens_per_s_per_MW", rows);
  EXPECT_FALSE(goals[0].maximise);
  EXPECT_TRUE(goals[1].maximise);
  EXPECT_TRUE(parse_pareto("max:widgets,min:ttft_s.p90", rows)[0].maximise);
  EXPECT_NE(config_error([&] { parse_pareto("ttft_s.p09,max:widgets", rows); }).find("ttft_s.p90"),
            std::string::npos);
  EXPECT_NE(config_error([&] { parse_pareto("widgets,ttft_s.p90", rows); }).find("max:widgets"),
            std::string::npos);
  EXPECT_NE(config_error([&] { parse_pareto("ttft_s.p90", rows); }).find("two or more"),
            std::string::npos);
}

TEST(Sweep, CsvHasEveryColumnAndQuotesWhatNeedsIt) {
  std::vector<ordered_json> rows(2);
  rows[0]["point"] = 0;
  rows[0]["error"] = "";
  rows[1]["point"] = 1;
  rows[1]["error"] = "a, \"quoted\" message";
  rows[1]["x"] = 0.5;
  EXPECT_EQ(sweep_csv(rows), "point,error,x\n0,,\n1,\"a, \"\"quoted\"\" message\",0.5\n");
}

TEST(Sweep, BadAxesAreRefusedNamingTheKey) {
  const auto error = [](const std::string& rest) {
    return config_error([&] { check_sweep(sweep_of(rest)); });
  };
  EXPECT_NE(error("axes:\n  workload.arrivals.poison: [2/s]\n").find("poison"), std::string::npos);
  // Axes are checked against the scenario's declared parameters before any
  // point runs, through the kinds its parts are read as.
  EXPECT_NE(error("axes:\n  workload.arrivals.poison: [2/s]\n")
                .find("did you mean 'workload.arrivals.poisson'?"),
            std::string::npos);
  EXPECT_NE(error("axes:\n  system.hw.hbm.bandwith: [5TB/s]\n")
                .find("did you mean 'system.hw.hbm.bandwidth'?"),
            std::string::npos);
  EXPECT_NE(error("axes:\n  engine.host_step.fixd: [1ms]\n")
                .find("did you mean 'engine.host_step.fixed'?"),
            std::string::npos);
  EXPECT_NE(error("axes:\n  colour: [red]\n").find("a parameter of a scenario"), std::string::npos);
  EXPECT_NE(error("axes:\n  system.tp: []\n").find("non-empty"), std::string::npos);
  EXPECT_NE(error("axes:\n  system.tp: {from: 8, to: 1, points: 3}\n").find("range is empty"),
            std::string::npos);
  EXPECT_NE(error("axes:\n  system.tp: {from: 0, to: 8, points: 3, scale: log}\n")
                .find("above zero on a log scale"),
            std::string::npos);
  EXPECT_NE(error("axes:\n  system.tp: {from: 1, to: 8}\n").find("a grid needs"),
            std::string::npos);
  EXPECT_NE(error("axes:\n  system.tp: {from: 1TB/s, to: 8}\n").find("the unit of 'from'"),
            std::string::npos);
  EXPECT_NE(error("axes:\n  seed: {from: 1, to: 1001, step: 1}\n  workload.requests: {from: 1, to: "
                  "1001, step: 1}\n")
                .find("at most 1000000 points"),
            std::string::npos);
  // Values are counted before they are made: 32 axes of a million each ask for nothing.
  EXPECT_NE(error("axes:\n  seed: {from: 1, to: 1000000, step: 1}\n  workload.requests: {from: 1, "
                  "to: 9, step: 1}\n")
                .find("at most 1000000 values over all the axes together"),
            std::string::npos);
  EXPECT_NE(error("axes:\n  system.hw: [h200-sxm]\n  system.hw.hbm.bandwidth: [5TB/s]\n")
                .find("overlaps axis 'system.hw'"),
            std::string::npos);
  EXPECT_NE(error("axes:\n  system.tp: {from: -1e308, to: 1e308, points: 3}\n").find("finite"),
            std::string::npos);
  EXPECT_NE(
      error("axes:\n  system.tp: {from: 1, to: 100000000000000000000, points: 3}\n").find("2^53"),
      std::string::npos);
  EXPECT_NE(error("sampling: sobol\naxes:\n  system.tp: [1]\n").find("grid, random or lhs"),
            std::string::npos);
  EXPECT_NE(error("samples: 5\naxes:\n  system.tp: [1]\n").find("no sample count on a grid"),
            std::string::npos);
  EXPECT_NE(error("axes: {}\n").find("key 'axes'"), std::string::npos);
  EXPECT_NE(error("axes:\n  system..tp: [1]\n").find("dotted path"), std::string::npos);
  EXPECT_NE(error("axes:\n  workload.arrivals.poisson: [2/x]\n").find("point 0"),
            std::string::npos);
}

TEST(Extends, AChipFileOverridesAPresetField) {
  const fs::path dir = fs::temp_directory_path() / "jalapeno_extends_test";
  fs::create_directories(dir);
  cli_support::write_file(dir / "fast.yaml",
                          "extends: h200-sxm\nname: fast\nhbm: {bandwidth: 9TB/s}\n");
  const ChipSpec fast = read_chip_spec((dir / "fast.yaml").string());
  const ChipSpec base = load_chip("h200-sxm");
  EXPECT_EQ(fast.name, "fast");
  EXPECT_DOUBLE_EQ(fast.hbm_Bps, 9e12);
  EXPECT_EQ(fast.hbm_bytes, base.hbm_bytes);
  EXPECT_EQ(fast.matrix_flops, base.matrix_flops);
  // A file extending a file beside it, which extends a preset.
  cli_support::write_file(dir / "faster.yaml", "extends: fast.yaml\ntdp: 1000W\n");
  const ChipSpec faster = read_chip_spec((dir / "faster.yaml").string());
  EXPECT_DOUBLE_EQ(faster.hbm_Bps, 9e12);
  EXPECT_DOUBLE_EQ(faster.tdp_W, 1000);
  // A cycle is an error, not a hang.
  cli_support::write_file(dir / "a.yaml", "extends: b.yaml\n");
  cli_support::write_file(dir / "b.yaml", "extends: a.yaml\n");
  EXPECT_NE(config_error([&] { read_chip_spec((dir / "a.yaml").string()); }).find("a cycle?"),
            std::string::npos);
  cli_support::write_file(dir / "bad.yaml", "extends: h200-sxx\n");
  EXPECT_NE(config_error([&] { read_chip_spec((dir / "bad.yaml").string()); }).find("h200-sxx"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(Extends, AnEngineFileOverridesAPresetField) {
  const fs::path dir = fs::temp_directory_path() / "jalapeno_extends_engine_test";
  fs::create_directories(dir);
  cli_support::write_file(dir / "slow.yaml", "extends: vllm\nhost_step: {fixed: 5ms}\n");
  const EngineProfile slow = read_engine_profile((dir / "slow.yaml").string());
  const EngineProfile base = load_engine("vllm");
  EXPECT_DOUBLE_EQ(slow.host_step_fixed_s, 5e-3);
  EXPECT_DOUBLE_EQ(slow.host_step_per_sequence_s, base.host_step_per_sequence_s);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace jalapeno
