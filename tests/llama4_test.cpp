// Llama 4 Scout and Maverick: the text model of a multimodal config,
// interleaved MoE layers with a shared expert, chunked attention in the RoPE
// layers and global attention in the NoPE ones.
#include <gtest/gtest.h>

#include "model/model_spec.hpp"
#include "model/op_graph.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using testing_support::find_op;

TEST(Llama4, ReadsItsInterleavedExpertsAndChunks) {
  const ModelSpec scout = load_model("llama-4-scout");
  EXPECT_EQ(scout.moe.experts, 16);
  EXPECT_EQ(scout.moe.top_k, 1);
  EXPECT_EQ(scout.moe.moe_layers, 48);  // interleave_moe_layer_step 1
  EXPECT_EQ(scout.moe.expert_intermediate, 8192);
  EXPECT_EQ(scout.moe.shared_intermediate, 8192);
  EXPECT_EQ(scout.sliding_window, 8192);
  EXPECT_TRUE(scout.window_chunked);
  EXPECT_EQ(scout.sliding_layers, 36);  // all but every fourth layer
  EXPECT_EQ(scout.nope_layers, 12);

  const ModelSpec maverick = load_model("llama-4-maverick");
  EXPECT_EQ(maverick.moe.experts, 128);
  EXPECT_EQ(maverick.moe.moe_layers, 24);  // step 2: layers 1, 3, ..., 47
  EXPECT_EQ(maverick.dense_layers(), 24);
  EXPECT_EQ(maverick.intermediate_size, 16384);  // intermediate_size_mlp
  EXPECT_TRUE(maverick.layer_kinds[1].moe);
  EXPECT_FALSE(maverick.layer_kinds[0].moe);
  EXPECT_FALSE(maverick.layer_kinds[3].rope);  // NoPE, global
  EXPECT_FALSE(maverick.layer_kinds[3].sliding);
  EXPECT_TRUE(maverick.layer_kinds[2].sliding);
}

// Counted by hand: untied embedding and lm_head, per layer GQA attention
// and two norms, router, 16 routed experts and one shared expert of 3 H I.
TEST(Llama4, ParameterCountsFromTheModules) {
  const ModelSpec m = load_model("llama-4-scout");
  const int64_t H = 5120, I = 8192, V = 202048;
  const int64_t attention = H * 40 * 128 + 2 * H * 8 * 128 + 40 * 128 * H;
  const int64_t moe = 16 * H + 16 * 3 * H * I + 3 * H * I;
  EXPECT_EQ(m.params(), 2 * V * H + H + 48 * (attention + 2 * H + moe));
  EXPECT_EQ(m.active_params(), m.params() - 48 * 15 * 3 * H * I);
}

// The query at position q attends to ((q - 1) mod C) + 1 positions of its
// chunk: the closed forms against a count, position by position.
TEST(Llama4, ChunkedAttentionCountsItsChunk) {
  const AttentionWindow chunk{7, true};
  for (int64_t context : {0, 3, 6, 7, 8, 20}) {
    for (int64_t tokens : {1, 2, 5, 13}) {
      const BatchSummary s = summarize({{tokens, context}}, chunk);
      int64_t pairs = 0;
      for (int64_t q = context + 1; q <= context + tokens; ++q) pairs += (q - 1) % 7 + 1;
      if (tokens == 1) {
        EXPECT_EQ(s.decode_window_positions, pairs) << context;
      } else {
        EXPECT_EQ(s.prefill_window_pairs, pairs) << context << " + " << tokens;
        // From the start of the first new token's chunk.
        EXPECT_EQ(s.prefill_window_kv_positions, context % 7 + tokens);
      }
    }
  }
  // A chunk starts afresh where a sliding window keeps its full width.
  EXPECT_EQ(decode_batch(1, 8192, AttentionWindow(8192, true)).decode_window_positions, 1);
  EXPECT_EQ(decode_batch(1, 8192, AttentionWindow(8192)).decode_window_positions, 8192);
  EXPECT_NE(decode_batch(1, 8192, AttentionWindow(8192, true)),
            decode_batch(1, 8192, AttentionWindow(8192)));
}

TEST(Llama4, ChunkedLayersReadTheirChunkAndNopeLayersEverything) {
  const ModelSpec m = load_model("llama-4-scout");
  const auto before = build_step_ops(m, decode_batch(8, 8000, m.attention_window()));
  const auto after = build_step_ops(m, decode_batch(8, 8300, m.attention_window()));
  EXPECT_EQ(find_op(before, "attention_decode").count, 12);
  EXPECT_EQ(find_op(before, "attn_window_decode").count, 36);
  EXPECT_EQ(find_op(before, "rope").count, 36);
  // Past a chunk boundary the chunked layers read little; the global ones more.
  EXPECT_LT(find_op(after, "attn_window_decode").kv_read_bytes,
            find_op(before, "attn_window_decode").kv_read_bytes / 10);
  EXPECT_GT(find_op(after, "attention_decode").kv_read_bytes,
            find_op(before, "attention_decode").kv_read_bytes);
  // A summary made for a sliding window of the same width is refused.
  EXPECT_THROW(build_step_ops(m, decode_batch(8, 8000, AttentionWindow(8192))), std::logic_error);
}

TEST(Llama4, TruncatedKeepsTheLayerPattern) {
  const ModelSpec m = load_model("llama-4-maverick", 4);
  EXPECT_EQ(m.moe.moe_layers, 2);
  EXPECT_EQ(m.sliding_layers, 3);
  EXPECT_EQ(m.nope_layers, 1);
}

}  // namespace
}  // namespace jalapeno
