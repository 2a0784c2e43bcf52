#include "model/model_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "core/checked_math.hpp"
#include "core/error.hpp"
#include "core/params.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "model/quantization_config.hpp"

namespace jalapeno {
namespace {

// Keys Hugging Face configs of these families carry that do not change what a
// step costs here. Anything not listed and not read is an error.

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
  int64_t k = m.hidden_size;  // every input projection's
  const auto consider = [&k](int64_t width) {
    if (width > 0) k = std::min(k, width);
  };
  if (m.moe.moe_layers > 0) consider(m.moe.expert_intermediate);
  if (m.dense_layers() > 0) consider(m.intermediate_size);
  if (m.attention_layers() > 0) {
    if (m.mla.any()) {
      consider(m.mla.q_lora_rank > 0 ? m.mla.q_lora_rank : m.hidden_size);
      consider(m.mla.kv_lora_rank);
      consider(m.num_heads * m.mla.v_head_dim);
    } else {
      consider(m.q_dim());
    }
  }
  if (m.recurrent_layers > 0) {
    consider(m.recurrent.inner());  // out_proj (and Mamba-1's x_proj)
    if (m.recurrent.kind == RecurrentKind::kMamba) consider(m.recurrent.dt_rank);
  }
  return k;
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
enum class ExpertKeys { kNone, kMixtral, kQwen3Moe, kDeepseek, kGptOss, kJamba, kLlama4 };
// Where a hybrid's recurrent layers are and what they are.
enum class HybridKeys { kNone, kJamba, kNemotronH, kQwen3Next };
struct Family {
  std::string_view type;
  bool qkv_bias;  // always biased q, k, v (else attention_bias says)
  bool qk_norm;   // RMSNorm over each head of q and k
  ExpertKeys experts;
  bool mla;    // multi-head latent attention (its keys are required)
  bool sinks;  // a learned attention sink per head
  HybridKeys hybrid = HybridKeys::kNone;
};
constexpr std::array<Family, 14> kFamilies{{
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
    {"jamba", false, false, ExpertKeys::kJamba, false, false, HybridKeys::kJamba},
    {"nemotron_h", false, false, ExpertKeys::kNone, false, false, HybridKeys::kNemotronH},
    {"qwen3_next", false, true, ExpertKeys::kQwen3Moe, false, false, HybridKeys::kQwen3Next},
    // Llama 4's text model (a llama4 config's text_config).
    {"llama4_text", false, false, ExpertKeys::kLlama4, false, false},
}};

const Family& find_family(SpecReader& reader, const std::string& type) {
  std::string names;
  for (const Family& f : kFamilies) {
    if (f.type == type) return f;
    names += (names.empty() ? "" : ", ") + std::string(f.type);
  }
  reader.fail("model_type", fmt::format("one of {}, llama4 (its text_config), or a mamba_ssm "
                                        "config (d_model, n_layer, ssm_cfg); got '{}'",
                                        names, type));
}

constexpr int64_t kMaxExperts = 1 << 16;

// The routed experts (under the family's key) and how many a token picks,
// which cannot exceed them.
void read_expert_counts(SpecReader& reader, const char* experts_key, MoeSpec& moe) {
  moe.experts = bounded_integer(reader, experts_key, kMaxExperts);
  moe.top_k = bounded_integer(reader, "num_experts_per_tok", kMaxExperts);
  if (moe.top_k > moe.experts) {
    reader.fail("num_experts_per_tok",
                fmt::format("at most {} ({}), got {}", moe.experts, experts_key, moe.top_k));
  }
}

// DeepSeek-V3's experts (its modeling_deepseek.py): layer i has them from
// first_k_dense_replace on, every moe_layer_freq layers; n_shared_experts of
// moe_intermediate_size each run on every token. Group-limited routing
// (n_group, topk_group) and the scoring function change which experts a
// token picks, not how many: costed as uniform top-k, except that the
// groups bound how many chips a token's experts span under expert
// parallelism.
void read_deepseek_experts(SpecReader& reader, ModelSpec& spec) {
  MoeSpec& moe = spec.moe;
  read_expert_counts(reader, "n_routed_experts", moe);
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
  if (reader.has("n_group")) {
    moe.groups = reader.integer_in("n_group", 1, moe.experts);
    if (moe.experts % moe.groups != 0) {
      reader.fail("n_group", fmt::format("a divisor of the {} routed experts, got {}", moe.experts,
                                         moe.groups));
    }
    moe.groups_per_token =
        reader.has("topk_group") ? reader.integer_in("topk_group", 1, moe.groups) : moe.groups;
    // A token's top_k must fit in its groups.
    if (moe.groups_per_token * (moe.experts / moe.groups) < moe.top_k) {
      reader.fail("topk_group",
                  fmt::format("enough groups for the {} experts a token picks ({} groups of {})",
                              moe.top_k, moe.groups_per_token, moe.experts / moe.groups));
    }
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

// Llama 4 (Hugging Face's Llama4TextConfig and modeling code): the MoE
// layers are `moe_layers`, by default every interleave_moe_layer_step-th;
// each has num_local_experts routed experts of intermediate_size, top-k
// (1), and one shared expert of the same width; the other layers keep a
// dense FFN of intermediate_size_mlp. Layers with RoPE (no_rope_layers 1,
// by default all but every fourth) attend within chunks of
// attention_chunk_size; the NoPE layers attend globally.
void read_llama4_experts(SpecReader& reader, ModelSpec& spec) {
  MoeSpec& moe = spec.moe;
  read_expert_counts(reader, "num_local_experts", moe);
  moe.expert_intermediate = spec.intermediate_size;
  moe.shared_intermediate = spec.intermediate_size;
  spec.intermediate_size = bounded_integer(reader, "intermediate_size_mlp", kMaxWidth);
  const auto layers = static_cast<size_t>(spec.num_layers);
  // A list of 0/1 (or layer indices) per layer, checked.
  const auto flags = [&](const char* key, bool indices) {
    std::vector<bool> out(layers, false);
    const YAML::Node list = reader.raw(key);
    if (!list.IsSequence() || (!indices && list.size() != layers)) {
      reader.fail(key, indices ? "a list of layer indices"
                               : fmt::format("a list of {} flags (num_hidden_layers)", layers));
    }
    size_t i = 0;
    for (const auto& item : list) {
      int64_t v = -1;
      try {
        v = item.as<int64_t>();
      } catch (const YAML::Exception&) {
      }
      if (indices ? (v < 0 || v >= spec.num_layers) : (v != 0 && v != 1)) {
        reader.fail(key, indices ? fmt::format("layer indices from 0 to {}", spec.num_layers - 1)
                                 : std::string("0 or 1 for each layer"));
      }
      if (indices) {
        out[static_cast<size_t>(v)] = true;
      } else {
        out[i] = v == 1;
      }
      ++i;
    }
    return out;
  };
  std::vector<bool> experts(layers, false);
  if (reader.has("moe_layers")) {
    experts = flags("moe_layers", true);
    reader.ignore("interleave_moe_layer_step");
  } else {
    const int64_t step = reader.has("interleave_moe_layer_step")
                             ? reader.integer_in("interleave_moe_layer_step", 1, spec.num_layers)
                             : 1;
    reader.ignore("interleave_moe_layer_step");
    for (size_t i = 0; i < layers; ++i) experts[i] = (static_cast<int64_t>(i) + 1) % step == 0;
  }
  std::vector<bool> rope(layers, true);
  if (reader.has("no_rope_layers")) {
    rope = flags("no_rope_layers", false);
    reader.ignore("no_rope_layer_interval");
  } else {
    const int64_t interval = reader.has("no_rope_layer_interval")
                                 ? reader.integer_in("no_rope_layer_interval", 1, spec.num_layers)
                                 : 4;
    reader.ignore("no_rope_layer_interval");
    for (size_t i = 0; i < layers; ++i) rope[i] = (static_cast<int64_t>(i) + 1) % interval != 0;
  }
  const int64_t chunk = reader.has("attention_chunk_size")
                            ? bounded_integer(reader, "attention_chunk_size", 1 << 20)
                            : 0;
  reader.ignore("attention_chunk_size");
  for (size_t i = 0; i < layers; ++i) {
    LayerKind& kind = spec.layer_kinds[i];
    kind.moe = experts[i];
    kind.rope = rope[i];
    kind.sliding = chunk > 0 && rope[i];
  }
  const bool chunked = chunk > 0 && std::find(rope.begin(), rope.end(), true) != rope.end();
  // A chunk as long as the model's context changes nothing.
  if (chunked && (spec.max_position_embeddings == 0 || chunk < spec.max_position_embeddings)) {
    spec.sliding_window = chunk;
    spec.window_chunked = true;
  } else {
    for (LayerKind& kind : spec.layer_kinds) kind.sliding = false;
  }
  // use_qk_norm: an L2 norm without weights (no parameters, a small op);
  // the temperature tuning of the NoPE layers changes no cost.
  for (const char* key : {"use_qk_norm", "attn_temperature_tuning", "attn_scale", "floor_scale",
                          "for_llm_compressor", "cache_implementation", "moe_layers"}) {
    reader.ignore(key);
  }
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
  MoeSpec& moe = spec.moe;
  if (keys == ExpertKeys::kJamba) {
    // Jamba's experts (its modeling code): layer i has them when
    // i % expert_layer_period == expert_layer_offset, each as wide as the
    // dense FFN.
    read_expert_counts(reader, "num_experts", moe);
    moe.expert_intermediate = spec.intermediate_size;
    const int64_t period = reader.integer_in("expert_layer_period", 1, spec.num_layers);
    const int64_t offset = reader.integer_in("expert_layer_offset", 0, period - 1);
    for (int64_t i = 0; i < spec.num_layers; ++i) {
      spec.layer_kinds[static_cast<size_t>(i)].moe = i % period == offset;
    }
    return;
  }
  if (keys == ExpertKeys::kLlama4) {
    read_llama4_experts(reader, spec);
    return;
  }
  const bool local = keys == ExpertKeys::kMixtral || keys == ExpertKeys::kGptOss;
  const char* experts_key = local ? "num_local_experts" : "num_experts";
  read_expert_counts(reader, experts_key, moe);
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
  // Qwen2-MoE and Qwen3-Next: one shared expert behind a sigmoid gate.
  if (reader.has("shared_expert_intermediate_size")) {
    moe.shared_intermediate = bounded_integer(reader, "shared_expert_intermediate_size", kMaxWidth);
    moe.shared_gate = true;
  }
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

// A recurrent mixer's widths, each bounded so that every product the cost
// model forms stays exact (the state is qk_dim x inner per sequence).
void check_recurrent_widths(SpecReader& reader, const RecurrentSpec& r, const char* inner_key,
                            const char* qk_key) {
  if (r.inner() > kMaxWidth) {
    reader.fail(inner_key,
                fmt::format("an inner width of at most {}, got {}", kMaxWidth, r.inner()));
  }
  if (r.qk_heads * r.qk_dim > kMaxWidth) {
    reader.fail(qk_key,
                fmt::format("a key width of at most {}, got {}", kMaxWidth, r.qk_heads * r.qk_dim));
  }
  if (r.v_heads % r.qk_heads != 0) {
    reader.fail(qk_key,
                fmt::format("a divisor of the {} value heads, got {}", r.v_heads, r.qk_heads));
  }
}

constexpr int64_t kMaxConvKernel = 1024;

// A hybrid's projections must be unbiased: biases are not counted.
void require_unbiased(SpecReader& reader, const char* key) {
  if (reader.boolean_or(key, false)) {
    reader.fail(key, "false (biased mixer projections are not modelled)");
  }
}

// Jamba (its modeling code): attention in layer i when i % attn_layer_period
// == attn_layer_offset, Mamba-1 elsewhere; every layer keeps its FFN.
void read_jamba_layers(SpecReader& reader, ModelSpec& spec) {
  const int64_t period = reader.integer_in("attn_layer_period", 1, spec.num_layers);
  const int64_t offset = reader.integer_in("attn_layer_offset", 0, period - 1);
  for (int64_t i = 0; i < spec.num_layers; ++i) {
    spec.layer_kinds[static_cast<size_t>(i)].mixer =
        i % period == offset ? Mixer::kAttention : Mixer::kRecurrent;
  }
  RecurrentSpec& r = spec.recurrent;
  r.kind = RecurrentKind::kMamba;
  const int64_t expand = reader.integer_in("mamba_expand", 1, 64);
  r.v_heads = expand * spec.hidden_size;  // every channel its own head
  r.v_dim = 1;
  r.qk_heads = 1;
  r.qk_dim = bounded_integer(reader, "mamba_d_state", kMaxWidth);
  r.conv_kernel = reader.integer_in("mamba_d_conv", 1, kMaxConvKernel);
  // "auto": ceil(hidden / 16), as Mamba defines it.
  if (reader.has("mamba_dt_rank") && reader.raw("mamba_dt_rank").IsScalar() &&
      reader.raw("mamba_dt_rank").Scalar() == "auto") {
    r.dt_rank = (spec.hidden_size + 15) / 16;
    reader.ignore("mamba_dt_rank");
  } else {
    r.dt_rank = bounded_integer(reader, "mamba_dt_rank", kMaxWidth);
  }
  r.conv_bias = reader.boolean_or("mamba_conv_bias", true);
  r.dt_bc_norms = true;
  require_unbiased(reader, "mamba_proj_bias");
  check_recurrent_widths(reader, r, "mamba_expand", "mamba_d_state");
}

// Nemotron-H: one block per layer, named by hybrid_override_pattern: 'M' a
// Mamba-2 mixer, '*' attention without rotary embedding, '-' an FFN (its
// modeling code; NVIDIA's Nemotron-H paper, arXiv 2504.03624).
void read_nemotron_h_layers(SpecReader& reader, ModelSpec& spec) {
  const std::string pattern = reader.string("hybrid_override_pattern");
  if (static_cast<int64_t>(pattern.size()) != spec.num_layers) {
    reader.fail("hybrid_override_pattern",
                fmt::format("one character per layer ({}, num_hidden_layers), got {}",
                            spec.num_layers, pattern.size()));
  }
  for (size_t i = 0; i < pattern.size(); ++i) {
    LayerKind& layer = spec.layer_kinds[i];
    switch (pattern[i]) {
      case 'M':
        layer.mixer = Mixer::kRecurrent;
        layer.ffn = false;
        break;
      case '*':
        layer.ffn = false;
        layer.rope = false;
        break;
      case '-':
        layer.mixer = Mixer::kNone;
        break;
      default:
        reader.fail("hybrid_override_pattern",
                    fmt::format("'M' (Mamba-2), '*' (attention) or '-' (FFN) per layer, got "
                                "'{}' at layer {}",
                                pattern[i], i));
    }
  }
  if (pattern.find_first_of("M*") == std::string::npos) {
    reader.fail("hybrid_override_pattern",
                "at least one 'M' or '*' layer: a model needs something that mixes tokens");
  }
  RecurrentSpec& r = spec.recurrent;
  r.kind = RecurrentKind::kMamba2;
  r.v_heads = bounded_integer(reader, "mamba_num_heads", kMaxHeads);
  r.v_dim = bounded_integer(reader, "mamba_head_dim", kMaxWidth);
  r.qk_heads = bounded_integer(reader, "n_groups", kMaxHeads);
  r.qk_dim = bounded_integer(reader, "ssm_state_size", kMaxWidth);
  r.conv_kernel = reader.integer_in("conv_kernel", 1, kMaxConvKernel);
  r.chunk = bounded_integer(reader, "chunk_size", kMaxWidth);
  r.conv_bias = reader.boolean_or("use_conv_bias", true);
  require_unbiased(reader, "use_bias");
  require_unbiased(reader, "mamba_proj_bias");
  check_recurrent_widths(reader, r, "mamba_num_heads", "n_groups");
  if (reader.has("attention_head_dim")) {
    spec.head_dim = bounded_integer(reader, "attention_head_dim", kMaxWidth);
  }
  const std::string act = reader.string_or("mlp_hidden_act", "relu2");
  if (act != "relu2") reader.fail("mlp_hidden_act", fmt::format("'relu2', got '{}'", act));
  spec.gated_ffn = false;
  const std::string mamba_act = reader.string_or("mamba_hidden_act", "silu");
  if (mamba_act != "silu") {
    reader.fail("mamba_hidden_act", fmt::format("'silu', got '{}'", mamba_act));
  }
  for (const char* key : {"expand", "time_step_rank", "time_step_min", "time_step_max",
                          "time_step_floor", "time_step_limit", "layer_norm_epsilon",
                          "rescale_prenorm_residual", "residual_in_fp32", "num_logits_to_keep"}) {
    reader.ignore(key);
  }
}

// Qwen3-Next: gated full attention in every full_attention_interval-th
// layer, Gated DeltaNet in the others; both with the MoE FFN. DeltaNet's
// chunked prefill runs in chunks of 64 (flash-linear-attention's
// chunk_gated_delta_rule, which vLLM and SGLang call).
void read_qwen3_next_layers(SpecReader& reader, ModelSpec& spec) {
  const int64_t interval = reader.integer_in("full_attention_interval", 1, spec.num_layers);
  for (int64_t i = 0; i < spec.num_layers; ++i) {
    spec.layer_kinds[static_cast<size_t>(i)].mixer =
        (i + 1) % interval == 0 ? Mixer::kAttention : Mixer::kRecurrent;
  }
  RecurrentSpec& r = spec.recurrent;
  r.kind = RecurrentKind::kGatedDeltaNet;
  r.qk_heads = bounded_integer(reader, "linear_num_key_heads", kMaxHeads);
  r.qk_dim = bounded_integer(reader, "linear_key_head_dim", kMaxWidth);
  r.v_heads = bounded_integer(reader, "linear_num_value_heads", kMaxHeads);
  r.v_dim = bounded_integer(reader, "linear_value_head_dim", kMaxWidth);
  r.conv_kernel = reader.integer_in("linear_conv_kernel_dim", 1, kMaxConvKernel);
  r.chunk = 64;
  check_recurrent_widths(reader, r, "linear_num_value_heads", "linear_num_key_heads");
  spec.attention_output_gate = true;
  reader.ignore("partial_rotary_factor");  // RoPE on a quarter of each head: a small op
}

void read_hybrid_layers(SpecReader& reader, HybridKeys keys, ModelSpec& spec) {
  switch (keys) {
    case HybridKeys::kJamba:
      read_jamba_layers(reader, spec);
      break;
    case HybridKeys::kNemotronH:
      read_nemotron_h_layers(reader, spec);
      break;
    case HybridKeys::kQwen3Next:
      read_qwen3_next_layers(reader, spec);
      break;
    case HybridKeys::kNone:
      break;
  }
  for (const char* key : {"use_mamba_kernels", "num_logits_to_keep"}) reader.ignore(key);
}

// The counts the cost model reads, from the layers' kinds.
void count_layer_kinds(ModelSpec& spec) {
  spec.moe.moe_layers = 0;
  spec.sliding_layers = 0;
  spec.recurrent_layers = 0;
  spec.ffn_only_layers = 0;
  spec.mixer_only_layers = 0;
  spec.nope_layers = 0;
  for (const LayerKind& layer : spec.layer_kinds) {
    const bool attention = layer.mixer == Mixer::kAttention;
    spec.moe.moe_layers += layer.ffn && layer.moe;
    spec.sliding_layers += attention && layer.sliding;
    spec.recurrent_layers += layer.mixer == Mixer::kRecurrent;
    spec.ffn_only_layers += layer.mixer == Mixer::kNone;
    spec.mixer_only_layers += !layer.ffn;
    spec.nope_layers += attention && !layer.rope;
  }
}

// A config.json as the mamba_ssm package writes it (state-spaces/mamba2-*,
// mamba-*): d_model, n_layer and an ssm_cfg whose omitted keys take the
// defaults of mamba_ssm's Mamba2 and Mamba modules. The file names no dtype:
// bfloat16 is assumed, as these checkpoints are served.
void read_mamba_ssm_config(SpecReader& reader, ModelSpec& spec) {
  spec.hidden_size = bounded_integer(reader, "d_model", kMaxWidth);
  spec.num_layers = bounded_integer(reader, "n_layer", kMaxLayers);
  const int64_t vocab = bounded_integer(reader, "vocab_size", kMaxVocab);
  const int64_t pad = reader.integer_in("pad_vocab_size_multiple", 1, 1 << 16);
  spec.vocab_size = (vocab + pad - 1) / pad * pad;  // the embedding is padded so
  // A GatedMLP after each mixer when d_intermediate > 0.
  spec.intermediate_size = reader.integer_in("d_intermediate", 0, kMaxWidth);
  if (reader.has("attn_layer_idx")) {
    const YAML::Node idx = reader.raw("attn_layer_idx");
    if (!idx.IsSequence() || idx.size() != 0) {
      reader.fail("attn_layer_idx",
                  "an empty list: mamba_ssm's attention layers are not modelled (use the model's "
                  "Hugging Face config)");
    }
  }
  reader.ignore("attn_layer_idx");
  reader.ignore("attn_cfg");
  if (!reader.boolean_or("rms_norm", true)) reader.fail("rms_norm", "true (RMSNorm)");
  spec.tied_embeddings = reader.boolean_or("tie_embeddings", true);
  for (const char* key : {"residual_in_fp32", "fused_add_norm"}) reader.ignore(key);
  SpecReader ssm = reader.child("ssm_cfg");
  const std::string layer = ssm.string_or("layer", "Mamba1");
  RecurrentSpec& r = spec.recurrent;
  const bool mamba2 = layer == "Mamba2";
  if (!mamba2 && layer != "Mamba1") {
    ssm.fail("layer", fmt::format("'Mamba1' or 'Mamba2', got '{}'", layer));
  }
  // mamba_ssm/modules/mamba2.py and mamba_simple.py constructor defaults.
  r.kind = mamba2 ? RecurrentKind::kMamba2 : RecurrentKind::kMamba;
  r.qk_dim = ssm.integer_or("d_state", mamba2 ? 128 : 16, 1);
  if (r.qk_dim > kMaxWidth) ssm.fail("d_state", fmt::format("at most {}", kMaxWidth));
  r.conv_kernel = ssm.integer_or("d_conv", 4, 1);
  if (r.conv_kernel > kMaxConvKernel) ssm.fail("d_conv", fmt::format("at most {}", kMaxConvKernel));
  const int64_t expand = ssm.integer_or("expand", 2, 1);
  if (expand > 64) ssm.fail("expand", "at most 64");
  const int64_t inner = expand * spec.hidden_size;
  r.conv_bias = ssm.boolean_or("conv_bias", true);
  require_unbiased(ssm, "bias");
  if (mamba2) {
    r.v_dim = ssm.integer_or("headdim", 64, 1);
    if (r.v_dim > kMaxWidth || inner % r.v_dim != 0) {
      ssm.fail("headdim", fmt::format("a divisor of the inner width {} (expand x d_model)", inner));
    }
    r.v_heads = inner / r.v_dim;
    r.qk_heads = ssm.integer_or("ngroups", 1, 1);
    if (r.qk_heads > kMaxHeads) ssm.fail("ngroups", fmt::format("at most {}", kMaxHeads));
    r.chunk = ssm.integer_or("chunk_size", 256, 1);
    if (r.chunk > kMaxWidth) ssm.fail("chunk_size", fmt::format("at most {}", kMaxWidth));
    if (!ssm.boolean_or("rmsnorm", true)) ssm.fail("rmsnorm", "true (the gated RMSNorm)");
    for (const char* key : {"norm_before_gate", "D_has_hdim"}) {
      if (ssm.boolean_or(key, false)) ssm.fail(key, "false (the default)");
    }
  } else {
    r.v_heads = inner;
    r.v_dim = 1;
    r.qk_heads = 1;
    r.dt_rank = (spec.hidden_size + 15) / 16;
    if (ssm.has("dt_rank") &&
        !(ssm.raw("dt_rank").IsScalar() && ssm.raw("dt_rank").Scalar() == "auto")) {
      r.dt_rank = ssm.integer_in("dt_rank", 1, kMaxWidth);
    }
    ssm.ignore("dt_rank");
  }
  for (const char* key :
       {"dt_min", "dt_max", "dt_init_floor", "dt_limit", "A_init_range", "learnable_init_states",
        "activation", "use_mem_eff_path", "dt_scale", "dt_init"}) {
    ssm.ignore(key);
  }
  ssm.finish();
  check_recurrent_widths(reader, r, "ssm_cfg", "ssm_cfg");
  spec.layer_kinds.assign(static_cast<size_t>(spec.num_layers), LayerKind{});
  for (LayerKind& kind : spec.layer_kinds) {
    kind.mixer = Mixer::kRecurrent;
    kind.ffn = spec.intermediate_size > 0;
  }
  count_layer_kinds(spec);
  spec.dtype = "bfloat16";
  spec.precision =
      Precision{DType::kBf16, DType::kBf16, DType::kBf16, 0, DType::kBf16, std::nullopt};
  spec.bytes_per_param = spec.precision.hidden_bytes();
  reader.finish();
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
  int64_t layer = checked_add(attention, mlp, what);
  if (spec.recurrent.any()) {
    // Each of the recurrent spec's widths is bounded when read, so one
    // layer's count is exact; the sum over layers is checked below.
    layer = checked_add(layer, spec.recurrent.projection_params(h) + spec.recurrent.other_params(),
                        what);
  }
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

int64_t RecurrentSpec::conv_channels() const {
  // Mamba-1 convolves x alone; Mamba-2 x, B and C; Gated DeltaNet q, k and v.
  return inner() + (kind == RecurrentKind::kMamba ? 0 : 2 * qk_heads * qk_dim);
}

int64_t RecurrentSpec::in_proj_width() const {
  switch (kind) {
    case RecurrentKind::kMamba:  // x and the gate z
      return 2 * inner();
    case RecurrentKind::kMamba2:  // z, x, B, C and one dt per head
      return 2 * inner() + 2 * qk_heads * qk_dim + v_heads;
    case RecurrentKind::kGatedDeltaNet:  // q, k, v, the gate z, and beta and alpha per head
      return 2 * qk_heads * qk_dim + 2 * inner() + 2 * v_heads;
    case RecurrentKind::kNone:
      break;
  }
  return 0;
}

int64_t RecurrentSpec::projection_params(int64_t hidden) const {
  int64_t params = hidden * in_proj_width() + inner() * hidden;  // in_proj, out_proj
  if (kind == RecurrentKind::kMamba) {
    // x_proj to dt's low rank, B and C; dt_proj back up to every channel.
    params += inner() * (dt_rank + 2 * qk_dim) + dt_rank * inner();
  }
  return params;
}

int64_t RecurrentSpec::other_params() const {
  const int64_t conv = conv_channels() * conv_kernel + (conv_bias ? conv_channels() : 0);
  switch (kind) {
    case RecurrentKind::kMamba:
      // dt_proj's bias, A (a decay per channel and state), D; Jamba's
      // RMSNorms over dt, B and C.
      return conv + inner() + inner() * qk_dim + inner() + (dt_bc_norms ? dt_rank + 2 * qk_dim : 0);
    case RecurrentKind::kMamba2:
      // dt bias, A and D per head; the gated RMSNorm over the output.
      return conv + 3 * v_heads + inner();
    case RecurrentKind::kGatedDeltaNet:
      // A and dt bias per value head; a gated RMSNorm over each head's output.
      return conv + 2 * v_heads + v_dim;
    case RecurrentKind::kNone:
      break;
  }
  return 0;
}

int64_t ModelSpec::attention_projection_params() const {
  // Qwen3-Next's q_proj doubles: a sigmoid gate per query element.
  const int64_t gate = attention_output_gate ? hidden_size * q_dim() : 0;
  if (!mla.any()) return hidden_size * qkv_dim() + q_dim() * hidden_size + gate;
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
  return attention_projection_params() + dense_ffn_params();
}

namespace {
// An attention mixer's parameters beyond its norm: projections, their
// biases, q/k norms (MLA: over its two latents), sinks.
int64_t attention_params(const ModelSpec& m) {
  const int64_t bias = m.qkv_bias ? m.qkv_dim() : 0;
  const int64_t qk_norm = m.qk_norm ? 2 * m.head_dim : 0;
  const int64_t latent_norms = m.mla.any() ? m.mla.q_lora_rank + m.mla.kv_lora_rank : 0;
  const int64_t o_bias = m.o_bias ? m.hidden_size : 0;
  const int64_t sinks = m.attention_sinks ? m.num_heads : 0;
  return m.attention_projection_params() + bias + o_bias + qk_norm + latent_norms + sinks;
}

// An MoE layer's FFN with `experts_counted` of its routed experts.
int64_t moe_ffn_params(const ModelSpec& m, int64_t experts_counted) {
  return experts_counted * (m.expert_params() + m.expert_bias_params()) + m.shared_expert_params() +
         m.router_params() + (m.moe.shared_gate ? m.hidden_size : 0);
}

// Every layer kind summed, each mixer and each FFN with its RMSNorm.
int64_t counted_params(const ModelSpec& m, int64_t experts_counted) {
  const int64_t embedding = m.vocab_size * m.hidden_size;
  const int64_t lm_head = m.tied_embeddings ? 0 : m.vocab_size * m.hidden_size;
  const int64_t recurrent =
      m.recurrent.projection_params(m.hidden_size) + m.recurrent.other_params();
  const int64_t norms = (m.mixer_layers() + m.ffn_layers()) * m.hidden_size;
  return embedding + m.attention_layers() * attention_params(m) + m.recurrent_layers * recurrent +
         norms + m.dense_layers() * m.dense_ffn_params() +
         m.moe.moe_layers * moe_ffn_params(m, experts_counted) + m.hidden_size + lm_head;
}
}  // namespace

int64_t ModelSpec::mtp_params() const {
  if (mtp_layers == 0) return 0;
  // DeepSeek-V3's module: norms of the hidden state and of the next token's
  // embedding, their concatenation projected back to hidden_size, one MoE
  // decoder layer, and a final norm (README_WEIGHTS.md of DeepSeek-V3).
  const int64_t layer = attention_params(*this) + 2 * hidden_size +
                        (moe.any() ? moe_ffn_params(*this, moe.experts) : dense_ffn_params());
  return mtp_layers * (layer + 2 * hidden_size * hidden_size + 3 * hidden_size);
}

double ModelSpec::weight_bytes() const {
  const auto moe_layers = static_cast<double>(moe.moe_layers);
  const double projections =
      static_cast<double>(attention_layers()) * static_cast<double>(attention_projection_params()) +
      static_cast<double>(recurrent_layers) *
          static_cast<double>(recurrent.projection_params(hidden_size)) +
      static_cast<double>(dense_layers()) * static_cast<double>(dense_ffn_params()) +
      moe_layers * static_cast<double>(shared_expert_params());
  const double experts =
      moe_layers * static_cast<double>(moe.experts) * static_cast<double>(expert_params());
  const double rest = static_cast<double>(params()) - projections - experts;
  return projections * precision.weight_bytes_per_param() +
         experts * precision.expert_weight_bytes_per_param() + rest * bytes_per_param;
}

int64_t ModelSpec::params_per_layer() const {
  return attention_params(*this) + 2 * hidden_size + dense_ffn_params();
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
  SpecReader file = SpecReader::mapping(load_document(path), "", &model_param_kind());
  ModelSpec spec;
  spec.name = name;
  spec.source_file = path;
  if (!file.has("model_type") && file.has("ssm_cfg")) {
    read_mamba_ssm_config(file, spec);
    check_total_params(spec, path);
    return spec;
  }
  // A multimodal Llama 4 config wraps its language model in text_config:
  // that is what is costed (the vision encoder is not).
  const bool wrapped = file.has("model_type") && file.raw("model_type").IsScalar() &&
                       file.raw("model_type").Scalar() == "llama4";
  SpecReader reader = wrapped ? file.child("text_config") : file;
  if (wrapped) {
    for (const char* key : {"model_type", "tie_word_embeddings", "torch_dtype"}) file.ignore(key);
    file.ignore_declared();  // the vision encoder's keys among them
    file.finish();
  }
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
  read_hybrid_layers(reader, family.hybrid, spec);
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
  reader.ignore_declared();  // model_params.cpp lists them
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
