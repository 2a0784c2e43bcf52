#pragma once
// Presenting a step's cost: a console table and a JSON object.
#include <nlohmann/json.hpp>
#include <string>

#include "cost/step_cost.hpp"

namespace jalapeno {

struct StepRequest {
  std::string phase;  // "decode" or "prefill"
  int64_t batch = 1;
  int64_t context = 0;  // decode: cached tokens per sequence
  int64_t tokens = 1;   // prefill: prompt tokens per sequence
};

// `window`: the model's local attention window (ModelSpec::attention_window()).
BatchSummary to_batch(const StepRequest& request, AttentionWindow window);

std::string format_step_table(const StepCostModel& model, const StepRequest& request,
                              const StepCost& step);
// Schema "jalapeno.step/1", documented in README.
nlohmann::ordered_json step_json(const StepCostModel& model, const StepRequest& request,
                                 const StepCost& step);

}  // namespace jalapeno
