// Scenario files (data/scenarios/*.yaml) as YAML or JSON: read_scenario, the
// cost model and request source they describe, and their first requests.
// The file lies in <scratch>/scenarios/ beside <scratch>/traces/, which holds
// the head of each shipped trace, so "../traces/azure_llm_2023_code.csv"
// resolves as it does from data/scenarios/.
#include <fstream>
#include <string>

#include "core/presets.hpp"
#include "fuzz_step.hpp"
#include "serve/scenario.hpp"

using namespace jalapeno;

namespace {

void copy_trace_head(const std::string& name, int lines) {
  std::ifstream in(data_dir() + "/traces/" + name);
  std::string text, line;
  for (int i = 0; i < lines && std::getline(in, line); ++i) text += line + "\n";
  fuzz::write_file("traces/" + name, text);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  copy_trace_head("azure_llm_2023_code.csv", 200);
  copy_trace_head("azure_llm_2023_conv.csv", 200);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::SpecInput in = fuzz::split_spec_input(data, size);
  const std::string path = fuzz::write_spec("scenarios/scenario", in);
  fuzz::expect_config_error_only([&] {
    const Scenario scenario = read_scenario(path);
    StepCostModel cost = make_scenario_cost_model(scenario);
    fuzz::price_steps(cost);
    std::unique_ptr<RequestSource> source = make_source(scenario);
    fuzz::check(source != nullptr, "make_source returned null");
    double last = 0;
    for (int i = 0; i < 200 && !source->exhausted(); ++i) {
      const auto request = source->next();
      if (!request) break;  // a closed loop waits for completions
      fuzz::check_finite(request->arrival_s, "arrival time");
      fuzz::check(request->arrival_s >= last, "arrivals out of order");
      fuzz::check(request->input_tokens >= 1 && request->output_tokens >= 1, "token counts");
      last = request->arrival_s;
      source->on_complete(*request, last);
    }
  });
  return 0;
}
