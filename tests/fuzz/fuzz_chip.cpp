// Chip specs (data/chips/*.yaml) as YAML or JSON files: the path loader, then
// a step of llama-3.1-8b with the fused engine on that chip.
#include "cost/engine_profile.hpp"
#include "fuzz_step.hpp"
#include "hw/chip_spec.hpp"
#include "model/model_spec.hpp"

using namespace jalapeno;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ModelSpec model =
      fuzz::context("llama-3.1-8b", [] { return load_model("llama-3.1-8b"); });
  static const EngineProfile engine = fuzz::context("fused", [] { return load_engine("fused"); });
  const fuzz::SpecInput in = fuzz::split_spec_input(data, size);
  const std::string path = fuzz::write_spec("chip", in);
  fuzz::expect_config_error_only([&] {
    ChipSpec chip = load_chip(path);
    fuzz::check(chip.hbm_bytes > 0 && std::isfinite(chip.hbm_bytes), "hbm capacity");
    fuzz::check(chip.hbm_Bps > 0 && std::isfinite(chip.hbm_Bps), "hbm bandwidth");
    fuzz::check(chip.compute_units > 0, "compute units");
    StepCostModel cost(model, std::move(chip), engine);
    fuzz::price_steps(cost);
  });
  return 0;
}
