// Sliding-window attention: windowed layers read only each sequence's last
// `sliding_window` positions; full layers read everything.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cost/step_cost.hpp"
#include "model/op_graph.hpp"
#include "plan/hardware.hpp"

namespace jalapeno {
namespace {

TEST(SlidingWindow, MistralWindowsEveryLayer) {
  const ModelSpec m = load_model("mistral-7b");
  EXPECT_EQ(m.sliding_window, 4096);
  EXPECT_EQ(m.sliding_layers, m.num_layers);
  // Qwen2 configs carry a window with use_sliding_window: false.
  const ModelSpec q = load_model("qwen2-7b");
  EXPECT_EQ(q.sliding_window, 0);
  EXPECT_EQ(load_model("llama-3.1-8b").sliding_window, 0);
}

TEST(SlidingWindow, SummaryCountsOnlyTheWindow) {
  const BatchSummary s = summarize({{1, 10000}, {1, 100}, {50, 4090}}, AttentionWindow(4096));
  EXPECT_EQ(s.decode_kv_positions, 10001 + 101);
  EXPECT_EQ(s.decode_window_positions, 4096 + 101);
  // Prefill of 50 tokens after 4,090 cached: positions 4091..4140 see
  // min(p, 4096) keys each.
  int64_t pairs = 0;
  for (int64_t p = 4091; p <= 4140; ++p) pairs += std::min<int64_t>(p, 4096);
  EXPECT_EQ(s.prefill_window_pairs, pairs);
  EXPECT_EQ(s.prefill_pairs, 50 * 4090 + 50 * 51 / 2);
  // The closed form over identical sequences agrees with the sum.
  const BatchSummary closed = decode_batch(8, 9000, AttentionWindow(4096));
  std::vector<SequenceInStep> seqs(8, SequenceInStep{1, 9000});
  EXPECT_EQ(closed, summarize(seqs, AttentionWindow(4096)));
  EXPECT_EQ(prefill_batch(3, 6000, AttentionWindow(4096)),
            summarize(std::vector<SequenceInStep>(3, {6000, 0}), AttentionWindow(4096)));
}

// Beyond the window a decode step stops growing with context; within it the
// windowed model costs what the same model without a window does.
TEST(SlidingWindow, DecodeStopsGrowingBeyondTheWindow) {
  const ChipSpec chip = load_chip("h200-sxm");
  const EngineProfile engine = load_engine("fused");
  const ModelSpec windowed = load_model("mistral-7b");
  ModelSpec full = windowed;
  full.sliding_window = 0;
  full.sliding_layers = 0;
  StepCostModel w(windowed, chip, engine);
  StepCostModel f(full, chip, engine);
  EXPECT_NEAR(w.cost(decode_batch(16, 2000, AttentionWindow(4096))).seconds,
              f.cost(decode_batch(16, 2000)).seconds, 1e-12);
  const double at_8k = w.cost(decode_batch(16, 8192, AttentionWindow(4096))).seconds;
  const double at_30k = w.cost(decode_batch(16, 30000, AttentionWindow(4096))).seconds;
  EXPECT_NEAR(at_8k, at_30k, 1e-12);
  EXPECT_LT(at_30k, f.cost(decode_batch(16, 30000)).seconds * 0.8);
  EXPECT_DOUBLE_EQ(w.seconds(decode_batch(16, 30000, AttentionWindow(4096))),
                   at_30k);  // memoised path
  // A summary made without the model's window is a programming error.
  EXPECT_THROW(w.cost(decode_batch(16, 30000)), std::logic_error);
}

// layer_types (gpt-oss, Gemma 3 style) windows only the layers it marks.
TEST(SlidingWindow, LayerTypesWindowOnlyMarkedLayers) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("jalapeno_sliding_" + std::to_string(::getpid())))
          .string();
  std::filesystem::create_directories(dir);
  std::ifstream in(std::string(JALAPENO_SOURCE_DIR) + "/data/models/llama-3.2-1b.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string types = "\"sliding_window\": 128, \"layer_types\": [" + [] {
    std::string t;
    for (int i = 0; i < 16; ++i) {
      t += std::string(i ? ", " : "") +
           (i % 2 == 0 ? "\"sliding_attention\"" : "\"full_attention\"");
    }
    return t;
  }() + "],";
  text.insert(text.find('{') + 1, types);
  const std::string path = dir + "/config.json";
  std::ofstream(path) << text;
  const ModelSpec m = load_model(path);
  EXPECT_EQ(m.sliding_window, 128);
  EXPECT_EQ(m.sliding_layers, 8);
  std::vector<Op> ops;
  for_each_attention_op(m, decode_batch(2, 1000, AttentionWindow(128)),
                        [&ops](const Op& op) { ops.push_back(op); });
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].count, 8);
  EXPECT_EQ(ops[0].attended, 2002);
  EXPECT_EQ(ops[1].count, 8);
  EXPECT_EQ(ops[1].attended, 256);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jalapeno
