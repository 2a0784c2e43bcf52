#include "plan/parallel_plan.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace jalapeno {

std::string ParallelPlan::describe() const {
  return fmt::format("TP{} x PP{} x {} replica{}", tp, pp, replicas, replicas == 1 ? "" : "s");
}

std::vector<std::string> plan_problems(const ModelSpec& model, const ParallelPlan& plan,
                                       int64_t system_chips) {
  std::vector<std::string> problems;
  if (plan.tp < 1 || plan.pp < 1 || plan.replicas < 1) {
    problems.push_back(fmt::format("tp, pp and replicas must be at least 1 (got {}, {}, {})",
                                   plan.tp, plan.pp, plan.replicas));
    return problems;
  }
  if (model.num_heads % plan.tp != 0) {
    problems.push_back(
        fmt::format("{} attention heads are not divisible by tp {}", model.num_heads, plan.tp));
  }
  if (model.num_kv_heads % plan.tp != 0 && plan.tp % model.num_kv_heads != 0) {
    problems.push_back(fmt::format("{} KV heads neither divide nor are divisible by tp {}",
                                   model.num_kv_heads, plan.tp));
  }
  if (model.intermediate_size % plan.tp != 0) {
    problems.push_back(
        fmt::format("FFN width {} is not divisible by tp {}", model.intermediate_size, plan.tp));
  }
  if (model.moe.any() && model.moe.expert_intermediate % plan.tp != 0) {
    problems.push_back(fmt::format("expert FFN width {} is not divisible by tp {}",
                                   model.moe.expert_intermediate, plan.tp));
  }
  if (model.recurrent.any()) {
    // Heads split over the chips, B and C (or keys) groups too unless fewer.
    const RecurrentSpec& r = model.recurrent;
    if (r.v_heads % plan.tp != 0) {
      problems.push_back(fmt::format("{} recurrent heads (channels) are not divisible by tp {}",
                                     r.v_heads, plan.tp));
    }
    if (r.qk_heads % plan.tp != 0 && plan.tp % r.qk_heads != 0) {
      problems.push_back(
          fmt::format("{} recurrent key groups neither divide nor are divisible by "
                      "tp {}",
                      r.qk_heads, plan.tp));
    }
  }
  if (model.num_layers % plan.pp != 0) {
    problems.push_back(
        fmt::format("{} layers are not divisible by pp {}", model.num_layers, plan.pp));
  }
  if (plan.chips() > system_chips) {
    problems.push_back(fmt::format("{} needs {} chips but the system has {}", plan.describe(),
                                   plan.chips(), system_chips));
  }
  return problems;
}

void check_plan(const ModelSpec& model, const ParallelPlan& plan, int64_t system_chips) {
  const auto problems = plan_problems(model, plan, system_chips);
  if (problems.empty()) return;
  std::string text;
  for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
  throw ConfigError(
      fmt::format("plan {} for {} ({}): {}", plan.describe(), model.name, model.source_file, text));
}

ModelSpec shard_model(const ModelSpec& model, int64_t tp) {
  ModelSpec shard = model;
  shard.num_heads = model.num_heads / tp;
  shard.num_kv_heads = std::max<int64_t>(1, model.num_kv_heads / tp);
  shard.intermediate_size = model.intermediate_size / tp;
  // Experts split as the dense FFN does (tensor parallel inside each expert).
  shard.moe.expert_intermediate = model.moe.expert_intermediate / tp;
  shard.moe.shared_intermediate = model.moe.shared_intermediate / tp;
  // MLA's latent is every head's: each chip caches all of it (as vLLM and
  // SGLang do under tensor parallelism) and projects it for its heads.
  shard.vocab_size = (model.vocab_size + tp - 1) / tp;
  // A recurrent layer splits its heads (Mamba-1: channels) and, where there
  // are enough, its key groups; the rest are replicated (vLLM's
  // MambaMixer2 and Qwen3-Next's DeltaNet under tensor parallelism).
  shard.recurrent.v_heads = model.recurrent.v_heads / tp;
  shard.recurrent.qk_heads = std::max<int64_t>(1, model.recurrent.qk_heads / tp);
  return shard;
}

namespace {

Op collective(std::string_view name, CommKind comm, int64_t count, double bytes) {
  Op op{name, OpKind::kCollective, count};
  op.comm = comm;
  op.comm_bytes = bytes;
  return op;
}

}  // namespace

std::vector<Op> build_parallel_step_ops(const ModelSpec& sharded, const BatchSummary& batch,
                                        const ParallelPlan& plan) {
  std::vector<Op> ops = build_step_ops(sharded, batch);
  if (plan.tp == 1 && plan.pp == 1) return ops;
  const auto tokens = static_cast<double>(batch.tokens);
  const double activation_bytes =
      tokens * static_cast<double>(sharded.hidden_size) * sharded.bytes_per_param;
  std::vector<Op> out;
  out.reserve(ops.size() + 4);
  for (const Op& op : ops) {
    out.push_back(op);
    // A row-parallel projection leaves each chip a partial sum: all-reduce.
    if (plan.tp > 1 && !op.tp_reduction.empty()) {
      // Every token's partial output row (hidden_size wide but for Mamba's
      // x_proj).
      const double bytes = tokens * static_cast<double>(op.n) * op.output_element_bytes;
      out.push_back(collective(op.tp_reduction, CommKind::kAllReduce, op.count, bytes));
    }
    if (plan.tp > 1 && op.name == "lm_head") {
      // Each chip holds a slice of the vocabulary's logits; gather them all.
      const double logits = static_cast<double>(batch.sequences * sharded.vocab_size * plan.tp) *
                            sharded.bytes_per_param;
      out.push_back(collective("logits_allgather", CommKind::kAllGather, 1, logits));
    }
  }
  if (plan.pp > 1) {
    out.push_back(collective("stage_send", CommKind::kSendRecv, plan.pp - 1, activation_bytes));
  }
  return out;
}

}  // namespace jalapeno
