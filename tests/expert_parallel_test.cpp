// Expert parallelism: routing (uniform, power-law skewed, from loads),
// placement on the ranks (contiguous, EPLB with redundant experts), the
// slowest rank setting the step, attention data parallelism with its
// dispatch and combine all-to-all, and the plans that combine them.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "cost/collective.hpp"
#include "cost/step_cost.hpp"
#include "dse/plan_search.hpp"
#include "hw/chip_spec.hpp"
#include "model/routing.hpp"
#include "plan/hardware.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using testing_support::config_error;
using testing_support::find_op;
using testing_support::has_op;

MoeSpec experts(int64_t e, int64_t k) {
  MoeSpec moe;
  moe.experts = e;
  moe.top_k = k;
  return moe;
}

// Uniform routing on one rank is the closed form the op graph uses:
// T k assignments over E (1 - (1 - k/E)^T) experts hit.
TEST(Routing, UniformIsTheClosedForm) {
  const ExpertRouting one(experts(256, 8), RoutingSpec{}, 1);
  for (int64_t tokens : {1, 7, 64, 4096}) {
    const RankLoad load = one.most_loaded(tokens);
    EXPECT_NEAR(load.assignments, 8.0 * static_cast<double>(tokens), 1e-9);
    const double hit = 256 * (1 - std::pow(1 - 8.0 / 256, static_cast<double>(tokens)));
    EXPECT_NEAR(load.experts_hit, hit, 1e-6 * hit);
  }
  // Over 8 ranks each holds 32 experts and an eighth of the work.
  const ExpertRouting eight(experts(256, 8), RoutingSpec{}, 8);
  EXPECT_EQ(eight.most_loaded(100).slots, 32);
  EXPECT_NEAR(eight.most_loaded(100).assignments, 100.0, 1e-9);
  EXPECT_DOUBLE_EQ(eight.imbalance(), 1.0);
}

// Under a power law each token still picks k experts; no expert above
// probability 1; a hotter expert more often.
TEST(Routing, PowerLawPicksTopKAndConcentrates) {
  RoutingSpec skewed;
  skewed.skew = 1.0;
  const ExpertRouting r(experts(256, 8), skewed, 8);
  const auto& pick = r.pick_probability();
  EXPECT_NEAR(std::accumulate(pick.begin(), pick.end(), 0.0), 8.0, 1e-9);
  for (double p : pick) EXPECT_LE(p, 1.0);
  EXPECT_GT(*std::max_element(pick.begin(), pick.end()),
            20 * *std::min_element(pick.begin(), pick.end()));
  // A contiguous placement of a shuffled power law leaves some rank hot.
  EXPECT_GT(r.imbalance(), 1.2);
  // Copies of the hottest experts, placed to even the load, flatten it.
  skewed.redundant = 32;
  skewed.balanced = true;
  const ExpertRouting eplb(experts(256, 8), skewed, 8);
  EXPECT_LT(eplb.imbalance(), 1.05);
  EXPECT_GE(eplb.imbalance(), 1.0);
  EXPECT_EQ(eplb.most_loaded(10).slots, 36);  // (256 + 32) / 8
}

TEST(Routing, LoadsFromAFile) {
  const auto path = std::filesystem::temp_directory_path() / "jalapeno_loads.json";
  {
    std::ofstream out(path);
    out << R"({"loads": [4, 1, 1, 1, 1, 1, 1, 0]})";
  }
  RoutingSpec spec;
  spec.loads = read_expert_loads(path.string());
  spec.loads_source = path.string();
  const ExpertRouting r(experts(8, 2), spec, 2);
  // Expert 0 carries 4/10 of the picks, capped below every token: rank 0
  // (experts 0-3) is the busier.
  EXPECT_NEAR(r.pick_probability()[0], 0.8, 1e-12);
  EXPECT_DOUBLE_EQ(r.pick_probability()[7], 0);
  EXPECT_GT(r.imbalance(), 1.2);
  const std::string wrong = config_error([&] { ExpertRouting(experts(16, 2), spec, 2); });
  EXPECT_NE(wrong.find("expected 16 expert loads"), std::string::npos) << wrong;
  {
    std::ofstream out(path);
    out << "[0, 0, 0, 0, 0, 0, 0, 5]";  // one expert for picks of two
  }
  spec.loads = read_expert_loads(path.string());
  EXPECT_NE(config_error([&] {
              ExpertRouting(experts(8, 2), spec, 2);
            }).find("at least 2 experts (the model's top_k) with a load above 0, got 1"),
            std::string::npos);
  {
    std::ofstream out(path);
    out << "[1, -2]";
  }
  EXPECT_NE(config_error([&] { read_expert_loads(path.string()); }).find("loads[1]"),
            std::string::npos);
  std::filesystem::remove(path);
}

TEST(Routing, RanksMustDivideTheSlots) {
  EXPECT_NE(config_error([] {
              ExpertRouting(experts(256, 8), RoutingSpec{}, 3);
            }).find("3 ranks do not divide the 256 expert slots"),
            std::string::npos);
  RoutingSpec redundant;
  redundant.redundant = 8;
  EXPECT_NO_THROW(ExpertRouting(experts(256, 8), redundant, 8));
  redundant.redundant = 256 * 16 + 8;
  EXPECT_NE(config_error([&] {
              ExpertRouting(experts(256, 8), redundant, 8);
            }).find("at most 4096 redundant experts"),
            std::string::npos);
}

StepCostModel deepseek(const ParallelPlan& plan, const RoutingSpec& routing = {}) {
  const Hardware hw = load_hardware("hgx-h200", std::nullopt);
  ParallelContext parallel{plan, hw.network};
  parallel.routing = routing;
  return StepCostModel(load_model("deepseek-v3"), hw.chip, load_engine("sglang"), parallel);
}

ParallelPlan dep(int64_t ranks) {
  ParallelPlan plan{ranks, 1, 1};
  plan.ep = ranks;
  plan.dp_attention = true;
  return plan;
}

// Experts whole on each chip, an eighth of them: a chip holds an eighth of
// the routed experts' weights, the rest as under TP.
TEST(ExpertParallel, EachChipHoldsItsExperts) {
  ParallelPlan ep{8, 1, 1};
  ep.ep = 8;
  const StepCostModel tp8 = deepseek(ParallelPlan{8, 1, 1});
  const StepCostModel ep8 = deepseek(ep);
  EXPECT_NEAR(ep8.weight_bytes_per_chip() / tp8.weight_bytes_per_chip(), 1.0, 0.01);
  EXPECT_EQ(ep8.model().moe.expert_intermediate, 2048);  // not split
  // Attention data parallel: attention and dense layers whole on every chip.
  const StepCostModel dp = deepseek(dep(8));
  EXPECT_GT(dp.weight_bytes_per_chip(), tp8.weight_bytes_per_chip() + 5e9);
  EXPECT_EQ(dp.model().num_heads, 128);
}

// DEP: no all-reduce of attention outputs; a dispatch and a combine
// all-to-all around the experts, whose bytes are the closed form: in
// low-latency mode (decode) each of a chip's tokens once per expert, in
// normal mode once per destination rank, hidden_size wide, fp8 out (the
// checkpoint's w8a8) and bf16 back.
TEST(ExpertParallel, AllToAllAgainstItsClosedForm) {
  const ModelSpec m = load_model("deepseek-v3");
  ParallelPlan plan = dep(8);
  const BatchSummary whole = decode_batch(256, 1024);
  const BatchSummary mine = share_of_batch(whole, 8);
  ASSERT_EQ(mine.tokens, 32);
  const auto ops = build_parallel_step_ops(shard_model(m, plan), mine, plan);
  EXPECT_FALSE(has_op(ops, "attn_allreduce"));
  EXPECT_FALSE(has_op(ops, "logits_allgather"));
  const Op& dispatch = find_op(ops, "moe_dispatch");
  EXPECT_EQ(dispatch.comm, CommKind::kAllToAll);
  EXPECT_EQ(dispatch.count, 58);
  EXPECT_DOUBLE_EQ(dispatch.comm_bytes, 32.0 * 8 * 7168 * 1);  // fp8 (its scales not counted)
  EXPECT_DOUBLE_EQ(find_op(ops, "moe_combine").comm_bytes, 32.0 * 8 * 7168 * 2);
  plan.all_to_all = AllToAllMode::kNormal;
  // DeepSeek-V3's group-limited routing: 8 groups of 32 experts, one per
  // chip, and a token's 8 experts within its best 4 groups: it reaches
  // 4 (1 - (3/4)^8) chips on average, not 8 (1 - (7/8)^8).
  ASSERT_EQ(m.moe.groups, 8);
  ASSERT_EQ(m.moe.groups_per_token, 4);
  const auto normal = build_parallel_step_ops(shard_model(m, plan), mine, plan);
  const double limited = 4 * (1 - std::pow(1 - 1.0 / 4, 8));
  EXPECT_DOUBLE_EQ(find_op(normal, "moe_combine").comm_bytes, 32.0 * limited * 7168 * 2);
  EXPECT_EQ(find_op(normal, "moe_dispatch").comm_phases, 2);
  ModelSpec unlimited = m;
  unlimited.moe.groups = 1;
  unlimited.moe.groups_per_token = 1;
  const auto spread = build_parallel_step_ops(shard_model(unlimited, plan), mine, plan);
  const double ranks = 8 * (1 - std::pow(1 - 1.0 / 8, 8));
  EXPECT_DOUBLE_EQ(find_op(spread, "moe_combine").comm_bytes, 32.0 * ranks * 7168 * 2);

  // Its time: the network's direct all-to-all, (n - 1)/n of the buffer out
  // of every chip at once, plus the engine's launch in a graph.
  const Hardware hw = load_hardware("hgx-h200", std::nullopt);
  const StepCostModel model = deepseek(dep(8));
  const Op& combine = find_op(ops, "moe_combine");
  TopologySpec topology = hw.network->spec();
  topology.collective_launch_s = 0;
  const Network network(topology);
  const CollectiveModel collectives(network);
  const std::vector<int64_t> group{0, 1, 2, 3, 4, 5, 6, 7};
  const double expected =
      collectives.seconds(Collective::kAllToAll, Algorithm::kDirect, group, combine.comm_bytes) +
      model.engine().collective_launch_graph_s;
  EXPECT_DOUBLE_EQ(model.op_time(combine, mine).seconds(), expected);
}

// Where the experts compute (prefill), skew puts more tokens on the hot
// rank and slows the step; EPLB's copies and placement take most of it
// back. In memory-bound decode, skew leaves cold experts unread instead.
TEST(ExpertParallel, SkewSlowsTheStepAndEplbEvensIt) {
  RoutingSpec skewed;
  skewed.skew = 1.0;
  RoutingSpec eplb = skewed;
  eplb.redundant = 32;
  eplb.balanced = true;
  const BatchSummary prefill = prefill_batch(8, 4096);
  const double uniform_s = deepseek(dep(8)).cost(prefill).seconds;
  const double skewed_s = deepseek(dep(8), skewed).cost(prefill).seconds;
  const double balanced_s = deepseek(dep(8), eplb).cost(prefill).seconds;
  EXPECT_GT(skewed_s, 1.2 * uniform_s);
  EXPECT_LT(balanced_s, skewed_s);
  EXPECT_LT(balanced_s, 1.1 * uniform_s);
  const BatchSummary decode = decode_batch(64, 1024);
  const StepCost skew_decode = deepseek(dep(8), skewed).cost(decode);
  const StepCost uniform_decode = deepseek(dep(8)).cost(decode);
  EXPECT_LT(skew_decode.weight_bytes, uniform_decode.weight_bytes);
}

// The memoised timing is the full breakdown's, with and without attention
// data parallelism, for mixed batches too.
TEST(ExpertParallel, MemoisedTimingMatchesTheBreakdown) {
  RoutingSpec skewed;
  skewed.skew = 0.8;
  ParallelPlan ep{8, 1, 1};
  ep.ep = 8;
  for (const ParallelPlan& plan : {ep, dep(8)}) {
    StepCostModel model = deepseek(plan, skewed);
    for (const BatchSummary& b :
         {decode_batch(100, 3000), summarize({{512, 0}, {1, 100}, {1, 2000}, {300, 1000}})}) {
      EXPECT_DOUBLE_EQ(model.seconds(b), model.cost(b).seconds) << plan.describe();
    }
  }
}

TEST(ExpertParallel, PlansThatCannotBeBuiltSaySo) {
  const ModelSpec ds = load_model("deepseek-v3");
  ParallelPlan bad{8, 1, 1};
  bad.ep = 4;
  EXPECT_NE(config_error([&] { check_plan(ds, bad, 8); }).find("ep 4 must be 1 or tp (8)"),
            std::string::npos);
  ParallelPlan dense{2, 1, 1};
  dense.ep = 2;
  EXPECT_NE(
      config_error([&] { check_plan(load_model("llama-3.1-8b"), dense, 8); }).find("needs experts"),
      std::string::npos);
  ParallelPlan dp_only{8, 1, 1};
  dp_only.dp_attention = true;
  EXPECT_NE(config_error([&] { check_plan(ds, dp_only, 8); }).find("ep = tp > 1"),
            std::string::npos);
  // 60 experts over 8 ranks: EP does not divide them.
  const Hardware hw = load_hardware("hgx-h200", std::nullopt);
  ModelSpec odd = load_model("qwen3-30b-a3b");
  odd.moe.experts = 60;
  ParallelPlan ep{8, 1, 1};
  ep.ep = 8;
  EXPECT_NE(config_error([&] {
              StepCostModel(odd, hw.chip, load_engine("sglang"), ParallelContext{ep, hw.network});
            }).find("do not divide the 60 expert slots"),
            std::string::npos);
}

// The plan search weighs TP, EP and attention-DP plans of an MoE model.
TEST(ExpertParallel, PlanSearchCoversExpertParallelPlans) {
  PlanSearchSpec spec;
  spec.model = "deepseek-r1";
  spec.hw = "hgx-h200";
  spec.engine = "sglang";
  const PlanSearchResult result = search_plans(spec, 0, 0, 0.9);
  bool ep = false, dp = false, tp_only = false;
  for (const PlanResult& p : result.plans) {
    ep = ep || (p.plan.ep == 8 && !p.plan.dp_attention && p.batch > 0);
    dp = dp || (p.plan.dp_attention && p.batch > 0);
    tp_only = tp_only || (p.plan.tp == 8 && p.plan.ep == 1 && p.batch > 0);
  }
  EXPECT_TRUE(ep);
  EXPECT_TRUE(dp);
  EXPECT_TRUE(tp_only);
}

}  // namespace
}  // namespace jalapeno
