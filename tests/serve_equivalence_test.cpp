// The decode aggregate against the per-sequence path it replaces: the same
// steps, completions, KV counts and token gaps on a battery of scenarios
// (chunked prefill, preemption by recompute and by swap, whole prompts, a
// pipeline, a trace, a closed loop, recurrent models, several replicas, a
// budget below the batch), and the aggregate's summary of a step against
// add_to_summary() one sequence at a time.
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <random>
#include <vector>

#include "serve/decode_aggregate.hpp"
#include "serve_support.hpp"

namespace jalapeno {
namespace {

using testing_support::poisson;
using testing_support::SimRun;
using testing_support::simulate;

void expect_same(const SimRun& a, const SimRun& b) {
  ASSERT_EQ(a.seen.steps.size(), b.seen.steps.size());
  for (size_t i = 0; i < a.seen.steps.size(); ++i) {
    const StepRecord &x = a.seen.steps[i], &y = b.seen.steps[i];
    ASSERT_EQ(x.replica, y.replica) << "step " << i;
    ASSERT_EQ(x.start_s, y.start_s) << "step " << i;
    ASSERT_EQ(x.seconds, y.seconds) << "step " << i;
    ASSERT_EQ(x.sequences, y.sequences) << "step " << i;
    ASSERT_EQ(x.prefill_tokens, y.prefill_tokens) << "step " << i;
    ASSERT_EQ(x.decode_tokens, y.decode_tokens) << "step " << i;
    ASSERT_EQ(x.kv_used_fraction, y.kv_used_fraction) << "step " << i;
    ASSERT_EQ(x.dynamic_joules, y.dynamic_joules) << "step " << i;
    ASSERT_EQ(x.running, y.running) << "step " << i;
    ASSERT_EQ(x.waiting, y.waiting) << "step " << i;
    ASSERT_EQ(x.held_by, y.held_by) << "step " << i;
  }
  ASSERT_GT(a.seen.done.size(), 0u);
  ASSERT_EQ(a.seen.done.size(), b.seen.done.size());
  for (size_t i = 0; i < a.seen.done.size(); ++i) {
    const RequestRecord &x = a.seen.done[i], &y = b.seen.done[i];
    ASSERT_EQ(x.id, y.id) << "completion " << i;
    EXPECT_EQ(x.replica, y.replica);
    EXPECT_EQ(x.first_scheduled_s, y.first_scheduled_s);
    EXPECT_EQ(x.first_token_s, y.first_token_s);
    EXPECT_EQ(x.finish_s, y.finish_s);
    EXPECT_EQ(x.output_tokens, y.output_tokens);
    EXPECT_EQ(x.preemptions, y.preemptions);
    EXPECT_NEAR(x.joules, y.joules, 1e-12 * std::abs(y.joules));
  }
  EXPECT_GT(a.seen.gap_count, 0u);
  EXPECT_EQ(a.seen.gaps, b.seen.gaps);
  EXPECT_EQ(a.seen.gap_count, b.seen.gap_count);
  EXPECT_EQ(a.seen.preemptions, b.seen.preemptions);
  EXPECT_EQ(a.seen.end_s, b.seen.end_s);
  EXPECT_EQ(a.peak_kv, b.peak_kv);
  EXPECT_EQ(a.summary, b.summary);
}

struct Case {
  const char* name;
  Scenario scenario;
  bool aggregates;  // whether most steps should take the aggregate's path
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

std::vector<Case> battery() {
  std::vector<Case> cases;
  cases.push_back({"chunked_prefill",
                   poisson(38, 1500, "lognormal:512:0.6:4096", "lognormal:256:0.6:2048"), true});
  Scenario recompute = poisson(50, 400, "uniform:200:600", "uniform:300:900");
  recompute.serve.scheduler.memory_utilization = 0.13;  // ~2 GB of KV: preempts
  cases.push_back({"preempt_recompute", recompute, true});
  Scenario swap = recompute;
  swap.serve.scheduler.preemption = Preemption::kSwap;
  cases.push_back({"preempt_swap", swap, true});
  Scenario whole = poisson(20, 600, "lognormal:1500:0.6:6000", "uniform:1:300");
  whole.serve.scheduler.chunked_prefill = false;
  cases.push_back({"whole_prompts", whole, true});
  Scenario small_budget = poisson(30, 600, "uniform:100:2000", "uniform:50:400");
  small_budget.serve.scheduler.max_batched_tokens = 64;  // below the batch: per sequence
  cases.push_back({"budget_below_batch", small_budget, false});
  Scenario pipeline = poisson(6, 200, "uniform:100:2000", "uniform:50:300");
  pipeline.model = "llama-3.1-70b";
  pipeline.hw = "hgx-h200";
  pipeline.plan.tp = 2;
  pipeline.plan.pp = 2;
  cases.push_back({"pipeline", pipeline, false});
  Scenario trace;
  trace.workload = WorkloadKind::kTrace;
  trace.trace.path = std::string(JALAPENO_SOURCE_DIR) + "/data/traces/azure_llm_2023_conv.csv";
  trace.trace.max_requests = 1500;
  trace.trace.speedup = 2;
  cases.push_back({"trace", trace, true});
  Scenario closed;
  closed.workload = WorkloadKind::kClosedLoop;
  closed.closed_loop.users = 64;
  closed.closed_loop.think_s = 0.5;
  closed.closed_loop.requests = 800;
  closed.closed_loop.input = LengthDistribution::parse("uniform:50:3000", "input");
  closed.closed_loop.output = LengthDistribution::parse("uniform:1:500", "output");
  cases.push_back({"closed_loop", closed, true});
  Scenario mamba = poisson(30, 500, "uniform:100:3000", "uniform:20:400");
  mamba.model = "mamba2-2.7b";  // a state per sequence, nothing per token
  cases.push_back({"recurrent", mamba, true});
  Scenario jamba = poisson(8, 300, "uniform:100:3000", "uniform:20:400");
  jamba.model = "jamba-1.5-mini";  // states beside per-token blocks
  cases.push_back({"hybrid", jamba, true});
  Scenario fleet = poisson(120, 2000, "lognormal:512:0.8:4096", "uniform:1:600");
  fleet.serve.replicas = 3;
  fleet.serve.router = "least-kv";
  fleet.serve.scheduler.block_size = 32;
  cases.push_back({"replicas_block32", fleet, true});
  // Sessions re-reading their context through the prefix cache; then with
  // so little KV that the cache evicts and sequences are preempted.
  Scenario sessions;
  sessions.workload = WorkloadKind::kAgentic;
  sessions.agentic.sessions = 60;
  sessions.agentic.concurrency = 16;
  sessions.agentic.calls = LengthDistribution::parse("uniform:2:8", "calls");
  sessions.agentic.system_prompt_tokens = 1500;
  sessions.agentic.first_tokens = LengthDistribution::parse("uniform:50:500", "first");
  sessions.agentic.new_tokens = LengthDistribution::parse("uniform:20:800", "new");
  sessions.agentic.output = LengthDistribution::parse("uniform:10:400", "output");
  sessions.agentic.think_s = 0.5;
  sessions.agentic.seed = 5;
  sessions.serve.scheduler.prefix_caching = true;
  cases.push_back({"agentic_prefix_cache", sessions, true});
  Scenario tight = sessions;
  tight.serve.scheduler.memory_utilization = 0.125;  // ~4,500 tokens of KV
  tight.agentic.max_context_tokens = 4000;
  cases.push_back({"preempt_agentic_cache", tight, true});
  return cases;
}

class Equivalence : public ::testing::TestWithParam<Case> {};

// Under every scheduler policy: the aggregate is the replica's, the policy
// only chooses what goes in a step.
TEST_P(Equivalence, AggregateMatchesThePerSequencePath) {
  const Case& c = GetParam();
  for (const std::string& policy : scheduler_policy_names()) {
    SCOPED_TRACE("policy " + policy);
    Scenario scenario = c.scenario;
    scenario.serve.scheduler.policy = policy;
    const SimRun reference = simulate(scenario, true);
    const SimRun fast = simulate(scenario, false);
    EXPECT_EQ(reference.aggregated_steps, 0);
    expect_same(fast, reference);
    ASSERT_GT(fast.steps, 0);
    if (c.aggregates) {
      EXPECT_GT(fast.aggregated_steps, fast.steps * 3 / 4) << "the aggregate's path went unused";
    } else {
      EXPECT_LT(fast.aggregated_steps, fast.steps / 4);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Battery, Equivalence, ::testing::ValuesIn(battery()),
                         [](const auto& info) { return std::string(info.param.name); });

// The preemption cases really preempt.
TEST(Equivalence, BatteryPreempts) {
  for (const Case& c : battery()) {
    if (std::string(c.name).rfind("preempt", 0) != 0) continue;
    EXPECT_GT(simulate(c.scenario, false).seen.preemptions, 0u) << c.name;
  }
}

// Random members advanced over random steps: the aggregate's summary and
// block demand equal add_to_summary() and the block count of each.
TEST(DecodeAggregate, SummaryEqualsOneSequenceAtATime) {
  std::mt19937_64 rng(5);
  for (const int64_t block_size : {1, 16, 24, 256}) {
    DecodeAggregate agg(block_size, true);
    struct Live {
      int64_t kv;
      int64_t left;
    };
    std::map<uint64_t, Live> live;  // by order
    uint64_t order = 0;
    for (int step = 0; step < 6000; ++step) {
      // Few joins after the first steps, so that the run is long enough to
      // take members filed on every level of the completion wheel (up to
      // 4,096 steps ahead); those filed in its overflow stay there (the
      // next test takes them back).
      const int joins = static_cast<int>(step < 600 ? rng() % 4 : rng() % 40 == 0);
      for (int j = 0; j < joins; ++j) {
        const auto kv = static_cast<int64_t>(1 + rng() % 3000);
        const auto left =
            static_cast<int64_t>(1 + rng() % (rng() % 8 == 0 ? (rng() % 2 ? 5000 : 300000) : 120));
        agg.insert(kv, left, order, static_cast<uint32_t>(order));
        live[order++] = {kv, left};
      }
      BatchSummary expected = empty_summary({});
      int64_t blocks = 0;
      for (const auto& [o, m] : live) {
        add_to_summary(expected, {1, m.kv});
        blocks += (m.kv + 1 + block_size - 1) / block_size - (m.kv + block_size - 1) / block_size;
      }
      BatchSummary got = empty_summary({});
      agg.add_to(got);
      ASSERT_EQ(got, expected) << "block size " << block_size << ", step " << step;
      ASSERT_EQ(agg.blocks_needed(), blocks);
      std::vector<DecodeAggregate::Member> due;
      agg.take_due(due);
      std::vector<uint64_t> expected_due;
      for (auto& [o, m] : live) {
        m.kv += 1;
        if (--m.left == 0) expected_due.push_back(o);
      }
      std::vector<uint64_t> got_due;
      for (const auto& m : due) got_due.push_back(m.order);
      ASSERT_EQ(got_due, expected_due) << "in admission order";
      for (uint64_t o : expected_due) live.erase(o);
      agg.advance();
      ASSERT_EQ(agg.size(), static_cast<int64_t>(live.size()));
    }
  }
}

// Members far ahead, beyond the completion wheel's 2^18 steps, come back
// through its overflow and out on their own step, in admission order.
TEST(DecodeAggregate, TakesEveryMemberOnItsStepOverAMillionSteps) {
  std::mt19937_64 rng(9);
  DecodeAggregate agg(16, true);
  std::map<int64_t, std::vector<uint64_t>> expected;  // finishing step -> orders
  uint64_t order = 0;
  size_t taken = 0;
  for (int64_t step = 0; step < 1'100'000; ++step) {
    if (rng() % 1000 == 0) {
      const auto left = static_cast<int64_t>(1 + rng() % (rng() % 2 ? 700'000 : 70));
      agg.insert(1 + static_cast<int64_t>(rng() % 100), left, order, 0);
      expected[step + left - 1].push_back(order++);
    }
    std::vector<DecodeAggregate::Member> due;
    agg.take_due(due);
    std::vector<uint64_t> got;
    for (const auto& m : due) got.push_back(m.order);
    const auto it = expected.find(step);
    ASSERT_EQ(got, it == expected.end() ? std::vector<uint64_t>{} : it->second) << "step " << step;
    taken += got.size();
    agg.advance();
  }
  EXPECT_GT(order, 1000u);
  EXPECT_EQ(static_cast<size_t>(agg.size()), order - taken);
  size_t members = 0;
  agg.for_each_member([&members](const DecodeAggregate::Member&) { ++members; });
  EXPECT_EQ(members, order - taken);
}

TEST(DecodeAggregate, WithoutPerTokenBlocksNeedsNone) {
  DecodeAggregate agg(16, false);
  agg.insert(16, 5, 0, 0);
  EXPECT_EQ(agg.blocks_needed(), 0);
}

TEST(DecodeAggregate, RefusesAMemberWithNothingToDecode) {
  DecodeAggregate agg(16, true);
  EXPECT_THROW(agg.insert(10, 0, 0, 0), std::logic_error);
  EXPECT_THROW(agg.insert(0, 3, 0, 0), std::logic_error);
}

}  // namespace
}  // namespace jalapeno
