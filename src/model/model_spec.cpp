#include "model/model_spec.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "core/error.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"

namespace jalapeno {
namespace {

// Keys Hugging Face configs of these families carry that do not change what a
// step costs here. Anything not listed and not read is an error.
constexpr std::array<std::string_view, 28> kIgnoredKeys{
    "_name_or_path", "architectures",   "attention_dropout",   "bos_token_id",
    "eos_token_id",  "pad_token_id",    "initializer_range",   "pretraining_tp",
    "rms_norm_eps",  "rope_scaling",    "rope_theta",          "transformers_version",
    "use_cache",     "sliding_window",  "use_sliding_window",  "max_window_layers",
    "mlp_bias",      "auto_map",        "quantization_config", "use_mrope",
    "rope_type",     "tokenizer_class", "model_name",          "layer_types",
    "bias",          "hidden_dropout",  "resid_pdrop",         "embd_pdrop"};

double dtype_bytes(SpecReader& reader, const std::string& dtype) {
  if (dtype == "bfloat16" || dtype == "float16") return 2;
  if (dtype == "float32") return 4;
  reader.fail("torch_dtype", fmt::format("bfloat16, float16 or float32, got '{}'", dtype));
}

}  // namespace

int64_t ModelSpec::params_per_layer() const {
  const int64_t attention = hidden_size * qkv_dim() + q_dim() * hidden_size;
  const int64_t bias = qkv_bias ? qkv_dim() : 0;
  const int64_t mlp = 3 * hidden_size * intermediate_size;
  const int64_t norms = 2 * hidden_size;
  return attention + bias + mlp + norms;
}

int64_t ModelSpec::params() const {
  const int64_t embedding = vocab_size * hidden_size;
  const int64_t lm_head = tied_embeddings ? 0 : vocab_size * hidden_size;
  return embedding + num_layers * params_per_layer() + hidden_size + lm_head;
}

ModelSpec read_model_config(const std::string& path, const std::string& name) {
  SpecReader reader = SpecReader::mapping(load_document(path));
  ModelSpec spec;
  spec.name = name;
  spec.source_file = path;
  const std::string model_type = reader.string("model_type");
  if (model_type != "llama" && model_type != "mistral" && model_type != "qwen2") {
    reader.fail("model_type",
                fmt::format("a dense model of type llama, mistral or qwen2, got '{}'", model_type));
  }
  spec.hidden_size = reader.integer("hidden_size", 1);
  spec.intermediate_size = reader.integer("intermediate_size", 1);
  spec.num_heads = reader.integer("num_attention_heads", 1);
  spec.num_kv_heads = reader.integer_or("num_key_value_heads", spec.num_heads, 1);
  if (spec.num_heads % spec.num_kv_heads != 0) {
    reader.fail("num_key_value_heads", fmt::format("a divisor of num_attention_heads ({}), got {}",
                                                   spec.num_heads, spec.num_kv_heads));
  }
  if (reader.has("head_dim")) {
    spec.head_dim = reader.integer("head_dim", 1);
  } else {
    reader.ignore("head_dim");
    if (spec.hidden_size % spec.num_heads != 0) {
      reader.fail("hidden_size", "a multiple of num_attention_heads when head_dim is not given");
    }
    spec.head_dim = spec.hidden_size / spec.num_heads;
  }
  spec.num_layers = reader.integer("num_hidden_layers", 1);
  spec.vocab_size = reader.integer("vocab_size", 1);
  spec.max_position_embeddings = reader.integer_or("max_position_embeddings", 0, 0);
  spec.tied_embeddings = reader.boolean_or("tie_word_embeddings", false);
  spec.qkv_bias = model_type == "qwen2" || reader.boolean_or("attention_bias", false);
  spec.dtype = reader.string_or("torch_dtype", "bfloat16");
  spec.bytes_per_param = dtype_bytes(reader, spec.dtype);
  const std::string act = reader.string_or("hidden_act", "silu");
  if (act != "silu") reader.fail("hidden_act", fmt::format("'silu', got '{}'", act));
  for (auto key : kIgnoredKeys) reader.ignore(std::string(key));
  reader.finish();
  return spec;
}

std::vector<std::string> model_preset_names() {
  return preset_names("models", ".json");
}

ModelSpec load_model(const std::string& name_or_path, std::optional<int64_t> layers_override) {
  const std::string path = resolve_preset("models", name_or_path, ".json", "model");
  ModelSpec spec = read_model_config(path, preset_display_name(name_or_path, ".json"));
  if (layers_override) {
    if (*layers_override < 1) {
      throw ConfigError(
          fmt::format("--layers: expected at least 1 layer, got {}", *layers_override));
    }
    spec.num_layers = *layers_override;
  }
  return spec;
}

}  // namespace jalapeno
