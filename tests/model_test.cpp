// Model specs read from the presets, and the op graph built from them.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "model/model_spec.hpp"
#include "model/op_graph.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

nlohmann::json published_params() {
  std::ifstream in(std::string(JALAPENO_SOURCE_DIR) + "/tests/data/published_params.json");
  return nlohmann::json::parse(in);
}

// Every preset's parameter count matches its published total within 0.5%,
// or where the figure is published to a few significant figures only (a
// name such as "8B"), rounds to it.
TEST(ModelSpec, ParameterCountsMatchPublishedTotals) {
  const nlohmann::json published = published_params();
  ASSERT_GE(published.size(), 8u);
  for (const auto& [name, entry] : published.items()) {
    const ModelSpec spec = load_model(name);
    const double expected = entry.at("params").get<double>();
    // A multimodal total counts the vision encoder the text model leaves out.
    const double computed = static_cast<double>(spec.params()) + entry.value("vision_params", 0.0);
    if (entry.contains("significant_figures")) {
      const int figures = entry.at("significant_figures").get<int>();
      const double unit = std::pow(10.0, std::floor(std::log10(expected)) - figures + 1);
      EXPECT_LT(std::abs(computed - expected), 0.5 * unit)
          << name << ": computed " << computed << " does not round to " << expected;
      continue;
    }
    EXPECT_NEAR(computed / expected, 1.0, 0.005)
        << name << ": computed " << computed << " published " << expected;
  }
}

TEST(ModelSpec, EveryPresetHasAPublishedTotal) {
  const nlohmann::json published = published_params();
  for (const auto& name : model_preset_names()) EXPECT_TRUE(published.contains(name)) << name;
}

TEST(ModelSpec, Llama31_8bShapes) {
  const ModelSpec m = load_model("llama-3.1-8b");
  EXPECT_EQ(m.hidden_size, 4096);
  EXPECT_EQ(m.intermediate_size, 14336);
  EXPECT_EQ(m.num_heads, 32);
  EXPECT_EQ(m.num_kv_heads, 8);
  EXPECT_EQ(m.head_dim, 128);  // derived: 4096 / 32
  EXPECT_EQ(m.num_layers, 32);
  EXPECT_EQ(m.vocab_size, 128256);
  EXPECT_FALSE(m.tied_embeddings);
  EXPECT_FALSE(m.qkv_bias);
  // The calibration's weight_GB for the whole model in bf16, which leaves out
  // the final norm's 4096 weights.
  EXPECT_DOUBLE_EQ(m.weight_bytes(), 16.060514304e9 + 4096 * 2);
  // K and V, 32 layers x 8 heads x 128 x 2 bytes each.
  EXPECT_DOUBLE_EQ(m.kv_bytes_per_token(), 2.0 * 32 * 8 * 128 * 2);
}

TEST(ModelSpec, GivenHeadDimAndTiedEmbeddings) {
  const ModelSpec m = load_model("llama-3.2-1b");
  EXPECT_EQ(m.head_dim, 64);
  EXPECT_TRUE(m.tied_embeddings);
  const ModelSpec q = load_model("qwen2.5-7b");
  EXPECT_TRUE(q.qkv_bias);
  EXPECT_EQ(q.num_kv_heads, 4);
}

TEST(ModelSpec, LayersOverride) {
  const ModelSpec full = load_model("llama-3.1-70b");
  const ModelSpec cut = load_model("llama-3.1-70b", 10);
  EXPECT_EQ(cut.num_layers, 10);
  EXPECT_EQ(full.params() - cut.params(), 70 * full.params_per_layer());
  EXPECT_THROW(load_model("llama-3.1-70b", 0), ConfigError);
}

using testing_support::find_op;

TEST(OpGraph, DecodeFlopsAndBytesBySource) {
  const ModelSpec m = load_model("llama-3.1-8b");
  const auto ops = build_step_ops(m, decode_batch(16, 1023));
  const Op& qkv = find_op(ops, "qkv_proj");
  EXPECT_EQ(qkv.count, 32);
  EXPECT_EQ(qkv.m, 16);
  EXPECT_EQ(qkv.k, 4096);
  EXPECT_EQ(qkv.n, 6144);
  EXPECT_DOUBLE_EQ(qkv.flops, 2.0 * 16 * 4096 * 6144);
  EXPECT_DOUBLE_EQ(qkv.weight_bytes, 4096.0 * 6144 * 2);
  const Op& attn = find_op(ops, "attention_decode");
  // 16 sequences attend to 1023 cached positions plus their new token.
  EXPECT_DOUBLE_EQ(attn.kv_read_bytes, 16.0 * 1024 * 2 * 8 * 128 * 2);
  EXPECT_DOUBLE_EQ(find_op(ops, "kv_write").kv_write_bytes, 16.0 * 2 * 8 * 128 * 2);
  EXPECT_EQ(find_op(ops, "lm_head").m, 16);
  // Weights streamed once per step: everything but the embedding table.
  double weights = 0;
  for (const Op& op : ops) weights += op.weight_bytes * static_cast<double>(op.count);
  EXPECT_NEAR(weights, m.weight_bytes() - 128256.0 * 4096 * 2, 1.0);
}

TEST(OpGraph, PrefillAttendsCausally) {
  const ModelSpec m = load_model("llama-3.1-8b");
  const auto ops = build_step_ops(m, prefill_batch(2, 100));
  const Op& attn = find_op(ops, "attention_prefill");
  EXPECT_DOUBLE_EQ(attn.flops, 4.0 * 2 * (100 * 101 / 2) * 32 * 128);
  EXPECT_EQ(find_op(ops, "qkv_proj").m, 200);
  EXPECT_EQ(find_op(ops, "lm_head").m, 2);  // logits for each sequence's last token only
}

TEST(OpGraph, MixedPrefillChunkAndDecodes) {
  const ModelSpec m = load_model("llama-3.1-8b");
  // A 512-token chunk of a prompt with 1024 tokens already cached, beside
  // three decodes.
  const BatchSummary batch = summarize({{512, 1024}, {1, 100}, {1, 200}, {1, 300}});
  EXPECT_EQ(batch.tokens, 515);
  EXPECT_EQ(batch.decode_sequences, 3);
  EXPECT_EQ(batch.decode_kv_positions, 101 + 201 + 301);
  EXPECT_EQ(batch.prefill_pairs, 512 * 1024 + 512 * 513 / 2);
  const auto ops = build_step_ops(m, batch);
  EXPECT_EQ(find_op(ops, "qkv_proj").m, 515);
  EXPECT_NO_THROW(find_op(ops, "attention_decode"));
  EXPECT_NO_THROW(find_op(ops, "attention_prefill"));
  EXPECT_DOUBLE_EQ(find_op(ops, "attention_prefill").kv_read_bytes, 1024.0 * 2 * 8 * 128 * 2);
}

TEST(OpGraph, SummaryIsTheMemoKey) {
  EXPECT_EQ(summarize({{1, 10}, {1, 20}}), summarize({{1, 20}, {1, 10}}));
  EXPECT_FALSE(summarize({{1, 10}}) == summarize({{1, 11}}));
  EXPECT_EQ(BatchSummaryHash{}(decode_batch(4, 100)), BatchSummaryHash{}(decode_batch(4, 100)));
}

}  // namespace
}  // namespace jalapeno
