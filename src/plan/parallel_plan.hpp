#pragma once
// A parallel plan: how one replica of a model is split over chips (tensor
// parallel within a layer, pipeline parallel across layers) and how many
// replicas serve side by side (data parallel). Sharding changes the op graph
// each chip runs and inserts the collectives the split needs.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/op_graph.hpp"

namespace jalapeno {

inline int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? INT64_MAX : product;
}

struct ParallelPlan {
  int64_t tp = 1;        // tensor parallel degree
  int64_t pp = 1;        // pipeline stages
  int64_t replicas = 1;  // data parallel
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

// The op graph of one step of a sharded model with the plan's collectives:
// an all-reduce of the activations after the attention output projection and
// after the FFN down projection in every layer (tp > 1), an all-gather of the
// logits after lm_head (tp > 1), and a send of the activations across each
// of the pp - 1 stage boundaries.
std::vector<Op> build_parallel_step_ops(const ModelSpec& sharded, const BatchSummary& batch,
                                        const ParallelPlan& plan);

}  // namespace jalapeno
