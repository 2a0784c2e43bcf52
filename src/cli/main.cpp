// The jalapeno command: a thin layer over the library. Bad input of any kind
// ends with a message on stderr and exit code 2.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/presets.hpp"
#include "cost/step_cost.hpp"
#include "report/step_report.hpp"
#include "report/validation.hpp"

namespace {

using namespace jalapeno;

constexpr int kBadInput = 2;

struct StepOptions {
  std::string model;
  std::string hw;
  std::string engine = "fused";
  std::string calibration;
  std::optional<int64_t> layers;
  StepRequest request{"decode", 1, 0, 1};
  bool json = false;
};

StepCostModel make_model(const StepOptions& opt) {
  ChipSpec chip = load_chip(opt.hw);
  if (!opt.calibration.empty()) {
    chip.calibration = read_calibration(opt.calibration);
    chip.calibration_file = opt.calibration;
  }
  return StepCostModel(load_model(opt.model, opt.layers), std::move(chip), load_engine(opt.engine));
}

int run_step(const StepOptions& opt) {
  const StepRequest& req = opt.request;
  if (req.batch < 1)
    throw ConfigError(fmt::format("--batch: expected at least 1, got {}", req.batch));
  if (req.context < 0)
    throw ConfigError(fmt::format("--ctx: expected 0 or more, got {}", req.context));
  if (req.tokens < 1)
    throw ConfigError(fmt::format("--tokens: expected at least 1, got {}", req.tokens));
  StepCostModel model = make_model(opt);
  const BatchSummary batch = to_batch(req);
  check_fits(model.model(), model.chip(), batch);
  const StepCost step = model.cost(batch);
  if (opt.json) {
    std::cout << step_json(model, req, step).dump(2) << "\n";
  } else {
    std::cout << format_step_table(model, req, step);
  }
  return 0;
}

int run_presets() {
  auto list = [](const char* what, const std::vector<std::string>& names) {
    std::string line;
    for (const auto& n : names) line += (line.empty() ? "" : ", ") + n;
    fmt::print("{:<8} {}\n", what, line);
  };
  list("models", model_preset_names());
  list("chips", chip_preset_names());
  list("engines", engine_preset_names());
  return 0;
}

// The default demonstration: predicted decode steps of Llama-3.1-8B with the
// fused engine on H100 and H200, over batch sizes and contexts.
int run_demo() {
  const ModelSpec model = load_model("llama-3.1-8b");
  fmt::print("Predicted decode step time of {} with the fused engine (ms; tokens/s)\n\n",
             model.name);
  const int64_t batches[] = {1, 8, 32, 64, 128, 256};
  const int64_t contexts[] = {1024, 4096, 16384};
  for (const char* hw : {"h100-sxm", "h200-sxm"}) {
    StepCostModel cost(model, load_chip(hw), load_engine("fused"));
    fmt::print("{}\n{:>8}", hw, "batch");
    for (int64_t ctx : contexts) fmt::print(" {:>22}", fmt::format("ctx {}", ctx));
    fmt::print("\n");
    for (int64_t b : batches) {
      fmt::print("{:>8}", b);
      for (int64_t ctx : contexts) {
        const BatchSummary batch = decode_batch(b, ctx);
        const double kv =
            static_cast<double>(batch.decode_kv_positions) * model.kv_bytes_per_token();
        if (model.weight_bytes() + kv > cost.chip().hbm_bytes) {
          fmt::print(" {:>22}", "does not fit");
          continue;
        }
        const double s = cost.seconds(batch);
        fmt::print(" {:>22}",
                   fmt::format("{:.2f} ms; {:.0f} tok/s", s * 1e3, static_cast<double>(b) / s));
      }
      fmt::print("\n");
    }
    fmt::print("\n");
  }
  fmt::print("See `jalapeno step --help` for one step's breakdown by operator.\n");
  return 0;
}

int run_validate(bool json) {
  const std::string dir = data_dir() + "/calibration/h200/";
  std::vector<ValidationRow> rows = validate_steps(dir + "steps.json", "h200-sxm");
  std::vector<ValidationRow> kernels = validate_kernels(dir + "kernels.json", "h200-sxm");
  rows.insert(rows.end(), kernels.begin(), kernels.end());
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& r : rows) {
      out.push_back({{"set", r.set},
                     {"shape", r.label},
                     {"predicted_s", r.predicted_s},
                     {"measured_s", r.measured_s},
                     {"error", r.error()}});
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "Cost model (h200-sxm preset, analytical) against measurements on an NVIDIA H200\n"
              << "(data/calibration/h200; Llama-3.1-8B, bf16)\n\n"
              << format_validation(rows);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"jalapeno: a digital twin of a rack-scale LLM inference machine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "jalapeno 0.1.0");

  StepOptions step;
  CLI::App* step_cmd = app.add_subcommand("step", "Predict one inference step, by operator");
  step_cmd->add_option("--model", step.model, "model preset or config.json path")->required();
  step_cmd->add_option("--hw", step.hw, "chip preset or chip YAML path")->required();
  step_cmd->add_option("--engine", step.engine, "engine preset or YAML path (default: fused)");
  step_cmd->add_option("--layers", step.layers, "override the model's number of layers");
  step_cmd->add_option("--phase", step.request.phase, "decode or prefill (default: decode)")
      ->check(CLI::IsMember({"decode", "prefill"}));
  step_cmd->add_option("--batch", step.request.batch, "sequences in the batch (default: 1)");
  step_cmd->add_option("--ctx", step.request.context, "decode: tokens already cached per sequence");
  step_cmd->add_option("--tokens", step.request.tokens, "prefill: prompt tokens per sequence");
  step_cmd->add_option("--calibration", step.calibration,
                       "kernels.json of measured kernel times that refine the chip");
  step_cmd->add_flag("--json", step.json, "print one JSON object (schema jalapeno.step/1)");

  app.add_subcommand("presets", "List the model, chip and engine presets");
  app.add_subcommand("run", "Run the default demonstration");
  bool validate_json = false;
  CLI::App* validate_cmd =
      app.add_subcommand("validate", "Compare predictions with the H200 measurements");
  validate_cmd->add_flag("--json", validate_json, "print rows as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kBadInput;
  }
  try {
    if (step_cmd->parsed()) return run_step(step);
    if (app.got_subcommand("presets")) return run_presets();
    if (app.got_subcommand("run")) return run_demo();
    if (validate_cmd->parsed()) return run_validate(validate_json);
  } catch (const ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kBadInput;
  }
  return 0;
}
