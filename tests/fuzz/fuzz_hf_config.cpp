// Hugging Face config.json files (data/models/*.json): the model loader, then
// a step of that model on h200-sxm with the fused engine.
#include "cost/engine_profile.hpp"
#include "fuzz_step.hpp"
#include "hw/chip_spec.hpp"
#include "model/model_spec.hpp"

using namespace jalapeno;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ChipSpec chip = fuzz::context("h200-sxm", [] { return load_chip("h200-sxm"); });
  static const EngineProfile engine = fuzz::context("fused", [] { return load_engine("fused"); });
  const std::string path =
      fuzz::write_file("config.json", std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz::expect_config_error_only([&] {
    ModelSpec model = load_model(path);
    fuzz::check(model.params() > 0, "params");
    fuzz::check(model.weight_bytes() > 0 && std::isfinite(model.weight_bytes()), "weight bytes");
    // A model of recurrent layers alone caches nothing per token, only a
    // state per sequence.
    fuzz::check(model.kv_bytes_per_token() >= 0 && std::isfinite(model.kv_bytes_per_token()),
                "KV bytes per token");
    fuzz::check(model.kv_bytes_per_token() > 0 || model.state_bytes_per_sequence() > 0,
                "a cache or a state");
    StepCostModel cost(std::move(model), chip, engine);
    fuzz::price_steps(cost);
  });
  return 0;
}
