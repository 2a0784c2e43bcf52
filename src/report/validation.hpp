#pragma once
// Predicted against measured: the cost model on the measurements in
// data/calibration (whole steps and single kernels of an NVIDIA H200).
#include <string>
#include <vector>

namespace jalapeno {

struct ValidationRow {
  std::string set;         // decode_torch_eager, gemm, attn, ...
  std::string label;       // the shape
  double predicted_s = 0;  // seconds, or joules where unit is "J"
  double measured_s = 0;
  const char* unit = "ms";  // how format_validation prints it: "ms" or "J"
  double error() const { return predicted_s / measured_s - 1; }
};

// What each set is held to: its median and maximum |error| (README
// "Accuracy" says why each maximum is where it is).
struct ErrorBudget {
  double median_abs = 0;
  double max_abs = 0;
};

// One validation set: whether its measurements were used to fit any
// parameter (in sample: the H200 steps and kernels the presets'
// efficiencies and fixed costs come from) or not (out of sample: other
// chips, other kernels, published figures), and its budget.
struct ValidationSet {
  std::string name;
  bool in_sample = false;
  ErrorBudget budget;
};

// Every set `jalapeno validate` prints, in-sample ones first.
const std::vector<ValidationSet>& validation_sets();
// The set of that name, or nullptr.
const ValidationSet* find_validation_set(const std::string& set);
// Unknown sets are out of sample.
bool in_sample(const std::string& set);

// Whole steps from steps.json: decode of both engines and eager prefill,
// Llama-3.1-8B with the measured number of layers, on the given chip.
std::vector<ValidationRow> validate_steps(const std::string& steps_json, const std::string& chip);
// GEMMs ("gemm") and decode attention ("attn", where the file has them) from
// a kernels.json-style file, analytical model only. Rows are labelled with
// set_prefix + "gemm" / "attn".
std::vector<ValidationRow> validate_kernels(const std::string& kernels_json,
                                            const std::string& chip,
                                            const std::string& set_prefix = "");

struct ErrorSummary {
  size_t points = 0;
  double median_abs = 0;
  double max_abs = 0;
};
// The production-kernel measurements (kernels_extra.json): fp8 GEMMs,
// flash-decoding attention and causal prefill attention, against the
// analytical model as the fused engine runs them.
std::vector<ValidationRow> validate_production_kernels(const std::string& kernels_json,
                                                       const std::string& chip_name);

// Tensor-parallel decode speed-ups against gpt-fast's published A100 table
// (data/validation/gpt_fast_a100_tp.json): one row per TP above each
// model's smallest, whose time is anchored to its measurement.
std::vector<ValidationRow> validate_tp_scaling(const std::string& published_json);

// Batch-1 time to first token (a prefill of input_len tokens, output 1)
// against TensorRT-LLM's published tables (data/validation/
// trtllm_a100_ttft.json), Llama-2 rows on A100 and H100, the trtllm engine.
std::vector<ValidationRow> validate_published_ttft(const std::string& published_json);

// Board energy per decode step against energy.json (NVML, H200): the
// torch-eager steps the busy power and HBM energy were fitted on, and the
// torch-compiled ones held out.
std::vector<ValidationRow> validate_energy(const std::string& energy_json, const std::string& chip);

// Published offline maximum throughputs (TensorRT-LLM's tables of MoE
// models: data/validation/trtllm_moe_throughput.json), each simulated as
// the benchmark runs it; rows in seconds per output token.
std::vector<ValidationRow> validate_offline_throughput(const std::string& published_json);
// Speculative decoding's speed-up over the same engine without it, anchored
// on the run without (data/validation/speculative_decoding.json: TensorRT-LLM's
// DeepSeek-R1 MTP sweep on B200).
std::vector<ValidationRow> validate_speculative_speedup(const std::string& published_json);

ErrorSummary summarize_errors(const std::vector<ValidationRow>& rows, const std::string& set);
bool within(const ErrorSummary& summary, const ErrorBudget& budget);

// Every set, from the files shipped in data/ (what `jalapeno validate` runs).
std::vector<ValidationRow> validate_all();
// The published serving benchmarks, each simulated (`jalapeno validate
// --serving`; tens of seconds): one set per model, reported without a
// budget yet (README "Accuracy" says how close each comes and why not).
std::vector<ValidationRow> validate_serving();

std::string format_validation(const std::vector<ValidationRow>& rows);
// One line per set: points, median and max |error|, its budget and whether
// it is met.
std::string format_validation_summary(const std::vector<ValidationRow>& rows);

}  // namespace jalapeno
