// gpt-oss: mxfp4 experts beside bf16 attention, biased projections and
// experts, attention sinks, sliding-window layers alternating with full
// ones.
#include <gtest/gtest.h>

#include "model/model_spec.hpp"
#include "model/op_graph.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using testing_support::find_op;

TEST(GptOss, ReadsItsExpertsWindowsAndFormats) {
  const ModelSpec m = load_model("gpt-oss-120b");
  EXPECT_EQ(m.moe.experts, 128);
  EXPECT_EQ(m.moe.top_k, 4);
  EXPECT_EQ(m.moe.expert_intermediate, 2880);
  EXPECT_EQ(m.moe.moe_layers, 36);
  EXPECT_TRUE(m.moe.biased);
  EXPECT_TRUE(m.qkv_bias);
  EXPECT_TRUE(m.o_bias);
  EXPECT_TRUE(m.attention_sinks);
  // Even layers attend through a 128-token window, odd ones fully.
  EXPECT_EQ(m.sliding_window, 128);
  EXPECT_EQ(m.sliding_layers, 18);
  // modules_to_not_convert keeps the attention (and router, embeddings,
  // lm_head) in bf16: only the experts are mxfp4.
  EXPECT_EQ(m.precision.weights, DType::kBf16);
  ASSERT_TRUE(m.precision.expert_weights.has_value());
  EXPECT_EQ(*m.precision.expert_weights, DType::kMxFp4);
  EXPECT_DOUBLE_EQ(m.precision.expert_weight_bytes_per_param(), 0.5 + 1.0 / 32);
}

// Every weight counted once, in its own format: the experts at 4.25 bits
// (an e8m0 scale per 32), everything else bf16; under the 80 GB that the
// gpt-oss README says the model fits in on one GPU.
TEST(GptOss, WeightsAreMxfp4ExpertsAndBf16Rest) {
  const ModelSpec m = load_model("gpt-oss-120b");
  const double experts = 36.0 * 128 * static_cast<double>(m.expert_params());
  const double rest = static_cast<double>(m.params()) - experts;
  EXPECT_DOUBLE_EQ(m.weight_bytes(), experts * (0.5 + 1.0 / 32) + rest * 2);
  EXPECT_LT(m.weight_bytes(), 80e9);
  // --weights replaces every projection's format, the experts' too.
  PrecisionOverride to_fp8;
  to_fp8.weights = "fp8_e4m3";
  to_fp8.activations = "fp8_e4m3";
  const ModelSpec fp8 = load_model("gpt-oss-120b", std::nullopt, to_fp8);
  EXPECT_FALSE(fp8.precision.expert_weights.has_value());
}

TEST(GptOss, ExpertsReadOnlyTheirMxfp4WeightsAndBiases) {
  const ModelSpec m = load_model("gpt-oss-20b");
  const auto ops = build_step_ops(m, decode_batch(1, 1024, m.attention_window()));
  const Op& up = find_op(ops, "experts_gate_up");
  EXPECT_EQ(up.problems, 4);
  const double per_expert =
      static_cast<double>(m.hidden_size * 2 * 2880) * (0.5 + 1.0 / 32) + 2.0 * 2880 * 2;
  EXPECT_DOUBLE_EQ(up.weight_bytes, 4 * per_expert);
  // The attention's projections stay bf16.
  EXPECT_DOUBLE_EQ(find_op(ops, "qkv_proj").weight_element_bytes, 2.0);
  EXPECT_GT(find_op(ops, "attn_window_decode").count, 0);
}

// The 12 sliding layers of gpt-oss-20b read at most their 128 positions a
// sequence, whatever the context; the 12 full layers read all of it.
TEST(GptOss, SlidingLayersReadAtMostTheirWindow) {
  const ModelSpec m = load_model("gpt-oss-20b");
  const double row = 2.0 * 8 * 64 * 2;  // K and V of 8 KV heads of 64, bf16
  for (int64_t ctx : {200, 4000, 100000}) {
    const auto ops = build_step_ops(m, decode_batch(16, ctx, m.attention_window()));
    const Op& window = find_op(ops, "attn_window_decode");
    const Op& full = find_op(ops, "attention_decode");
    EXPECT_EQ(window.count, 12);
    EXPECT_EQ(full.count, 12);
    EXPECT_DOUBLE_EQ(window.kv_read_bytes, 16 * 128 * row) << ctx;
    EXPECT_DOUBLE_EQ(full.kv_read_bytes, 16.0 * static_cast<double>(ctx + 1) * row) << ctx;
  }
}

}  // namespace
}  // namespace jalapeno
