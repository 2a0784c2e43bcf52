// Engine profiles (data/engines/*.yaml) as YAML or JSON files: the path
// loader, then a step of llama-3.1-8b on h200-sxm with that engine.
#include "cost/engine_profile.hpp"
#include "fuzz_step.hpp"
#include "hw/chip_spec.hpp"
#include "model/model_spec.hpp"

using namespace jalapeno;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ModelSpec model =
      fuzz::context("llama-3.1-8b", [] { return load_model("llama-3.1-8b"); });
  static const ChipSpec chip = fuzz::context("h200-sxm", [] { return load_chip("h200-sxm"); });
  const fuzz::SpecInput in = fuzz::split_spec_input(data, size);
  const std::string path = fuzz::write_spec("engine", in);
  fuzz::expect_config_error_only([&] {
    EngineProfile engine = load_engine(path);
    fuzz::check_finite(engine.host_overhead_s, "host overhead");
    StepCostModel cost(model, chip, std::move(engine));
    fuzz::price_steps(cost);
  });
  return 0;
}
