// Hostile input over the command line: a table of bad inputs of every kind
// (unit strings, chip, engine, system, scenario and model files in YAML and
// JSON, length specs, traces, calibration tables, and the flags of every
// subcommand), each run as a user would run it. Every case must end within a
// time limit with exit code 2, nothing on stdout, and a message on stderr that
// names the file or flag and the key or field (and the line where the format
// has lines). Each case is genuinely bad input: the base files it edits are
// checked to be valid on their own (BaseInputsAreValid).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli_support.hpp"

namespace jalapeno {
namespace {

using cli_support::CliResult;
using cli_support::RunOptions;
using cli_support::source_file;
using cli_support::TestDir;

// Generous: the slowest case reads a few MB; a hang is what this catches.
constexpr int kTimeLimitSeconds = 20;

struct Case {
  std::string name;
  std::vector<std::string> args;                           // "{dir}": the case's directory
  std::vector<std::pair<std::string, std::string>> files;  // written into {dir}
  // Substrings of stderr, all required; "a|b" is satisfied by either.
  std::vector<std::string> expect;
  std::vector<std::string> env;  // NAME=VALUE
  std::string setup_error;       // a base file without the text an edit replaces
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "jalapeno";
  for (const auto& arg : c.args) *os << " " << (arg.size() > 80 ? arg.substr(0, 80) + "..." : arg);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A base text with one edit, and the line (1-based) of the edit's marker: by
// default the first line of the replacement; 0 for a deletion.
struct Edited {
  std::string text;
  int line = 0;
  std::string error;
};

Edited edit(const std::string& base, const std::string& from, const std::string& to,
            const std::string& at = "") {
  Edited e;
  const size_t pos = base.find(from);
  if (pos == std::string::npos) {
    e.error = "the base file has no '" + from + "'";
    return e;
  }
  e.text = base;
  e.text.replace(pos, from.size(), to);
  const std::string marker = at.empty() ? to.substr(0, to.find('\n')) : at;
  if (!marker.empty()) {
    const size_t mark = e.text.find(marker, pos);
    if (mark == std::string::npos) {
      e.error = "the edit has no marker '" + marker + "'";
      return e;
    }
    e.line = 1 + static_cast<int>(std::count(e.text.begin(), e.text.begin() + mark, '\n'));
  }
  return e;
}

std::string nested_arrays(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// --- base inputs, each valid on its own ------------------------------------------

const std::string& chip_yaml() {
  static const std::string text = source_file("data/chips/h200-sxm.yaml");
  return text;
}
const std::string& engine_yaml() {
  static const std::string text = source_file("data/engines/fused.yaml");
  return text;
}
const std::string& switched_yaml() {
  static const std::string text = source_file("data/systems/hgx-h200.yaml");
  return text;
}
const std::string& leaf_spine_yaml() {
  static const std::string text = source_file("data/systems/ib-leaf-spine-256.yaml");
  return text;
}
const std::string& torus_yaml() {
  static const std::string text = source_file("data/systems/torus-4x4x4.yaml");
  return text;
}
const std::string& model_json() {
  static const std::string text = source_file("data/models/llama-3.1-8b.json");
  return text;
}

const std::string kRingYaml =
    "name: ring-8\n"
    "source: test ring of eight H100s\n"
    "chip: h100-sxm\n"
    "topology:\n"
    "  kind: ring\n"
    "  chips: 8\n"
    "  link: {bandwidth: 75GB/s, efficiency: 0.82, latency: 0.25us}\n"
    "  switch_latency: 0.25us\n"
    "  message_overhead: 1us\n"
    "  collective_launch: 25us\n";

const std::string kChipJson = R"({
  "name": "json-chip",
  "source": "h200-sxm as JSON",
  "matrix": {"bf16": "989TFLOPS", "fp16": "989TFLOPS", "fp8": "1979TFLOPS", "tf32": "494TFLOPS"},
  "vector": "67TFLOPS",
  "compute_units": 132,
  "hbm": {"capacity": "141GB", "bandwidth": "4.8TB/s"},
  "sram": {"capacity": "50MB"},
  "tdp": "700W",
  "efficiency": {"matrix": 0.78, "hbm_read": 0.92, "hbm_copy": 0.573, "unit_bandwidth": "60GB/s"},
  "kernel_fixed_cost": "2.2us",
  "gemm_fixed_cost": "5us",
  "gemm_tiles": [{"m": 128, "n": 256, "efficiency": 1.0}, {"m": 64, "n": 64, "efficiency": 0.6}],
  "max_split_k": 16
}
)";

// Lines 1-11; the cases below refer to them by number.
const std::string kScenarioYaml =
    "model: llama-3.1-8b\n"                                                       // 1
    "engine: fused\n"                                                             // 2
    "system: {hw: h200-sxm, replicas: 1, router: round-robin}\n"                  // 3
    "scheduler: {max_sequences: 64, max_batched_tokens: 4096, block_size: 16}\n"  // 4
    "workload:\n"                                                                 // 5
    "  arrivals: {poisson: 10/s}\n"                                               // 6
    "  input_tokens: lognormal:512:0.8:4096\n"                                    // 7
    "  output_tokens: 64\n"                                                       // 8
    "  requests: 20\n"                                                            // 9
    "slo: {ttft: 1s, tpot: 50ms}\n"                                               // 10
    "seed: 1\n";                                                                  // 11

const std::string kWorkloadLines =
    "workload:\n"
    "  arrivals: {poisson: 10/s}\n"
    "  input_tokens: lognormal:512:0.8:4096\n"
    "  output_tokens: 64\n"
    "  requests: 20\n";

const std::string kKernelsJson = R"({
  "meta": {"gpu": "test"},
  "gemm": [{"op": "8b.qkv", "m": 1, "k": 4096, "n": 6144, "seconds": 1.6e-05},
           {"op": "8b.qkv", "m": 2, "k": 4096, "n": 6144, "seconds": 1.7e-05}],
  "attn": [{"group": 4, "kv_heads": 8, "head_dim": 128, "batch": 1, "ctx": 1024, "seconds": 2e-05}]
}
)";

const std::string kAzureHeader = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
const std::string kAzureRow = "2023-11-16 18:15:46.6805900,374,44\n";
const std::string kBurstHeader =
    "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n";
const std::string kJsonlRow = R"({"timestamp": 1, "input_tokens": 10, "output_tokens": 5})"
                              "\n";

std::vector<std::string> step_with(std::vector<std::string> extra) {
  std::vector<std::string> args{"step", "--model", "llama-3.1-8b", "--hw", "h200-sxm"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
std::vector<std::string> serve_with(std::vector<std::string> extra) {
  std::vector<std::string> args{"serve", "--model", "llama-3.1-8b", "--hw", "h200-sxm"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
std::vector<std::string> synthetic_with(std::vector<std::string> extra) {
  std::vector<std::string> args = serve_with({"--rate", "1", "--requests", "10"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
std::vector<std::string> plan_with(std::vector<std::string> extra) {
  std::vector<std::string> args{"plan", "--model", "llama-3.1-8b", "--hw", "hgx-h200"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// --- the table ---------------------------------------------------------------------

class Table {
 public:
  std::vector<Case> cases;

  void add(Case c) { cases.push_back(std::move(c)); }

  // An edited file given to args; the expectations start with the file's name
  // and, where with_line, its line.
  void edited(const std::string& name, const std::string& file, const Edited& e,
              std::vector<std::string> args, std::vector<std::string> expect, bool with_line) {
    Case c;
    c.name = name;
    c.args = std::move(args);
    c.files = {{file, e.text}};
    c.setup_error = e.error;
    c.expect.push_back(with_line && e.line > 0 ? file + ":" + std::to_string(e.line) : file);
    c.expect.insert(c.expect.end(), expect.begin(), expect.end());
    add(std::move(c));
  }

  void chip(const std::string& name, const std::string& from, const std::string& to,
            std::vector<std::string> expect, bool with_line = true, const std::string& at = "") {
    edited("chip_" + name, "chip.yaml", edit(chip_yaml(), from, to, at),
           {"step", "--model", "llama-3.1-8b", "--hw", "{dir}/chip.yaml"}, std::move(expect),
           with_line);
  }
  void chip_text(const std::string& name, const std::string& text,
                 std::vector<std::string> expect) {
    edited("chip_" + name, "chip.yaml", Edited{text, 0, ""},
           {"step", "--model", "llama-3.1-8b", "--hw", "{dir}/chip.yaml"}, std::move(expect),
           false);
  }
  void chip_json(const std::string& name, const std::string& from, const std::string& to,
                 std::vector<std::string> expect) {
    edited("chip_json_" + name, "chip.json", edit(kChipJson, from, to),
           {"step", "--model", "llama-3.1-8b", "--hw", "{dir}/chip.json"}, std::move(expect),
           false);
  }
  void chip_json_text(const std::string& name, const std::string& text,
                      std::vector<std::string> expect) {
    edited("chip_json_" + name, "chip.json", Edited{text, 0, ""},
           {"step", "--model", "llama-3.1-8b", "--hw", "{dir}/chip.json"}, std::move(expect),
           false);
  }
  void engine(const std::string& name, const std::string& from, const std::string& to,
              std::vector<std::string> expect, bool with_line = true, const std::string& at = "") {
    edited("engine_" + name, "engine.yaml", edit(engine_yaml(), from, to, at),
           step_with({"--engine", "{dir}/engine.yaml"}), std::move(expect), with_line);
  }
  void system(const std::string& name, const std::string& base, const std::string& from,
              const std::string& to, std::vector<std::string> expect, bool with_line = true,
              const std::string& at = "") {
    edited("system_" + name, "system.yaml", edit(base, from, to, at),
           {"step", "--model", "llama-3.1-8b", "--hw", "{dir}/system.yaml"}, std::move(expect),
           with_line);
  }
  void scenario(const std::string& name, const std::string& from, const std::string& to,
                std::vector<std::string> expect, bool with_line = true,
                const std::string& at = "") {
    edited("scenario_" + name, "scenario.yaml", edit(kScenarioYaml, from, to, at),
           {"serve", "{dir}/scenario.yaml"}, std::move(expect), with_line);
  }
  void model(const std::string& name, const std::string& from, const std::string& to,
             std::vector<std::string> expect) {
    edited("model_" + name, "config.json", edit(model_json(), from, to),
           {"step", "--model", "{dir}/config.json", "--hw", "h200-sxm"}, std::move(expect), false);
  }
  // An edit of a mixture-of-experts config (the mixtral-8x7b or
  // qwen3-30b-a3b preset).
  void moe_model(const std::string& name, const std::string& preset, const std::string& from,
                 const std::string& to, std::vector<std::string> expect,
                 std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {"step", "--model", "{dir}/config.json", "--hw", "h200-sxm"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    edited("moe_" + name, "config.json",
           edit(source_file("data/models/" + preset + ".json"), from, to), args, std::move(expect),
           false);
  }
  void model_text(const std::string& name, const std::string& text,
                  std::vector<std::string> expect) {
    edited("model_" + name, "config.json", Edited{text, 0, ""},
           {"step", "--model", "{dir}/config.json", "--hw", "h200-sxm"}, std::move(expect), false);
  }
  void calibration(const std::string& name, const std::string& text,
                   std::vector<std::string> expect) {
    edited("calibration_" + name, "kernels.json", Edited{text, 0, ""},
           step_with({"--calibration", "{dir}/kernels.json"}), std::move(expect), false);
  }
  void calibration_edit(const std::string& name, const std::string& from, const std::string& to,
                        std::vector<std::string> expect) {
    edited("calibration_" + name, "kernels.json", edit(kKernelsJson, from, to),
           step_with({"--calibration", "{dir}/kernels.json"}), std::move(expect), false);
  }
  void trace(const std::string& name, const std::string& file, const std::string& text,
             std::vector<std::string> expect) {
    edited("trace_" + name, file, Edited{text, 0, ""}, serve_with({"--trace", "{dir}/" + file}),
           std::move(expect), false);
  }
  void length(const std::string& name, const std::string& flag, const std::string& spec,
              std::vector<std::string> expect) {
    Case c;
    c.name = "length_" + name;
    c.args = synthetic_with({flag, spec});
    c.expect = {flag};
    c.expect.insert(c.expect.end(), expect.begin(), expect.end());
    add(std::move(c));
  }
  void flags(const std::string& name, std::vector<std::string> args,
             std::vector<std::string> expect, std::vector<std::string> env = {}) {
    Case c;
    c.name = name;
    c.args = std::move(args);
    c.expect = std::move(expect);
    c.env = std::move(env);
    add(std::move(c));
  }
};

// A sweep over kScenarioYaml (in scenario.yaml beside it).
void sweep_cases(Table& t) {
  const auto sweep = [&](const std::string& name, const std::string& axes,
                         std::vector<std::string> extra, std::vector<std::string> expect) {
    Case c;
    c.name = "sweep_" + name;
    c.files = {{"scenario.yaml", kScenarioYaml},
               {"sweep.yaml", "scenario: scenario.yaml\n" + axes}};
    c.args = {"sweep", "{dir}/sweep.yaml"};
    c.args.insert(c.args.end(), extra.begin(), extra.end());
    c.expect = std::move(expect);
    t.add(std::move(c));
  };
  const std::string rates = "axes:\n  workload.arrivals.poisson: [2/s, 4/s]\n";
  sweep(
      "undeclared_field", "axes:\n  workload.arrivals.poison: [2/s]\n", {},
      {"sweep.yaml", "axes.workload.arrivals.poison", "did you mean 'workload.arrivals.poisson'"});
  sweep("chip_field_misspelt", "axes:\n  system.hw.hbm.bandwith: [5TB/s]\n", {},
        {"sweep.yaml", "system.hw.hbm.bandwith", "did you mean 'system.hw.hbm.bandwidth'"});
  sweep("engine_field_misspelt", "axes:\n  engine.host_step.fixd: [1ms]\n", {},
        {"sweep.yaml", "engine.host_step.fixd", "did you mean 'engine.host_step.fixed'"});
  sweep("not_a_scenario_field", "axes:\n  colour: [red, blue]\n", {},
        {"sweep.yaml", "axes.colour", "a parameter of a scenario"});
  sweep("into_a_name_list", "axes:\n  system.hw.matrix.bf16.rate: [1PFLOPS]\n", {},
        {"sweep.yaml", "system.hw.matrix.bf16.rate", "a parameter of a scenario"});
  sweep("empty_range", "axes:\n  system.tp: {from: 8, to: 2, points: 3}\n", {},
        {"sweep.yaml", "axes.system.tp.to", "range is empty"});
  sweep("empty_list", "axes:\n  system.tp: []\n", {}, {"sweep.yaml", "system.tp", "non-empty"});
  sweep("no_axes", "mode: simulate\n", {}, {"sweep.yaml", "axes"});
  sweep("bad_mode", "mode: fast\n" + rates, {}, {"sweep.yaml", "mode", "simulate or analytical"});
  sweep("grid_too_large",
        "axes:\n  seed: {from: 1, to: 1000, step: 1}\n  workload.requests: {from: 1, to: 1000, "
        "step: 1}\n  system.tp: [1, 2]\n",
        {}, {"sweep.yaml", "at most 1000000 points"});
  sweep("pareto_not_an_output", rates, {"--pareto", "ttft_s.p09,tpot_s.p90"},
        {"--pareto", "ttft_s.p09", "not an output", "did you mean", "ttft_s.p90"});
  sweep("pareto_one_metric", rates, {"--pareto", "ttft_s.p90"}, {"--pareto", "two or more"});
  sweep("pareto_no_direction", rates, {"--pareto", "completed_requests,ttft_s.p90"},
        {"--pareto", "max:completed_requests"});
  sweep("resume_without_out", rates, {"--resume"}, {"--resume", "--out"});
  sweep("jobs_zero", rates, {"--jobs", "0"}, {"--jobs", "1 to 256"});
  sweep("bad_format", rates, {"--format", "xml"}, {"--format", "csv or jsonl"});
  sweep("dask_resume", rates, {"--dask", "tcp://127.0.0.1:9", "--out", "{dir}/o", "--resume"},
        {"--resume", "not with --dask"});
  sweep("dask_timeout_zero", rates, {"--dask", "tcp://127.0.0.1:9", "--dask-timeout", "0"},
        {"--dask-timeout", "0 to 3600"});
  const auto report = [&](const std::string& name, const std::string& file, const std::string& text,
                          std::vector<std::string> expect, std::vector<std::string> env = {}) {
    Case c;
    c.name = "report_" + name;
    c.files = {{file, text}};
    c.args = {"report", "{dir}/" + file, "-o", "{dir}/report.html"};
    c.expect = std::move(expect);
    c.env = std::move(env);
    t.add(std::move(c));
  };
  // Names longer than a path may be: not files, and not a filesystem error.
  t.flags("hw_name_too_long", {"step", "--model", "llama-3.1-8b", "--hw", std::string(400, 'h')},
          {"unknown chip", "not a preset and not a file"});
  t.chip_text("extends_name_too_long", "extends: h200-" + std::string(400, '"') + "sxm\n",
              {"chip.yaml", "extends", "unknown chip"});
  report("not_json", "result.json", "model: llama-3.1-8b\n", {"result.json", "not JSON"});
  report("unknown_schema", "result.json", "{\"schema\": \"other/1\"}",
         {"result.json", "schema other/1", "jalapeno.serve/1"});
  report("bad_rows", "rows.jsonl", "{\"point\": 0}\nnot json\n",
         {"rows.jsonl:2", "malformed JSON"});
  report("deep_rows", "rows.jsonl",
         "{\"point\": 0, \"x\": " + std::string(100000, '[') + std::string(100000, ']') + "}\n",
         {"rows.jsonl:1", "nested deeper than 64"});
  report("wrong_types", "result.json", "{\"schema\": \"jalapeno.serve/1\", \"ttft_s\": 5}",
         {"result.json", "not what its schema says"});
  report("no_plotly", "step.json",
         "{\"schema\": \"jalapeno.step/1\", \"ops\": [{\"name\": \"x\", \"seconds\": 1}]}",
         {"/nonexistent/plotly.js", "JALAPENO_PLOTLY_JS"},
         {"JALAPENO_PLOTLY_JS=/nonexistent/plotly.js"});
  Case missing;
  missing.name = "sweep_missing_scenario";
  missing.files = {{"sweep.yaml", "scenario: nowhere.yaml\n" + rates}};
  missing.args = {"sweep", "{dir}/sweep.yaml"};
  missing.expect = {"sweep.yaml", "scenario", "nowhere.yaml"};
  t.add(std::move(missing));
}

void unit_cases(Table& t) {
  const std::string hbm = "hbm: {capacity: 141GB, bandwidth: 4.8TB/s}";
  const auto capacity = [&](const std::string& name, const std::string& value) {
    t.chip("units_capacity_" + name, hbm, "hbm: {capacity: " + value + ", bandwidth: 4.8TB/s}",
           {"hbm.capacity"});
  };
  capacity("1e308PB_infinite", "1e308PB");
  capacity("1e30GB_absurd", "1e30GB");
  capacity("no_unit", "141");
  capacity("bandwidth_unit", "141GB/s");
  capacity("negative", "-141GB");
  capacity("zero", "0GB");
  capacity("unknown_unit", "141XB");
  capacity("nan", "nanGB");
  capacity("inf", "infGB");
  capacity("subnormal", "1e-310GB");
  capacity("trailing_garbage", "141GB GB");
  capacity("lowercase_unit", "141gb");
  const auto bandwidth = [&](const std::string& name, const std::string& value) {
    t.chip("units_bandwidth_" + name, hbm, "hbm: {capacity: 141GB, bandwidth: " + value + "}",
           {"hbm.bandwidth"});
  };
  bandwidth("bytes_unit", "4.8TB");
  bandwidth("out_of_range", "1e400TB/s");
  bandwidth("zero", "0TB/s");
  bandwidth("per_minute", "4.8TB/min");
  const std::string matrix = "matrix: {bf16: 989TFLOPS,";
  t.chip("units_matrix_unknown_unit", matrix, "matrix: {bf16: 989TFLOP,", {"matrix.bf16"});
  t.chip("efficiency_by_format_without_rate", "matrix_by_format: {fp8: 0.71}",
         "matrix_by_format: {fp4: 0.71}", {"efficiency.matrix_by_format.fp4", "matrix rate"});
  t.chip("efficiency_by_format_above_one", "matrix_by_format: {fp8: 0.71}",
         "matrix_by_format: {fp8: 1.5}", {"efficiency.matrix_by_format.fp8"});
  t.chip("units_matrix_bandwidth_unit", matrix, "matrix: {bf16: 989GB/s,", {"matrix.bf16"});
  t.chip("units_matrix_negative", matrix, "matrix: {bf16: -989TFLOPS,", {"matrix.bf16"});
  t.chip("units_matrix_huge", matrix, "matrix: {bf16: 1e300PFLOPS,", {"matrix.bf16"});
  t.chip("units_vector_no_unit", "vector: 67TFLOPS", "vector: 67", {"vector"});
  t.chip("units_vector_word", "vector: 67TFLOPS", "vector: lots", {"vector"});
  t.chip("units_tdp_energy_unit", "tdp: 700W", "tdp: 700J", {"tdp"});
  t.chip("units_tdp_huge", "tdp: 700W", "tdp: 1e308MW", {"tdp"});
  const std::string fixed = "kernel_fixed_cost: 2.2us";
  t.chip("units_time_no_unit", fixed, "kernel_fixed_cost: 2.2", {"kernel_fixed_cost"});
  t.chip("units_time_typo", fixed, "kernel_fixed_cost: 2.2uss", {"kernel_fixed_cost"});
  t.chip("units_time_negative", fixed, "kernel_fixed_cost: -2us", {"kernel_fixed_cost"});
  t.chip("units_time_subnormal", fixed, "kernel_fixed_cost: 1e-310s", {"kernel_fixed_cost"});
  t.chip("units_time_absurd", "gemm_fixed_cost: 5us", "gemm_fixed_cost: 1e300s",
         {"gemm_fixed_cost"});
  t.chip("units_unit_bandwidth_bytes", "unit_bandwidth: 60GB/s", "unit_bandwidth: 60GB",
         {"efficiency.unit_bandwidth"});
  t.chip("units_sram_bandwidth_unit", "sram: {capacity: 50MB}", "sram: {capacity: 50MB/s}",
         {"sram.capacity"});
}

void chip_cases(Table& t) {
  t.chip("unknown_key", "tdp: 700W", "tdp: 700W\nbandwith: 4.8TB/s", {"bandwith"}, true,
         "bandwith");
  t.chip("duplicate_key", "tdp: 700W", "tdp: 700W\ntdp: 800W", {"tdp"}, true, "tdp: 800W");
  t.chip("list_as_key", "tdp: 700W", "tdp: 700W\n[a, b]: 1", {"key"}, true, "[a, b]");
  t.chip("empty_key", "tdp: 700W", "tdp: 700W\n? :", {"key"}, true, "? :");
  t.chip("missing_key", "vector: 67TFLOPS\n", "", {"vector"});
  t.chip("compute_units_zero", "compute_units: 132", "compute_units: 0", {"compute_units"});
  t.chip("compute_units_huge", "compute_units: 132", "compute_units: 10000000", {"compute_units"});
  t.chip("compute_units_int64_overflow", "compute_units: 132", "compute_units: 9223372036854775808",
         {"compute_units"});
  t.chip("compute_units_quoted", "compute_units: 132", "compute_units: \"132\"", {"compute_units"});
  t.chip("compute_units_fraction", "compute_units: 132", "compute_units: 132.5", {"compute_units"});
  t.chip("compute_units_list", "compute_units: 132", "compute_units: [132]", {"compute_units"});
  const std::string tile = "- {m: 128, n: 256, efficiency: 1.0}";
  t.chip("tile_m_zero", tile, "- {m: 0, n: 256, efficiency: 1.0}", {"gemm_tiles[0]", "m"});
  t.chip("tile_m_huge", tile, "- {m: 100000, n: 256, efficiency: 1.0}", {"gemm_tiles[0]", "m"});
  t.chip("tile_efficiency_above_one", tile, "- {m: 128, n: 256, efficiency: 2}",
         {"gemm_tiles[0]", "efficiency"});
  t.chip("tile_missing_n", tile, "- {m: 128, efficiency: 1.0}", {"gemm_tiles[0]", "n"});
  t.chip("tile_unknown_key", tile, "- {m: 128, n: 256, k: 64, efficiency: 1.0}",
         {"gemm_tiles[0]", "k"});
  t.chip("max_split_k_zero", "max_split_k: 16", "max_split_k: 0", {"max_split_k"});
  t.chip("max_split_k_negative", "max_split_k: 16", "max_split_k: -3", {"max_split_k"});
  t.chip("efficiency_above_one", "matrix: 0.78", "matrix: 1.5", {"efficiency.matrix"});
  t.chip("efficiency_zero", "matrix: 0.78", "matrix: 0", {"efficiency.matrix"});
  t.chip("efficiency_nan", "hbm_read: 0.92", "hbm_read: .nan", {"efficiency.hbm_read"});
  t.chip("name_list", "name: h200-sxm", "name: [h200]", {"name"});
  // The calibration file, not the chip, is the file at fault.
  for (const auto& [name, path] :
       {std::pair{"dev_zero", "/dev/zero"}, std::pair{"missing", "missing.json"}}) {
    Edited e =
        edit(chip_yaml(), "max_split_k: 16", "max_split_k: 16\ncalibration: " + std::string(path));
    Case c;
    c.name = std::string("chip_calibration_") + name;
    c.args = {"step", "--model", "llama-3.1-8b", "--hw", "{dir}/chip.yaml"};
    c.files = {{"chip.yaml", e.text}};
    c.setup_error = e.error;
    c.expect = {path, "calibration"};
    t.add(std::move(c));
  }
  t.chip_text("top_level_list", "- a\n- b\n", {"top level|mapping"});
  t.chip_text("empty_file", "", {"mapping|empty"});
  t.chip_text("unclosed_flow", "name: x\nhbm: {capacity: 141GB\n", {"YAML|yaml"});
  t.chip_text("nested_10000", "name: " + nested_arrays(10000) + "\n", {"nested|deep"});
  t.chip_text("alias_bomb",
              "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
              "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
              "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n"
              "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
              {"values|alias"});
  t.chip_text("binary_garbage",
              std::string("\x7f"
                          "ELF\x02\x01\x01\0\0\0\xff\xfe\x01",
                          13),
              {"chip.yaml"});
  t.flags("chip_hw_dev_zero", {"step", "--model", "llama-3.1-8b", "--hw", "/dev/zero"},
          {"/dev/zero", "--hw|chip|regular"});
  t.flags("chip_hw_directory", {"step", "--model", "llama-3.1-8b", "--hw", "{dir}"},
          {"{dir}", "--hw|chip|regular|directory"});

  // The same chip as JSON.
  t.chip_json_text("nested_10000_arrays", nested_arrays(10000), {"nested|deep"});
  t.chip_json("duplicate_key", R"("tdp": "700W",)", R"("tdp": "700W", "tdp": "800W",)", {"tdp"});
  t.chip_json("duplicate_nested_key", R"("hbm": {"capacity": "141GB",)",
              R"("hbm": {"capacity": "141GB", "capacity": "1GB",)", {"hbm.capacity"});
  t.chip_json("number_as_string", R"("compute_units": 132,)", R"("compute_units": "132",)",
              {"compute_units"});
  t.chip_json("boolean_as_number", R"("compute_units": 132,)", R"("compute_units": true,)",
              {"compute_units"});
  t.chip_json("int64_max", R"("compute_units": 132,)", R"("compute_units": 9223372036854775807,)",
              {"compute_units"});
  t.chip_json("number_overflow", R"("compute_units": 132,)", R"("compute_units": 1e400,)",
              {"1e400|compute_units"});
  t.chip_json("unknown_key", R"("tdp": "700W",)", R"("tdp": "700W", "bandwith": "1TB/s",)",
              {"bandwith"});
  t.chip_json("string_for_mapping", R"("hbm": {"capacity": "141GB", "bandwidth": "4.8TB/s"},)",
              R"("hbm": "141GB",)", {"hbm"});
  t.chip_json("trailing_comma", R"("max_split_k": 16)", R"("max_split_k": 16,)", {"JSON"});
  t.chip_json("nan_literal", R"("tdp": "700W",)", R"("tdp": NaN,)", {"JSON"});
  t.chip_json("comment", R"("tdp": "700W",)", "// a comment\n  \"tdp\": \"700W\",", {"JSON"});
  t.chip_json_text("top_level_array", "[1, 2]\n", {"top level|mapping"});
  {
    std::string many = "{\"name\": [";
    for (int i = 0; i < 1100000; ++i) many += i == 0 ? "0" : ",0";
    t.chip_json_text("over_a_million_values", many + "]}\n", {"values|large"});
  }
}

void engine_cases(Table& t) {
  t.engine("unknown_key", "per_step_kernels: 0", "per_step_kernels: 0\nper_step_kernel: 1",
           {"per_step_kernel"}, true, "per_step_kernel:");
  const std::string norm = "norm: {kernels: 1, traffic: 1}";
  t.engine("kernels_negative", norm, "norm: {kernels: -1, traffic: 1}", {"ops.norm.kernels"});
  t.engine("traffic_negative", norm, "norm: {kernels: 1, traffic: -1}", {"ops.norm.traffic"});
  t.engine("traffic_nan", norm, "norm: {kernels: 1, traffic: .nan}", {"ops.norm.traffic"});
  t.engine("traffic_out_of_range", norm, "norm: {kernels: 1, traffic: 1e400}",
           {"ops.norm.traffic"});
  t.engine("traffic_quoted", norm, "norm: {kernels: 1, traffic: \"1\"}", {"ops.norm.traffic"});
  t.engine("host_overhead_no_unit", "host_overhead_per_kernel: 4us", "host_overhead_per_kernel: 4",
           {"host_overhead_per_kernel"});
  t.engine("host_overhead_bytes", "host_overhead_per_kernel: 4us", "host_overhead_per_kernel: 4GB",
           {"host_overhead_per_kernel"});
  t.engine("collective_launch_negative", "collective_launch: 8us", "collective_launch: -8us",
           {"collective_launch"});
  t.engine("decode_impl_unknown", "attention_decode:\n  impl: flash",
           "attention_decode:\n  impl: paged", {"attention_decode.impl"}, true, "impl: paged");
  t.engine("prefill_efficiency_above_one", "efficiency: 0.75", "efficiency: 2",
           {"attention_prefill.efficiency"});
  t.engine("unit_bandwidth_zero", "unit_bandwidth: 5GB/s", "unit_bandwidth: 0GB/s",
           {"unaligned_gemm.unit_bandwidth"});
  t.engine("host_step_negative", "per_step_kernels: 0",
           "per_step_kernels: 0\nhost_step: {fixed: -1ms, per_sequence: 0us, overlapped: true}",
           {"host_step.fixed"}, true, "host_step");
  t.engine("host_step_overlap_not_boolean", "per_step_kernels: 0",
           "per_step_kernels: 0\nhost_step: {fixed: 1ms, per_sequence: 0us, overlapped: often}",
           {"host_step.overlapped"}, true, "host_step");
  t.engine("host_step_missing_key", "per_step_kernels: 0",
           "per_step_kernels: 0\nhost_step: {fixed: 1ms, overlapped: true}",
           {"host_step.per_sequence"}, true, "host_step");
  t.engine("decode_fixed_cost_not_time", "fixed_cost: 6.5us", "fixed_cost: 6.5GB",
           {"attention_decode.fixed_cost"});
  t.engine("per_problem_bandwidth_bytes", "per_problem_bandwidth: 14GB/s",
           "per_problem_bandwidth: 14GB", {"unaligned_gemm.per_problem_bandwidth"});
  t.engine("per_step_kernels_overflow", "per_step_kernels: 0",
           "per_step_kernels: 99999999999999999999", {"per_step_kernels"});
  t.engine("cuda_graphs_not_boolean", "cuda_graphs: {decode: true,", "cuda_graphs: {decode: maybe,",
           {"cuda_graphs.decode"});
  t.engine("duplicate_key", "collective_launch: 8us",
           "collective_launch: 8us\ncollective_launch: 9us", {"collective_launch"}, true,
           "collective_launch: 9us");
  t.engine("missing_op", "  sampling: {kernels: 1, traffic: 1}\n", "", {"sampling"});
  t.engine("list_as_key", "per_step_kernels: 0", "per_step_kernels: 0\n[a, b]: 1", {"key"}, true,
           "[a, b]");
  t.flags("engine_dev_zero", step_with({"--engine", "/dev/zero"}), {"/dev/zero", "engine|regular"});
}

void system_cases(Table& t) {
  // Switched (hgx-h200).
  const std::string& sw = switched_yaml();
  // A rack built from switch presets (data/systems/jalapeno-ref-rack.yaml).
  const std::string rack = source_file("data/systems/jalapeno-ref-rack.yaml");
  const std::string rack_switch = "switch: {model: tomahawk-ultra, count: 8}";
  t.system("rack_switch_count_few", rack, rack_switch, "switch: {model: tomahawk-ultra, count: 7}",
           {"topology.switch.count"}, false);
  t.system("rack_switch_unknown", rack, rack_switch, "switch: {model: tomahawk9, count: 8}",
           {"topology.switch.model"}, false);
  t.system("rack_switch_latency_twice", rack, rack_switch, rack_switch + "\n  switch_latency: 1us",
           {"topology.switch_latency"}, false);
  t.system("rack_medium_number", rack, "medium: copper", "medium: 7", {"topology.medium"}, false);
  t.system("rack_optics_without_transceiver", rack, "medium: copper", "medium: optics",
           {"topology.transceiver"}, false);
  t.system("rack_cost_host_no_currency", rack, "cost: {host: 15000USD", "cost: {host: 15000",
           {"cost.host"}, false);
  t.system("rack_power_budget_low", rack, "power_budget: 120kW", "power_budget: 100kW",
           {"rack.power_budget"}, false);
  t.system("switched_chips_zero", sw, "  chips: 8", "  chips: 0", {"topology.chips"});
  t.system("switched_chips_300000000", sw, "  chips: 8", "  chips: 300000000", {"topology.chips"});
  t.system("switched_chips_negative", sw, "  chips: 8", "  chips: -8", {"topology.chips"});
  t.system("switched_chips_duplicate", sw, "  chips: 8", "  chips: 8\n  chips: 16",
           {"topology.chips|chips"}, true, "chips: 16");
  const std::string link =
      "link: {bandwidth: 25GB/s, count: 18, efficiency: 0.82, latency: 0.25us}";
  t.system("switched_link_bandwidth_zero", sw, link,
           "link: {bandwidth: 0GB/s, count: 18, efficiency: 0.82, latency: 0.25us}",
           {"topology.link.bandwidth"});
  t.system("switched_link_bandwidth_infinite", sw, link,
           "link: {bandwidth: 1e308PB/s, count: 18, efficiency: 0.82, latency: 0.25us}",
           {"topology.link.bandwidth"});
  t.system("switched_link_count_zero", sw, link,
           "link: {bandwidth: 25GB/s, count: 0, efficiency: 0.82, latency: 0.25us}",
           {"topology.link.count"});
  t.system("switched_link_efficiency_above_one", sw, link,
           "link: {bandwidth: 25GB/s, count: 18, efficiency: 1.5, latency: 0.25us}",
           {"topology.link.efficiency"});
  t.system("switched_link_latency_negative", sw, link,
           "link: {bandwidth: 25GB/s, count: 18, efficiency: 0.82, latency: -1us}",
           {"topology.link.latency"});
  t.system("switched_reduction_not_boolean", sw, "in_network_reduction: true",
           "in_network_reduction: maybe", {"topology.in_network_reduction"});
  t.system("switched_bandwidth_without_reduction", sw, "in_network_reduction: true",
           "in_network_reduction: false", {"topology.in_network_bandwidth"}, false);
  t.system("switched_kind_unknown", sw, "kind: switched", "kind: mesh", {"topology.kind"});
  t.system("switched_chip_unknown", sw, "chip: h200-sxm", "chip: h900", {"chip", "h900"});
  t.system("switched_dims", sw, "  chips: 8", "  chips: 8\n  dims: [8]", {"topology.dims"}, true,
           "dims:");
  t.system("switched_unknown_key", sw, "  switch_latency: 0.5us",
           "  switch_latency: 0.5us\n  switch_latncy: 0.5us", {"topology.switch_latncy"}, true,
           "switch_latncy");
  t.system("switched_switch_latency_negative", sw, "switch_latency: 0.5us",
           "switch_latency: -0.5us", {"topology.switch_latency"});
  t.system("switched_message_overhead_typo", sw, "message_overhead: 1us", "message_overhead: 1usec",
           {"topology.message_overhead"});
  t.edited("system_switched_topology_list", "system.yaml",
           Edited{"name: x\nsource: y\nchip: h200-sxm\ntopology: []\n", 4, ""},
           {"step", "--model", "llama-3.1-8b", "--hw", "{dir}/system.yaml"}, {"topology"}, true);
  {
    Edited e = edit(sw, "  chips: 8", "  chips: 300000000");
    t.edited("system_plan_chips_300000000", "system.yaml", e,
             {"plan", "--model", "llama-3.1-8b", "--hw", "{dir}/system.yaml"}, {"topology.chips"},
             true);
    Edited zero = edit(sw, "  chips: 8", "  chips: 0");
    t.edited("system_as_topology_chips_zero", "system.yaml", zero,
             step_with({"--topology", "{dir}/system.yaml"}), {"topology.chips"}, true);
  }

  // Leaf-spine (ib-leaf-spine-256).
  const std::string& ls = leaf_spine_yaml();
  t.system("leaf_spine_chips_per_leaf_not_divisor", ls, "chips_per_leaf: 32", "chips_per_leaf: 7",
           {"topology.chips_per_leaf"});
  t.system("leaf_spine_chips_per_leaf_zero", ls, "chips_per_leaf: 32", "chips_per_leaf: 0",
           {"topology.chips_per_leaf"});
  t.system("leaf_spine_chips_per_leaf_above_chips", ls, "chips_per_leaf: 32", "chips_per_leaf: 512",
           {"topology.chips_per_leaf"});
  t.system("leaf_spine_uplink_missing", ls,
           "  uplink: {bandwidth: 1600GB/s, efficiency: 0.9, latency: 0.5us}\n", "", {"uplink"},
           false);
  t.system("leaf_spine_uplink_bandwidth_zero", ls, "uplink: {bandwidth: 1600GB/s,",
           "uplink: {bandwidth: 0GB/s,", {"topology.uplink.bandwidth"});
  t.system("leaf_spine_chips_1e12", ls, "chips: 256", "chips: 1000000000000", {"topology.chips"});

  // Ring.
  t.system("ring_in_network_reduction", kRingYaml, "  chips: 8",
           "  chips: 8\n  in_network_reduction: true", {"topology.in_network_reduction"}, true,
           "in_network_reduction");
  t.system("ring_dims_mismatch", kRingYaml, "  chips: 8", "  chips: 8\n  dims: [3]",
           {"topology.dims"}, true, "dims");
  t.system("ring_chips_per_leaf", kRingYaml, "  chips: 8", "  chips: 8\n  chips_per_leaf: 4",
           {"topology.chips_per_leaf"}, true, "chips_per_leaf");
  t.system("ring_chips_300000000", kRingYaml, "  chips: 8", "  chips: 300000000",
           {"topology.chips"});
  t.system("ring_link_bandwidth_bytes", kRingYaml, "bandwidth: 75GB/s", "bandwidth: 75GB",
           {"topology.link.bandwidth"});
  t.system("ring_chips_quoted", kRingYaml, "  chips: 8", "  chips: \"8\"", {"topology.chips"});

  // Torus (torus-4x4x4).
  const std::string& to = torus_yaml();
  const std::string dims = "dims: [4, 4, 4]";
  t.system("torus_dims_wrap_to_chips", to, dims, "dims: [2305843009213693952, 4611686018427387906]",
           {"topology.dims"});
  t.system("torus_dims_wrap_chips_2_62", to, "  chips: 64\n  dims: [4, 4, 4]",
           "  chips: 4611686018427387904\n  dims: [2305843009213693952, 4611686018427387906]",
           {"topology.chips|topology.dims"});
  t.system("torus_dims_product_mismatch", to, dims, "dims: [4, 4]", {"topology.dims"});
  t.system("torus_dims_empty", to, dims, "dims: []", {"topology.dims"});
  t.system("torus_dims_zero", to, dims, "dims: [0, 4, 16]", {"topology.dims"});
  t.system("torus_dims_negative", to, dims, "dims: [-4, -4, 4]", {"topology.dims"});
  t.system("torus_dims_word", to, dims, "dims: [a, 4, 4]", {"topology.dims"});
  t.system("torus_dims_fraction", to, dims, "dims: [4.5, 4, 4]", {"topology.dims"});
  t.system("torus_dims_scalar", to, dims, "dims: 64", {"topology.dims"});
  t.system("torus_dims_nested", to, dims, "dims: [[4], 4, 4]", {"topology.dims"});
  t.system("torus_dims_missing", to, "  dims: [4, 4, 4]\n", "", {"dims"});
  t.system("torus_uplink", to, dims,
           "dims: [4, 4, 4]\n  uplink: {bandwidth: 1GB/s, efficiency: 0.9, latency: 0.5us}",
           {"topology.uplink"}, true, "uplink");
  t.system("torus_chips_300000000", to, "  chips: 64\n  dims: [4, 4, 4]",
           "  chips: 300000000\n  dims: [300000000]", {"topology.chips|topology.dims"});
}

// The power and cost model (README "Energy and cost"): negative or
// non-finite energies, an idle power at or above the limit, a PUE below 1,
// prices without their currency or period.
void energy_cases(Table& t) {
  t.chip("power_hbm_negative", "per_hbm_byte: 71pJ", "per_hbm_byte: -71pJ", {"power.per_hbm_byte"},
         true, "per_hbm_byte");
  t.chip("power_flop_nan", "bf16: 0.5pJ", "bf16: nanpJ", {"power.per_matrix_flop.bf16"}, true,
         "bf16: nanpJ");
  t.chip("power_flop_missing_format", "tf32: 1pJ, ", "", {"power.per_matrix_flop.tf32"}, false);
  t.chip("power_idle_above_limit", "idle: 75W", "idle: 700W", {"power.idle", "limit"}, true,
         "idle:");
  t.chip("power_busy_inf", "busy: 281W", "busy: infW", {"power.busy"}, true, "busy:");
  t.chip("cost_price_no_currency", "price: 32000USD", "price: 32000", {"cost.price", "USD"}, true,
         "price:");
  t.chip("cost_price_negative", "price: 32000USD", "price: -5USD", {"cost.price"}, true, "price:");
  t.scenario("routing_skew_negative", "seed: 1\n", "routing: {skew: -1}\nseed: 1\n",
             {"routing", "skew", "0 to 10"});
  t.scenario("routing_unknown_key", "seed: 1\n", "routing: {skw: 1}\nseed: 1\n", {"skw"});
  t.scenario("routing_loads_missing", "seed: 1\n", "routing: {loads: nowhere.json}\nseed: 1\n",
             {"routing.loads", "nowhere.json"});
  t.scenario("system_all_to_all_unknown", "router: round-robin}",
             "router: round-robin, "
             "all_to_all: fast}",
             {"all_to_all", "low_latency"});
  // Scheduler policies, priority classes and flags that take units
  // (README "Serving core").
  t.scenario("scheduler_policy_unknown", "block_size: 16}", "block_size: 16, policy: orca}",
             {"scheduler.policy", "orca", "sarathi"});
  t.scenario("priority_mix_scalar", "  requests: 20\n", "  requests: 20\n  priority_mix: 0.5\n",
             {"workload.priority_mix", "list of 2 to 64 weights"}, true, "priority_mix");
  t.scenario("priority_mix_negative", "  requests: 20\n",
             "  requests: 20\n  priority_mix: [0.5, -1]\n", {"workload.priority_mix"}, true,
             "priority_mix");
  t.scenario("priority_mix_all_zero", "  requests: 20\n",
             "  requests: 20\n  priority_mix: [0, 0]\n", {"workload.priority_mix"}, true,
             "priority_mix");
  t.scenario("priority_mix_word", "  requests: 20\n",
             "  requests: 20\n  priority_mix: [high, low]\n", {"workload.priority_mix"}, true,
             "priority_mix");
  const std::vector<std::string> serve{"serve",      "--model", "llama-3.1-8b", "--hw", "h200-sxm",
                                       "--requests", "5"};
  const auto serve_with = [&serve](std::vector<std::string> extra) {
    std::vector<std::string> args = serve;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  t.flags("scheduler_flag_unknown", serve_with({"--scheduler", "orca"}),
          {"--scheduler", "orca", "vllm"});
  t.flags("slo_flag_wrong_unit", serve_with({"--slo-tpot", "50GB"}),
          {"--slo-tpot", "a time such as", "50GB"});
  t.flags("rate_flag_wrong_unit", serve_with({"--rate", "5ms"}), {"--rate", "a rate such as"});
  t.flags("rate_flag_word", serve_with({"--rate", "fast"}), {"--rate", "fast"});
  t.flags("jobs_without_seeds", serve_with({"--jobs", "4"}), {"--jobs", "--seeds"});
  t.flags("jobs_zero", serve_with({"--seeds", "2", "--jobs", "0"}), {"--jobs", "1 to 256"});
  t.flags("jobs_huge", serve_with({"--seeds", "2", "--jobs", "100000"}), {"--jobs", "1 to 256"});
  const std::vector<std::string> fleet{"plan",       "--model", "llama-3.1-8b", "--hw", "hgx-h200",
                                       "--slo-ttft", "1s"};
  const auto fleet_with = [&fleet](std::vector<std::string> extra) {
    std::vector<std::string> args = fleet;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  t.flags("fleet_percentile_100", fleet_with({"--rate", "20/s", "--percentile", "100"}),
          {"--percentile"});
  t.flags("fleet_seeds_zero", fleet_with({"--rate", "20/s", "--seeds", "0"}),
          {"--seeds", "1 to 100"});
  t.flags("fleet_router_unknown", fleet_with({"--rate", "20/s", "--router", "fastest"}),
          {"--router", "fastest"});
  t.flags("fleet_without_slo",
          {"plan", "--model", "llama-3.1-8b", "--hw", "hgx-h200", "--rate", "20"},
          {"needs an SLO"});
  t.flags("fleet_rate_huge", fleet_with({"--rate", "1e9"}), {"--rate", "replicas", "100000"});
  t.flags("fleet_rate_beyond_int64", fleet_with({"--rate", "1e20"}),
          {"--rate", "replicas", "100000"});
  t.flags("fleet_rate_unit", fleet_with({"--rate", "20GB"}), {"--rate", "a rate such as"});
  t.flags("fleet_jobs_without_rate", fleet_with({"--jobs", "2"}),
          {"--jobs", "--rate", "--simulate"});
  t.flags("fleet_jobs_zero", fleet_with({"--rate", "20/s", "--jobs", "0"}), {"--jobs", "1 to 256"});
  t.flags("seeds_zero", serve_with({"--seeds", "0"}), {"--seeds", "2 to 1000"});
  t.flags("seeds_too_many_requests",
          {"serve", "--model", "llama-3.1-8b", "--hw", "h200-sxm", "--requests", "1000000",
           "--rate", "10", "--seeds", "1000"},
          {"--seeds", "1000 runs of 1000000 requests"});
  t.flags("seeds_with_out", serve_with({"--seeds", "3", "--out", "{dir}/o"}), {"--seeds", "--out"});
  t.flags("think_flag_negative_time", serve_with({"--concurrency", "2", "--think", "-1s"}),
          {"--think"});
  t.flags("ep_not_tp",
          {"step", "--model", "deepseek-v3", "--hw", "hgx-h200", "--tp", "8", "--ep", "4"},
          {"ep 4 must be 1 or tp (8)"});
  t.flags("ep_dense_model",
          {"step", "--model", "llama-3.1-8b", "--hw", "hgx-h200", "--tp", "2", "--ep", "2"},
          {"ep 2 needs experts"});
  t.flags("ep_not_dividing_experts",
          {"step", "--model", "deepseek-v3", "--hw", "gb200-nvl72", "--tp", "24", "--ep", "24",
           "--dp-attention"},
          {"24 ranks do not divide the 256 expert slots"});
  t.flags("all_to_all_unknown",
          {"step", "--model", "deepseek-v3", "--hw", "hgx-h200", "--tp", "8", "--ep", "8",
           "--all-to-all", "fast"},
          {"--all-to-all", "low_latency"});
  t.flags("routing_skew_huge",
          {"step", "--model", "deepseek-v3", "--hw", "h200-sxm", "--routing-skew", "1e300"},
          {"--routing-skew"});
  t.flags(
      "expert_loads_not_a_list",
      {"step", "--model", "deepseek-v3", "--hw", "h200-sxm", "--expert-loads", "{dir}/loads.json"},
      {"loads.json"});
  t.scenario("power_limit_below_idle", "seed: 1\n", "power: {tdp: 50W}\nseed: 1\n",
             {"power.tdp", "below the power limit"});
  t.scenario("power_unknown_key", "seed: 1\n", "power: {idel: 50W}\nseed: 1\n", {"idel"});
  t.scenario("power_negative_energy", "seed: 1\n", "power: {per_hbm_byte: -5pJ}\nseed: 1\n",
             {"power.per_hbm_byte"});
  t.scenario("cost_hbm_without_per_gb", "seed: 1\n", "cost: {hbm: 15USD}\nseed: 1\n",
             {"cost.hbm", "15USD/GB"});
  t.scenario("facility_pue_below_one", "seed: 1\n", "seed: 1\nfacility: {pue: 0.9}\n",
             {"facility.pue"}, true, "facility");
  t.scenario("facility_electricity_no_period", "seed: 1\n",
             "seed: 1\nfacility: {electricity: 0.08USD}\n", {"facility.electricity", "/kWh"}, true,
             "facility");
  t.scenario("facility_life_no_unit", "seed: 1\n", "seed: 1\nfacility: {life: 5}\n",
             {"facility.life"}, true, "facility");
  t.scenario("cost_unknown_key", "seed: 1\n", "seed: 1\ncost: {prise: 1USD}\n", {"cost.prise"},
             true, "cost");
}

void system_power_cases(Table& t) {
  const std::string base = source_file("data/systems/hgx-h200.yaml");
  t.system("power_port_negative", base, "per_port: 2W", "per_port: -2W",
           {"power.switches.per_port"}, true, "per_port");
  t.system("power_switch_byte_inf", base, "per_byte: 10pJ", "per_byte: infpJ",
           {"power.switches.per_byte"}, true, "per_byte");
  t.system("power_host_count_negative", base, "hosts: {count: 1", "hosts: {count: -1",
           {"power.hosts.count"}, true, "hosts");
  t.system("power_unknown_key", base, "  hosts:", "  hostz: 1\n  hosts:", {"power.hostz"}, true,
           "hostz");
}

void scenario_cases(Table& t) {
  t.scenario("missing_model", "model: llama-3.1-8b\n", "", {"model"});
  t.scenario("unknown_key", "seed: 1\n", "seed: 1\nsead: 2\n", {"sead"}, true, "sead");
  t.scenario("duplicate_key", "seed: 1\n", "seed: 1\nseed: 2\n", {"seed"}, true, "seed: 2");
  t.scenario("list_as_key", "seed: 1\n", "seed: 1\n[a, b]: 1\n", {"key"}, true, "[a, b]");
  t.scenario("empty_key", "seed: 1\n", "seed: 1\n? :\n", {"key"}, true, "? :");
  t.scenario("seed_negative", "seed: 1", "seed: -1", {"seed"});
  const std::string sys = "system: {hw: h200-sxm, replicas: 1, router: round-robin}";
  t.scenario("replicas_zero", sys, "system: {hw: h200-sxm, replicas: 0, router: round-robin}",
             {"system.replicas"});
  t.scenario("replicas_1e6", sys, "system: {hw: h200-sxm, replicas: 1000000, router: round-robin}",
             {"system.replicas"});
  t.scenario("replicas_overflow", sys,
             "system: {hw: h200-sxm, replicas: 99999999999999999999, router: round-robin}",
             {"system.replicas"});
  t.scenario("tp_zero", sys, "system: {hw: h200-sxm, tp: 0, router: round-robin}", {"system.tp"});
  t.scenario("router_unknown", sys, "system: {hw: h200-sxm, replicas: 1, router: randomly}",
             {"router", "randomly"}, false);
  t.scenario("hw_unknown", sys, "system: {hw: h900, replicas: 1, router: round-robin}",
             {"h900", "chip"}, false);
  t.scenario("requests_zero", "requests: 20", "requests: 0", {"workload.requests"});
  t.scenario("requests_1e11", "requests: 20", "requests: 100000000000",
             {"workload.requests|requests"}, false);
  t.scenario("requests_quoted", "requests: 20", "requests: \"20\"", {"workload.requests"});
  const std::string poisson = "arrivals: {poisson: 10/s}";
  t.scenario("poisson_zero", poisson, "arrivals: {poisson: 0/s}", {"workload.arrivals.poisson"});
  t.scenario("poisson_negative", poisson, "arrivals: {poisson: -1/s}",
             {"workload.arrivals.poisson"});
  t.scenario("poisson_subnormal", poisson, "arrivals: {poisson: 1e-310/s}",
             {"workload.arrivals.poisson"});
  t.scenario("poisson_huge", poisson, "arrivals: {poisson: 1e300/s}",
             {"arrivals.poisson|arrival rate"}, false);
  t.scenario("gamma_cv_1e300", poisson, "arrivals: {gamma: {rate: 10/s, cv: 1e300}}", {"cv"},
             false);
  t.scenario("gamma_cv_zero", poisson, "arrivals: {gamma: {rate: 10/s, cv: 0}}",
             {"workload.arrivals.gamma.cv"});
  t.scenario("gamma_cv_nan", poisson, "arrivals: {gamma: {rate: 10/s, cv: .nan}}",
             {"workload.arrivals.gamma.cv"});
  t.scenario("gamma_cv_subnormal", poisson, "arrivals: {gamma: {rate: 10/s, cv: 1e-310}}", {"cv"},
             false);
  t.scenario("gamma_missing_cv", poisson, "arrivals: {gamma: {rate: 10/s}}", {"cv"}, false);
  t.scenario("two_arrival_processes", poisson, "arrivals: {poisson: 10/s, constant: 5/s}",
             {"workload.arrivals", "constant|poisson"});
  t.scenario("closed_loop_users_zero", poisson, "arrivals: {closed_loop: {users: 0, think: 1s}}",
             {"workload.arrivals.closed_loop.users"});
  t.scenario("closed_loop_think_negative", poisson,
             "arrivals: {closed_loop: {users: 4, think: -1s}}",
             {"workload.arrivals.closed_loop.think"});
  t.scenario("closed_loop_think_absurd", poisson,
             "arrivals: {closed_loop: {users: 4, think: 1e300s}}", {"think"}, false);
  const std::string agentic =
      "workload:\n  agentic: {sessions: 4, rate: 1/s, calls: 3, first_tokens: 100, new_tokens: "
      "50, output_tokens: 20, think: 1s}\n";
  const auto with_agentic = [&](const std::string& from, const std::string& to) {
    return replace_all(agentic, from, to);
  };
  const auto ag = [&](const std::string& name, const std::string& body,
                      std::vector<std::string> expect) {
    t.scenario(name, kWorkloadLines, body, std::move(expect), true, "agentic:");
  };
  ag("agentic_rate_and_concurrency", with_agentic("rate: 1/s", "rate: 1/s, concurrency: 2"),
     {"workload.agentic"});
  ag("agentic_neither", with_agentic("rate: 1/s, ", ""), {"workload.agentic.rate"});
  ag("agentic_sessions_zero", with_agentic("sessions: 4", "sessions: 0"),
     {"workload.agentic.sessions"});
  ag("agentic_think_negative", with_agentic("think: 1s", "think: -1s"), {"workload.agentic.think"});
  ag("agentic_think_cv_huge", with_agentic("think: 1s", "think: 1s, think_cv: 1e9"),
     {"workload.agentic.think_cv"});
  ag("agentic_missing_calls", with_agentic("calls: 3, ", ""), {"workload.agentic.calls"});
  ag("agentic_unknown_key", with_agentic("think: 1s", "think: 1s, thinks: 2s"),
     {"workload.agentic.thinks"});
  t.scenario("agentic_with_arrivals", kWorkloadLines, agentic + "  arrivals: {poisson: 10/s}\n",
             {"workload.arrivals"}, true, "arrivals:");
  t.scenario("prefix_caching_not_bool", "block_size: 16}", "block_size: 16, prefix_caching: 3}",
             {"scheduler.prefix_caching"});
  t.scenario("prefix_aware_without_cache", "router: round-robin", "router: prefix-aware",
             {"system.router", "prefix_caching"}, false);
  // Speculative decoding: the line of the speculative: mapping, the key.
  const auto spec = [&](const std::string& name, const std::string& body,
                        std::vector<std::string> expect, bool with_line = true) {
    t.scenario("speculative_" + name, "slo: {ttft", "speculative: " + body + "\nslo: {ttft",
               std::move(expect), with_line, "speculative:");
  };
  spec("acceptance_above_one", "{method: eagle, tokens: 3, acceptance: 1.5}",
       {"speculative.acceptance", "1.5"});
  spec("acceptance_negative", "{method: eagle, tokens: 3, acceptance: -0.1}",
       {"speculative.acceptance"});
  spec("acceptance_nan", "{method: eagle, tokens: 3, acceptance: .nan}",
       {"speculative.acceptance"});
  spec("by_position_out_of_range", "{method: eagle, tokens: 3, acceptance_by_position: [0.9, 2]}",
       {"speculative.acceptance_by_position", "[0, 1]", "position 1"});
  spec("by_position_too_long",
       "{method: eagle, tokens: 2, acceptance_by_position: [0.5, 0.5, 0.5]}",
       {"speculative.acceptance_by_position"});
  spec("both_acceptances",
       "{method: eagle, tokens: 2, acceptance: 0.5, acceptance_by_position: [0.5]}",
       {"speculative.acceptance"});
  spec("no_acceptance", "{method: eagle, tokens: 2}", {"speculative.acceptance"});
  spec("tokens_zero", "{method: eagle, tokens: 0, acceptance: 0.5}", {"speculative.tokens"});
  spec("tokens_huge", "{method: eagle, tokens: 100000, acceptance: 0.5}", {"speculative.tokens"});
  spec("unknown_method", "{method: medusa, tokens: 2, acceptance: 0.5}",
       {"speculative.method", "medusa"});
  spec("draft_without_model", "{method: draft, tokens: 2, acceptance: 0.5}",
       {"speculative.draft_model"});
  spec("model_for_eagle", "{method: eagle, tokens: 2, acceptance: 0.5, draft_model: llama-3.2-1b}",
       {"speculative.draft_model"});
  spec("unknown_key", "{method: eagle, tokens: 2, acceptance: 0.5, accept: 0.5}",
       {"speculative.accept"});
  // Refused when the replica is built: the file and the key, not a line.
  spec("mtp_without_modules", "{method: mtp, tokens: 2, acceptance: 0.5}",
       {"speculative.method", "num_nextn_predict_layers"}, false);
  spec("draft_other_vocabulary",
       "{method: draft, tokens: 2, acceptance: 0.5, draft_model: qwen3-8b}",
       {"speculative.draft_model", "vocabulary"}, false);
  const auto trace = [&](const std::string& name, const std::string& body,
                         std::vector<std::string> expect, bool with_line = true) {
    t.scenario(name, kWorkloadLines, "workload:\n  trace: " + body + "\n", std::move(expect),
               with_line, "trace:");
  };
  // The trace, not the scenario, is the file at fault here.
  for (const auto& [name, path] :
       {std::pair{"dev_zero", "/dev/zero"}, std::pair{"missing", "missing.csv"}}) {
    Case c;
    c.name = std::string("scenario_trace_") + name;
    c.args = {"serve", "{dir}/scenario.yaml"};
    c.files = {
        {"scenario.yaml", replace_all(kScenarioYaml, kWorkloadLines,
                                      "workload:\n  trace: {path: " + std::string(path) + "}\n")}};
    c.expect = {path, "trace"};
    t.add(std::move(c));
  }
  trace("trace_speedup_zero", "{path: ../x.csv, speedup: 0}", {"workload.trace.speedup"});
  trace("trace_speedup_subnormal", "{path: ../x.csv, speedup: 1e-310}", {"speedup"}, false);
  trace("trace_loops_zero", "{path: ../x.csv, loops: 0}", {"workload.trace.loops"});
  trace("trace_loops_1e7", "{path: ../x.csv, loops: 10000000}", {"loops"}, false);
  trace("trace_unknown_key", "{path: ../x.csv, sped: 2}", {"workload.trace.sped"});
  t.scenario("input_lognormal_sigma_1e200", "input_tokens: lognormal:512:0.8:4096",
             "input_tokens: lognormal:512:1e200", {"workload.input_tokens", "lognormal:512:1e200"});
  t.scenario("output_normal_mean_1e300", "output_tokens: 64", "output_tokens: normal:1e300:1",
             {"workload.output_tokens", "normal:1e300:1"});
  t.scenario("input_file_dev_zero", "input_tokens: lognormal:512:0.8:4096",
             "input_tokens: file:/dev/zero", {"workload.input_tokens", "/dev/zero"});
  t.scenario("output_tokens_list", "output_tokens: 64", "output_tokens: [64]",
             {"workload.output_tokens"});
  const std::string sched =
      "scheduler: {max_sequences: 64, max_batched_tokens: 4096, block_size: 16}";
  t.scenario("preemption_unknown", sched,
             "scheduler: {max_sequences: 64, max_batched_tokens: 4096, preemption: sometimes}",
             {"scheduler.preemption"});
  t.scenario("max_sequences_zero", sched,
             "scheduler: {max_sequences: 0, max_batched_tokens: 4096, block_size: 16}",
             {"scheduler.max_sequences"});
  t.scenario("block_size_zero", sched,
             "scheduler: {max_sequences: 64, max_batched_tokens: 4096, block_size: 0}",
             {"scheduler.block_size"});
  t.scenario("memory_utilization_above_one", sched,
             "scheduler: {max_sequences: 64, memory_utilization: 1.5}",
             {"scheduler.memory_utilization"});
  t.scenario("swap_bandwidth_zero", sched, "scheduler: {max_sequences: 64, swap_bandwidth: 0GB/s}",
             {"scheduler.swap_bandwidth"});
  t.scenario("slo_ttft_negative", "slo: {ttft: 1s, tpot: 50ms}", "slo: {ttft: -1s, tpot: 50ms}",
             {"slo.ttft"});
  t.scenario("slo_ttft_subnormal", "slo: {ttft: 1s, tpot: 50ms}",
             "slo: {ttft: 1e-310s, tpot: 50ms}", {"slo.ttft"});
  t.scenario("sample_interval_zero", "seed: 1\n", "seed: 1\noutput: {sample_interval: 0s}\n",
             {"output.sample_interval"}, true, "output:");
  t.scenario("nested_10000", "seed: 1\n", "seed: 1\nextra: " + nested_arrays(10000) + "\n",
             {"nested|deep"}, false);
  t.flags("scenario_dev_zero", {"serve", "/dev/zero"}, {"/dev/zero", "scenario|regular"});
  t.flags("scenario_missing", {"serve", "{dir}/missing.yaml"}, {"missing.yaml"});
  t.flags("scenario_unknown_preset", {"serve", "defualt"},
          {"unknown scenario 'defualt'", "default"});
  t.flags("sweep_unknown_preset", {"sweep", "hbm-and-batc"}, {"unknown sweep", "hbm-and-batch"});
}

void model_cases(Table& t) {
  t.model("hidden_size_string", R"("hidden_size": 4096,)", R"("hidden_size": "4096",)",
          {"hidden_size"});
  t.model("vocab_size_int64_max", R"("vocab_size": 128256)", R"("vocab_size": 9223372036854775807)",
          {"vocab_size"});
  t.model("vocab_size_beyond_uint64", R"("vocab_size": 128256)",
          R"("vocab_size": 18446744073709551616)", {"vocab_size|JSON"});
  t.model("layer_types_too_short", R"("num_hidden_layers": 32,)",
          R"("num_hidden_layers": 32, "sliding_window": 4096, "layer_types": ["full_attention"],)",
          {"layer_types", "32 layer kinds"});
  t.model("layer_types_unknown_kind", R"("num_hidden_layers": 32,)",
          R"("num_hidden_layers": 2, "sliding_window": 4096, "layer_types": ["full", "local"],)",
          {"layer_types", "sliding_attention"});
  t.model("sliding_window_negative", R"("num_hidden_layers": 32,)",
          R"("num_hidden_layers": 32, "sliding_window": -4096,)", {"sliding_window"});
  t.model("layers_zero", R"("num_hidden_layers": 32,)", R"("num_hidden_layers": 0,)",
          {"num_hidden_layers"});
  t.model("layers_1e15", R"("num_hidden_layers": 32,)", R"("num_hidden_layers": 1000000000000000,)",
          {"num_hidden_layers"});
  t.model("hidden_size_fraction", R"("hidden_size": 4096,)", R"("hidden_size": 4096.5,)",
          {"hidden_size"});
  t.model("hidden_size_negative", R"("hidden_size": 4096,)", R"("hidden_size": -4096,)",
          {"hidden_size"});
  t.model("hidden_size_null", R"("hidden_size": 4096,)", R"("hidden_size": null,)",
          {"hidden_size"});
  t.model("kv_heads_not_divisor", R"("num_key_value_heads": 8,)", R"("num_key_value_heads": 7,)",
          {"num_key_value_heads"});
  t.model("heads_zero", R"("num_attention_heads": 32,)", R"("num_attention_heads": 0,)",
          {"num_attention_heads"});
  t.model("intermediate_1e300", R"("intermediate_size": 14336,)", R"("intermediate_size": 1e300,)",
          {"intermediate_size"});
  t.model("unknown_key", R"("hidden_size": 4096,)", R"("hidden_size": 4096, "hiden_size": 1,)",
          {"hiden_size"});
  t.model("duplicate_key", R"("hidden_size": 4096,)", R"("hidden_size": 4096, "hidden_size": 8,)",
          {"hidden_size"});
  t.model("model_type_unsupported", R"("model_type": "llama",)", R"("model_type": "gpt2",)",
          {"model_type", "mixtral, qwen3_moe"});
  t.moe_model("top_k_above_experts", "mixtral-8x7b", R"("num_experts_per_tok": 2,)",
              R"("num_experts_per_tok": 9,)", {"num_experts_per_tok", "at most 8"});
  t.moe_model("experts_missing", "mixtral-8x7b", R"("num_local_experts": 8,)", "",
              {"num_local_experts"});
  t.moe_model("experts_zero", "qwen3-30b-a3b", R"("num_experts": 128,)", R"("num_experts": 0,)",
              {"num_experts"});
  t.moe_model("mlp_only_layer_out_of_range", "qwen3-30b-a3b", R"("mlp_only_layers": [],)",
              R"("mlp_only_layers": [48],)", {"mlp_only_layers", "0 to 47"});
  t.moe_model("mla_latent_missing", "deepseek-v3", R"("kv_lora_rank": 512,)", "", {"kv_lora_rank"});
  t.moe_model("mla_latent_zero", "deepseek-v3", R"("kv_lora_rank": 512,)", R"("kv_lora_rank": 0,)",
              {"kv_lora_rank"});
  t.moe_model("mla_v_head_huge", "deepseek-v3", R"("v_head_dim": 128,)", R"("v_head_dim": 1e300,)",
              {"v_head_dim"});
  t.moe_model("deepseek_experts_missing", "deepseek-v3", R"("n_routed_experts": 256,)", "",
              {"n_routed_experts"});
  t.moe_model("deepseek_top_k_above_experts", "deepseek-v3", R"("num_experts_per_tok": 8,)",
              R"("num_experts_per_tok": 300,)", {"num_experts_per_tok", "at most 256"});
  t.moe_model("deepseek_dense_layers_beyond_model", "deepseek-v3", R"("first_k_dense_replace": 3,)",
              R"("first_k_dense_replace": 62,)", {"first_k_dense_replace"});
  t.moe_model("deepseek_shared_negative", "deepseek-v3", R"("n_shared_experts": 1,)",
              R"("n_shared_experts": -1,)", {"n_shared_experts"});
  t.moe_model("deepseek_groups_not_dividing", "deepseek-v3", R"("n_group": 8,)", R"("n_group": 7,)",
              {"n_group", "a divisor of the 256"});
  t.moe_model("deepseek_group_limit_too_tight", "deepseek-v3", R"("topk_group": 4,)",
              R"("topk_group": 0,)", {"topk_group"});
  t.moe_model("deepseek_mtp_many", "deepseek-v3", R"("num_nextn_predict_layers": 1,)",
              R"("num_nextn_predict_layers": 1000,)", {"num_nextn_predict_layers", "at most 16"});
  t.moe_model("mxfp4_modules_not_a_list", "gpt-oss-20b", R"("model.layers.*.self_attn",)",
              R"("model.layers.*.self_attn", {"a": 1},)", {"modules_to_not_convert"});
  t.moe_model("ssm_state_missing", "nemotron-h-8b", R"("ssm_state_size": 128,)", "",
              {"ssm_state_size"});
  t.moe_model("ssm_pattern_short", "nemotron-h-8b", R"("hybrid_override_pattern": "M-M)",
              R"("hybrid_override_pattern": "M-", "x": "M-M)", {"hybrid_override_pattern", "52"});
  t.moe_model("ssm_pattern_unknown_block", "nemotron-h-8b", R"("hybrid_override_pattern": "M-M)",
              R"("hybrid_override_pattern": "E-M)", {"hybrid_override_pattern", "'E' at layer 0"});
  t.moe_model("ssm_groups_not_dividing_heads", "nemotron-h-8b", R"("n_groups": 8,)",
              R"("n_groups": 7,)", {"n_groups", "128 value heads"});
  t.moe_model("ssm_heads_not_divisible_by_tp", "nemotron-h-8b", R"("mamba_num_heads": 128,)",
              R"("mamba_num_heads": 120,)", {"120 recurrent heads", "tp 16"},
              {"--tp", "16", "--topology", "gb200-nvl72"});
  t.moe_model(
      "ssm_pattern_without_mixer", "nemotron-h-8b",
      R"("hybrid_override_pattern": "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-",)",
      R"("hybrid_override_pattern": "----------------------------------------------------",)",
      {"hybrid_override_pattern", "at least one 'M' or '*'"});
  t.flags("mamba_weight_group_not_dividing",
          {"step", "--model", "mamba2-2.7b", "--hw", "h200-sxm", "--weights", "int4",
           "--weight-group", "100"},
          {"--weight-group"});
  t.moe_model("jamba_attention_offset_beyond_period", "jamba-1.5-mini",
              R"("attn_layer_offset": 4,)", R"("attn_layer_offset": 9,)", {"attn_layer_offset"});
  t.moe_model("jamba_state_missing", "jamba-1.5-mini", R"("mamba_d_state": 16,)", "",
              {"mamba_d_state"});
  t.moe_model("jamba_biased_projections", "jamba-1.5-mini", R"("mamba_proj_bias": false,)",
              R"("mamba_proj_bias": true,)", {"mamba_proj_bias", "not modelled"});
  t.moe_model("deltanet_value_heads_not_multiple", "qwen3-next-80b-a3b",
              R"("linear_num_value_heads": 32,)", R"("linear_num_value_heads": 24,)",
              {"linear_num_key_heads", "24 value heads"});
  t.moe_model("mamba_ssm_attention_layers", "mamba2-2.7b", R"("attn_layer_idx": [],)",
              R"("attn_layer_idx": [3],)", {"attn_layer_idx", "not modelled"});
  t.moe_model("mamba_ssm_unknown_layer", "mamba2-2.7b", R"("layer": "Mamba2")",
              R"("layer": "Mamba3")", {"layer", "'Mamba3'"});
  t.moe_model("mamba_ssm_inner_too_wide", "mamba2-2.7b", R"("d_model": 2560,)",
              R"("d_model": 1000000,)", {"ssm_cfg", "inner width"});
  t.moe_model("llama4_dense_width_missing", "llama-4-maverick",
              R"("intermediate_size_mlp": 16384,)", "", {"intermediate_size_mlp"});
  t.moe_model("llama4_moe_layer_out_of_range", "llama-4-maverick",
              R"("interleave_moe_layer_step": 2,)", R"("moe_layers": [1, 48],)",
              {"moe_layers", "0 to 47"});
  t.moe_model("llama4_no_rope_layers_short", "llama-4-scout", R"("use_qk_norm": true,)",
              R"("use_qk_norm": true, "no_rope_layers": [1, 0],)", {"no_rope_layers", "48 flags"});
  t.moe_model("llama4_text_config_not_a_mapping", "llama-4-scout", R"("text_config": {)",
              R"("text_config": 3, "x": {)", {"text_config"});
  t.moe_model("sparse_step_zero", "qwen3-30b-a3b", R"("decoder_sparse_step": 1,)",
              R"("decoder_sparse_step": 0,)", {"decoder_sparse_step"});
  t.moe_model("tp_not_dividing_experts", "qwen3-30b-a3b", R"("moe_intermediate_size": 768,)",
              R"("moe_intermediate_size": 770,)", {"expert FFN width 770", "tp 4"},
              {"--tp", "4", "--topology", "hgx-h200"});
  t.model("dtype_unknown", R"("torch_dtype": "bfloat16",)", R"("torch_dtype": "int4",)",
          {"torch_dtype"});
  t.model("activation_unknown", R"("hidden_act": "silu",)", R"("hidden_act": "gelu",)",
          {"hidden_act"});
  t.model("missing_hidden_size", R"("hidden_size": 4096,)", "", {"hidden_size"});
  t.model("positions_1e20", R"("max_position_embeddings": 131072,)",
          R"("max_position_embeddings": 100000000000000000000,)", {"max_position_embeddings"});
  t.model("tied_embeddings_string", R"("tie_word_embeddings": false,)",
          R"("tie_word_embeddings": "false",)", {"tie_word_embeddings"});
  t.model("head_dim_zero", R"("hidden_size": 4096,)", R"("hidden_size": 4096, "head_dim": 0,)",
          {"head_dim"});
  {
    // Each size within its bound, their product beyond any machine (3e17 parameters).
    std::string text = replace_all(model_json(), R"("intermediate_size": 14336,)",
                                   R"("intermediate_size": 1048576,)");
    text = replace_all(text, R"("hidden_size": 4096,)", R"("hidden_size": 1048576,)");
    text = replace_all(text, R"("num_hidden_layers": 32,)", R"("num_hidden_layers": 100000,)");
    t.model_text("parameters_beyond_any_machine", text, {"parameter"});
  }
  t.model_text("top_level_array", "[1, 2, 3]\n", {"top level|mapping"});
  t.model_text("nested_10000_arrays", nested_arrays(10000), {"nested|deep"});
  t.model_text("nested_10000_in_key", R"({"rope_scaling": )" + nested_arrays(10000) + "}",
               {"nested|deep"});
  t.flags("model_dev_zero", {"step", "--model", "/dev/zero", "--hw", "h200-sxm"},
          {"/dev/zero", "model|regular"});
}

void length_cases(Table& t) {
  t.length("lognormal_sigma_1e200", "--input-len", "lognormal:512:1e200",
           {"lognormal:512:1e200", "SIGMA"});
  t.length("normal_mean_1e300", "--input-len", "normal:1e300:1", {"normal:1e300:1", "MEAN"});
  t.length("file_dev_zero", "--input-len", "file:/dev/zero", {"/dev/zero", "regular"});
  t.length("file_directory", "--input-len", "file:{dir}", {"{dir}", "regular"});
  t.length("file_missing", "--input-len", "file:{dir}/missing.txt", {"missing.txt"});
  t.length("uniform_reversed", "--input-len", "uniform:5:1", {"uniform:5:1", "LO"});
  t.length("fixed_zero", "--input-len", "0", {"'0'"});
  t.length("fixed_negative", "--input-len", "-5", {"'-5'"});
  t.length("word", "--input-len", "abc", {"'abc'"});
  t.length("fixed_1e10", "--input-len", "10000000000", {"10000000000"});
  t.length("uniform_beyond", "--input-len", "uniform:1:99999999999", {"HI"});
  t.length("normal_sd_negative", "--output-len", "normal:512:-1", {"SD"});
  t.length("normal_sd_subnormal", "--input-len", "normal:512:1e-310", {"SD"});
  t.length("lognormal_mean_zero", "--output-len", "lognormal:0:1", {"MEAN"});
  t.length("lognormal_max_zero", "--input-len", "lognormal:512:0.8:0", {"MAX"});
  t.length("unknown_form", "--input-len", "poisson:5", {"poisson"});
  t.length("file_no_path", "--input-len", "file:", {"file:"});
  t.length("output_file_dev_zero", "--output-len", "file:/dev/zero", {"/dev/zero"});
  t.length("normal_nan", "--input-len", "normal:nan:1", {"MEAN"});
  {
    Case c;
    c.name = "length_file_bad_line";
    c.args = synthetic_with({"--input-len", "file:{dir}/lengths.txt"});
    c.files = {{"lengths.txt", "5\n7\nseven\n"}};
    c.expect = {"--input-len", "lengths.txt", "line 3"};
    t.add(std::move(c));
  }
}

void trace_cases(Table& t) {
  t.flags("trace_dev_zero", serve_with({"--trace", "/dev/zero"}), {"/dev/zero", "regular"});
  t.flags("trace_directory", serve_with({"--trace", "{dir}"}), {"{dir}", "regular"});
  t.flags("trace_missing", serve_with({"--trace", "{dir}/missing.csv"}), {"missing.csv"});
  t.flags("trace_bench_dev_zero", {"bench", "--trace", "/dev/zero"}, {"/dev/zero", "regular"});
  // Session traces (README "Prefix caching and sessions").
  const std::string kSessionRow =
      R"({"timestamp": 0, "input_tokens": 100, "output_tokens": 10, "session_id": "a"})"
      "\n";
  t.trace(
      "session_unknown", "trace.jsonl",
      kSessionRow +
          R"({"timestamp": 1, "input_tokens": 50, "output_tokens": 1, "session_id": "b", "prefix_tokens": 9})"
          "\n",
      {"line 2", "session_id", "no earlier call"});
  t.trace(
      "session_prefix_past_prompt", "trace.jsonl",
      kSessionRow +
          R"({"timestamp": 1, "input_tokens": 50, "output_tokens": 1, "session_id": "a", "prefix_tokens": 51})"
          "\n",
      {"line 2", "prefix_tokens", "prompt"});
  t.trace(
      "session_prefix_past_context", "trace.jsonl",
      kSessionRow +
          R"({"timestamp": 1, "input_tokens": 500, "output_tokens": 1, "session_id": "a", "prefix_tokens": 111})"
          "\n",
      {"line 2", "prefix_tokens", "session 'a'"});
  t.trace("session_prefix_alone", "trace.jsonl",
          R"({"timestamp": 1, "input_tokens": 50, "output_tokens": 1, "prefix_tokens": 5})"
          "\n",
          {"line 1", "prefix_tokens", "session_id"});
  t.trace("mooncake_hash_count", "trace.jsonl",
          R"({"timestamp": 0, "input_length": 2000, "output_length": 5, "hash_ids": [1]})"
          "\n",
          {"line 1", "hash_ids", "512-token block"});
  t.trace("mooncake_hash_text", "trace.jsonl",
          R"({"timestamp": 0, "input_length": 20, "output_length": 5, "hash_ids": ["x"]})"
          "\n",
          {"line 1", "hash_ids", "whole numbers"});
  t.trace("azure_extra_columns", "trace.csv", kAzureHeader + kAzureRow + "1,100,10,oops,,\n",
          {"line 3", "column 4", "oops"});
  t.trace("azure_negative_tokens", "trace.csv", kAzureHeader + "2023-11-16 18:15:46,-3,44\n",
          {"line 2", "ContextTokens"});
  t.trace("azure_out_of_order", "trace.csv",
          kAzureHeader + kAzureRow + "2023-11-16 18:15:40.0,10,5\n", {"line 3", "TIMESTAMP"});
  t.trace("azure_unknown_header_column", "trace.csv",
          "TIMESTAMP,ContextTokens,GeneratedTokens,Region\n" + kAzureRow, {"line 1", "Region"});
  t.trace("azure_bad_date", "trace.csv", kAzureHeader + "2023-02-29 18:15:46,10,5\n",
          {"line 2", "TIMESTAMP"});
  t.trace("azure_time_out_of_range", "trace.csv", kAzureHeader + "1e400,10,5\n",
          {"line 2", "TIMESTAMP"});
  t.trace("azure_tokens_overflow", "trace.csv", kAzureHeader + "1,99999999999999999999,5\n",
          {"line 2", "ContextTokens"});
  t.trace("azure_long_line", "trace.csv", kAzureHeader + std::string(1 << 20, '7'),
          {"line 2", "longer"});
  t.trace("burstgpt_non_numeric", "trace.csv",
          kBurstHeader + "5,ChatGPT,472,many,490,Conversation log\n",
          {"line 2", "Response tokens"});
  t.trace("burstgpt_extra_column", "trace.csv",
          kBurstHeader + "5,ChatGPT,472,18,490,Conversation log,x\n", {"line 2", "column 7"});
  t.trace("jsonl_unknown_key", "trace.jsonl",
          R"({"timestamp": 1, "input_tokens": 10, "output_tokens": 5, "user": 3})"
          "\n",
          {"line 1", "user"});
  t.trace("jsonl_duplicate_key", "trace.jsonl",
          R"({"timestamp": 1, "input_tokens": 10, "input_tokens": 20, "output_tokens": 5})"
          "\n",
          {"line 1", "input_tokens"});
  t.trace("jsonl_nested_10000", "trace.jsonl", R"({"timestamp": )" + nested_arrays(10000) + "}\n",
          {"line 1", "timestamp"});
  t.trace("jsonl_malformed", "trace.jsonl", kJsonlRow + "{oops\n", {"line 2", "JSON"});
  t.trace("jsonl_string_tokens", "trace.jsonl",
          R"({"timestamp": 1, "input_tokens": "10", "output_tokens": 5})"
          "\n",
          {"line 1", "input_tokens"});
  t.trace("jsonl_missing_key", "trace.jsonl",
          kJsonlRow + R"({"timestamp": 2, "input_tokens": 3})"
                      "\n",
          {"line 2", "output_tokens"});
  t.trace("empty_file", "trace.csv", "", {"empty"});
  t.trace("unrecognized_format", "trace.csv", "time,in,out\n1,2,3\n", {"line 1", "format"});
  t.trace("binary_garbage", "trace.csv", std::string("\x01\x02\xff\xfe\0\0", 6) + "\n", {"line 1"});
  {
    Case c;
    c.name = "trace_scenario_azure_extra_columns";
    c.args = {"serve", "{dir}/scenario.yaml"};
    c.files = {{"scenario.yaml", replace_all(kScenarioYaml, kWorkloadLines,
                                             "workload:\n  trace: {path: trace.csv}\n")},
               {"trace.csv", kAzureHeader + kAzureRow + "1,100,10,oops,,\n"}};
    c.expect = {"trace.csv", "line 3", "column 4"};
    t.add(std::move(c));
  }
}

void calibration_cases(Table& t) {
  t.calibration("not_json", "{oops\n", {"JSON"});
  t.calibration("top_level_array", "[1, 2]\n", {"object|mapping"});
  t.calibration("unknown_key", R"({"gemms": []})", {"gemms"});
  t.calibration("gemm_not_a_list", R"({"gemm": {"m": 1}})", {"gemm"});
  t.calibration("empty_object", "{}", {"gemm|attn"});
  t.calibration("nested_10000_arrays", nested_arrays(10000), {"kernels.json"});
  t.calibration("nested_10000_in_gemm", R"({"gemm": )" + nested_arrays(10000) + "}",
                {"nested|deep"});
  t.calibration_edit("missing_seconds", R"("n": 6144, "seconds": 1.6e-05},)", R"("n": 6144},)",
                     {"gemm[0]", "seconds"});
  t.calibration_edit("seconds_negative", R"("seconds": 1.6e-05},)", R"("seconds": -1},)",
                     {"gemm[0]", "seconds"});
  t.calibration_edit("seconds_string", R"("seconds": 1.6e-05},)", R"("seconds": "1.6e-05"},)",
                     {"gemm[0]", "seconds"});
  t.calibration_edit("seconds_overflow", R"("seconds": 1.6e-05},)", R"("seconds": 1e400},)",
                     {"1e400|seconds"});
  t.calibration_edit("m_fraction", R"("m": 1, "k": 4096)", R"("m": 1.5, "k": 4096)",
                     {"gemm[0]", "m"});
  t.calibration_edit("attn_batch_zero", R"("batch": 1,)", R"("batch": 0,)", {"attn[0]", "batch"});
  t.calibration_edit("duplicate_key", R"("meta": {"gpu": "test"},)",
                     R"("meta": {"gpu": "test"}, "meta": {},)", {"meta"});
  t.calibration_edit("gemm_row_not_object", R"([{"op": "8b.qkv", "m": 1,)",
                     R"([7, {"op": "8b.qkv", "m": 1,)", {"gemm[0]"});
  t.flags("calibration_dev_zero", step_with({"--calibration", "/dev/zero"}),
          {"/dev/zero", "calibration|regular"});
  t.flags("calibration_missing", step_with({"--calibration", "{dir}/missing.json"}),
          {"missing.json"});
}

void flag_cases(Table& t) {
  // step
  t.flags("step_layers_1e15", step_with({"--layers", "1000000000000000"}), {"--layers"});
  t.flags("step_layers_zero", step_with({"--layers", "0"}), {"--layers"});
  t.flags("step_layers_negative", step_with({"--layers", "-1"}), {"--layers"});
  t.flags("step_batch_zero", step_with({"--batch", "0"}), {"--batch"});
  t.flags("step_batch_overflow", step_with({"--batch", "100000000000000000000"}), {"--batch"});
  t.flags("step_batch_word", step_with({"--batch", "abc"}), {"--batch"});
  t.flags("step_batch_no_value", step_with({"--batch"}), {"--batch"});
  t.flags("step_ctx_negative", step_with({"--ctx", "-1"}), {"--ctx"});
  t.flags("step_ctx_overflow", step_with({"--ctx", "99999999999999999999"}), {"--ctx"});
  t.flags("step_positions_beyond", step_with({"--batch", "1000000", "--ctx", "1000000000"}),
          {"--batch"});
  t.flags("step_tokens_zero", step_with({"--phase", "prefill", "--tokens", "0"}), {"--tokens"});
  t.flags("step_phase_unknown", step_with({"--phase", "middle"}), {"--phase"});
  t.flags("step_tp_zero", step_with({"--tp", "0"}), {"--tp|tp"});
  t.flags("step_pp_zero", step_with({"--pp", "0"}), {"--pp|pp"});
  t.flags("step_tp_not_divisor", step_with({"--tp", "3"}), {"tp|TP"});
  t.flags("step_replicas_zero", step_with({"--replicas", "0"}), {"--replicas"});
  t.flags("step_replicas_1e7", step_with({"--replicas", "10000000"}), {"--replicas"});
  t.flags("step_model_unknown", {"step", "--model", "llama-9", "--hw", "h200-sxm"},
          {"llama-9", "model"});
  t.flags("step_model_missing_file",
          {"step", "--model", "{dir}/nonexistent.json", "--hw", "h200-sxm"}, {"nonexistent.json"});
  t.flags("step_model_flag_missing", {"step", "--hw", "h200-sxm"}, {"--model"});
  t.flags("step_hw_unknown", {"step", "--model", "llama-3.1-8b", "--hw", "b900"}, {"b900", "chip"});
  t.flags("step_engine_unknown", step_with({"--engine", "tensorrt"}), {"tensorrt", "engine"});
  t.flags("step_topology_unknown", step_with({"--topology", "ring-99"}), {"ring-99"});
  t.flags("step_unknown_flag", step_with({"--frobnicate"}), {"--frobnicate"});
  // serve
  t.flags("serve_acceptance_above_one",
          synthetic_with(
              {"--speculative", "eagle", "--speculative-tokens", "2", "--acceptance", "1.2"}),
          {"speculative.acceptance", "--acceptance", "[0, 1]"});
  t.flags("serve_acceptance_without_method", synthetic_with({"--acceptance", "0.5"}),
          {"--speculative"});
  t.flags("serve_speculative_no_tokens", synthetic_with({"--speculative", "eagle"}),
          {"speculative.tokens", "--speculative-tokens"});
  t.flags("serve_slo_ttft_subnormal", synthetic_with({"--slo-ttft", "1e-310"}), {"--slo-ttft"});
  t.flags("serve_slo_ttft_negative", synthetic_with({"--slo-ttft", "-1"}), {"--slo-ttft"});
  t.flags("serve_slo_ttft_nan", synthetic_with({"--slo-ttft", "nan"}), {"--slo-ttft"});
  t.flags("serve_slo_tpot_inf", synthetic_with({"--slo-tpot", "inf"}), {"--slo-tpot"});
  t.flags("serve_rate_zero", serve_with({"--rate", "0"}), {"--rate"});
  t.flags("serve_rate_subnormal", serve_with({"--rate", "1e-310"}), {"--rate"});
  t.flags("serve_rate_inf", serve_with({"--rate", "inf"}), {"--rate"});
  t.flags("serve_requests_1e10", serve_with({"--rate", "1", "--requests", "1e10"}), {"--requests"});
  t.flags("serve_requests_zero", serve_with({"--rate", "1", "--requests", "0"}), {"--requests"});
  t.flags("serve_requests_negative", serve_with({"--rate", "1", "--requests", "-5"}),
          {"--requests"});
  t.flags("serve_requests_1e11", serve_with({"--rate", "1", "--requests", "100000000000"}),
          {"--requests|requests"});
  t.flags("serve_replicas_zero", synthetic_with({"--replicas", "0"}), {"--replicas"});
  t.flags("serve_replicas_uint32_overflow", synthetic_with({"--replicas", "4294967297"}),
          {"--replicas"});
  t.flags("serve_router_unknown", synthetic_with({"--router", "randomly"}),
          {"randomly", "--router"});
  t.flags("serve_preemption_unknown", synthetic_with({"--preemption", "sometimes"}),
          {"--preemption"});
  t.flags("serve_seed_negative", synthetic_with({"--seed", "-1"}), {"--seed"});
  t.flags("serve_seed_overflow", synthetic_with({"--seed", "99999999999999999999"}), {"--seed"});
  t.flags("serve_max_seqs_zero", synthetic_with({"--max-seqs", "0"}), {"--max-seqs"});
  t.flags("serve_max_tokens_zero", synthetic_with({"--max-tokens", "0"}), {"--max-tokens"});
  t.flags("serve_block_size_zero", synthetic_with({"--block-size", "0"}), {"--block-size"});
  t.flags("serve_tp_zero", synthetic_with({"--tp", "0"}), {"--tp"});
  const std::string conv =
      std::string(JALAPENO_SOURCE_DIR) + "/data/traces/azure_llm_2023_conv.csv";
  t.flags("serve_trace_and_rate", serve_with({"--trace", conv, "--rate", "1"}), {"--trace"});
  t.flags("serve_think_without_loop", synthetic_with({"--think", "1"}), {"--think"});
  t.flags("serve_concurrency_zero", serve_with({"--concurrency", "0"}), {"--concurrency"});
  t.flags("serve_concurrency_1e8", serve_with({"--concurrency", "100000000"}),
          {"--concurrency|users"});
  t.flags("serve_think_absurd", serve_with({"--concurrency", "4", "--think", "1e300"}),
          {"--think|think"});
  t.flags("serve_speedup_zero", serve_with({"--trace", conv, "--speedup", "0"}), {"--speedup"});
  t.flags("serve_speedup_subnormal", serve_with({"--trace", conv, "--speedup", "1e-310"}),
          {"--speedup|speedup"});
  t.flags("serve_loops_1e9", serve_with({"--trace", conv, "--loops", "1000000000"}),
          {"--loops|loops"});
  t.flags("serve_timeline_without_out", synthetic_with({"--timeline"}), {"--timeline"});
  t.flags("serve_out_unwritable", synthetic_with({"--out", "/dev/null/x"}), {"--out"});
  t.flags("serve_unknown_flag", synthetic_with({"--frobnicate"}), {"--frobnicate"});
  // plan
  t.flags("plan_simulate_and_top_negative", plan_with({"--simulate", "-1", "--top", "-1"}),
          {"--simulate|--top"});
  t.flags("plan_simulate_negative", plan_with({"--simulate", "-1"}), {"--simulate"});
  t.flags("plan_top_negative", plan_with({"--top", "-1"}), {"--top"});
  t.flags("plan_simulate_huge", plan_with({"--simulate", "100000"}), {"--simulate"});
  t.flags("plan_chips_negative", plan_with({"--chips", "-1"}), {"--chips"});
  t.flags("plan_chips_300000000", plan_with({"--chips", "300000000"}), {"--chips|chips"});
  t.flags("plan_workload_no_colon", plan_with({"--workload", "1024"}), {"--workload"});
  t.flags("plan_workload_zero", plan_with({"--workload", "0:0"}), {"--workload"});
  t.flags("plan_workload_huge", plan_with({"--workload", "1e300:1"}), {"--workload"});
  t.flags("plan_max_seqs_zero", plan_with({"--max-seqs", "0"}), {"--max-seqs"});
  t.flags("plan_slo_ttft_negative", plan_with({"--slo-ttft", "-1"}), {"--slo-ttft"});
  t.flags("plan_slo_ttft_subnormal", plan_with({"--slo-ttft", "1e-310"}), {"--slo-ttft"});
  t.flags("plan_simulate_requests_zero", plan_with({"--simulate-requests", "0"}),
          {"--simulate-requests"});
  t.flags("plan_hw_unknown", {"plan", "--model", "llama-3.1-8b", "--hw", "hgx-z900"}, {"hgx-z900"});
  // bench
  t.flags("bench_requests_zero", {"bench", "--requests", "0"}, {"--requests"});
  t.flags("bench_requests_1e9", {"bench", "--requests", "1000000000"}, {"--requests"});
  t.flags("bench_load_zero", {"bench", "--load", "0"}, {"--load"});
  t.flags("bench_load_eleven", {"bench", "--load", "11"}, {"--load"});
  t.flags("bench_load_nan", {"bench", "--load", "nan"}, {"--load"});
  t.flags("bench_loops_zero", {"bench", "--loops", "0"}, {"--loops"});
  t.flags("bench_trace_missing", {"bench", "--trace", "{dir}/missing.csv"}, {"missing.csv"});
  // validate, presets, run, the command word
  t.flags("validate_unknown_flag", {"validate", "--frobnicate"}, {"--frobnicate"});
  t.flags("validate_extra_argument", {"validate", "extra"}, {"extra"});
  t.flags("validate_no_data_dir", {"validate"}, {"/nonexistent"}, {"JALAPENO_DATA=/nonexistent"});
  t.flags("presets_no_data_dir", {"presets"}, {"/nonexistent", "JALAPENO_DATA"},
          {"JALAPENO_DATA=/nonexistent"});
  t.flags("presets_empty_data_dir", {"presets"}, {"{dir}", "chips"}, {"JALAPENO_DATA={dir}"});
  t.flags("presets_unknown_flag", {"presets", "--bogus"}, {"--bogus"});
  const std::vector<std::string> compare = {"compare", "--model", "llama-3.1-8b", "--systems"};
  const auto with = [&compare](std::vector<std::string> rest) {
    std::vector<std::string> args = compare;
    args.insert(args.end(), rest.begin(), rest.end());
    return args;
  };
  t.flags("compare_unknown_system", with({"hgx-h200,hgx-h300"}), {"--systems: hgx-h300"});
  t.flags("compare_system_twice", with({"hgx-h200,hgx-h200"}), {"given twice"});
  t.flags("compare_empty_entry", with({"hgx-h200,"}), {"--systems", "empty"});
  t.flags("compare_no_systems", {"compare", "--model", "llama-3.1-8b"}, {"--systems"});
  t.flags("compare_bad_objective", with({"hgx-h200", "--objective", "speed"}),
          {"--objective", "speed"});
  t.flags("compare_bad_workload", with({"hgx-h200", "--workload", "1024"}), {"--workload"});
  t.flags("compare_jobs_zero", with({"hgx-h200", "--jobs", "0"}), {"--jobs"});
  t.flags("params_unknown_kind", {"params", "chips"}, {"unknown kind 'chips'", "chip, chip-power"});
  t.flags("params_two_formats", {"params", "--json", "--markdown"}, {"--markdown"});
  t.flags("params_unknown_flag", {"params", "--yaml"}, {"--yaml"});
  t.flags("run_no_data_dir", {"run"}, {"/nonexistent"}, {"JALAPENO_DATA=/nonexistent"});
  t.flags("run_unknown_flag", {"run", "--bogus"}, {"--bogus"});
  t.flags("step_no_data_dir", step_with({}), {"/nonexistent"}, {"JALAPENO_DATA=/nonexistent"});
  t.flags("command_unknown", {"frobnicate"}, {"'frobnicate'"});
  t.flags("command_missing", {}, {"subcommand|command"});
  t.flags("command_unknown_flag", {"--frobnicate"}, {"--frobnicate"});
  t.flags("decode_table_unknown_flag", {"decode-table", "--x"}, {"--x"});
}

// Precision (issue 8's bad input): a format a chip cannot run, a group that
// does not divide the dimension, a quantisation method not understood, a KV
// format the engine cannot hold.
void precision_cases(Table& t) {
  // max_position_embeddings is enforced wherever a length meets a model.
  t.flags("positions_step_ctx_beyond", step_with({"--ctx", "131072"}),
          {"--ctx", "max_position_embeddings"});
  t.flags("positions_serve_request_beyond",
          {"serve", "--model", "llama-2-7b", "--hw", "h100-sxm", "--rate", "5", "--requests", "5",
           "--input-len", "4000", "--output-len", "200"},
          {"request 0", "max_position_embeddings (4096)"});
  t.flags("positions_plan_workload_beyond",
          {"plan", "--model", "llama-2-7b", "--hw", "hgx-h100", "--workload", "4000:200"},
          {"--workload", "max_position_embeddings"});
  const std::string quant = R"("torch_dtype": "bfloat16",)";
  t.model("quant_unknown_method", quant,
          R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "bitsandbytes"},)",
          {"config.json", "quantization_config.quant_method", "bitsandbytes"});
  t.model("quant_no_method", quant,
          R"("torch_dtype": "bfloat16", "quantization_config": {"bits": 4},)",
          {"config.json", "quantization_config.quant_method"});
  t.model(
      "quant_awq_group_not_dividing", quant,
      R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 100},)",
      {"config.json", "does not divide"});
  t.model(
      "quant_awq_3_bits", quant,
      R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "awq", "bits": 3},)",
      {"config.json", "quantization_config.bits"});
  t.model(
      "quant_fp8_misspelt_key", quant,
      R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "fp8", "weight_blok_size": [128, 128]},)",
      {"config.json", "quantization_config.weight_blok_size"});
  t.model(
      "quant_fp8_block_one_side", quant,
      R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "fp8", "weight_block_size": [128]},)",
      {"config.json", "quantization_config.weight_block_size"});
  t.model(
      "quant_modelopt_unknown_algo", quant,
      R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "modelopt", "quant_algo": "INT3"},)",
      {"config.json", "quantization_config.quant_algo", "INT3"});
  t.model(
      "quant_modelopt_nvfp4_on_hopper", quant,
      R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "modelopt", "quant_algo": "NVFP4"},)",
      {"h200-sxm", "matrix.fp4"});
  t.model(
      "quant_string_bits", quant,
      R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "gptq", "bits": "4"},)",
      {"config.json", "quantization_config.bits"});
  t.model("torch_dtype_fp8", quant, R"("torch_dtype": "float8_e4m3fn",)",
          {"config.json", "torch_dtype"});
  t.flags("precision_fp4_on_hopper", step_with({"--weights", "nvfp4", "--activations", "nvfp4"}),
          {"h200-sxm", "matrix.fp4"});
  t.flags("precision_fp8_on_a100",
          {"step", "--model", "llama-3.1-8b", "--hw", "a100-sxm", "--weights", "fp8_e4m3",
           "--activations", "fp8_e4m3"},
          {"a100-sxm", "matrix.fp8"});
  t.flags("precision_unknown_dtype", step_with({"--weights", "fp6"}), {"--weights", "fp6"});
  t.flags("precision_activations_narrower", step_with({"--activations", "fp8_e4m3"}),
          {"--activations", "narrower"});
  t.flags("precision_group_not_dividing", step_with({"--weights", "int4", "--weight-group", "100"}),
          {"--weight-group", "does not divide"});
  t.flags("precision_group_zero", step_with({"--weights", "int4", "--weight-group", "0"}),
          {"--weight-group"});
  t.flags("precision_group_on_nvfp4",
          step_with({"--weights", "nvfp4", "--activations", "bf16", "--weight-group", "32"}),
          {"--weight-group", "fixed block"});
  t.flags("precision_kv_fp4", step_with({"--kv", "nvfp4"}), {"--kv", "KV-cache format"});
  t.flags("precision_kv_fp8_eager", step_with({"--kv", "fp8_e4m3", "--engine", "torch-eager"}),
          {"torch-eager", "kv_cache_dtypes"});
  t.flags("precision_model_unknown_dtype", {"model", "llama-3.1-8b", "--kv", "fp3"},
          {"--kv", "fp3"});
  t.scenario("precision_unknown_weights", "seed: 1\n", "precision: {weights: fp6}\nseed: 1\n",
             {"scenario.yaml", "precision.weights"});
  t.scenario("precision_unknown_key", "seed: 1\n", "precision: {weight: fp8}\nseed: 1\n",
             {"scenario.yaml", "precision.weight"});
  t.scenario("precision_kv_for_eager", "engine: fused\n",
             "engine: torch-eager\nprecision: {kv: fp8_e5m2}\n",
             {"scenario.yaml", "kv_cache_dtypes"}, false);
}

std::vector<Case> all_cases() {
  Table t;
  unit_cases(t);
  chip_cases(t);
  engine_cases(t);
  system_cases(t);
  scenario_cases(t);
  energy_cases(t);
  system_power_cases(t);
  model_cases(t);
  length_cases(t);
  trace_cases(t);
  calibration_cases(t);
  flag_cases(t);
  precision_cases(t);
  sweep_cases(t);
  return t.cases;
}

// --- running a case ----------------------------------------------------------------

// True when text contains one of the '|'-separated alternatives.
bool contains_any(const std::string& text, const std::string& alternatives) {
  size_t start = 0;
  while (true) {
    const size_t bar = alternatives.find('|', start);
    const std::string part = alternatives.substr(start, bar - start);
    if (text.find(part) != std::string::npos) return true;
    if (bar == std::string::npos) return false;
    start = bar + 1;
  }
}

class HostileInput : public ::testing::TestWithParam<Case> {};

TEST_P(HostileInput, ExitsTwoNamingTheInputWithinTheLimit) {
  const Case& c = GetParam();
  ASSERT_TRUE(c.setup_error.empty()) << c.setup_error;
  TestDir dir("jalapeno_hostile");
  const std::string dir_path = dir.path().string();
  for (const auto& [name, text] : c.files) dir.file(name, text);
  const auto fill = [&](const std::string& text) { return replace_all(text, "{dir}", dir_path); };
  std::vector<std::string> args;
  for (const auto& arg : c.args) args.push_back(fill(arg));
  RunOptions options;
  options.timeout_s = kTimeLimitSeconds;
  for (const auto& pair : c.env) options.env.push_back(fill(pair));

  const CliResult r = cli_support::run_jalapeno(args, dir.path(), options);
  // In the XML/JSON report (--gtest_output), for reviewing every message.
  RecordProperty("stderr", r.err.substr(0, 2000));
  ASSERT_FALSE(r.timed_out) << "no answer within " << kTimeLimitSeconds << " s (a hang)";
  EXPECT_EQ(r.signal, 0) << "died of signal " << r.signal << "; stderr: " << r.err;
  EXPECT_EQ(r.code, 2) << "stderr: " << r.err;
  for (const auto& expected : c.expect) {
    EXPECT_TRUE(contains_any(r.err, fill(expected)))
        << "stderr lacks '" << fill(expected) << "': " << r.err;
  }
  EXPECT_EQ(r.out.substr(0, 2000), "") << "stdout must be empty";
  EXPECT_THAT(r.err, ::testing::Not(::testing::HasSubstr("internal error")));
}

INSTANTIATE_TEST_SUITE_P(Table, HostileInput, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(HostileInputTable, IsBroadAndNamedUniquely) {
  const std::vector<Case> cases = all_cases();
  EXPECT_GE(cases.size(), 150u);
  std::set<std::string> names;
  for (const auto& c : cases) {
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate case name " << c.name;
    EXPECT_FALSE(c.expect.empty()) << c.name;
    EXPECT_TRUE(c.setup_error.empty()) << c.name << ": " << c.setup_error;
  }
  // Every input kind is in the table.
  for (const std::string prefix : {"chip_units_",      "chip_",
                                   "chip_json_",       "engine_",
                                   "system_switched_", "system_leaf_spine_",
                                   "system_ring_",     "system_torus_",
                                   "scenario_",        "model_",
                                   "length_",          "trace_azure_",
                                   "trace_burstgpt_",  "trace_jsonl_",
                                   "calibration_",     "step_",
                                   "serve_",           "plan_",
                                   "bench_",           "validate_",
                                   "presets_",         "run_",
                                   "command_"}) {
    EXPECT_TRUE(std::any_of(cases.begin(), cases.end(),
                            [&](const Case& c) { return c.name.starts_with(prefix); }))
        << "no case of kind " << prefix;
  }
}

// The files the cases edit are valid as shipped, so each case's failure is
// its edit's doing.
TEST(HostileInputTable, BaseInputsAreValid) {
  TestDir dir("jalapeno_hostile_base");
  const std::string d = dir.path().string();
  const std::vector<std::pair<std::string, std::string>> files = {
      {"chip.json", kChipJson},
      {"ring.yaml", kRingYaml},
      {"scenario.yaml", kScenarioYaml},
      {"kernels.json", kKernelsJson},
      {"trace.csv", kAzureHeader + kAzureRow},
      {"burst.csv", kBurstHeader + "5,ChatGPT,472,18,490,Conversation log\n"},
      {"trace.jsonl", kJsonlRow},
      {"lengths.txt", "5\n7\n9\n"}};
  for (const auto& [name, text] : files) dir.file(name, text);
  const std::vector<std::vector<std::string>> commands = {
      {"step", "--model", "llama-3.1-8b", "--hw", d + "/chip.json"},
      {"step", "--model", "llama-3.1-8b", "--hw", d + "/ring.yaml"},
      {"step", "--model", "llama-3.1-8b", "--hw", "hgx-h200"},
      {"step", "--model", "llama-3.1-8b", "--hw", "ib-leaf-spine-256"},
      {"step", "--model", "llama-3.1-8b", "--hw", "torus-4x4x4"},
      step_with({"--calibration", d + "/kernels.json"}),
      {"serve", d + "/scenario.yaml"},
      synthetic_with({"--input-len", "file:" + d + "/lengths.txt"}),
      serve_with({"--trace", d + "/trace.csv"}),
      serve_with({"--trace", d + "/burst.csv"}),
      serve_with({"--trace", d + "/trace.jsonl"}),
      plan_with({}),
  };
  for (const auto& args : commands) {
    RunOptions options;
    options.timeout_s = 60;
    const CliResult r = cli_support::run_jalapeno(args, dir.path(), options);
    std::string line;
    for (const auto& arg : args) line += " " + arg;
    EXPECT_EQ(r.code, 0) << "jalapeno" << line << ": " << r.err;
  }
}

}  // namespace
}  // namespace jalapeno
