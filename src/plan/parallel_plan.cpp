#include "plan/parallel_plan.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"

namespace jalapeno {

std::optional<AllToAllMode> parse_all_to_all(std::string_view name) {
  if (name == "auto") return AllToAllMode::kAuto;
  if (name == "normal") return AllToAllMode::kNormal;
  if (name == "low_latency") return AllToAllMode::kLowLatency;
  return std::nullopt;
}

std::string ParallelPlan::describe() const {
  const std::string experts =
      ep > 1 ? fmt::format(" x EP{}{}", ep, dp_attention ? " (attention DP)" : "") : "";
  return fmt::format("TP{}{} x PP{} x {} replica{}{}", tp, experts, pp, replicas,
                     replicas == 1 ? "" : "s",
                     weights_in == MemoryLevelKind::kSram ? ", weights in SRAM" : "");
}

namespace {

// Heads, KV heads, FFN and expert widths, recurrent heads and groups
// divided over the tp chips.
void add_tensor_split_problems(const ModelSpec& model, const ParallelPlan& plan,
                               std::vector<std::string>& problems) {
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
  if (model.moe.any() && plan.ep == 1 && model.moe.expert_intermediate % plan.tp != 0) {
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
}

}  // namespace

std::vector<std::string> plan_problems(const ModelSpec& model, const ParallelPlan& plan,
                                       int64_t system_chips) {
  std::vector<std::string> problems;
  if (plan.tp < 1 || plan.pp < 1 || plan.replicas < 1) {
    problems.push_back(fmt::format("tp, pp and replicas must be at least 1 (got {}, {}, {})",
                                   plan.tp, plan.pp, plan.replicas));
    return problems;
  }
  if (plan.ep != 1 && plan.ep != plan.tp) {
    problems.push_back(fmt::format(
        "ep {} must be 1 or tp ({}): experts are spread over a stage's tensor-parallel chips",
        plan.ep, plan.tp));
  }
  if (plan.ep > 1 && !model.moe.any()) {
    problems.push_back(fmt::format("ep {} needs experts, and {} has none", plan.ep, model.name));
  }
  if (plan.dp_attention && (plan.ep < 2 || plan.ep != plan.tp)) {
    problems.push_back(fmt::format(
        "attention data parallelism needs expert parallelism over the tp chips (ep = tp > 1), "
        "got tp {} and ep {}",
        plan.tp, plan.ep));
  }
  // Attention data parallelism splits nothing but the experts: only tensor
  // parallelism must divide heads and widths.
  if (!plan.dp_attention) add_tensor_split_problems(model, plan, problems);
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

ModelSpec shard_model(const ModelSpec& model, const ParallelPlan& plan) {
  if (plan.dp_attention) return model;  // whole, and 1/ep of the experts (by their placement)
  ModelSpec shard = shard_model(model, plan.tp);
  if (plan.ep > 1) shard.moe.expert_intermediate = model.moe.expert_intermediate;
  return shard;
}

namespace {

Op collective(std::string_view name, CommKind comm, int64_t count, double bytes) {
  Op op{name, OpKind::kCollective, count};
  op.comm = comm;
  op.comm_bytes = bytes;
  return op;
}

// Attention data parallelism: each chip's tokens go to the ranks holding
// their experts and come back. Per chip and layer, the buffer it scatters:
// in normal mode each token once per destination rank (ep (1 - (1 -
// 1/ep)^k) of them for k uniform picks), in low-latency mode once per
// expert (k); the all-to-all sends the (ep - 1)/ep of it bound for other
// chips (CollectiveModel). The dispatch payload is in the projections'
// input format (fp8 with w8a8, as DeepEP sends), the combine's in the
// hidden dtype.
void add_expert_all_to_all(std::vector<Op>& out, const Op& op, const ModelSpec& sharded,
                           const BatchSummary& batch, const ParallelPlan& plan) {
  const auto ep = static_cast<double>(plan.ep);
  const auto k = static_cast<double>(sharded.moe.top_k);
  const bool low_latency = plan.all_to_all == AllToAllMode::kLowLatency ||
                           (plan.all_to_all == AllToAllMode::kAuto && batch.prefill_sequences == 0);
  // Group-limited routing (DeepSeek-V3's node-limited routing, arXiv
  // 2412.19437 section 2.1.2): when the ranks hold whole groups, a token's
  // experts lie on at most its groups' ranks.
  const MoeSpec& moe = sharded.moe;
  double reach = ep;
  if (moe.groups > 1 && (plan.ep % moe.groups == 0 || moe.groups % plan.ep == 0)) {
    const int64_t ranks_per_group = std::max<int64_t>(1, plan.ep / moe.groups);
    reach = std::min(ep, static_cast<double>(moe.groups_per_token * ranks_per_group));
  }
  const double copies = low_latency ? k : reach * (1 - std::pow(1 - 1 / reach, k));
  const double rows = static_cast<double>(batch.tokens) * copies;
  const auto h = static_cast<double>(sharded.hidden_size);
  if (op.name == "experts_gate_up") {
    Op dispatch = collective("moe_dispatch", CommKind::kAllToAll, op.count,
                             rows * h * op.input_element_bytes);
    dispatch.comm_phases = low_latency ? 1 : 2;  // normal mode: a layout exchange first
    out.push_back(dispatch);
  }
  if (op.name == "experts_down") {
    Op combine = collective("moe_combine", CommKind::kAllToAll, op.count,
                            rows * h * op.output_element_bytes);
    combine.comm_phases = 1;
    out.push_back(combine);
  }
}

}  // namespace

std::vector<Op> build_parallel_step_ops(const ModelSpec& sharded, const BatchSummary& batch,
                                        const ParallelPlan& plan, const RankLoad* experts) {
  std::vector<Op> ops = build_step_ops(sharded, batch, experts);
  if (plan.tp == 1 && plan.pp == 1) return ops;
  if (plan.dp_attention) {
    std::vector<Op> out;
    out.reserve(ops.size() + 4);
    for (const Op& op : ops) {
      // The experts' input arrives before the first expert GEMM.
      if (op.name == "experts_gate_up") add_expert_all_to_all(out, op, sharded, batch, plan);
      out.push_back(op);
      if (op.name == "experts_down") add_expert_all_to_all(out, op, sharded, batch, plan);
    }
    if (plan.pp > 1) {
      const double bytes =
          static_cast<double>(batch.tokens * sharded.hidden_size) * sharded.bytes_per_param;
      out.push_back(collective("stage_send", CommKind::kSendRecv, plan.pp - 1, bytes));
    }
    return out;
  }
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
      Op gather = collective("logits_allgather", CommKind::kAllGather, 1, logits);
      gather.per_sequence = true;
      out.push_back(gather);
    }
  }
  if (plan.pp > 1) {
    out.push_back(collective("stage_send", CommKind::kSendRecv, plan.pp - 1, activation_bytes));
  }
  return out;
}

}  // namespace jalapeno
