#pragma once
// A decoder-only transformer read from a Hugging Face config.json: dense
// (Llama 2/3.x, Mistral, Qwen2/2.5/3) or mixture-of-experts (Mixtral,
// Qwen3-MoE, DeepSeek-V3/R1, Kimi K2), with grouped-query or multi-head
// latent attention.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/precision.hpp"

namespace jalapeno {

// Mixture of experts (Mixtral, Qwen3-MoE): in `moe_layers` of the layers the
// FFN is `experts` expert FFNs of width `expert_intermediate`, of which a
// router picks `top_k` per token; the other layers keep the dense FFN of
// intermediate_size. No experts: a dense model.
// DeepSeek-V3 adds shared experts: an FFN of width `shared_intermediate`
// that every token of an MoE layer passes through beside its top_k.
struct MoeSpec {
  int64_t experts = 0;
  int64_t top_k = 0;
  int64_t expert_intermediate = 0;
  int64_t shared_intermediate = 0;  // all shared experts together; 0: none
  int64_t moe_layers = 0;
  bool biased = false;  // gpt-oss: biases on the router and each expert's projections
  bool any() const { return experts > 0; }
};

// Multi-head latent attention (DeepSeek-V2/V3, Kimi K2; DeepSeek-V2 paper,
// arXiv 2405.04434, section 2.1). Each token's keys and values are one
// latent of kv_lora_rank elements plus a RoPE key of rope_head_dim shared by
// all heads: that latent is what the cache holds. Queries come from a
// latent of q_lora_rank (0: straight from the hidden state). Per head,
// queries and keys have nope_head_dim + rope_head_dim elements and values
// v_head_dim.
struct MlaSpec {
  int64_t q_lora_rank = 0;
  int64_t kv_lora_rank = 0;
  int64_t nope_head_dim = 0;
  int64_t rope_head_dim = 0;
  int64_t v_head_dim = 0;
  bool any() const { return kv_lora_rank > 0; }
  int64_t latent() const { return kv_lora_rank + rope_head_dim; }  // cached per token and layer
  int64_t qk_head_dim() const { return nope_head_dim + rope_head_dim; }
};

// One layer's kind, in the order the config lays layers out.
struct LayerKind {
  bool moe = false;      // its FFN is the experts (else the dense FFN)
  bool sliding = false;  // its attention is windowed
};

struct ModelSpec {
  std::string name;
  std::string source_file;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t num_layers = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  // Sliding-window attention: `sliding_layers` of the layers attend only to
  // the last `sliding_window` positions (Mistral: all of them; configs with
  // layer_types: those marked sliding_attention). 0 when there is none.
  int64_t sliding_window = 0;
  int64_t sliding_layers = 0;
  bool tied_embeddings = false;
  bool qkv_bias = false;  // Qwen2 and attention_bias=true Llamas
  bool qk_norm = false;   // Qwen3: RMSNorm over each head of q and k
  bool o_bias = false;    // attention_bias=true: the output projection's bias too
  // gpt-oss: a learned logit per head that every query's softmax also
  // attends to (a "sink"); one parameter per head, and negligible work.
  bool attention_sinks = false;
  MoeSpec moe;
  MlaSpec mla;
  // Multi-token prediction modules (DeepSeek-V3 num_nextn_predict_layers):
  // extra layers that draft tokens for speculative decoding. Not part of
  // params() or weight_bytes(), as the published 671B leaves them out.
  int64_t mtp_layers = 0;
  // Each layer's kind; the counts above (moe.moe_layers, sliding_layers)
  // are counted from it. Empty for a spec built by hand, whose counts stand.
  std::vector<LayerKind> layer_kinds;
  std::string dtype;           // as in torch_dtype: bfloat16, float16, float32
  double bytes_per_param = 2;  // the hidden (unquantised) dtype's bytes: activations
  Precision precision;         // weights, GEMM inputs and KV cache as served

  // Query and key width per head is head_dim (MLA: nope + rope dims).
  int64_t q_dim() const { return num_heads * head_dim; }
  int64_t kv_dim() const { return num_kv_heads * head_dim; }
  int64_t qkv_dim() const { return q_dim() + 2 * kv_dim(); }
  int64_t dense_layers() const { return num_layers - moe.moe_layers; }
  // A dense layer's parameters (attention, norms, the dense FFN).
  int64_t params_per_layer() const;
  // The projection GEMMs' weights of one dense layer: what quantisation
  // shrinks.
  int64_t projection_params_per_layer() const;
  // An MoE layer's experts' weights, and its router's.
  int64_t expert_params() const { return 3 * hidden_size * moe.expert_intermediate; }
  // An expert's biases (gate-up and down; hidden dtype), when it has them.
  int64_t expert_bias_params() const {
    return moe.biased ? 2 * moe.expert_intermediate + hidden_size : 0;
  }
  int64_t router_params() const { return (hidden_size + (moe.biased ? 1 : 0)) * moe.experts; }
  int64_t shared_expert_params() const { return 3 * hidden_size * moe.shared_intermediate; }
  // The attention block's projection weights (what quantisation shrinks).
  int64_t attention_projection_params() const;
  // The MTP modules' own weights (they share the embedding and lm_head).
  int64_t mtp_params() const;
  int64_t params() const;  // embeddings, layers, final norm, lm_head unless tied
  // What one token's forward pass uses: the top_k experts of each MoE layer.
  int64_t active_params() const;
  // Weights as stored: projections in the weight format (scales included),
  // the rest (embeddings, norms, biases, lm_head) in the hidden dtype, as
  // quantised checkpoints keep them.
  double weight_bytes() const;
  // What one token caches in one layer, in elements: K and V of every KV
  // head, or MLA's latent.
  int64_t kv_elements_per_layer() const { return mla.any() ? mla.latent() : 2 * kv_dim(); }
  // One token's cache across all layers, in the KV-cache format.
  double kv_bytes_per_token() const {
    return static_cast<double>(num_layers * kv_elements_per_layer()) * precision.kv_bytes();
  }
};

// Reads a config.json. Unknown keys are errors; keys Hugging Face writes that do
// not change the cost (token ids, dropout, RoPE settings) are accepted.
ModelSpec read_model_config(const std::string& path, const std::string& name);

// Precision chosen on the command line or in a scenario, over the
// checkpoint's own; unset parts keep the checkpoint's.
struct PrecisionOverride {
  std::optional<std::string> weights, activations, kv;
  std::optional<int64_t> weight_group;
  std::string source = "flags";  // where they came from, for messages
  bool any() const { return weights || activations || kv || weight_group; }
};

// A preset name (see model_preset_names) or a path to a config.json.
// layers_override replaces num_hidden_layers (what-ifs, truncated models).
ModelSpec load_model(const std::string& name_or_path,
                     std::optional<int64_t> layers_override = std::nullopt,
                     const PrecisionOverride& precision = {});

// Applies an override to a model (checked: see check_precision).
void apply_precision(ModelSpec& model, const PrecisionOverride& precision);

std::vector<std::string> model_preset_names();

// The model cut (or extended) to n layers: its first n layers, the config's
// pattern of layer kinds repeated past its end; counts follow.
void set_num_layers(ModelSpec& model, int64_t n);

}  // namespace jalapeno
