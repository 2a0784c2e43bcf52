// `jalapeno compare`: each system's row is what the plan search finds on it,
// the curve is the plan search at each batch cap, and bad lists of systems
// are refused naming the flag.
#include "dse/compare.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace jalapeno {
namespace {

using testing_support::config_error;

CompareSpec llama70b_on(std::vector<std::string> systems) {
  CompareSpec spec;
  spec.plan.model = "llama-3.1-70b";
  spec.plan.slo_ttft_s = 2;
  spec.plan.slo_tpot_s = 0.05;
  spec.systems = std::move(systems);
  spec.simulate = false;
  return spec;
}

TEST(Compare, CurveCapsDoubleUpToTheLimit) {
  EXPECT_EQ(curve_caps(1), (std::vector<int64_t>{1}));
  EXPECT_EQ(curve_caps(8), (std::vector<int64_t>{1, 2, 4, 8}));
  EXPECT_EQ(curve_caps(100), (std::vector<int64_t>{1, 2, 4, 8, 16, 32, 64, 100}));
}

TEST(Compare, EachRowIsThePlanSearchsBestOnThatSystem) {
  const CompareSpec spec = llama70b_on({"hgx-h200", "gb200-nvl72", "h200-sxm"});
  const CompareResult result = compare_systems(spec);
  ASSERT_EQ(result.systems.size(), 3u);
  EXPECT_EQ(result.model, "llama-3.1-70b");
  for (const ComparedSystem& row : result.systems) {
    PlanSearchSpec plan = spec.plan;
    plan.hw = row.system;
    const PlanSearchResult searched = search_plans(plan);
    EXPECT_EQ(row.chips, searched.chips) << row.system;
    if (!searched.plans.front().meets_slos) {
      // One H200 holds 70B in bf16 only with no room for a useful cache.
      EXPECT_FALSE(row.meets_slos) << row.system;
      continue;
    }
    ASSERT_TRUE(row.best) << row.system;
    EXPECT_TRUE(row.meets_slos) << row.system;
    EXPECT_EQ(row.best->plan.describe(), searched.plans.front().plan.describe());
    EXPECT_DOUBLE_EQ(row.best->tokens_per_s_per_chip, searched.plans.front().tokens_per_s_per_chip);
    EXPECT_FALSE(row.best->simulated);
  }
  EXPECT_EQ(result.systems[0].chips, 8);
  EXPECT_EQ(result.systems[1].chips, 72);
}

TEST(Compare, SimulatedRowsCarryPercentilesInOrder) {
  CompareSpec spec = llama70b_on({"hgx-h200"});
  spec.simulate = true;
  spec.requests = 400;
  const CompareResult result = compare_systems(spec);
  const ComparedSystem& row = result.systems.front();
  ASSERT_TRUE(row.best && row.best->simulated);
  const SimulatedPlan& sim = *row.best->simulated;
  EXPECT_GT(sim.ttft_p50_s, 0);
  EXPECT_LE(sim.ttft_p50_s, sim.ttft_p90_s);
  EXPECT_LE(sim.ttft_p90_s, sim.ttft_p99_s);
  EXPECT_GT(sim.tpot_p50_s, 0);
  EXPECT_LE(sim.tpot_p50_s, sim.tpot_p90_s);
  EXPECT_LE(sim.tpot_p90_s, sim.tpot_p99_s);
  EXPECT_EQ(row.meets_slos, row.best->meets_slos && sim.meets_slos());
  // The same inputs, the same document.
  EXPECT_EQ(compare_json(result).dump(), compare_json(compare_systems(spec)).dump());
}

TEST(Compare, AMissAsServedIsSearchedAgainWithTheBatchCapped) {
  // `jalapeno run`'s setting on GB200 NVL72: the uncapped best misses the
  // 10 ms TPOT when served.
  CompareSpec spec;
  spec.plan.model = "llama-3.1-70b";
  spec.plan.input_tokens = 1155;
  spec.plan.output_tokens = 211;
  spec.plan.slo_ttft_s = 2;
  spec.plan.slo_tpot_s = 0.010;
  spec.plan.max_batched_tokens = 512;
  spec.plan.precision.weights = "fp8_e4m3";
  spec.plan.precision.kv = "fp8_e4m3";
  spec.systems = {"gb200-nvl72"};
  const CompareResult result = compare_systems(spec);
  const ComparedSystem& row = result.systems.front();
  PlanSearchSpec plan = spec.plan;
  plan.hw = "gb200-nvl72";
  const PlanSearchResult uncapped = search_plans(plan, 4, spec.requests, 0.9);
  ASSERT_TRUE(uncapped.plans.front().simulated);
  ASSERT_FALSE(uncapped.plans.front().simulated->meets_slos());
  ASSERT_GT(row.served_cap, 0);
  EXPECT_LT(row.served_cap, uncapped.plans.front().batch);
  EXPECT_TRUE(row.meets_slos);
  ASSERT_TRUE(row.best && row.best->simulated);
  EXPECT_TRUE(row.best->simulated->meets_slos());
  EXPECT_LE(row.best->batch, row.served_cap);
  // The row is the plan search's best at that cap.
  plan.max_sequences = row.served_cap;
  const PlanSearchResult capped = search_plans(plan, 4, spec.requests, 0.9);
  EXPECT_EQ(row.best->plan.describe(), capped.plans.front().plan.describe());
  EXPECT_EQ(compare_json(result)["systems"][0]["served_cap"], row.served_cap);
}

TEST(Compare, TheCurveTradesInteractivityForThroughput) {
  CompareSpec spec = llama70b_on({"hgx-h200"});
  spec.curve = true;
  const CompareResult result = compare_systems(spec);
  const std::vector<CurvePoint>& curve = result.systems.front().curve;
  ASSERT_GE(curve.size(), 5u);
  for (size_t i = 0; i < curve.size(); ++i) {
    // Each point is the plan search at that cap, the TPOT SLO lifted.
    PlanSearchSpec plan = spec.plan;
    plan.hw = "hgx-h200";
    plan.max_sequences = curve[i].max_sequences;
    plan.slo_tpot_s = 0;
    const PlanResult best = search_plans(plan).plans.front();
    EXPECT_DOUBLE_EQ(curve[i].tokens_per_s_per_chip, best.tokens_per_s_per_chip);
    EXPECT_DOUBLE_EQ(curve[i].tokens_per_s_per_user, 1 / best.tpot_s);
    if (i == 0) continue;
    EXPECT_GT(curve[i].max_sequences, curve[i - 1].max_sequences);
    // A larger batch buys throughput per chip and costs each user speed.
    EXPECT_GE(curve[i].tokens_per_s_per_chip, curve[i - 1].tokens_per_s_per_chip) << i;
    EXPECT_LE(curve[i].tokens_per_s_per_user, curve[i - 1].tokens_per_s_per_user) << i;
  }
  EXPECT_EQ(curve.back().max_sequences, spec.plan.max_sequences);
  const nlohmann::ordered_json doc = compare_json(result);
  EXPECT_EQ(doc["schema"], "jalapeno.compare/1");
  EXPECT_EQ(doc["systems"][0]["curve"].size(), curve.size());
  EXPECT_NE(format_compare_table(result).find("throughput against interactivity"),
            std::string::npos);
}

TEST(Compare, BadListsOfSystemsAreRefusedNamingTheFlag) {
  EXPECT_NE(config_error([] { compare_systems(llama70b_on({})); }).find("--systems"),
            std::string::npos);
  const std::string twice = config_error([] {
    compare_systems(llama70b_on({"hgx-h200", "hgx-h200"}));
  });
  EXPECT_NE(twice.find("'hgx-h200' is given twice"), std::string::npos) << twice;
  const std::string unknown = config_error([] {
    compare_systems(llama70b_on({"hgx-h200", "hgx-h300"}));
  });
  EXPECT_NE(unknown.find("--systems: hgx-h300"), std::string::npos) << unknown;
  EXPECT_NE(config_error([] {
              compare_systems(llama70b_on({"hgx-h200", ""}));
            }).find("empty"),
            std::string::npos);
}

}  // namespace
}  // namespace jalapeno
