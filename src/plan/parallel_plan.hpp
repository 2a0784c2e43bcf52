#pragma once
// A parallel plan: how one replica of a model is split over chips (tensor
// parallel within a layer, pipeline parallel across layers) and how many
// replicas serve side by side (data parallel). Sharding changes the op graph
// each chip runs and inserts the collectives the split needs.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hw/chip_spec.hpp"
#include "model/op_graph.hpp"
#include "model/routing.hpp"

namespace jalapeno {

inline int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? INT64_MAX : product;
}

// How an expert-parallel layer's dispatch and combine run (DeepEP's two
// kernel families): `normal` sends each token once per destination rank
// after a layout exchange (throughput, prefill); `low_latency` sends it to
// each expert directly in one phase (decode, graph-capturable); `auto` picks
// low_latency for decode steps and normal otherwise, as SGLang's
// --deepep-mode auto does.
enum class AllToAllMode { kAuto, kNormal, kLowLatency };

// "auto", "normal" or "low_latency"; nullopt for anything else.
std::optional<AllToAllMode> parse_all_to_all(std::string_view name);

struct ParallelPlan {
  int64_t tp = 1;        // tensor parallel degree
  int64_t pp = 1;        // pipeline stages
  int64_t replicas = 1;  // data parallel
  // Expert parallelism over the tp chips of a stage (1 or tp): each chip
  // holds whole experts, 1/ep of them, instead of a slice of every one.
  int64_t ep = 1;
  // Attention data-parallel over those chips (DEP: SGLang's
  // --enable-dp-attention, TensorRT-LLM's attention DP): each chip runs
  // attention, dense layers and shared experts for its own share of the
  // sequences, and the experts' tokens travel by all-to-all. Needs ep = tp.
  bool dp_attention = false;
  AllToAllMode all_to_all = AllToAllMode::kAuto;
  // Where weights live: unset, the chip's main memory (HBM, or SRAM on a
  // chip without); kSram on a chip with HBM keeps weights in SRAM across
  // the chips and the KV cache in HBM.
  std::optional<MemoryLevelKind> weights_in = std::nullopt;
  // Saturating: degrees come from flags and files, and a product that wraps
  // must still compare as "more chips than any system has".
  int64_t chips_per_replica() const { return saturating_mul(tp, pp); }
  int64_t chips() const { return saturating_mul(chips_per_replica(), replicas); }
  std::string describe() const;
};

// The reasons a plan cannot shard this model, empty when it can: heads or KV
// heads or the FFN not divisible by TP, layers not divisible by PP, more
// chips than the system has.
std::vector<std::string> plan_problems(const ModelSpec& model, const ParallelPlan& plan,
                                       int64_t system_chips);
// Throws ConfigError listing plan_problems when there are any.
void check_plan(const ModelSpec& model, const ParallelPlan& plan, int64_t system_chips);

// What one chip of a TP group computes: heads, KV heads (at least one: a
// group wider than the KV heads replicates them), FFN width and vocabulary
// (lm_head split by vocabulary, Megatron-style) divided by tp. All layers are
// kept: the op graph of the sharded model is one batch's path through every
// pipeline stage in turn.
ModelSpec shard_model(const ModelSpec& model, int64_t tp);
// What one chip of the plan's stage computes: as above, but with expert
// parallelism every expert keeps its width (the chip holds 1/ep of them:
// ExpertRouting places them), and with attention data parallelism nothing
// else is split either.
ModelSpec shard_model(const ModelSpec& model, const ParallelPlan& plan);

// The op graph of one step of a sharded model with the plan's collectives:
// an all-reduce of the activations after the attention output projection and
// after the FFN down projection in every layer (tp > 1), an all-gather of the
// logits after lm_head (tp > 1), and a send of the activations across each
// of the pp - 1 stage boundaries.
// With expert parallelism, `experts` is the most loaded rank's share of the
// routed tokens (ExpertRouting::most_loaded of the replica's tokens) and,
// with attention data parallelism, `batch` is one chip's share of the
// replica's batch (share_of_batch): the experts' input arrives by a
// dispatch all-to-all and leaves by a combine all-to-all.
std::vector<Op> build_parallel_step_ops(const ModelSpec& sharded, const BatchSummary& batch,
                                        const ParallelPlan& plan,
                                        const RankLoad* experts = nullptr);

}  // namespace jalapeno
