// Speculative decoding (serve/speculative.hpp): what a verification makes,
// what the drafter costs in time and memory, the acceptance draws, and the
// models and plans it refuses.
#include "serve/speculative.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/presets.hpp"
#include "report/serving_metrics.hpp"
#include "report/validation.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"
#include "serve_support.hpp"

namespace jalapeno {
namespace {

using testing_support::poisson;
using testing_support::SimRun;
using testing_support::simulate;

SpeculativeConfig speculate(const std::string& method, int64_t k, std::vector<double> acceptance,
                            const std::string& draft = "") {
  SpeculativeConfig c;
  c.method = method;
  c.tokens = k;
  c.acceptance = std::move(acceptance);
  c.draft_model = draft;
  return c;
}

// One request alone on a replica: every step after its prefill is one
// verification of its drafts.
Scenario lone(int64_t output, const SpeculativeConfig& spec) {
  Scenario s = poisson(1, 1, "512", std::to_string(output));
  s.serve.scheduler.speculative = spec;
  return s;
}

// Tokens the steps made after each request's first (the prefill's).
int64_t sum_made(const SimRun& run) {
  int64_t made = 0;
  for (const StepRecord& step : run.seen.steps) made += step.decode_tokens;
  return made;
}

TEST(Speculative, AcceptanceOneMakesKPlusOneTokensPerVerification) {
  // 1 token from the prefill, then 20 verifications of 3 drafts.
  constexpr int64_t k = 3, verifications = 20;
  const SimRun run = simulate(lone(1 + verifications * (k + 1), speculate("eagle", k, {1.0})));
  ASSERT_EQ(run.seen.steps.size(), static_cast<size_t>(1 + verifications));
  for (size_t i = 1; i < run.seen.steps.size(); ++i) {
    const StepRecord& step = run.seen.steps[i];
    EXPECT_EQ(step.verifications, 1) << "step " << i;
    EXPECT_EQ(step.proposed_tokens, k) << "step " << i;
    EXPECT_EQ(step.accepted_tokens, k) << "step " << i;
    EXPECT_EQ(step.decode_tokens, k + 1) << "step " << i;
    EXPECT_EQ(step.prefill_tokens, 0) << "step " << i;  // its positions are output, not prompt
    EXPECT_GT(step.draft_seconds, 0) << "step " << i;
  }
  ASSERT_EQ(run.seen.done.size(), 1u);
  EXPECT_EQ(run.seen.done[0].output_tokens, 1 + verifications * (k + 1));
  // Its tokens came k + 1 at a time: each gap a quarter of its step.
  EXPECT_EQ(run.seen.gap_count, static_cast<uint64_t>(verifications * (k + 1)));
}

TEST(Speculative, ALastVerificationProposesNoMoreThanTheTokensLeft) {
  // 1 + 2 x 4 + 2 tokens: the last check proposes one draft, for two tokens.
  const SimRun run = simulate(lone(11, speculate("eagle", 3, {1.0})));
  ASSERT_EQ(run.seen.steps.size(), 4u);
  EXPECT_EQ(run.seen.steps.back().proposed_tokens, 1);
  EXPECT_EQ(run.seen.steps.back().decode_tokens, 2);
  EXPECT_EQ(sum_made(run) + 1, 11);
}

TEST(Speculative, AcceptanceZeroIsSlowerThanNoSpeculation) {
  const SimRun plain = simulate(lone(129, SpeculativeConfig{}));
  const SimRun rejected = simulate(lone(129, speculate("eagle", 3, {0.0})));
  // One token per step either way, each step dearer by the drafts and the
  // wider verification.
  ASSERT_EQ(plain.seen.steps.size(), rejected.seen.steps.size());
  for (size_t i = 1; i < plain.seen.steps.size(); ++i) {
    if (i + 1 == plain.seen.steps.size()) {
      // The last token is made with no drafts, as without speculation.
      EXPECT_EQ(rejected.seen.steps[i].verifications, 0);
      EXPECT_DOUBLE_EQ(rejected.seen.steps[i].seconds, plain.seen.steps[i].seconds);
      continue;
    }
    EXPECT_GT(rejected.seen.steps[i].seconds, plain.seen.steps[i].seconds) << "step " << i;
    EXPECT_EQ(rejected.seen.steps[i].accepted_tokens, 0);
    EXPECT_EQ(rejected.seen.steps[i].decode_tokens, 1);
  }
  EXPECT_GT(rejected.seen.done[0].finish_s, plain.seen.done[0].finish_s);
  // A certain acceptance is faster than none.
  const SimRun accepted = simulate(lone(129, speculate("eagle", 3, {1.0})));
  EXPECT_LT(accepted.seen.done[0].finish_s, plain.seen.done[0].finish_s);
}

TEST(Speculative, UnderLoadEveryTokenIsMadeOnceAndDraftsAddUp) {
  Scenario s = poisson(20, 60, "uniform:100:900", "uniform:20:300");
  s.serve.scheduler.speculative = speculate("draft", 4, {0.8, 0.6}, "llama-3.2-1b");
  s.model = "llama-3.1-8b";
  const SimRun run = simulate(s);
  int64_t output = 0;
  for (const RequestRecord& r : run.seen.done) output += r.output_tokens;
  ASSERT_EQ(run.seen.done.size(), 60u);
  const auto requests = static_cast<int64_t>(run.seen.done.size());
  EXPECT_EQ(sum_made(run) + requests, output);
  int64_t verifications = 0, accepted = 0, proposed = 0;
  for (const StepRecord& step : run.seen.steps) {
    verifications += step.verifications;
    accepted += step.accepted_tokens;
    proposed += step.proposed_tokens;
    EXPECT_LE(step.accepted_tokens, step.proposed_tokens);
    EXPECT_LE(step.proposed_tokens, 4 * step.verifications);
  }
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, proposed);
  // Every token after a request's first is a verification's or an accepted
  // draft, but a request's last, made without drafts (the token budget is
  // never short here).
  int64_t plain_decodes = 0;
  for (const StepRecord& step : run.seen.steps) {
    plain_decodes += step.decode_tokens - step.verifications - step.accepted_tokens;
  }
  EXPECT_GE(plain_decodes, 0);
  EXPECT_LE(plain_decodes, requests);
  EXPECT_EQ(output - requests, verifications + accepted + plain_decodes);
}

TEST(Speculative, AcceptanceDrawsFollowThePerPositionProbabilities) {
  StepCostModel cost = make_scenario_cost_model(Scenario{});
  // Constant p: P(at least i accepted) = p^i, so the mean of 4 is p + ... + p^4.
  Speculator constant(cost, speculate("eagle", 4, {0.6}));
  // By position, the last repeating: P(>= 1) = 0.9, P(>= 2) = 0.45, P(>= 3) = 0.225.
  Speculator by_position(cost, speculate("eagle", 3, {0.9, 0.5}));
  constexpr int n = 200000;
  double sum = 0;
  int64_t at_least[4] = {};
  for (int i = 0; i < n; ++i) {
    sum += static_cast<double>(constant.accepted(static_cast<uint64_t>(i / 50), i % 50, 4));
    const int64_t a = by_position.accepted(static_cast<uint64_t>(i), 0, 3);
    for (int64_t j = 1; j <= a; ++j) ++at_least[j];
  }
  const double expected = 0.6 + 0.36 + 0.216 + 0.1296;
  // Standard error of the mean below 0.003: a 5-sigma band.
  EXPECT_NEAR(sum / n, expected, 0.015);
  EXPECT_NEAR(static_cast<double>(at_least[1]) / n, 0.9, 0.005);
  EXPECT_NEAR(static_cast<double>(at_least[2]) / n, 0.45, 0.006);
  EXPECT_NEAR(static_cast<double>(at_least[3]) / n, 0.225, 0.005);
  // A draw is a function of (seed, request, verification) alone.
  EXPECT_EQ(constant.accepted(7, 3, 4), constant.accepted(7, 3, 4));
  Speculator certain(cost, speculate("eagle", 4, {1.0}));
  Speculator never(cost, speculate("eagle", 4, {0.0}));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(certain.accepted(static_cast<uint64_t>(i), i, 4), 4);
    EXPECT_EQ(never.accepted(static_cast<uint64_t>(i), i, 4), 0);
  }
}

TEST(Speculative, SameSeedSameRunAnotherSeedOtherDraws) {
  Scenario s = poisson(10, 30, "uniform:100:600", "uniform:20:200");
  s.serve.scheduler.speculative = speculate("eagle", 3, {0.5});
  const SimRun a = simulate(s);
  const SimRun b = simulate(s);
  EXPECT_EQ(a.summary, b.summary);
  Scenario other = s;
  other.serve.seed = 99;  // the draws' seed (the workload's stays)
  const SimRun c = simulate(other);
  int64_t accepted_a = 0, accepted_c = 0;
  for (const StepRecord& step : a.seen.steps) accepted_a += step.accepted_tokens;
  for (const StepRecord& step : c.seen.steps) accepted_c += step.accepted_tokens;
  EXPECT_NE(accepted_a, accepted_c);
}

TEST(Speculative, TheDrafterTakesItsWeightsAndCacheFromTheKvPool) {
  Scenario s;
  s.model = "llama-3.1-70b";
  s.hw = "hgx-h200";
  s.plan.tp = 4;
  StepCostModel cost = make_scenario_cost_model(s);
  SchedulerConfig config;
  Speculator draft(cost, speculate("draft", 4, {0.7}, "llama-3.2-1b"));
  const CacheLayout plain = cache_layout(cost, config);
  const CacheLayout with = cache_layout(cost, config, &draft);
  EXPECT_DOUBLE_EQ(with.block_bytes, plain.block_bytes + 16 * draft.kv_bytes_per_token_per_chip());
  EXPECT_GT(draft.kv_bytes_per_token_per_chip(), 0);
  // Llama-3.2-1B: ~1.24 B parameters in bf16 over 4 chips.
  EXPECT_NEAR(draft.weight_bytes_per_chip(), 2.47e9 / 4, 0.1e9);
  const auto blocks_plain = static_cast<double>(kv_cache_blocks(cost, config));
  const auto blocks_with = static_cast<double>(kv_cache_blocks(cost, config, &draft));
  // What the cache lost is the drafter's weights, to a block.
  const double lost = blocks_plain * plain.block_bytes - blocks_with * with.block_bytes;
  EXPECT_NEAR(lost, draft.weight_bytes_per_chip(), with.block_bytes);

  // An EAGLE head holds one layer of its own (embedding and lm_head shared).
  Speculator eagle(cost, speculate("eagle", 4, {0.7}));
  const ModelSpec& m = cost.full_model();
  const double layer = static_cast<double>(m.params_per_layer()) * m.bytes_per_param / 4;
  EXPECT_NEAR(eagle.weight_bytes_per_chip(), layer, 0.02 * layer);
}

TEST(Speculative, MtpDraftsWithTheModelsOwnModules) {
  Scenario s;
  s.model = "deepseek-v3";
  s.hw = "hgx-h200";
  s.plan.tp = 8;
  s.plan.ep = 8;
  StepCostModel cost = make_scenario_cost_model(s);
  Speculator mtp(cost, speculate("mtp", 3, {0.8}));
  // One MoE layer: 1/61 of the model's weights, give or take its dense layers.
  const double per_chip = cost.weight_bytes_per_chip();
  EXPECT_GT(mtp.weight_bytes_per_chip(), per_chip / 80);
  EXPECT_LT(mtp.weight_bytes_per_chip(), per_chip / 45);
  EXPECT_EQ(mtp.drafter().model().num_layers, 1);
  EXPECT_EQ(mtp.drafter().model().moe.moe_layers, 1);
}

TEST(Speculative, RefusesWhatCannotSpeculate) {
  StepCostModel llama = make_scenario_cost_model(Scenario{});
  // Llama has no MTP modules.
  EXPECT_THROW(Speculator(llama, speculate("mtp", 2, {0.5})), ConfigError);
  // A draft model must share the tokenizer.
  EXPECT_THROW(Speculator(llama, speculate("draft", 2, {0.5}, "qwen3-8b")), ConfigError);
  EXPECT_THROW(Speculator(llama, speculate("draft", 2, {0.5}, "no-such-model")), ConfigError);
  // Acceptance outside [0, 1], no drafts, an unknown method.
  EXPECT_THROW(Speculator(llama, speculate("eagle", 2, {1.5})), ConfigError);
  EXPECT_THROW(Speculator(llama, speculate("eagle", 2, {-0.1})), ConfigError);
  EXPECT_THROW(Speculator(llama, speculate("eagle", 2, {std::nan("")})), ConfigError);
  EXPECT_THROW(Speculator(llama, speculate("eagle", 0, {0.5})), ConfigError);
  EXPECT_THROW(Speculator(llama, speculate("medusa", 2, {0.5})), ConfigError);
  // Recurrent state cannot be rolled back past a rejected draft.
  Scenario mamba;
  mamba.model = "mamba2-2.7b";
  StepCostModel recurrent = make_scenario_cost_model(mamba);
  EXPECT_THROW(Speculator(recurrent, speculate("eagle", 2, {0.5})), ConfigError);
  // Nor with pipeline stages.
  Scenario staged;
  staged.model = "llama-3.1-70b";
  staged.plan.pp = 2;
  staged.hw = "hgx-h200";
  StepCostModel pp = make_scenario_cost_model(staged);
  EXPECT_THROW(Speculator(pp, speculate("eagle", 2, {0.5})), ConfigError);
}

// Every step's energy, the drafter's included, goes to the requests in it.
TEST(Speculative, TheDraftersEnergyIsTheRequests) {
  Scenario s = poisson(5, 20, "uniform:100:600", "uniform:20:200");
  s.serve.scheduler.speculative = speculate("eagle", 3, {0.7});
  StepCostModel cost = make_scenario_cost_model(s);
  auto source = make_source(s);
  ServingMetrics metrics(1, s.slo);
  metrics.set_speculative(true);
  const auto accounting = make_energy_accounting(s);
  ASSERT_TRUE(accounting);
  metrics.set_energy_accounting(*accounting);
  Simulator sim(cost, s.serve, *source, metrics);
  sim.run();
  const nlohmann::json j = metrics.to_json();
  const double duration = j["duration_s"].get<double>();
  const double busy = j["replicas"][0]["utilisation"].get<double>() * duration;
  const double idle_between = accounting->chip_idle_W * accounting->chips * (duration - busy);
  const double per_request = j["energy"]["mean_joules_per_request"].get<double>();
  EXPECT_NEAR(per_request * 20 + idle_between, j["energy"]["joules"].get<double>(),
              1e-6 * j["energy"]["joules"].get<double>());
  ASSERT_TRUE(j["speculative"].is_object());
  EXPECT_GT(j["speculative"]["draft_share"].get<double>(), 0);
  EXPECT_LT(j["speculative"]["draft_share"].get<double>(), 1);
}

}  // namespace
}  // namespace jalapeno

namespace jalapeno {
namespace {

// TensorRT-LLM's DeepSeek-R1 MTP sweep on 8 B200s (blog 1: 1.78x to 2.28x
// over the same stack without MTP, 1 to 5 drafts), predicted from the
// published acceptance lengths: out of sample, held to the set's budget.
TEST(Speculative, TensorRtLlmMtpSpeedupsOnB200) {
  const std::vector<ValidationRow> rows =
      validate_speculative_speedup(data_dir() + "/validation/speculative_decoding.json");
  ASSERT_EQ(rows.size(), 5u);
  const ValidationSet* set = find_validation_set("trtllm_mtp_speedup");
  ASSERT_NE(set, nullptr);
  EXPECT_FALSE(set->in_sample);
  const ErrorSummary errors = summarize_errors(rows, "trtllm_mtp_speedup");
  EXPECT_TRUE(within(errors, set->budget))
      << "median " << errors.median_abs << ", max " << errors.max_abs << "\n"
      << format_validation(rows);
  // The shape of the curve: a second draft pays, and a fifth does not.
  EXPECT_LT(rows[1].predicted_s, rows[0].predicted_s);
  EXPECT_GT(rows[4].predicted_s, rows[3].predicted_s);
}

}  // namespace
}  // namespace jalapeno
