#pragma once
// What the spec harnesses do with a spec that loaded: put it into a step cost
// model beside shipped presets and price a decode and a prefill step, which
// must come out finite and non-negative (or be refused with a ConfigError).
#include <string>

#include "cost/step_cost.hpp"
#include "fuzz_common.hpp"
#include "model/batch.hpp"

namespace jalapeno::fuzz {

inline void check_step_cost(const StepCost& cost, const std::string& what) {
  check_finite(cost.seconds, what + " step seconds");
  check(cost.seconds >= 0, what + " step seconds is negative");
  check_finite(cost.weight_bytes, what + " weight bytes");
  check(cost.weight_bytes >= 0, what + " weight bytes is negative");
  check_finite(cost.flops, what + " flops");
}

// Throws ConfigError (InfeasibleError) when the batches do not fit.
inline void price_steps(StepCostModel& model) {
  check_finite(model.weight_bytes_per_chip(), "weight bytes per chip");
  check_finite(model.kv_bytes_per_token_per_chip(), "KV bytes per token per chip");
  const AttentionWindow window = model.model().attention_window();
  for (const BatchSummary& batch : {decode_batch(8, 1024, window), prefill_batch(1, 512, window)}) {
    model.check_fits(batch);
    check_step_cost(model.cost(batch), batch.prefill_sequences > 0 ? "prefill" : "decode");
    check_finite(model.seconds(batch), "memoised step seconds");
  }
}

}  // namespace jalapeno::fuzz
