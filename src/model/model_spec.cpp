#include "model/model_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "core/checked_math.hpp"
#include "core/error.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "model/quantization_config.hpp"

namespace jalapeno {
namespace {

// Keys Hugging Face configs of these families carry that do not change what a
// step costs here. Anything not listed and not read is an error.
constexpr std::array<std::string_view, 23> kIgnoredKeys{
    "_name_or_path",  "architectures",   "attention_dropout", "bos_token_id",
    "eos_token_id",   "pad_token_id",    "initializer_range", "pretraining_tp",
    "rms_norm_eps",   "rope_scaling",    "rope_theta",        "transformers_version",
    "use_cache",      "mlp_bias",        "auto_map",          "use_mrope",
    "rope_type",      "tokenizer_class", "model_name",        "bias",
    "hidden_dropout", "resid_pdrop",     "embd_pdrop"};

DType hidden_dtype(SpecReader& reader, const std::string& dtype) {
  if (dtype == "bfloat16") return DType::kBf16;
  if (dtype == "float16") return DType::kFp16;
  if (dtype == "float32") return DType::kFp32;
  reader.fail("torch_dtype", fmt::format("bfloat16, float16 or float32 (a quantised checkpoint "
                                         "says so in quantization_config), got '{}'",
                                         dtype));
}

// The smallest input width of the projection GEMMs: a weight group must
// divide every one.
int64_t smallest_gemm_k(const ModelSpec& m) {
  const int64_t ffn = m.moe.any() ? m.moe.expert_intermediate : m.intermediate_size;
  if (m.mla.any()) {
    const int64_t q_in = m.mla.q_lora_rank > 0 ? m.mla.q_lora_rank : m.hidden_size;
    return std::min({m.hidden_size, q_in, m.mla.kv_lora_rank, m.num_heads * m.mla.v_head_dim, ffn});
  }
  return std::min({m.hidden_size, m.q_dim(), ffn});
}

// Beyond any model that exists by orders of magnitude (the largest public
// ones have ~2e12 parameters, 262k-token vocabularies, 30k hidden sizes and
// a few hundred layers), and small enough that every product of them below
// stays exact in 64 bits.
constexpr int64_t kMaxWidth = int64_t{1} << 20;      // hidden, intermediate, head_dim
constexpr int64_t kMaxHeads = int64_t{1} << 16;      // attention and KV heads
constexpr int64_t kMaxLayers = 100000;               // num_hidden_layers, --layers
constexpr int64_t kMaxVocab = int64_t{1} << 24;      // 16.7M tokens
constexpr int64_t kMaxPositions = int64_t{1} << 32;  // max_position_embeddings
constexpr int64_t kMaxParams = 1000000000000000;     // 1e15: 2 PB of bf16 weights

int64_t bounded_integer(SpecReader& reader, const std::string& key, int64_t max_value) {
  const int64_t value = reader.integer(key, 1);
  if (value > max_value) {
    reader.fail(key, fmt::format("at most {} (far beyond any model), got {}", max_value, value));
  }
  return value;
}

// The model types read, and what each family's config implies beyond its
// keys. One line per family.
enum class ExpertKeys { kNone, kMixtral, kQwen3Moe, kDeepseek, kGptOss };
struct Family {
  std::string_view type;
  bool qkv_bias;  // always biased q, k, v (else attention_bias says)
  bool qk_norm;   // RMSNorm over each head of q and k
  ExpertKeys experts;
  bool mla;    // multi-head latent attention (its keys are required)
  bool sinks;  // a learned attention sink per head
};
constexpr std::array<Family, 10> kFamilies{{
    {"llama", false, false, ExpertKeys::kNone, false, false},
    {"mistral", false, false, ExpertKeys::kNone, false, false},
    {"qwen2", true, false, ExpertKeys::kNone, false, false},
    {"qwen3", false, true, ExpertKeys::kNone, false, false},
    {"mixtral", false, false, ExpertKeys::kMixtral, false, false},
    {"qwen3_moe", false, true, ExpertKeys::kQwen3Moe, false, false},
    {"deepseek_v2", false, false, ExpertKeys::kDeepseek, true, false},
    {"deepseek_v3", false, false, ExpertKeys::kDeepseek, true, false},
    {"kimi_k2", false, false, ExpertKeys::kDeepseek, true, false},  // DeepSeek-V3's architecture
    {"gpt_oss", false, false, ExpertKeys::kGptOss, false, true},
}};

const Family& find_family(SpecReader& reader, const std::string& type) {
  std::string names;
  for (const Family& f : kFamilies) {
    if (f.type == type) return f;
    names += (names.empty() ? "" : ", ") + std::string(f.type);
  }
  reader.fail("model_type", fmt::format("one of {}, got '{}'", names, type));
}

// DeepSeek-V3's experts (its modeling_deepseek.py): layer i has them from
// first_k_dense_replace on, every moe_layer_freq layers; n_shared_experts of
// moe_intermediate_size each run on every token. Group-limited routing
// (n_group, topk_group) and the scoring function change which experts a
// token picks, not how many: costed as uniform top-k.
void read_deepseek_experts(SpecReader& reader, ModelSpec& spec) {
  constexpr int64_t kMaxExperts = 1 << 16;
  MoeSpec& moe = spec.moe;
  moe.experts = bounded_integer(reader, "n_routed_experts", kMaxExperts);
  moe.top_k = bounded_integer(reader, "num_experts_per_tok", kMaxExperts);
  if (moe.top_k > moe.experts) {
    reader.fail("num_experts_per_tok",
                fmt::format("at most {} (n_routed_experts), got {}", moe.experts, moe.top_k));
  }
  const int64_t shared = reader.integer_or("n_shared_experts", 0, 0);
  if (shared > kMaxExperts) {
    reader.fail("n_shared_experts", fmt::format("at most {}, got {}", kMaxExperts, shared));
  }
  moe.shared_intermediate = shared * moe.expert_intermediate;
  const int64_t first_dense = reader.has("first_k_dense_replace")
                                  ? reader.integer_in("first_k_dense_replace", 0, spec.num_layers)
                                  : 0;
  reader.ignore("first_k_dense_replace");
  const int64_t freq =
      reader.has("moe_layer_freq") ? reader.integer_in("moe_layer_freq", 1, spec.num_layers) : 1;
  reader.ignore("moe_layer_freq");
  for (int64_t i = 0; i < spec.num_layers; ++i) {
    spec.layer_kinds[static_cast<size_t>(i)].moe = i >= first_dense && i % freq == 0;
  }
  for (const char* key : {"n_group", "topk_group", "topk_method", "scoring_func",
                          "routed_scaling_factor", "aux_loss_alpha", "seq_aux", "ep_size"}) {
    reader.ignore(key);
  }
  spec.mtp_layers = reader.integer_or("num_nextn_predict_layers", 0, 0);
  if (spec.mtp_layers > 16) {
    reader.fail("num_nextn_predict_layers",
                fmt::format("at most 16 modules, got {}", spec.mtp_layers));
  }
}

// Multi-head latent attention's widths. The query and key head is
// nope + rope elements wide: that is head_dim here.
void read_mla(SpecReader& reader, ModelSpec& spec) {
  MlaSpec& mla = spec.mla;
  // DeepSeek-V2-Lite projects queries straight from the hidden state.
  mla.q_lora_rank = reader.has("q_lora_rank") && !reader.raw("q_lora_rank").IsNull()
                        ? bounded_integer(reader, "q_lora_rank", kMaxWidth)
                        : 0;
  reader.ignore("q_lora_rank");
  mla.kv_lora_rank = bounded_integer(reader, "kv_lora_rank", kMaxWidth);
  mla.nope_head_dim = bounded_integer(reader, "qk_nope_head_dim", kMaxWidth);
  mla.rope_head_dim = bounded_integer(reader, "qk_rope_head_dim", kMaxWidth);
  mla.v_head_dim = bounded_integer(reader, "v_head_dim", kMaxWidth);
  spec.head_dim = mla.qk_head_dim();
}

// Which layers have experts, how many, and how many a token uses.
void read_experts(SpecReader& reader, ExpertKeys keys, ModelSpec& spec) {
  for (const char* key :
       {"router_aux_loss_coef", "output_router_logits", "router_jitter_noise", "norm_topk_prob"}) {
    reader.ignore(key);
  }
  if (keys == ExpertKeys::kNone) return;
  if (keys == ExpertKeys::kDeepseek) {
    spec.moe.expert_intermediate = bounded_integer(reader, "moe_intermediate_size", kMaxWidth);
    read_deepseek_experts(reader, spec);
    return;
  }
  constexpr int64_t kMaxExperts = 1 << 16;
  MoeSpec& moe = spec.moe;
  const bool local = keys == ExpertKeys::kMixtral || keys == ExpertKeys::kGptOss;
  const char* experts_key = local ? "num_local_experts" : "num_experts";
  moe.experts = bounded_integer(reader, experts_key, kMaxExperts);
  moe.top_k = bounded_integer(reader, "num_experts_per_tok", kMaxExperts);
  if (moe.top_k > moe.experts) {
    reader.fail("num_experts_per_tok",
                fmt::format("at most {} ({}), got {}", moe.experts, experts_key, moe.top_k));
  }
  if (local) {
    // Every layer's FFN is the experts; intermediate_size is an expert's.
    // gpt-oss biases them and its router (its modeling code), and repeats
    // the top-k as experts_per_token.
    moe.expert_intermediate = spec.intermediate_size;
    moe.biased = keys == ExpertKeys::kGptOss;
    for (const char* key : {"experts_per_token", "swiglu_limit", "initial_context_length"}) {
      reader.ignore(key);
    }
    for (LayerKind& layer : spec.layer_kinds) layer.moe = true;
    return;
  }
  moe.expert_intermediate = bounded_integer(reader, "moe_intermediate_size", kMaxWidth);
  const int64_t step = reader.has("decoder_sparse_step")
                           ? reader.integer_in("decoder_sparse_step", 1, spec.num_layers)
                           : 1;
  reader.ignore("decoder_sparse_step");
  std::vector<bool> dense(static_cast<size_t>(spec.num_layers), false);
  if (reader.has("mlp_only_layers")) {
    const YAML::Node layers = reader.raw("mlp_only_layers");
    if (!layers.IsSequence()) reader.fail("mlp_only_layers", "a list of layer indices");
    for (const auto& l : layers) {
      int64_t i = -1;
      try {
        i = l.as<int64_t>();
      } catch (const YAML::Exception&) {
      }
      if (i < 0 || i >= spec.num_layers) {
        reader.fail(
            "mlp_only_layers",
            fmt::format("layer indices from 0 to {} (num_hidden_layers - 1)", spec.num_layers - 1));
      }
      dense[static_cast<size_t>(i)] = true;
    }
  } else {
    reader.ignore("mlp_only_layers");
  }
  // As Hugging Face's Qwen3-MoE builds its layers.
  for (int64_t i = 0; i < spec.num_layers; ++i) {
    spec.layer_kinds[static_cast<size_t>(i)].moe =
        !dense[static_cast<size_t>(i)] && (i + 1) % step == 0;
  }
}

// Which layers attend through a sliding window, and how wide it is. Mistral
// windows every layer when sliding_window is set; Qwen2 only with
// use_sliding_window, from layer max_window_layers on (as Hugging Face's
// Qwen2 attention does); a layer_types list names each layer's kind.
void read_sliding_window(SpecReader& reader, const std::string& model_type, ModelSpec& spec) {
  const bool has_window = reader.has("sliding_window") && !reader.raw("sliding_window").IsNull();
  // Qwen's configs say whether the window is on, and from which layer.
  const bool qwen = model_type.rfind("qwen", 0) == 0;
  const bool enabled = reader.boolean_or("use_sliding_window", !qwen);
  const int64_t max_window_layers = reader.integer_or("max_window_layers", 0, 0);
  if (!has_window || !enabled) {
    reader.ignore("sliding_window");
    reader.ignore("layer_types");
    return;
  }
  // 1M positions: beyond any window in use, and small enough that windowed
  // pair counts (window x up to 1e12 positions) cannot overflow.
  constexpr int64_t kMaxWindow = int64_t{1} << 20;
  const int64_t window = bounded_integer(reader, "sliding_window", kMaxWindow);
  std::vector<bool> sliding(static_cast<size_t>(spec.num_layers), true);
  if (reader.has("layer_types")) {
    const YAML::Node types = reader.raw("layer_types");
    if (!types.IsSequence() || static_cast<int64_t>(types.size()) != spec.num_layers) {
      reader.fail("layer_types",
                  fmt::format("a list of {} layer kinds (num_hidden_layers)", spec.num_layers));
    }
    size_t i = 0;
    for (const auto& t : types) {
      const std::string kind = t.IsScalar() ? t.Scalar() : "";
      if (kind != "sliding_attention" && kind != "full_attention") {
        reader.fail("layer_types", fmt::format("'sliding_attention' or 'full_attention' for each "
                                               "layer, got '{}'",
                                               t.IsScalar() ? kind : "a list or mapping"));
      }
      sliding[i++] = kind == "sliding_attention";
    }
  } else if (qwen) {
    for (int64_t i = 0; i < std::min(max_window_layers, spec.num_layers); ++i) {
      sliding[static_cast<size_t>(i)] = false;
    }
  }
  // A window as long as the model's context changes nothing.
  if (spec.max_position_embeddings > 0 && window >= spec.max_position_embeddings) return;
  if (std::find(sliding.begin(), sliding.end(), true) == sliding.end()) return;
  spec.sliding_window = window;
  for (size_t i = 0; i < sliding.size(); ++i) spec.layer_kinds[i].sliding = sliding[i];
}

// The counts the cost model reads, from the layers' kinds.
void count_layer_kinds(ModelSpec& spec) {
  spec.moe.moe_layers = 0;
  spec.sliding_layers = 0;
  for (const LayerKind& layer : spec.layer_kinds) {
    spec.moe.moe_layers += layer.moe;
    spec.sliding_layers += layer.sliding;
  }
}

// Parameters counted with checked arithmetic: each factor is bounded, but
// their products are not. An upper bound of params() (every layer with the
// dense FFN, the experts and the shared experts).
void check_total_params(const ModelSpec& spec, const std::string& where) {
  const std::string what = where + ": parameter count";
  const int64_t h = spec.hidden_size;
  int64_t attention =
      checked_add(checked_mul(h, spec.qkv_dim(), what), checked_mul(spec.q_dim(), h, what), what);
  if (spec.mla.any()) {
    const MlaSpec& m = spec.mla;
    const int64_t heads = spec.num_heads;
    const int64_t q_in = m.q_lora_rank > 0 ? m.q_lora_rank : h;
    attention =
        checked_add(checked_mul(h, m.q_lora_rank + m.latent(), what),
                    checked_mul(q_in, checked_mul(heads, m.qk_head_dim(), what), what), what);
    attention = checked_add(
        attention,
        checked_mul(m.kv_lora_rank, checked_mul(heads, m.nope_head_dim + m.v_head_dim, what), what),
        what);
    attention =
        checked_add(attention, checked_mul(checked_mul(heads, m.v_head_dim, what), h, what), what);
  }
  const int64_t mlp = checked_mul(3 * h, spec.intermediate_size, what);
  const int64_t layer = checked_add(attention, mlp, what);
  int64_t layers = checked_mul(spec.num_layers, layer, what);
  if (spec.moe.any()) {
    const int64_t expert = checked_mul(3 * h, spec.moe.expert_intermediate, what);
    const int64_t experts =
        checked_add(checked_mul(spec.moe.experts, expert, what),
                    checked_mul(3 * h, spec.moe.shared_intermediate, what), what);
    layers = checked_add(layers, checked_mul(spec.moe.moe_layers, experts, what), what);
  }
  const int64_t embeddings = checked_mul(2 * spec.vocab_size, h, what);
  const int64_t total = checked_add(layers, embeddings, what);
  if (total > kMaxParams) {
    throw ConfigError(
        fmt::format("{}: {:.3g} parameters is beyond what any machine holds (at most {:.0e})",
                    where, static_cast<double>(total), static_cast<double>(kMaxParams)));
  }
}

}  // namespace

int64_t ModelSpec::attention_projection_params() const {
  if (!mla.any()) return hidden_size * qkv_dim() + q_dim() * hidden_size;
  // q_a (or q) and q_b; kv_a with the shared RoPE key; kv_b up to every
  // head's key and value; o.
  const int64_t q = mla.q_lora_rank > 0 ? hidden_size * mla.q_lora_rank +
                                              mla.q_lora_rank * num_heads * mla.qk_head_dim()
                                        : hidden_size * num_heads * mla.qk_head_dim();
  return q + hidden_size * mla.latent() +
         mla.kv_lora_rank * num_heads * (mla.nope_head_dim + mla.v_head_dim) +
         num_heads * mla.v_head_dim * hidden_size;
}

int64_t ModelSpec::projection_params_per_layer() const {
  return attention_projection_params() + 3 * hidden_size * intermediate_size;
}

namespace {
// What every layer has: attention projections, their bias, the norms (MLA:
// also over its two latents).
int64_t attention_block_params(const ModelSpec& m) {
  const int64_t bias = m.qkv_bias ? m.qkv_dim() : 0;
  const int64_t qk_norm = m.qk_norm ? 2 * m.head_dim : 0;
  const int64_t latent_norms = m.mla.any() ? m.mla.q_lora_rank + m.mla.kv_lora_rank : 0;
  const int64_t o_bias = m.o_bias ? m.hidden_size : 0;
  const int64_t sinks = m.attention_sinks ? m.num_heads : 0;
  return m.attention_projection_params() + bias + o_bias + 2 * m.hidden_size + qk_norm +
         latent_norms + sinks;
}

// An MoE layer's FFN with `experts_counted` of its routed experts.
int64_t moe_ffn_params(const ModelSpec& m, int64_t experts_counted) {
  return experts_counted * (m.expert_params() + m.expert_bias_params()) + m.shared_expert_params() +
         m.router_params();
}

int64_t counted_params(const ModelSpec& m, int64_t experts_counted) {
  const int64_t embedding = m.vocab_size * m.hidden_size;
  const int64_t lm_head = m.tied_embeddings ? 0 : m.vocab_size * m.hidden_size;
  return embedding + m.dense_layers() * m.params_per_layer() +
         m.moe.moe_layers * (attention_block_params(m) + moe_ffn_params(m, experts_counted)) +
         m.hidden_size + lm_head;
}
}  // namespace

int64_t ModelSpec::mtp_params() const {
  if (mtp_layers == 0) return 0;
  // DeepSeek-V3's module: norms of the hidden state and of the next token's
  // embedding, their concatenation projected back to hidden_size, one MoE
  // decoder layer, and a final norm (README_WEIGHTS.md of DeepSeek-V3).
  const int64_t layer =
      attention_block_params(*this) +
      (moe.any() ? moe_ffn_params(*this, moe.experts) : 3 * hidden_size * intermediate_size);
  return mtp_layers * (layer + 2 * hidden_size * hidden_size + 3 * hidden_size);
}

double ModelSpec::weight_bytes() const {
  const auto moe_layers = static_cast<double>(moe.moe_layers);
  const double projections =
      static_cast<double>(dense_layers()) * static_cast<double>(projection_params_per_layer()) +
      moe_layers * static_cast<double>(attention_projection_params() + shared_expert_params());
  const double experts =
      moe_layers * static_cast<double>(moe.experts) * static_cast<double>(expert_params());
  const double rest = static_cast<double>(params()) - projections - experts;
  return projections * precision.weight_bytes_per_param() +
         experts * precision.expert_weight_bytes_per_param() + rest * bytes_per_param;
}

int64_t ModelSpec::params_per_layer() const {
  return attention_block_params(*this) + 3 * hidden_size * intermediate_size;
}

int64_t ModelSpec::params() const {
  return counted_params(*this, moe.experts);
}

int64_t ModelSpec::active_params() const {
  return counted_params(*this, moe.top_k);
}

void set_num_layers(ModelSpec& model, int64_t n) {
  if (!model.layer_kinds.empty()) {
    std::vector<LayerKind> kinds(static_cast<size_t>(n));
    for (size_t i = 0; i < kinds.size(); ++i) {
      kinds[i] = model.layer_kinds[i % model.layer_kinds.size()];
    }
    model.layer_kinds = std::move(kinds);
    count_layer_kinds(model);
  }
  model.num_layers = n;
}

ModelSpec read_model_config(const std::string& path, const std::string& name) {
  SpecReader reader = SpecReader::mapping(load_document(path));
  ModelSpec spec;
  spec.name = name;
  spec.source_file = path;
  const std::string model_type = reader.string("model_type");
  const Family& family = find_family(reader, model_type);
  spec.hidden_size = bounded_integer(reader, "hidden_size", kMaxWidth);
  spec.intermediate_size = bounded_integer(reader, "intermediate_size", kMaxWidth);
  spec.num_heads = bounded_integer(reader, "num_attention_heads", kMaxHeads);
  spec.num_kv_heads = reader.has("num_key_value_heads")
                          ? bounded_integer(reader, "num_key_value_heads", kMaxHeads)
                          : spec.num_heads;
  reader.ignore("num_key_value_heads");
  if (spec.num_heads % spec.num_kv_heads != 0) {
    reader.fail("num_key_value_heads", fmt::format("a divisor of num_attention_heads ({}), got {}",
                                                   spec.num_heads, spec.num_kv_heads));
  }
  if (family.mla) {
    read_mla(reader, spec);
    reader.ignore("head_dim");
  } else if (reader.has("head_dim")) {
    spec.head_dim = bounded_integer(reader, "head_dim", kMaxWidth);
  } else {
    reader.ignore("head_dim");
    if (spec.hidden_size % spec.num_heads != 0) {
      reader.fail("hidden_size", "a multiple of num_attention_heads when head_dim is not given");
    }
    spec.head_dim = spec.hidden_size / spec.num_heads;
  }
  spec.num_layers = bounded_integer(reader, "num_hidden_layers", kMaxLayers);
  spec.layer_kinds.assign(static_cast<size_t>(spec.num_layers), LayerKind{});
  spec.vocab_size = bounded_integer(reader, "vocab_size", kMaxVocab);
  spec.max_position_embeddings = reader.integer_or("max_position_embeddings", 0, 0);
  if (spec.max_position_embeddings > kMaxPositions) {
    reader.fail(
        "max_position_embeddings",
        fmt::format("at most {} positions, got {}", kMaxPositions, spec.max_position_embeddings));
  }
  read_sliding_window(reader, model_type, spec);
  spec.tied_embeddings = reader.boolean_or("tie_word_embeddings", false);
  const bool attention_bias = reader.boolean_or("attention_bias", false);
  spec.qkv_bias = family.qkv_bias || attention_bias;
  spec.o_bias = attention_bias;
  spec.attention_sinks = family.sinks;
  spec.qk_norm = family.qk_norm;
  read_experts(reader, family.experts, spec);
  count_layer_kinds(spec);
  spec.dtype = reader.string_or("torch_dtype", "bfloat16");
  const DType hidden = hidden_dtype(reader, spec.dtype);
  spec.precision = Precision{hidden, hidden, hidden, 0, hidden, std::nullopt};
  spec.bytes_per_param = spec.precision.hidden_bytes();
  if (reader.has("quantization_config")) {
    SpecReader quant = reader.child("quantization_config");
    read_quantization_config(quant, spec.precision);
  } else {
    reader.ignore("quantization_config");
  }
  const std::string act = reader.string_or("hidden_act", "silu");
  if (act != "silu") reader.fail("hidden_act", fmt::format("'silu', got '{}'", act));
  for (auto key : kIgnoredKeys) reader.ignore(std::string(key));
  reader.finish();
  check_total_params(spec, path);
  check_precision(spec.precision, smallest_gemm_k(spec), path + ": quantization_config");
  return spec;
}

std::vector<std::string> model_preset_names() {
  return preset_names("models", ".json");
}

void apply_precision(ModelSpec& model, const PrecisionOverride& o) {
  // Flags name themselves; a file's keys come after the file's name.
  const bool flags = o.source == "flags";
  const std::string prefix = flags ? "" : o.source + ": ";
  const auto parse = [&](const std::optional<std::string>& text, const char* part, DType& out) {
    if (!text) return;
    const auto dtype = parse_dtype(*text);
    if (!dtype) {
      throw ConfigError(
          fmt::format("{}{}: expected one of {}, got '{}'", prefix, part, dtype_names(), *text));
    }
    out = *dtype;
  };
  parse(o.weights, flags ? "--weights" : "weights", model.precision.weights);
  if (o.weights) model.precision.expert_weights.reset();  // every projection in the new format
  parse(o.activations, flags ? "--activations" : "activations", model.precision.activations);
  parse(o.kv, flags ? "--kv" : "kv", model.precision.kv);
  if (o.weight_group && *o.weight_group == 0) {
    throw ConfigError(
        fmt::format("{}{}: expected at least 1 element per scale, or -1 (per "
                    "channel), got 0",
                    prefix, flags ? "--weight-group" : "weight_group"));
  }
  if (o.weight_group) {
    model.precision.weight_group = *o.weight_group;
  } else if (o.weights) {
    model.precision.weight_group = 0;  // a new format: its own default block
  }
  check_precision(model.precision, smallest_gemm_k(model),
                  flags ? "--weights, --activations, --kv, --weight-group" : o.source);
}

ModelSpec load_model(const std::string& name_or_path, std::optional<int64_t> layers_override,
                     const PrecisionOverride& precision) {
  const std::string path = resolve_preset("models", name_or_path, ".json", "model");
  ModelSpec spec = read_model_config(path, preset_display_name(name_or_path, ".json"));
  if (layers_override) {
    if (*layers_override < 1 || *layers_override > kMaxLayers) {
      throw ConfigError(
          fmt::format("--layers: expected 1 to {} layers, got {}", kMaxLayers, *layers_override));
    }
    set_num_layers(spec, *layers_override);
    check_total_params(spec, fmt::format("--layers {}", *layers_override));
  }
  if (precision.any()) apply_precision(spec, precision);
  return spec;
}

}  // namespace jalapeno
