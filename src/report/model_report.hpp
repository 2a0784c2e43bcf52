#pragma once
// `jalapeno model`: what a model is as served — parameters, bytes at its
// precision, KV bytes per token, FLOPs per token — and, on a chip or a plan,
// the largest KV cache and the longest context that fit.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cost/step_cost.hpp"
#include "model/model_spec.hpp"

namespace jalapeno {

struct ModelFacts {
  int64_t total_params = 0;
  int64_t active_params = 0;  // per token: all of a dense model
  double weight_bytes = 0;
  double kv_bytes_per_token = 0;
  double state_bytes_per_sequence = 0;  // recurrent layers' state, whatever the length
  int64_t context = 0;                  // the context FLOPs per token are given at
  double flops_per_token = 0;           // a decode token at that context
  // On a chip or plan (per chip): weights, what is left for the KV cache,
  // the tokens it holds, and the longest context one sequence may reach
  // (also bounded by max_position_embeddings; -1: no bound at all, for a
  // model without attention), and with recurrent state, the most sequences
  // whose states fit.
  struct Fit {
    std::string hw;
    std::string plan;
    double hbm_bytes = 0;
    double weight_bytes_per_chip = 0;
    double kv_cache_bytes = 0;
    int64_t kv_cache_tokens = 0;
    int64_t longest_context = 0;
    int64_t max_sequences = 0;  // 0 without recurrent layers
  };
  std::optional<Fit> fit;
};

// model: the full model; cost (optional) gives the chip and plan to fit on.
ModelFacts model_facts(const ModelSpec& model, int64_t context, const StepCostModel* cost);

nlohmann::ordered_json model_json(const ModelSpec& model, const ModelFacts& facts);
std::string format_model_table(const ModelSpec& model, const ModelFacts& facts);

}  // namespace jalapeno
