// DeepSeek-V3's architecture (DeepSeek-V3/R1, Kimi K2): multi-head latent
// attention, shared experts, dense first layers, multi-token prediction
// modules; and truncated models keeping their layers' kinds.
#include <gtest/gtest.h>

#include "cost/step_cost.hpp"
#include "model/model_spec.hpp"
#include "model/op_graph.hpp"
#include "plan/hardware.hpp"
#include "plan/parallel_plan.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using testing_support::find_op;
using testing_support::has_op;

TEST(Mla, DeepseekV3ReadsItsLatentsExpertsAndLayers) {
  const ModelSpec m = load_model("deepseek-v3");
  EXPECT_TRUE(m.mla.any());
  EXPECT_EQ(m.mla.q_lora_rank, 1536);
  EXPECT_EQ(m.mla.kv_lora_rank, 512);
  EXPECT_EQ(m.head_dim, 128 + 64);  // query and key heads: nope + rope
  EXPECT_EQ(m.moe.experts, 256);
  EXPECT_EQ(m.moe.top_k, 8);
  EXPECT_EQ(m.moe.shared_intermediate, 2048);  // one shared expert
  EXPECT_EQ(m.moe.moe_layers, 58);             // first_k_dense_replace: 3
  EXPECT_EQ(m.dense_layers(), 3);
  EXPECT_EQ(m.mtp_layers, 1);
  EXPECT_EQ(m.precision.weights, DType::kFp8E4M3);
  EXPECT_EQ(m.precision.weight_group, 128 * 128);
  // Kimi K2: the same architecture, one dense layer, 384 experts, no MTP.
  const ModelSpec k2 = load_model("kimi-k2");
  EXPECT_EQ(k2.moe.experts, 384);
  EXPECT_EQ(k2.dense_layers(), 1);
  EXPECT_EQ(k2.num_heads, 64);
  EXPECT_EQ(k2.mtp_layers, 0);
}

// The cache holds one latent of 512 + 64 elements per token and layer (the
// DeepSeek-V2 paper's (d_c + d_h^R) l), whatever the heads: 70,272 bytes in
// bf16 for 61 layers, where GQA with 128 heads of 192 would hold 48 times
// more.
TEST(Mla, TheCacheHoldsTheLatentOnly) {
  const ModelSpec m = load_model("deepseek-v3");
  EXPECT_DOUBLE_EQ(m.kv_bytes_per_token(), 61.0 * (512 + 64) * 2);
  // Under tensor parallelism every chip caches the whole latent.
  const ModelSpec shard = shard_model(m, 8);
  EXPECT_DOUBLE_EQ(shard.kv_bytes_per_token(), m.kv_bytes_per_token());
  EXPECT_EQ(shard.num_heads, 16);
}

TEST(Mla, ParametersAddUpFromTheConfig) {
  const ModelSpec m = load_model("deepseek-v3");
  const int64_t h = 7168, heads = 128;
  const int64_t attention =
      h * 1536 + 1536 * heads * 192 + h * 576 + 512 * heads * (128 + 128) + heads * 128 * h;
  EXPECT_EQ(m.attention_projection_params(), attention);
  const int64_t expert = 3 * h * 2048;
  // Routed experts a token does not use are the difference.
  EXPECT_EQ(m.params() - m.active_params(), 58 * (256 - 8) * expert);
  // The MTP module: one MoE layer, two norms, the 2h x h projection and a
  // final norm, beside the total: 11.6B (DeepSeek-V3's README_WEIGHTS: 11.5B
  // of unique MTP weights).
  EXPECT_NEAR(static_cast<double>(m.mtp_params()) / 11.5e9, 1.0, 0.01);
  EXPECT_EQ(load_model("kimi-k2").mtp_params(), 0);
}

TEST(Mla, DecodeTakesTheAbsorbedFormAndPrefillProjectsUp) {
  const ModelSpec m = load_model("deepseek-v3");
  const auto decode = build_step_ops(m, decode_batch(16, 4096));
  EXPECT_TRUE(has_op(decode, "q_absorb"));
  EXPECT_TRUE(has_op(decode, "v_absorb"));
  EXPECT_FALSE(has_op(decode, "kv_b_proj"));
  EXPECT_FALSE(has_op(decode, "qkv_proj"));
  const Op& attn = find_op(decode, "attention_decode");
  // Every head's query against the one latent per position: q.c over
  // 512 + 64 elements, p.c over 512.
  const auto positions = static_cast<double>(attn.attended);
  EXPECT_EQ(attn.attended, 16 * (4096 + 1));  // the new token's position too
  EXPECT_DOUBLE_EQ(attn.flops, 2.0 * positions * 128 * (576 + 512));
  EXPECT_DOUBLE_EQ(attn.kv_read_bytes, positions * 576 * 2);
  const Op& absorb = find_op(decode, "q_absorb");
  EXPECT_EQ(absorb.problems, 128);
  EXPECT_EQ(absorb.m, 16);

  const auto prefill = build_step_ops(m, prefill_batch(1, 2048));
  EXPECT_TRUE(has_op(prefill, "kv_b_proj"));
  EXPECT_FALSE(has_op(prefill, "q_absorb"));
  const Op& up = find_op(prefill, "kv_b_proj");
  EXPECT_EQ(up.m, 2048);
  EXPECT_EQ(up.n, 128 * (128 + 128));
  // Multi-head attention over the projected keys (192) and values (128).
  const Op& pattn = find_op(prefill, "attention_prefill");
  EXPECT_DOUBLE_EQ(pattn.flops, 2.0 * static_cast<double>(pattn.attended) * 128 * (192 + 128));
}

// The linear ops of a mixed batch depend on how many of its tokens decode:
// two batches of equal tokens and sequences but different splits cost
// differently, and the memoised time equals the full breakdown's.
TEST(Mla, MixedBatchesOfOneSizeAreCostedApart) {
  const ChipSpec chip = load_chip("h200-sxm");
  ModelSpec m = load_model("deepseek-v3", 4);
  StepCostModel model(m, chip, load_engine("vllm"));
  const std::vector<SequenceInStep> one_prefill{{98, 0}, {1, 1000}, {1, 1000}};
  const std::vector<SequenceInStep> two_prefills{{49, 0}, {50, 0}, {1, 1000}};
  const BatchSummary a = summarize(one_prefill), b = summarize(two_prefills);
  ASSERT_EQ(a.tokens, b.tokens);
  ASSERT_EQ(a.sequences, b.sequences);
  const double ta = model.seconds(a), tb = model.seconds(b);
  EXPECT_NE(ta, tb);
  EXPECT_DOUBLE_EQ(ta, model.cost(a).seconds);
  EXPECT_DOUBLE_EQ(tb, model.cost(b).seconds);
}

TEST(Mla, SharedExpertsRunOnEveryToken) {
  const ModelSpec m = load_model("deepseek-v3");
  const auto ops = build_step_ops(m, decode_batch(64, 1024));
  const Op& shared = find_op(ops, "shared_gate_up");
  EXPECT_EQ(shared.count, 58);
  EXPECT_EQ(shared.m, 64);
  EXPECT_EQ(shared.n, 2 * 2048);
  EXPECT_EQ(find_op(ops, "gate_up_proj").count, 3);  // the dense first layers
}

TEST(Mla, TensorParallelStepOnEightH200sFitsAndCommunicates) {
  const Hardware hw = load_hardware("hgx-h200", std::nullopt);
  StepCostModel model(load_model("deepseek-v3"), hw.chip, load_engine("vllm"),
                      ParallelContext{ParallelPlan{8, 1, 1}, hw.network});
  const BatchSummary batch = decode_batch(64, 2048);
  EXPECT_NO_THROW(model.check_fits(batch));
  const StepCost step = model.cost(batch);
  EXPECT_GT(step.comm_seconds, 0);
  // Every chip reads its eighth of the experts it hits and all its latents.
  EXPECT_LT(step.weight_bytes, load_model("deepseek-v3").weight_bytes() / 8);
}

// --layers keeps the first layers with their kinds: DeepSeek-V3's first
// four are three dense and one MoE; a model cut below its MoE layers'
// count no longer counts more MoE layers than it has.
TEST(LayerKinds, TruncatedModelsKeepTheirFirstLayers) {
  const ModelSpec ds = load_model("deepseek-v3", 4);
  EXPECT_EQ(ds.num_layers, 4);
  EXPECT_EQ(ds.dense_layers(), 3);
  EXPECT_EQ(ds.moe.moe_layers, 1);
  const ModelSpec qwen = load_model("qwen3-30b-a3b", 4);
  EXPECT_EQ(qwen.moe.moe_layers, 4);
  EXPECT_EQ(qwen.dense_layers(), 0);
  // 4 of 48 layers, and both embeddings (0.62B).
  EXPECT_LT(qwen.params(), load_model("qwen3-30b-a3b").params() / 8);
  const ModelSpec mistral = load_model("mistral-7b", 4);
  EXPECT_EQ(mistral.sliding_layers, 4);
  // Past the config's end the pattern repeats.
  const ModelSpec longer = load_model("deepseek-v3", 122);
  EXPECT_EQ(longer.dense_layers(), 6);
}

}  // namespace
}  // namespace jalapeno
