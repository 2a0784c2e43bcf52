#pragma once
// A dense decoder-only transformer of the Llama family (Llama 2/3/3.1/3.2/3.3,
// Mistral, Qwen2/2.5), read from a Hugging Face config.json.
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
struct MoeSpec {
  int64_t experts = 0;
  int64_t top_k = 0;
  int64_t expert_intermediate = 0;
  int64_t moe_layers = 0;
  bool any() const { return experts > 0; }
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
  MoeSpec moe;
  std::string dtype;           // as in torch_dtype: bfloat16, float16, float32
  double bytes_per_param = 2;  // the hidden (unquantised) dtype's bytes: activations
  Precision precision;         // weights, GEMM inputs and KV cache as served

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
  int64_t router_params() const { return hidden_size * moe.experts; }
  int64_t params() const;  // embeddings, layers, final norm, lm_head unless tied
  // What one token's forward pass uses: the top_k experts of each MoE layer.
  int64_t active_params() const;
  // Weights as stored: projections in the weight format (scales included),
  // the rest (embeddings, norms, biases, lm_head) in the hidden dtype, as
  // quantised checkpoints keep them.
  double weight_bytes() const;
  // K and V of one token across all layers, in the KV-cache format.
  double kv_bytes_per_token() const {
    return 2.0 * static_cast<double>(num_layers * kv_dim()) * precision.kv_bytes();
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

}  // namespace jalapeno
