// System specs (data/systems/*.yaml: a chip and the topology joining many) as
// YAML or JSON files: the path loader, the network it describes (routes and a
// ring phase over its chips), then llama-3.1-8b at TP 2 when it has the chips.
#include <algorithm>
#include <optional>
#include <vector>

#include "fuzz_step.hpp"
#include "hw/topology.hpp"
#include "model/model_spec.hpp"
#include "plan/hardware.hpp"

using namespace jalapeno;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ModelSpec model =
      fuzz::context("llama-3.1-8b", [] { return load_model("llama-3.1-8b"); });
  static const EngineProfile engine = fuzz::context("fused", [] { return load_engine("fused"); });
  const fuzz::SpecInput in = fuzz::split_spec_input(data, size);
  const std::string path = fuzz::write_spec("system", in);
  fuzz::expect_config_error_only([&] {
    Hardware hw = load_hardware(path, std::nullopt);
    if (!hw.network) return;  // it read as a chip: the chip harness's business
    const Network& net = *hw.network;
    const int64_t chips = net.chips();
    fuzz::check(chips >= 1 && chips == hw.chips, "chip count");
    // A ring over (at most 64 of) the chips, and the routes to the far end.
    const int64_t ranks = std::min<int64_t>(chips, 64);
    std::vector<Flow> ring;
    for (int64_t r = 0; r < ranks; ++r) {
      const int64_t a = r * (chips / ranks), b = ((r + 1) % ranks) * (chips / ranks);
      fuzz::check(net.hops(a, b) >= 0, "hops");
      ring.push_back({a, b, 1e6});
    }
    fuzz::check(net.hops(0, chips - 1) >= 0, "hops to the last chip");
    const double t = net.phase_seconds(ring);
    fuzz::check(std::isfinite(t) && t >= 0, "ring phase seconds");
    if (chips >= 2) {
      ParallelContext parallel;
      parallel.plan.tp = 2;
      parallel.network = hw.network;
      StepCostModel cost(model, std::move(hw.chip), engine, std::move(parallel));
      fuzz::price_steps(cost);
    }
  });
  return 0;
}
