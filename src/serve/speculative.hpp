#pragma once
// Speculative decoding (Leviathan et al. 2023, arXiv 2211.17192; Chen et al.
// 2023, arXiv 2302.01318): a cheap drafter proposes k tokens, the target
// model checks all of them in one forward pass of k + 1 positions per
// sequence, and keeps the leading drafts it agrees with plus one token of its
// own (the correction, or the bonus after k accepted). A sequence therefore
// makes 1 to k + 1 tokens per step, at the cost of the drafter's passes and
// of a verification that reads its KV cache once for k + 1 queries.
//
// Drafters (speculation_methods()):
//  - draft: a separate, smaller model with the target's vocabulary (vLLM's
//    draft-model method), with its own weights and KV cache on the chips;
//  - mtp: the model's own multi-token-prediction modules (DeepSeek-V3's
//    num_nextn_predict_layers), one of the model's last layers run once per
//    draft, reused autoregressively when k exceeds their number (as vLLM
//    and TensorRT-LLM do);
//  - eagle: an EAGLE head (Li et al. 2024, arXiv 2401.15077): one dense
//    decoder layer of the target's shape over its hidden states, sharing its
//    embedding and lm_head.
// Whether a draft is accepted is a probability per position, conditional on
// the drafts before it being accepted; each verification's draws come from
// a hash of (seed, request, verification), so a request's accepted runs do
// not depend on what it was batched with.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cost/step_cost.hpp"

namespace jalapeno {

struct SpeculativeConfig {
  std::string method;  // "" (off), or one of speculation_methods()
  int64_t tokens = 0;  // drafts proposed per verification (vLLM num_speculative_tokens)
  // Acceptance of draft i given drafts 0 .. i-1 were accepted; past the
  // list's end its last entry applies.
  std::vector<double> acceptance;
  std::string draft_model;  // method draft: a model preset or config.json
  uint64_t seed = 1;        // the scenario's
  bool enabled() const { return !method.empty(); }
};

inline constexpr int64_t kMaxSpeculativeTokens = 64;

// The registered drafters: name and what it drafts with.
struct SpeculationMethod {
  const char* name;
  const char* description;
};
const std::vector<SpeculationMethod>& speculation_methods();

// Throws ConfigError, naming the key and its flag and what was expected,
// for an unknown method, a draft count outside 1 to kMaxSpeculativeTokens,
// an acceptance outside [0, 1], or a draft model given to a method without
// one (or missing for `draft`).
void check_speculative(const SpeculativeConfig& config);

class Speculator {
 public:
  // The drafter for a replica of `target`. Throws ConfigError when the
  // target cannot speculate this way: recurrent layers (their state cannot
  // be rolled back past rejected drafts), pipeline stages, mtp without MTP
  // modules, a draft model of another vocabulary or one the plan cannot
  // shard.
  Speculator(const StepCostModel& target, const SpeculativeConfig& config);
  ~Speculator();

  const SpeculativeConfig& config() const { return config_; }
  int64_t tokens() const { return config_.tokens; }
  // Of `proposed` drafts at a request's `verification`-th check, how many
  // lead the run that the target accepts.
  int64_t accepted(uint64_t request_id, int64_t verification, int64_t proposed) const;
  // What the drafter adds to each chip: its weights (for mtp and eagle, what
  // they do not share with the target), and its KV cache per token.
  double weight_bytes_per_chip() const { return weight_bytes_; }
  double kv_bytes_per_token_per_chip() const { return draft_->kv_bytes_per_token_per_chip(); }
  const StepCostModel& drafter() const { return *draft_; }

  // One sequence of a step as the drafter sees it: a prompt chunk
  // (proposals 0), whose tokens the drafter reads into its own cache, or a
  // decoding sequence proposing `proposals` drafts from `context` cached
  // positions.
  struct Work {
    int64_t tokens = 1;
    int64_t context = 0;
    int64_t proposals = 0;
  };
  // The drafter's passes for a step: the first over every prompt chunk and
  // one token of every proposing sequence, pass j over those proposing more
  // than j drafts. Their times and energies add (the passes run one after
  // another, before the target's verification).
  StepTiming timing(const std::vector<Work>& work);

 private:
  SpeculativeConfig config_;
  std::unique_ptr<StepCostModel> draft_;
  double weight_bytes_ = 0;
};

}  // namespace jalapeno
