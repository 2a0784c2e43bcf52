#include "report/model_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/units.hpp"
#include "model/op_graph.hpp"

namespace jalapeno {

ModelFacts model_facts(const ModelSpec& model, int64_t context, const StepCostModel* cost) {
  ModelFacts facts;
  facts.total_params = model.params();
  facts.active_params = model.active_params();
  facts.weight_bytes = model.weight_bytes();
  facts.kv_bytes_per_token = model.kv_bytes_per_token();
  facts.state_bytes_per_sequence = model.state_bytes_per_sequence();
  facts.context = context;
  // One sequence decoding one token at this context: the op graph's FLOPs.
  for (const Op& op : build_step_ops(model, decode_batch(1, context, model.attention_window()))) {
    facts.flops_per_token += op.flops * static_cast<double>(op.count);
  }
  if (cost != nullptr) {
    ModelFacts::Fit fit;
    fit.hw = cost->chip().name;
    fit.plan = cost->plan().describe();
    fit.hbm_bytes = cost->chip().hbm_bytes;
    fit.weight_bytes_per_chip = cost->weight_bytes_per_chip();
    // The KV cache's level, less the weights where they share it.
    fit.kv_cache_bytes = std::max(
        0.0, cost->kv_level().bytes - (cost->levels_shared() ? fit.weight_bytes_per_chip : 0.0));
    const double per_token = cost->kv_bytes_per_token_per_chip();
    const double state = cost->state_bytes_per_sequence_per_chip();
    // One sequence's positions, beside its state.
    const double for_tokens = std::max(0.0, fit.kv_cache_bytes - state);
    fit.kv_cache_tokens =
        per_token > 0 ? static_cast<int64_t>(std::floor(for_tokens / per_token)) : 0;
    fit.longest_context = per_token > 0 || fit.kv_cache_bytes < state ? fit.kv_cache_tokens : -1;
    if (model.max_position_embeddings > 0 && fit.longest_context != 0) {
      fit.longest_context = fit.longest_context < 0
                                ? model.max_position_embeddings
                                : std::min(fit.longest_context, model.max_position_embeddings);
    }
    if (state > 0) fit.max_sequences = static_cast<int64_t>(std::floor(fit.kv_cache_bytes / state));
    facts.fit = fit;
  }
  return facts;
}

nlohmann::ordered_json model_json(const ModelSpec& model, const ModelFacts& facts) {
  nlohmann::ordered_json j;
  j["schema"] = "jalapeno.model/1";
  j["model"] = model.name;
  j["layers"] = model.num_layers;
  j["hidden_size"] = model.hidden_size;
  j["max_position_embeddings"] = model.max_position_embeddings;
  // 0 and 0 without sliding-window attention.
  j["sliding_window"] = model.sliding_window;
  j["sliding_layers"] = model.sliding_layers;
  if (model.window_chunked) j["window_chunked"] = true;  // Llama 4: chunks, not a sliding window
  const Precision& p = model.precision;
  j["precision"] = {{"weights", to_string(p.weights)},
                    {"activations", to_string(p.activations)},
                    {"kv", to_string(p.kv)},
                    {"hidden", to_string(p.hidden)},
                    {"weight_bytes_per_param", p.weight_bytes_per_param()}};
  j["attention"] = model.mla.any() ? "mla" : "gqa";
  if (model.mla.any()) {
    const MlaSpec& m = model.mla;
    j["mla"] = {{"q_lora_rank", m.q_lora_rank},
                {"kv_lora_rank", m.kv_lora_rank},
                {"qk_nope_head_dim", m.nope_head_dim},
                {"qk_rope_head_dim", m.rope_head_dim},
                {"v_head_dim", m.v_head_dim}};
  }
  if (model.moe.any()) {
    j["moe"] = {{"experts", model.moe.experts},
                {"top_k", model.moe.top_k},
                {"expert_intermediate", model.moe.expert_intermediate},
                {"shared_intermediate", model.moe.shared_intermediate},
                {"moe_layers", model.moe.moe_layers},
                {"dense_layers", model.dense_layers()}};
  }
  j["total_params"] = facts.total_params;
  j["active_params"] = facts.active_params;
  j["mtp_params"] = model.mtp_params();
  j["weight_bytes"] = facts.weight_bytes;
  j["kv_bytes_per_token"] = facts.kv_bytes_per_token;
  if (model.recurrent.any()) {
    static constexpr const char* kKinds[] = {"none", "mamba", "mamba2", "gated_deltanet"};
    const RecurrentSpec& r = model.recurrent;
    j["recurrent"] = {{"kind", kKinds[static_cast<size_t>(r.kind)]},
                      {"layers", model.recurrent_layers},
                      {"attention_layers", model.attention_layers()},
                      {"state_elements_per_layer", r.ssm_state_elements()},
                      {"conv_state_elements_per_layer", r.conv_state_elements()}};
    j["state_bytes_per_sequence"] = facts.state_bytes_per_sequence;
  }
  j["ctx"] = facts.context;
  j["flops_per_token"] = facts.flops_per_token;
  if (facts.fit) {
    const auto& f = *facts.fit;
    j["fit"] = {{"hw", f.hw},
                {"plan", f.plan},
                {"hbm_bytes", f.hbm_bytes},
                {"weight_bytes_per_chip", f.weight_bytes_per_chip},
                {"kv_cache_bytes", f.kv_cache_bytes},
                {"kv_cache_tokens", f.kv_cache_tokens},
                {"longest_context", f.longest_context}};
    if (model.recurrent.any()) j["fit"]["max_sequences"] = f.max_sequences;
  }
  return j;
}

std::string format_model_table(const ModelSpec& model, const ModelFacts& facts) {
  std::string out = fmt::format("{}: {} layers, hidden {}, {} heads ({} KV), vocabulary {}\n",
                                model.name, model.num_layers, model.hidden_size, model.num_heads,
                                model.num_kv_heads, model.vocab_size);
  out += fmt::format("precision          {} ({:.4g} B per projection weight)\n",
                     model.precision.describe(), model.precision.weight_bytes_per_param());
  out += fmt::format("parameters         {:.4g} B total, {:.4g} B active per token\n",
                     static_cast<double>(facts.total_params) / 1e9,
                     static_cast<double>(facts.active_params) / 1e9);
  out += fmt::format("weights            {}\n",
                     format_quantity(facts.weight_bytes, Dimension::kBytes));
  out += fmt::format("KV cache           {} per token\n",
                     format_quantity(facts.kv_bytes_per_token, Dimension::kBytes));
  if (model.recurrent.any()) {
    static constexpr const char* kNames[] = {"", "Mamba", "Mamba-2", "Gated DeltaNet"};
    out += fmt::format(
        "recurrent layers   {} {} of {} layers ({} attention): {} of state per sequence, "
        "whatever its length\n",
        model.recurrent_layers, kNames[static_cast<size_t>(model.recurrent.kind)], model.num_layers,
        model.attention_layers(),
        format_quantity(facts.state_bytes_per_sequence, Dimension::kBytes));
  }
  out += fmt::format("FLOPs per token    {:.4g} GFLOP decoding at context {}\n",
                     facts.flops_per_token / 1e9, facts.context);
  if (model.mla.any()) {
    out += fmt::format(
        "attention          multi-head latent: {} + {} elements cached per token and layer, "
        "shared by all heads\n",
        model.mla.kv_lora_rank, model.mla.rope_head_dim);
  }
  if (model.moe.any()) {
    const MoeSpec& moe = model.moe;
    out += fmt::format("experts            {} of {} per token in {} of {} layers{}\n", moe.top_k,
                       moe.experts, moe.moe_layers, model.num_layers,
                       moe.shared_intermediate > 0
                           ? fmt::format(", plus a shared FFN of width {}", moe.shared_intermediate)
                           : std::string());
  }
  if (model.mtp_layers > 0) {
    out += fmt::format(
        "MTP modules        {} ({:.4g} B parameters beyond the total; used only to draft tokens)\n",
        model.mtp_layers, static_cast<double>(model.mtp_params()) / 1e9);
  }
  if (model.sliding_layers > 0) {
    out += fmt::format(
        "{}     {} positions in {} of {} layers (they read only the window; the "
        "cache is sized for full contexts)\n",
        model.window_chunked ? "chunked attn " : "sliding window", model.sliding_window,
        model.sliding_layers, model.num_layers);
  }
  if (model.max_position_embeddings > 0) {
    out += fmt::format("max positions      {}\n", model.max_position_embeddings);
  }
  if (facts.fit) {
    const auto& f = *facts.fit;
    out += fmt::format(
        "on {} ({})   {} of weights per chip, {} left for KV: {} tokens, longest context {}\n",
        f.hw, f.plan, format_quantity(f.weight_bytes_per_chip, Dimension::kBytes),
        format_quantity(f.kv_cache_bytes, Dimension::kBytes), f.kv_cache_tokens,
        f.longest_context < 0 ? std::string("unbounded") : std::to_string(f.longest_context));
    if (f.max_sequences > 0) {
      out += fmt::format("                   states of {} sequences fit beside the weights\n",
                         f.max_sequences);
    }
  }
  return out;
}

}  // namespace jalapeno
