// Parallel plans: sharding, the collectives a plan inserts, what they cost in
// a step, plan search, and the errors of plans that cannot work.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "cost/step_cost.hpp"
#include "dse/plan_search.hpp"
#include "plan/hardware.hpp"
#include "report/serving_metrics.hpp"
#include "serve/replica.hpp"
#include "serve/scenario.hpp"

namespace jalapeno {
namespace {

StepCostModel parallel_model(const std::string& model, const std::string& system, int64_t tp,
                             int64_t pp = 1, bool overlap = false) {
  Hardware hw = load_hardware(system, std::nullopt);
  ParallelContext parallel;
  parallel.plan = {tp, pp, 1};
  parallel.network = hw.network;
  parallel.overlap = overlap;
  return StepCostModel(load_model(model), hw.chip, load_engine("fused"), parallel);
}

TEST(Plan, ShardDividesWidthsAndReplicatesKvHeads) {
  const ModelSpec m = load_model("llama-3.1-70b");
  const ModelSpec s = shard_model(m, 8);
  EXPECT_EQ(s.num_heads, 8);
  EXPECT_EQ(s.num_kv_heads, 1);
  EXPECT_EQ(s.intermediate_size, 28672 / 8);
  EXPECT_EQ(s.vocab_size, 128256 / 8);
  EXPECT_EQ(s.num_layers, 80);
  // Past the KV heads, each chip keeps one (replicated).
  EXPECT_EQ(shard_model(m, 16).num_kv_heads, 1);
}

TEST(Plan, ProblemsNameWhatDoesNotDivide) {
  const ModelSpec m = load_model("llama-3.1-70b");
  const auto tp3 = plan_problems(m, {3, 1, 1}, 8);
  ASSERT_FALSE(tp3.empty());
  EXPECT_NE(tp3.front().find("64 attention heads are not divisible by tp 3"), std::string::npos);
  const auto pp3 = plan_problems(m, {1, 3, 1}, 8);
  ASSERT_EQ(pp3.size(), 1u);
  EXPECT_NE(pp3.front().find("80 layers are not divisible by pp 3"), std::string::npos);
  const auto big = plan_problems(m, {8, 2, 1}, 8);
  ASSERT_EQ(big.size(), 1u);
  EXPECT_NE(big.front().find("needs 16 chips but the system has 8"), std::string::npos);
  EXPECT_THROW(check_plan(m, {3, 1, 1}, 8), ConfigError);
  EXPECT_TRUE(plan_problems(m, {8, 1, 1}, 8).empty());
}

TEST(Plan, CollectivesInsertedWhereTheSplitNeedsThem) {
  const ModelSpec shard = shard_model(load_model("llama-3.1-8b"), 4);
  const BatchSummary batch = decode_batch(16, 1000);
  int allreduces = 0, gathers = 0, sends = 0;
  for (const Op& op : build_parallel_step_ops(shard, batch, {4, 2, 1})) {
    if (op.kind != OpKind::kCollective) continue;
    if (op.comm == CommKind::kAllReduce) {
      EXPECT_EQ(op.count, 32);
      EXPECT_DOUBLE_EQ(op.comm_bytes, 16.0 * 4096 * 2);  // tokens x hidden, bf16
      ++allreduces;
    }
    if (op.comm == CommKind::kAllGather) ++gathers;
    if (op.comm == CommKind::kSendRecv) {
      EXPECT_EQ(op.count, 1);  // one stage boundary
      ++sends;
    }
  }
  EXPECT_EQ(allreduces, 2);  // after o_proj and after down_proj
  EXPECT_EQ(gathers, 1);
  EXPECT_EQ(sends, 1);
  // A single chip gets the plain graph.
  EXPECT_EQ(build_parallel_step_ops(load_model("llama-3.1-8b"), batch, {1, 1, 1}).size(),
            build_step_ops(load_model("llama-3.1-8b"), batch).size());
}

// Llama-3.1-70B decode on an HGX H100: more TP makes the step faster, but
// by less than the ideal factor, and the breakdown shows why: the
// all-reduces take a growing share while per-chip work shrinks.
TEST(Plan, TensorParallelDecodeScalesSublinearly) {
  const BatchSummary batch = decode_batch(32, 2048);
  double previous = 0, previous_share = 0;
  for (int64_t tp : {2, 4, 8}) {
    StepCostModel model = parallel_model("llama-3.1-70b", "hgx-h100", tp);
    const StepCost step = model.cost(batch);
    const double share = step.comm_seconds / step.gpu_seconds;
    if (previous > 0) {
      EXPECT_LT(step.seconds, previous) << "tp " << tp;
      EXPECT_GT(step.seconds, previous / 2) << "tp " << tp << ": less than the ideal factor";
      EXPECT_GT(share, previous_share) << "tp " << tp;
    }
    previous = step.seconds;
    previous_share = share;
  }
}

TEST(Plan, OverlapHidesCommunication) {
  const BatchSummary batch = decode_batch(64, 2048);
  StepCostModel plain = parallel_model("llama-3.1-70b", "hgx-h100", 8);
  StepCostModel overlapped = parallel_model("llama-3.1-70b", "hgx-h100", 8, 1, true);
  const StepCost a = plain.cost(batch), b = overlapped.cost(batch);
  EXPECT_LT(b.seconds, a.seconds);
  EXPECT_NEAR(b.seconds, std::max(a.gpu_seconds - a.comm_seconds, a.comm_seconds), 1e-12);
  EXPECT_EQ(overlapped.seconds(batch), b.seconds);
}

TEST(Plan, PipelineStagesShareTheWeights) {
  StepCostModel pp1 = parallel_model("llama-3.1-70b", "hgx-h100", 4, 1);
  StepCostModel pp2 = parallel_model("llama-3.1-70b", "hgx-h100", 4, 2);
  EXPECT_NEAR(pp2.weight_bytes_per_chip(), pp1.weight_bytes_per_chip() / 2, 1);
  const BatchSummary batch = decode_batch(8, 1000);
  const StepCost one = pp1.cost(batch), two = pp2.cost(batch);
  // One batch still crosses every layer, plus a stage boundary.
  EXPECT_GT(two.seconds, one.seconds * 0.99);
  EXPECT_NEAR(two.stage_seconds, two.seconds / 2, 1e-15);
}

TEST(Plan, MultiChipPlanNeedsANetwork) {
  ParallelContext parallel;
  parallel.plan = {2, 1, 1};
  EXPECT_THROW(StepCostModel(load_model("llama-3.1-8b"), load_chip("h100-sxm"),
                             load_engine("fused"), parallel),
               ConfigError);
}

TEST(Plan, ServingWithTensorParallelReplicas) {
  Scenario s;
  s.model = "llama-3.1-70b";
  s.hw = "hgx-h100";
  s.plan.tp = 4;
  s.serve.replicas = 2;
  s.synthetic.rate_per_s = 4;
  s.synthetic.requests = 300;
  s.synthetic.input = LengthDistribution::parse("uniform:128:2048", "input");
  s.synthetic.output = LengthDistribution::parse("uniform:16:256", "output");
  StepCostModel cost = make_scenario_cost_model(s);
  auto source = make_source(s);
  ServingMetrics metrics(s.serve.replicas, s.slo);
  Simulator sim(cost, s.serve, *source, metrics);
  sim.run();
  EXPECT_EQ(metrics.completed(), 300u);
  s.serve.replicas = 3;  // 3 x TP4 = 12 chips on an 8-chip system
  EXPECT_THROW(make_scenario_cost_model(s), ConfigError);
}

TEST(PlanSearch, RanksValidPlansAndExplainsTheOthers) {
  PlanSearchSpec spec;
  spec.model = "llama-3.1-70b";
  spec.hw = "hgx-h100";
  spec.slo_tpot_s = 0.05;
  spec.slo_ttft_s = 2;
  const PlanSearchResult result = search_plans(spec);
  ASSERT_FALSE(result.plans.empty());
  const PlanResult& best = result.plans.front();
  EXPECT_TRUE(best.meets_slos);
  EXPECT_LE(best.tpot_s, 0.05);
  EXPECT_GT(best.tokens_per_s_per_chip, 0);
  bool saw_unfit = false, saw_invalid = false;
  for (size_t i = 1; i < result.plans.size(); ++i) {
    const PlanResult& p = result.plans[i];
    if (p.meets_slos) {
      EXPECT_LE(p.tokens_per_s_per_chip, best.tokens_per_s_per_chip);
    }
    EXPECT_FALSE(p.verdict.empty());
    if (p.verdict.find("weights do not fit") != std::string::npos) saw_unfit = true;
    if (p.verdict.find("invalid") != std::string::npos) saw_invalid = true;
  }
  EXPECT_TRUE(saw_unfit);  // TP1 on one H100: 141 GB of weights
  (void)saw_invalid;
}

TEST(PlanSearch, EachObjectiveRanksByItsOwnFigure) {
  PlanSearchSpec spec;
  spec.model = "llama-3.1-70b";
  spec.hw = "hgx-h200";
  spec.slo_tpot_s = 0.05;
  for (const PlanObjective& objective : plan_objectives()) {
    spec.objective = objective.name;
    const PlanSearchResult result = search_plans(spec);
    EXPECT_EQ(result.objective, objective.name);
    std::optional<double> previous;
    for (const PlanResult& p : result.plans) {
      if (!p.meets_slos) break;
      const std::optional<double> score = objective.score(p);
      ASSERT_TRUE(score) << objective.name << ": every plan of a chip with power and cost";
      if (previous) {
        EXPECT_LE(*score, *previous) << objective.name;
      }
      previous = score;
    }
    ASSERT_TRUE(previous) << objective.name;
  }
  // The money and power figures follow from the operating point.
  spec.objective = "usd-per-mtok";
  const PlanResult best = search_plans(spec).plans.front();
  ASSERT_TRUE(best.facility_power_W && best.usd_per_million_output_tokens);
  EXPECT_NEAR(*best.tokens_per_s_per_MW, best.tokens_per_s / (*best.facility_power_W / 1e6),
              1e-9 * *best.tokens_per_s_per_MW);
  const ChipSpec chip = load_chip("h200-sxm");
  EXPECT_GT(*best.facility_power_W, 8 * chip.power->idle_W);
  // At most every chip at its limit (a mixed step with a prompt chunk can
  // reach it).
  EXPECT_LE(*best.facility_power_W, (1 + 1e-9) * 8 * (chip.tdp_W + chip.cost->system_power_W) /
                                        spec.facility.conversion_efficiency * spec.facility.pue);
  EXPECT_THROW(find_plan_objective("tokens"), ConfigError);
}

TEST(PlanSearch, ChipsBeyondTheSystemAreAnError) {
  PlanSearchSpec spec;
  spec.model = "llama-3.1-8b";
  spec.hw = "hgx-h100";
  spec.chips = 16;
  EXPECT_THROW(search_plans(spec), ConfigError);
  spec.hw = "h100-sxm";
  spec.chips = 4;
  EXPECT_THROW(search_plans(spec), ConfigError);
}

}  // namespace
}  // namespace jalapeno

namespace jalapeno {
namespace {

// With two pipeline stages a replica starts a second micro-batch when the
// first has left the first stage, while the first is still in flight.
TEST(Plan, PipelineKeepsMicroBatchesInFlight) {
  Scenario s;
  s.model = "llama-3.1-70b";
  s.hw = "hgx-h100";
  s.plan = {4, 2, 1};
  StepCostModel cost = make_scenario_cost_model(s);
  SchedulerConfig config;
  config.max_batched_tokens = 512;  // the prompts need several steps
  Replica replica(0, cost, config, kv_cache_blocks(cost, config));
  for (uint64_t id = 0; id < 8; ++id) {
    Request request;
    request.id = id;
    request.input_tokens = 400;
    request.output_tokens = 20;
    replica.enqueue(request);
  }
  ServingMetrics metrics(1, {});
  const double first = replica.start_step(0, metrics);
  ASSERT_GT(first, 0);
  const double stage_free = replica.stage_free_s();
  EXPECT_NEAR(stage_free, first / 2, 1e-12);
  EXPECT_FALSE(replica.can_start(stage_free / 2));  // the first stage is busy
  EXPECT_TRUE(replica.can_start(stage_free));       // free again, first batch in flight
  const double second = replica.start_step(stage_free, metrics);
  ASSERT_GT(second, 0);
  EXPECT_FALSE(replica.can_start(first * 10));  // two in flight: the pipeline is full
  std::vector<Request> finished;
  replica.finish_step(first, metrics, finished);
  EXPECT_TRUE(replica.can_start(first));
  // In a pipeline, batches leave in the order they entered.
  EXPECT_GE(stage_free + second, first);
}

}  // namespace
}  // namespace jalapeno

namespace jalapeno {
namespace {

// --simulate runs the serving simulator on the best plans: the check gives
// the throughput it reached and what share of requests met the SLOs.
TEST(PlanSearch, SimulatedCheckOfTheBestPlans) {
  PlanSearchSpec spec;
  spec.model = "llama-3.1-8b";
  spec.hw = "hgx-h100";
  spec.chips = 2;
  spec.slo_tpot_s = 0.05;
  spec.slo_ttft_s = 2;
  const PlanSearchResult result = search_plans(spec, 2, 500);
  ASSERT_TRUE(result.plans.front().simulated.has_value());
  const SimulatedPlan& sim = *result.plans.front().simulated;
  EXPECT_GT(sim.tokens_per_s_per_chip, 0);
  // Offered 90% of the estimate, a replica serves at most what it is offered.
  EXPECT_LE(sim.tokens_per_s_per_chip, result.plans.front().tokens_per_s_per_chip);
  EXPECT_GE(sim.goodput_fraction, 0);
  EXPECT_LE(sim.goodput_fraction, 1);
  EXPECT_GT(sim.tpot_p90_s, 0);
  // The simulations on three threads: the same plans in the same order with
  // the same simulated figures.
  const PlanSearchResult threaded = search_plans(spec, 2, 500, 0.9, 3);
  ASSERT_EQ(threaded.plans.size(), result.plans.size());
  size_t simulated = 0;
  for (size_t i = 0; i < result.plans.size(); ++i) {
    const PlanResult& a = result.plans[i];
    const PlanResult& b = threaded.plans[i];
    EXPECT_EQ(a.plan.describe(), b.plan.describe());
    ASSERT_EQ(a.simulated.has_value(), b.simulated.has_value());
    if (!a.simulated) continue;
    ++simulated;
    EXPECT_EQ(a.simulated->tokens_per_s_per_chip, b.simulated->tokens_per_s_per_chip);
    EXPECT_EQ(a.simulated->ttft_p90_s, b.simulated->ttft_p90_s);
    EXPECT_EQ(a.simulated->tpot_p90_s, b.simulated->tpot_p90_s);
    EXPECT_EQ(a.verdict, b.verdict);
  }
  EXPECT_EQ(simulated, 2u);
}

}  // namespace
}  // namespace jalapeno
