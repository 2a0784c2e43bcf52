#pragma once
// A decoder-only model read from a Hugging Face config.json: dense
// transformers (Llama 2/3.x, Mistral, Qwen2/2.5/3) or mixture-of-experts ones
// (Mixtral, Qwen3-MoE, DeepSeek-V3/R1, Kimi K2, gpt-oss), with grouped-query
// or multi-head latent attention; and hybrids whose layers mix attention
// with state-space or linear-attention layers (Jamba, Nemotron-H,
// Qwen3-Next, Mamba-2).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/batch.hpp"
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
  // Qwen3-Next: a sigmoid gate (hidden_size -> 1) scales the shared experts' output.
  bool shared_gate = false;
  // DeepSeek-V3's group-limited routing: the experts are `groups` groups and
  // a token picks its top_k within its best `groups_per_token` of them (1
  // and 1: unlimited). Which experts it picks stays uniform; where they live
  // does not (see the all-to-all in parallel_plan.cpp).
  int64_t groups = 1;
  int64_t groups_per_token = 1;
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

// A recurrent token mixer: a layer that carries a fixed-size state per
// sequence instead of a cache that grows with the context, so that its
// decode cost is flat in context. All three are read as one shape: per
// token, `qk_heads` heads of `qk_dim` (Mamba's B and C, DeltaNet's keys and
// queries) and `v_heads` heads of `v_dim` (the values x; Mamba-1: every
// channel is its own head of 1), with a state of qk_dim x v_dim per value
// head. A causal convolution of `conv_kernel` taps runs before the scan over
// conv_channels(), and its last taps are state too.
//  - Mamba (Mamba-1, Gu and Dao 2023, arXiv 2312.00752; Jamba): a
//    selective scan with per-token dt from a rank-`dt_rank` projection.
//  - Mamba-2 (Dao and Gu 2024, arXiv 2405.21060; Nemotron-H): the
//    state-space dual form, prefilled as a scan over chunks of `chunk`.
//  - Gated DeltaNet (Yang et al. 2024, arXiv 2412.06464; Qwen3-Next): a
//    delta-rule linear attention, prefilled in chunks too.
enum class RecurrentKind { kNone, kMamba, kMamba2, kGatedDeltaNet };
struct RecurrentSpec {
  RecurrentKind kind = RecurrentKind::kNone;
  int64_t qk_heads = 0, qk_dim = 0;
  int64_t v_heads = 0, v_dim = 0;
  int64_t conv_kernel = 0;
  int64_t dt_rank = 0;  // Mamba-1
  int64_t chunk = 0;    // the chunked scan's length (0: a plain scan)
  bool conv_bias = false;
  bool dt_bc_norms = false;  // Jamba: RMSNorms over dt, B and C
  bool any() const { return kind != RecurrentKind::kNone; }
  int64_t inner() const { return v_heads * v_dim; }
  int64_t conv_channels() const;
  // Per sequence and layer, in elements: the scan's state and the
  // convolution's window.
  int64_t ssm_state_elements() const { return v_heads * v_dim * qk_dim; }
  int64_t conv_state_elements() const { return conv_channels() * (conv_kernel - 1); }
  // Width of the input projection's output (what the mixer reads per token).
  int64_t in_proj_width() const;
  // The projection GEMMs' weights (what quantisation shrinks), and the rest
  // (convolution, dt and decay parameters, norms).
  int64_t projection_params(int64_t hidden) const;
  int64_t other_params() const;
};

// What mixes tokens in a layer.
enum class Mixer : uint8_t { kAttention, kRecurrent, kNone };

// One layer's kind, in the order the config lays layers out.
struct LayerKind {
  bool moe = false;      // its FFN is the experts (else the dense FFN)
  bool sliding = false;  // its attention is windowed
  Mixer mixer = Mixer::kAttention;
  bool ffn = true;   // Nemotron-H and Mamba-2: mixer-only layers have none
  bool rope = true;  // NoPE attention layers (Nemotron-H) skip it
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
  // Llama 4: the windowed layers attend within chunks of sliding_window
  // positions (attention_chunk_size) rather than over the last ones.
  bool window_chunked = false;
  bool tied_embeddings = false;
  bool qkv_bias = false;  // Qwen2 and attention_bias=true Llamas
  bool qk_norm = false;   // Qwen3: RMSNorm over each head of q and k
  bool o_bias = false;    // attention_bias=true: the output projection's bias too
  // gpt-oss: a learned logit per head that every query's softmax also
  // attends to (a "sink"); one parameter per head, and negligible work.
  bool attention_sinks = false;
  bool gated_ffn = true;               // SwiGLU; Nemotron-H's relu2 FFN is up -> relu^2 -> down
  bool attention_output_gate = false;  // Qwen3-Next: q_proj also yields a gate on the output
  MoeSpec moe;
  MlaSpec mla;
  RecurrentSpec recurrent;
  // Layer counts by kind beyond attention + FFN (0 for a transformer):
  // layers whose mixer is recurrent, layers without a mixer (an FFN only),
  // and layers without an FFN. Counted from layer_kinds.
  int64_t recurrent_layers = 0;
  int64_t ffn_only_layers = 0;
  int64_t mixer_only_layers = 0;
  int64_t nope_layers = 0;  // attention layers without rotary embedding
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

  AttentionWindow attention_window() const {
    return AttentionWindow(sliding_window, window_chunked);
  }
  // Query and key width per head is head_dim (MLA: nope + rope dims).
  int64_t q_dim() const { return num_heads * head_dim; }
  int64_t kv_dim() const { return num_kv_heads * head_dim; }
  int64_t qkv_dim() const { return q_dim() + 2 * kv_dim(); }
  int64_t attention_layers() const { return num_layers - recurrent_layers - ffn_only_layers; }
  int64_t mixer_layers() const { return num_layers - ffn_only_layers; }
  int64_t ffn_layers() const { return num_layers - mixer_only_layers; }
  int64_t dense_layers() const { return ffn_layers() - moe.moe_layers; }
  // A transformer layer's parameters (attention, norms, the dense FFN).
  int64_t params_per_layer() const;
  // The projection GEMMs' weights of one transformer layer: what
  // quantisation shrinks.
  int64_t projection_params_per_layer() const;
  int64_t dense_ffn_params() const { return (gated_ffn ? 3 : 2) * hidden_size * intermediate_size; }
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
  // What one token caches in one attention layer, in elements: K and V of
  // every KV head, or MLA's latent.
  int64_t kv_elements_per_layer() const { return mla.any() ? mla.latent() : 2 * kv_dim(); }
  // One token's cache across the attention layers, in the KV-cache format.
  double kv_bytes_per_token() const {
    return static_cast<double>(attention_layers() * kv_elements_per_layer()) * precision.kv_bytes();
  }
  // What one sequence holds whatever its length: the recurrent layers'
  // states, in the hidden dtype (vLLM's mamba_cache_dtype and
  // mamba_ssm_cache_dtype default to the model's dtype: mamba_utils.py).
  double state_bytes_per_layer() const {
    return static_cast<double>(recurrent.ssm_state_elements() + recurrent.conv_state_elements()) *
           bytes_per_param;
  }
  double state_bytes_per_sequence() const {
    return static_cast<double>(recurrent_layers) * state_bytes_per_layer();
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
