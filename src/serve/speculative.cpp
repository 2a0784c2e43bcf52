#include "serve/speculative.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/error.hpp"

namespace jalapeno {
namespace {

// SplitMix64's finaliser: one well-mixed word per (seed, request,
// verification, position), whatever order the replica asks in.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double unit_draw(uint64_t seed, uint64_t request, int64_t verification, int64_t position) {
  const uint64_t h = mix(
      mix(mix(mix(seed ^ 0x7370656300000000ULL) ^ request) ^ static_cast<uint64_t>(verification)) ^
      static_cast<uint64_t>(position));
  return static_cast<double>(h >> 11) * 0x1.0p-53;  // [0, 1)
}

// One decoder layer of the target, of the kind `kind`, with the target's
// embedding, lm_head and precision: what an MTP module or an EAGLE head
// costs per pass.
ModelSpec one_layer_of(const ModelSpec& target, LayerKind kind, const std::string& what) {
  ModelSpec m = target;
  m.name = fmt::format("{} ({})", target.name, what);
  m.layer_kinds = {kind};
  set_num_layers(m, 1);
  m.mtp_layers = 0;
  m.sliding_window = 0;
  m.sliding_layers = 0;
  m.window_chunked = false;
  return m;
}

// The target's last layer as a full-attention layer (DeepSeek-V3's MTP
// module is an MoE decoder layer like the model's last).
LayerKind last_layer_kind(const ModelSpec& target) {
  LayerKind kind;
  if (!target.layer_kinds.empty()) kind = target.layer_kinds.back();
  if (target.layer_kinds.empty()) kind.moe = target.moe.any();
  kind.mixer = Mixer::kAttention;
  kind.sliding = false;
  kind.ffn = true;
  return kind;
}

// What a one-layer drafter shares with the target: embedding, lm_head and
// final norm, in the hidden dtype.
double shared_bytes(const ModelSpec& m) {
  const double embedding = static_cast<double>(m.vocab_size) * static_cast<double>(m.hidden_size);
  return (embedding * (m.tied_embeddings ? 1 : 2) + static_cast<double>(m.hidden_size)) *
         m.bytes_per_param;
}

}  // namespace

const std::vector<SpeculationMethod>& speculation_methods() {
  static const std::vector<SpeculationMethod> methods = {
      {"draft", "a separate draft model (speculative.draft_model) with the target's vocabulary"},
      {"mtp", "the model's multi-token-prediction modules (num_nextn_predict_layers)"},
      {"eagle", "an EAGLE head: one dense decoder layer of the target's shape"},
  };
  return methods;
}

void check_speculative(const SpeculativeConfig& config) {
  if (!config.enabled()) return;
  const auto& methods = speculation_methods();
  const bool known = std::any_of(methods.begin(), methods.end(), [&](const SpeculationMethod& m) {
    return config.method == m.name;
  });
  if (!known) {
    std::string names;
    for (const SpeculationMethod& m : methods)
      names += (names.empty() ? "" : ", ") + std::string(m.name);
    throw ConfigError(fmt::format(
        "speculative.method (--speculative): expected one of {}, got '{}'", names, config.method));
  }
  if (config.tokens < 1 || config.tokens > kMaxSpeculativeTokens) {
    throw ConfigError(
        fmt::format("speculative.tokens (--speculative-tokens): expected 1 to {} drafts per "
                    "verification, got {}",
                    kMaxSpeculativeTokens, config.tokens));
  }
  if (config.acceptance.empty()) {
    throw ConfigError(fmt::format(
        "speculative.acceptance (--acceptance): expected the probability that a draft is "
        "accepted, 0 to 1"));
  }
  if (static_cast<int64_t>(config.acceptance.size()) > config.tokens) {
    throw ConfigError(fmt::format(
        "speculative.acceptance_by_position: expected at most {} entries (one per draft), got {}",
        config.tokens, config.acceptance.size()));
  }
  for (size_t i = 0; i < config.acceptance.size(); ++i) {
    const double a = config.acceptance[i];
    if (!(a >= 0 && a <= 1)) {
      throw ConfigError(
          fmt::format("speculative.{} (--acceptance): expected a probability in [0, 1], got {}",
                      config.acceptance.size() > 1 ? fmt::format("acceptance_by_position[{}]", i)
                                                   : std::string("acceptance"),
                      a));
    }
  }
  if (config.method == "draft" && config.draft_model.empty()) {
    throw ConfigError(fmt::format(
        "speculative.draft_model (--draft-model): method draft needs a draft model (a preset "
        "or config.json)"));
  }
  if (config.method != "draft" && !config.draft_model.empty()) {
    throw ConfigError(fmt::format(
        "speculative.draft_model (--draft-model): only method draft takes a draft model; {} "
        "drafts with the target's own layers",
        config.method));
  }
}

Speculator::Speculator(const StepCostModel& target, const SpeculativeConfig& config)
    : config_(config) {
  check_speculative(config);
  const ModelSpec& full = target.full_model();
  if (full.recurrent_layers > 0) {
    throw ConfigError(fmt::format(
        "speculative: {} has recurrent layers, whose state cannot be rolled back past rejected "
        "drafts; speculative decoding is for models whose cache is attention KV alone",
        full.name));
  }
  if (target.plan().pp > 1) {
    throw ConfigError(
        "speculative: not with pipeline stages (pp > 1): each verification needs the last "
        "stage's tokens before the next drafts");
  }
  ParallelContext context = target.parallel();
  ModelSpec drafter;
  if (config.method == "mtp") {
    if (full.mtp_layers == 0) {
      throw ConfigError(fmt::format(
          "speculative.method: mtp drafts with the model's multi-token-prediction modules, and "
          "{} has none (num_nextn_predict_layers 0); use eagle or draft",
          full.name));
    }
    drafter = one_layer_of(full, last_layer_kind(full), "MTP module");
  } else {
    // A dense drafter: tensor-parallel over the replica's chips, no experts.
    context.plan.ep = 1;
    context.plan.dp_attention = false;
    context.routing = {};
    if (config.method == "eagle") {
      LayerKind dense;
      drafter = one_layer_of(full, dense, "EAGLE head");
      drafter.moe = {};
    } else {
      try {
        drafter = load_model(config.draft_model);
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("speculative.draft_model: {}", e.what()));
      }
      if (drafter.vocab_size != full.vocab_size) {
        throw ConfigError(fmt::format(
            "speculative.draft_model: {} has a vocabulary of {} tokens and {} of {}: a draft "
            "model must share the target's tokenizer",
            drafter.name, drafter.vocab_size, full.name, full.vocab_size));
      }
      if (drafter.recurrent_layers > 0) {
        throw ConfigError(fmt::format(
            "speculative.draft_model: {} has recurrent layers, whose state cannot be rolled back",
            drafter.name));
      }
    }
  }
  // The drafter's passes run inside the target's step: its scheduling,
  // sampling and detokenisation are the step's, already counted once.
  EngineProfile engine = target.engine();
  engine.host_step_fixed_s = 0;
  engine.host_step_per_sequence_s = 0;
  try {
    draft_ = std::make_unique<StepCostModel>(drafter, target.chip(), engine, context);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("speculative: the drafter {} on {}: {}", drafter.name,
                                  target.plan().describe(), e.what()));
  }
  weight_bytes_ = draft_->weight_bytes_per_chip();
  if (config.method != "draft") {
    // Its layer alone: the embedding and lm_head are the target's. MTP
    // modules are held whole, however many drafts reuse them.
    const double whole = drafter.weight_bytes();
    const double own = std::max(0.0, whole - shared_bytes(drafter));
    const double modules = config.method == "mtp" ? static_cast<double>(full.mtp_layers) : 1.0;
    weight_bytes_ *= whole > 0 ? modules * own / whole : 0.0;
  }
}

Speculator::~Speculator() = default;

int64_t Speculator::accepted(uint64_t request_id, int64_t verification, int64_t proposed) const {
  const auto& a = config_.acceptance;
  int64_t n = 0;
  while (n < proposed) {
    const double p = a[std::min(static_cast<size_t>(n), a.size() - 1)];
    if (!(unit_draw(config_.seed, request_id, verification, n) < p)) break;
    ++n;
  }
  return n;
}

StepTiming Speculator::timing(const std::vector<Work>& work) {
  StepTiming total;
  const AttentionWindow window = draft_->model().attention_window();
  int64_t passes = 1;
  for (const Work& w : work) passes = std::max(passes, w.proposals);
  for (int64_t pass = 0; pass < passes; ++pass) {
    BatchSummary summary = empty_summary(window);
    bool any = false;
    for (const Work& w : work) {
      if (w.proposals == 0) {
        if (pass > 0) continue;
        add_to_summary(summary, {w.tokens, w.context});
      } else {
        if (w.proposals <= pass) continue;
        add_to_summary(summary, {1, w.context + pass});
      }
      any = true;
    }
    if (!any) continue;
    const StepTiming t = draft_->timing(summary);
    total.seconds += t.seconds;
    total.comm_seconds += t.comm_seconds;
    total.joules += t.joules;
    total.dynamic_joules += t.dynamic_joules;
    total.clock = std::min(total.clock, t.clock);
  }
  return total;
}

}  // namespace jalapeno
