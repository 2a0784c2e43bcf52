// State-space and linear-attention hybrids: Jamba 1.5 Mini (Mamba-1 +
// attention + MoE), Nemotron-H (Mamba-2 + NoPE attention + relu2 FFN
// blocks), Qwen3-Next (Gated DeltaNet + gated attention + MoE), and a pure
// Mamba-2. A recurrent layer's state is fixed per sequence: its decode cost
// is flat in context, and it takes cache memory per sequence, not per token.
#include <gtest/gtest.h>

#include "cost/step_cost.hpp"
#include "dse/plan_search.hpp"
#include "hw/chip_spec.hpp"
#include "plan/hardware.hpp"
#include "report/serving_metrics.hpp"
#include "serve/kv_cache.hpp"
#include "serve/replica.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using testing_support::config_error;
using testing_support::find_op;
using testing_support::has_op;

TEST(Hybrid, LayerPatternsFromTheirConfigs) {
  const ModelSpec jamba = load_model("jamba-1.5-mini");
  EXPECT_EQ(jamba.recurrent.kind, RecurrentKind::kMamba);
  EXPECT_EQ(jamba.attention_layers(), 4);  // layers 4, 12, 20, 28
  EXPECT_EQ(jamba.recurrent_layers, 28);
  EXPECT_EQ(jamba.moe.moe_layers, 16);  // odd layers
  EXPECT_EQ(jamba.dense_layers(), 16);
  EXPECT_EQ(jamba.recurrent.inner(), 8192);
  EXPECT_EQ(jamba.recurrent.dt_rank, 256);

  const ModelSpec nemotron = load_model("nemotron-h-8b");
  EXPECT_EQ(nemotron.recurrent.kind, RecurrentKind::kMamba2);
  EXPECT_EQ(nemotron.recurrent_layers, 24);
  EXPECT_EQ(nemotron.attention_layers(), 4);
  EXPECT_EQ(nemotron.ffn_only_layers, 24);
  EXPECT_EQ(nemotron.mixer_only_layers, 28);  // the Mamba-2 and attention blocks
  EXPECT_EQ(nemotron.nope_layers, 4);
  EXPECT_FALSE(nemotron.gated_ffn);

  const ModelSpec next = load_model("qwen3-next-80b-a3b");
  EXPECT_EQ(next.recurrent.kind, RecurrentKind::kGatedDeltaNet);
  EXPECT_EQ(next.attention_layers(), 12);  // every fourth
  EXPECT_EQ(next.recurrent_layers, 36);
  EXPECT_EQ(next.moe.moe_layers, 48);
  EXPECT_TRUE(next.moe.shared_gate);
  EXPECT_TRUE(next.attention_output_gate);

  const ModelSpec mamba = load_model("mamba2-2.7b");
  EXPECT_EQ(mamba.recurrent_layers, 64);
  EXPECT_EQ(mamba.attention_layers(), 0);
  EXPECT_EQ(mamba.mixer_only_layers, 64);  // d_intermediate 0: no MLP
  EXPECT_EQ(mamba.vocab_size, 50288);      // 50277 padded to a multiple of 16
  EXPECT_EQ(mamba.recurrent.v_heads, 80);  // 5120 / headdim 64
  EXPECT_EQ(mamba.recurrent.qk_dim, 128);  // mamba_ssm's Mamba2 default d_state
}

// Each count by hand from the modules the modeling code builds (per layer
// kind, each with its RMSNorm), against what params() sums.
TEST(Hybrid, ParameterCountsFromTheModules) {
  {
    const ModelSpec m = load_model("nemotron-h-8b");
    const int64_t H = 4096, di = 8192, conv = di + 2 * 8 * 128;
    const int64_t mamba =
        H * (2 * di + 2 * 8 * 128 + 128) + conv * 4 + conv + 3 * 128 + di + di * H;
    const int64_t attention = H * 32 * 128 + 2 * H * 8 * 128 + 32 * 128 * H;
    const int64_t mlp = 2 * H * 21504;
    EXPECT_EQ(m.params(), 2 * 131072 * H + H + 52 * H + 24 * mamba + 4 * attention + 24 * mlp);
  }
  {
    const ModelSpec m = load_model("mamba2-2.7b");
    const int64_t D = 2560, di = 5120, conv = di + 2 * 128;
    const int64_t layer = D * (2 * di + 2 * 128 + 80) + conv * 4 + conv + 3 * 80 + di + di * D + D;
    EXPECT_EQ(m.params(), 50288 * D + 64 * layer + D);  // tied embeddings
  }
  // The checkpoint-level figures the research notes give (data/models
  // README): Jamba 51.57B / 12.11B, Qwen3-Next 79.67B / 3.87B.
  EXPECT_EQ(load_model("jamba-1.5-mini").params(), 51570323328);
  EXPECT_EQ(load_model("jamba-1.5-mini").active_params(), 12110311296);
  EXPECT_EQ(load_model("qwen3-next-80b-a3b").params(), 79674391296);
  EXPECT_EQ(load_model("qwen3-next-80b-a3b").active_params(), 3874929408);
}

// Only attention layers cache per token; recurrent layers hold a state per
// sequence: the scan's (v_heads x v_dim x qk_dim) and the convolution's
// last kernel - 1 inputs, in the hidden dtype.
TEST(Hybrid, KvPerTokenAndStatePerSequence) {
  const ModelSpec nemotron = load_model("nemotron-h-8b");
  EXPECT_DOUBLE_EQ(nemotron.kv_bytes_per_token(), 4.0 * 2 * 8 * 128 * 2);
  const double state = 128.0 * 64 * 128 + (8192.0 + 2 * 8 * 128) * 3;
  EXPECT_DOUBLE_EQ(nemotron.state_bytes_per_sequence(), 24 * state * 2);
  const ModelSpec next = load_model("qwen3-next-80b-a3b");
  EXPECT_DOUBLE_EQ(next.kv_bytes_per_token(), 12.0 * 2 * 2 * 256 * 2);
  EXPECT_DOUBLE_EQ(next.state_bytes_per_sequence(),
                   36.0 * (32 * 128 * 128 + (2 * 16 * 128 + 32 * 128) * 3) * 2);
  const ModelSpec mamba = load_model("mamba2-2.7b");
  EXPECT_DOUBLE_EQ(mamba.kv_bytes_per_token(), 0);
  EXPECT_GT(mamba.state_bytes_per_sequence(), 0);
}

// A pure SSM's decode step costs the same at any context; a hybrid's
// recurrent ops do, and only its attention grows.
TEST(Hybrid, RecurrentDecodeIsFlatInContext) {
  const ChipSpec chip = load_chip("h200-sxm");
  StepCostModel mamba(load_model("mamba2-2.7b"), chip, load_engine("vllm"));
  EXPECT_DOUBLE_EQ(mamba.seconds(decode_batch(32, 512)), mamba.seconds(decode_batch(32, 65536)));
  const ModelSpec nemotron = load_model("nemotron-h-8b");
  const auto short_ctx = build_step_ops(nemotron, decode_batch(32, 512));
  const auto long_ctx = build_step_ops(nemotron, decode_batch(32, 8000));
  for (const char* name : {"ssm_in_proj", "ssm_conv", "ssm_scan", "ssm_norm", "ssm_out_proj"}) {
    EXPECT_DOUBLE_EQ(find_op(short_ctx, name).bytes(), find_op(long_ctx, name).bytes()) << name;
    EXPECT_DOUBLE_EQ(find_op(short_ctx, name).flops, find_op(long_ctx, name).flops) << name;
  }
  EXPECT_GT(find_op(long_ctx, "attention_decode").kv_read_bytes,
            10 * find_op(short_ctx, "attention_decode").kv_read_bytes);
  StepCostModel hybrid(nemotron, chip, load_engine("vllm"));
  EXPECT_GT(hybrid.seconds(decode_batch(32, 8000)), hybrid.seconds(decode_batch(32, 512)));
}

// Decode reads and writes each sequence's whole state once per layer; a
// prefill writes it at the end, reads it only when resuming, and a chunked
// scan passes fp32 chunk states through memory.
TEST(Hybrid, ScanStateTrafficFollowsTheSequences) {
  const ModelSpec m = load_model("nemotron-h-8b");
  const double state = 128.0 * 64 * 128 * 2;
  const Op decode = find_op(build_step_ops(m, decode_batch(10, 1000)), "ssm_scan");
  EXPECT_DOUBLE_EQ(decode.kv_read_bytes, 10 * state);
  EXPECT_DOUBLE_EQ(decode.kv_write_bytes, 10 * state);
  EXPECT_EQ(decode.count, 24);
  const Op fresh = find_op(build_step_ops(m, prefill_batch(2, 1024)), "ssm_scan");
  EXPECT_DOUBLE_EQ(fresh.kv_read_bytes, 0);
  EXPECT_DOUBLE_EQ(fresh.kv_write_bytes, 2 * state);
  EXPECT_TRUE(fresh.matrix_scan);
  const Op resumed = find_op(build_step_ops(m, summarize({{512, 1024}, {512, 0}})), "ssm_scan");
  EXPECT_DOUBLE_EQ(resumed.kv_read_bytes, state);
  // Each 128-token chunk's state (and one partial chunk per sequence) out
  // and back in fp32, beside x, B, C, dt and y per token.
  const double per_token = (2 * 8192 + 2 * 8 * 128 + 128) * 2.0;
  const double chunk_state = 2 * 128.0 * 64 * 128 * 4;
  EXPECT_DOUBLE_EQ(fresh.activation_bytes, 2048 * per_token + (16 + 2) * chunk_state);
  // Twice the prompt, twice the work: the within-chunk terms saturate at
  // the chunk length.
  const Op longer = find_op(build_step_ops(m, prefill_batch(2, 2048)), "ssm_scan");
  EXPECT_NEAR(longer.flops / fresh.flops, 2.0, 1e-9);
  const Op shorter = find_op(build_step_ops(m, prefill_batch(2, 32)), "ssm_scan");
  EXPECT_LT(shorter.flops / 64, fresh.flops / 2048);  // a short prompt's chunk is shorter
}

TEST(Hybrid, OpsFollowTheLayerKinds) {
  const ModelSpec nemotron = load_model("nemotron-h-8b");
  const auto ops = build_step_ops(nemotron, decode_batch(4, 100));
  EXPECT_EQ(find_op(ops, "qkv_proj").count, 4);
  EXPECT_FALSE(has_op(ops, "rope"));  // NoPE attention
  EXPECT_EQ(find_op(ops, "attn_norm").count, 28);
  EXPECT_EQ(find_op(ops, "ffn_norm").count, 24);
  EXPECT_EQ(find_op(ops, "up_proj").n, 21504);  // relu2: no gate
  EXPECT_FALSE(has_op(ops, "gate_up_proj"));
  const ModelSpec mamba = load_model("mamba2-2.7b");
  const auto pure = build_step_ops(mamba, decode_batch(4, 100));
  EXPECT_FALSE(has_op(pure, "qkv_proj"));
  EXPECT_FALSE(has_op(pure, "kv_write"));
  EXPECT_FALSE(has_op(pure, "ffn_norm"));
  const ModelSpec next = load_model("qwen3-next-80b-a3b");
  const auto gated = build_step_ops(next, decode_batch(4, 100));
  EXPECT_EQ(find_op(gated, "qkv_proj").n, 2 * 16 * 256 + 2 * 2 * 256);  // q, gate, k, v
  EXPECT_EQ(find_op(gated, "attn_gate").count, 12);
  EXPECT_EQ(find_op(gated, "router").n, 512 + 1);  // the shared expert's gate
}

// Tensor parallelism splits the heads (Mamba-1: channels), so each chip
// holds its share of every state; Jamba's x_proj is row-parallel and adds
// an all-reduce of its narrow output.
TEST(Hybrid, TensorParallelSplitsTheState) {
  const Hardware hw = load_hardware("hgx-h200", std::nullopt);
  const ModelSpec nemotron = load_model("nemotron-h-8b");
  StepCostModel one(nemotron, hw.chip, load_engine("vllm"));
  StepCostModel two(nemotron, hw.chip, load_engine("vllm"),
                    ParallelContext{ParallelPlan{2, 1, 1}, hw.network});
  EXPECT_DOUBLE_EQ(two.state_bytes_per_sequence_per_chip(),
                   one.state_bytes_per_sequence_per_chip() / 2);
  const ModelSpec jamba = load_model("jamba-1.5-mini");
  const auto ops =
      build_parallel_step_ops(shard_model(jamba, 2), decode_batch(8, 100), ParallelPlan{2, 1, 1});
  const Op& reduce = find_op(ops, "ssm_x_allreduce");
  EXPECT_EQ(reduce.count, 28);
  EXPECT_DOUBLE_EQ(reduce.comm_bytes, 8.0 * (256 + 2 * 16) * 2);
  EXPECT_NE(config_error([&] {
              check_plan(nemotron, ParallelPlan{3, 1, 1}, 8);
            }).find("recurrent heads"),
            std::string::npos);
}

// The cache pool holds states as blocks: each sequence takes its state's
// blocks on admission; without attention a block is one state.
TEST(Hybrid, CacheBlocksHoldStates) {
  KvBlockManager hybrid(1000, 16, 30);
  EXPECT_EQ(hybrid.blocks_for(0), 0);
  EXPECT_EQ(hybrid.blocks_for(1), 31);
  EXPECT_EQ(hybrid.blocks_for(33), 33);
  EXPECT_EQ(hybrid.capacity_tokens(), (1000 - 30) * 16);
  KvBlockManager only_states(50, 16, 1, false);
  EXPECT_EQ(only_states.blocks_for(1), 1);
  EXPECT_EQ(only_states.blocks_for(1000000), 1);

  const ChipSpec chip = load_chip("h200-sxm");
  SchedulerConfig config;
  StepCostModel nemotron(load_model("nemotron-h-8b"), chip, load_engine("vllm"));
  const CacheLayout layout = cache_layout(nemotron, config);
  EXPECT_TRUE(layout.per_token);
  EXPECT_DOUBLE_EQ(layout.block_bytes, 16 * nemotron.kv_bytes_per_token_per_chip());
  EXPECT_EQ(layout.state_blocks,
            static_cast<int64_t>(
                std::ceil(nemotron.state_bytes_per_sequence_per_chip() / layout.block_bytes)));
  StepCostModel mamba(load_model("mamba2-2.7b"), chip, load_engine("vllm"));
  const CacheLayout pure = cache_layout(mamba, config);
  EXPECT_FALSE(pure.per_token);
  EXPECT_DOUBLE_EQ(pure.block_bytes, mamba.state_bytes_per_sequence_per_chip());
  // The states that fit beside the weights, and not one more.
  const double room = chip.hbm_bytes * config.memory_utilization - mamba.weight_bytes_per_chip();
  const auto states = static_cast<double>(kv_cache_blocks(mamba, config));
  EXPECT_LE(states * pure.block_bytes, room);
  EXPECT_GT(states, 0.9 * room / pure.block_bytes);  // less only the activation workspace
}

// A small cache of states: at most that many sequences run at once, every
// request still finishes, and the peak use is whole states.
TEST(Hybrid, ServingAPureSsmIsBoundedBySequences) {
  Scenario s;
  s.model = "mamba2-2.7b";
  s.hw = "h200-sxm";
  s.engine = "vllm";
  s.serve.scheduler.memory_utilization = 0.08;  // room for a few dozen states
  s.synthetic.arrivals = ArrivalKind::kPoisson;
  s.synthetic.rate_per_s = 50;
  s.synthetic.requests = 400;
  s.synthetic.input = LengthDistribution::parse("uniform:100:3000", "input");
  s.synthetic.output = LengthDistribution::parse("uniform:50:400", "output");
  s.synthetic.seed = 3;
  StepCostModel cost(load_model(s.model), load_chip(s.hw), load_engine(s.engine));
  const int64_t states = kv_cache_blocks(cost, s.serve.scheduler);
  ASSERT_GT(states, 4);
  ASSERT_LT(states, 100);
  auto source = make_source(s);
  ServingMetrics metrics(s.serve.replicas, s.slo, s.sample_interval_s);
  Simulator sim(cost, s.serve, *source, metrics);
  sim.run();
  EXPECT_EQ(metrics.completed(), 400u);
  const auto doc = metrics.to_json();
  const double peak = doc.at("replicas")[0].at("peak_kv_fraction").get<double>();
  EXPECT_LE(peak, 1.0);
  // Whole states: the peak is a multiple of one block.
  const double blocks = peak * static_cast<double>(states);
  EXPECT_NEAR(blocks, std::round(blocks), 1e-6);
}

// The recurrent ops depend on how many sequences decode, prefill and
// resume a state, not only on the tokens: two batches of the same tokens
// and sequences split differently are costed apart, and the memoised time
// equals the full breakdown's.
TEST(Hybrid, MixedBatchesOfOneSizeAreCostedApart) {
  StepCostModel model(load_model("nemotron-h-8b"), load_chip("h200-sxm"), load_engine("vllm"));
  const BatchSummary fresh = summarize({{98, 0}, {1, 500}, {1, 500}});
  const BatchSummary resumed = summarize({{98, 300}, {1, 500}, {1, 500}});
  const BatchSummary two = summarize({{49, 0}, {50, 0}, {1, 500}});
  ASSERT_EQ(fresh.tokens, two.tokens);
  ASSERT_EQ(fresh.sequences, two.sequences);
  for (const BatchSummary& b : {fresh, resumed, two}) {
    EXPECT_DOUBLE_EQ(model.seconds(b), model.cost(b).seconds);
  }
  EXPECT_NE(model.seconds(fresh), model.seconds(two));
  EXPECT_NE(model.seconds(fresh), model.seconds(resumed));
}

TEST(Hybrid, EnginesWithoutAScanAreRefused) {
  const std::string message = config_error([] {
    StepCostModel(load_model("nemotron-h-8b"), load_chip("h200-sxm"), load_engine("torch-eager"));
  });
  EXPECT_NE(message.find("ops.conv and ops.scan"), std::string::npos) << message;
}

// The plan search sizes a replica's batch as the serving cache holds it:
// a pure SSM by its states (any length fits), a hybrid by its positions'
// blocks and its state's together; an engine that cannot run the layers is
// an error, not a table of losing plans.
TEST(Hybrid, PlanSearchSizesTheBatchByStates) {
  PlanSearchSpec spec;
  spec.model = "mamba2-2.7b";
  spec.hw = "hgx-h100";
  spec.engine = "vllm";
  spec.input_tokens = 32768;
  const PlanSearchResult pure = search_plans(spec, 0, 0, 0.9);
  ASSERT_FALSE(pure.plans.empty());
  EXPECT_EQ(pure.plans.front().batch, 256);  // max sequences, not the states' limit
  spec.model = "nemotron-h-8b";
  spec.input_tokens = 1024;
  spec.max_sequences = 100000;
  const PlanSearchResult hybrid = search_plans(spec, 0, 0, 0.9);
  const Hardware hw = load_hardware("hgx-h100", std::nullopt);
  StepCostModel tp1(load_model("nemotron-h-8b"), hw.chip, load_engine("vllm"));
  SchedulerConfig config;
  config.max_sequences = 100000;
  const CacheLayout layout = cache_layout(tp1, config);
  const int64_t per_request = layout.state_blocks + (1024 + 256 + 15) / 16;
  for (const PlanResult& p : hybrid.plans) {
    if (p.plan.tp == 1 && p.plan.pp == 1) {
      EXPECT_EQ(p.batch, kv_cache_blocks(tp1, config) / per_request);
    }
  }
  spec.engine = "torch-eager";
  EXPECT_NE(config_error([&] { search_plans(spec, 0, 0, 0.9); }).find("ops.conv and ops.scan"),
            std::string::npos);
}

// A cache too small for one sequence's state says so: raising the memory
// the cache may use in 14 MB steps, the first cache that is not empty is
// refused for the 52 MB state, before one that fits.
TEST(Hybrid, ACacheSmallerThanOneStateIsRefusedByName) {
  StepCostModel cost(load_model("nemotron-h-8b"), load_chip("h200-sxm"), load_engine("vllm"));
  SchedulerConfig config;
  bool refused = false;
  for (double u = cost.weight_bytes_per_chip() / cost.chip().hbm_bytes; u < 1; u += 1e-4) {
    config.memory_utilization = u;
    try {
      kv_cache_blocks(cost, config);
      break;  // a cache that holds a sequence
    } catch (const InfeasibleError& e) {
      const std::string what = e.what();
      if (what.find("beside its recurrent state") != std::string::npos) refused = true;
    }
  }
  EXPECT_TRUE(refused);
}

}  // namespace
}  // namespace jalapeno
