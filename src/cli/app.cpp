// The jalapeno command: a thin layer over the library. Bad input of any kind
// ends with a message on stderr and exit code 2.
#include "cli/app.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cli/report_command.hpp"
#include "cli/sweep_command.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/params.hpp"
#include "core/presets.hpp"
#include "core/units.hpp"
#include "cost/step_cost.hpp"
#include "dse/compare.hpp"
#include "dse/fleet_sizing.hpp"
#include "dse/plan_search.hpp"
#include "dse/sweep.hpp"
#include "hw/switch_spec.hpp"
#include "plan/hardware.hpp"
#include "report/chip_report.hpp"
#include "report/model_report.hpp"
#include "report/progress.hpp"
#include "report/serving_metrics.hpp"
#include "report/step_report.hpp"
#include "report/system_report.hpp"
#include "report/validation.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"

namespace {

using namespace jalapeno;

constexpr int kBadInput = 2;

// Every floating-point flag: a finite number of normal magnitude (CLI11 alone
// would take "inf", "nan" and subnormals such as 1e-310).
const CLI::Validator kFiniteNumber(
    [](std::string& text) -> std::string {
      return parse_number(text) ? std::string()
                                : "expected a finite number such as 0.5 or 1e3, got '" + text + "'";
    },
    "NUMBER");

// Every integer flag: CLI11 alone saturates 99999999999999999999 to
// INT64_MAX and would use it silently.
const CLI::Validator kWholeNumber(
    [](std::string& text) -> std::string {
      int64_t value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec == std::errc() && end == text.data() + text.size()) return std::string();
      return ec == std::errc::result_out_of_range
                 ? "expected a whole number that fits in 64 bits, got '" + text + "'"
                 : "expected a whole number such as 64, got '" + text + "'";
    },
    "INT");

// Attaches kWholeNumber to every integer option and kFiniteNumber to every
// floating-point one, of every command.
void check_number_flags(CLI::App& app) {
  std::vector<CLI::App*> commands = app.get_subcommands([](CLI::App*) { return true; });
  commands.push_back(&app);
  for (CLI::App* command : commands) {
    for (CLI::Option* option : command->get_options()) {
      const std::string type = option->get_type_name();
      if (type == "INT" || type == "UINT") option->check(kWholeNumber);
      if (type == "FLOAT") option->check(kFiniteNumber);
    }
  }
}

// Expert parallelism and routing, shared by step, serve and plan.
struct ExpertOptions {
  std::optional<int64_t> ep;
  bool dp_attention = false;
  std::optional<std::string> all_to_all;
  std::optional<double> skew;
  std::optional<std::string> loads;
  std::optional<int64_t> redundant;
  bool eplb = false;
  // Not experts, but placed with them: where weights live.
  std::optional<std::string> weights_in;
};

void add_expert_options(CLI::App* cmd, ExpertOptions& opt) {
  cmd->add_option("--ep", opt.ep, "expert parallel degree over the tp chips (1 or tp)");
  cmd->add_flag("--dp-attention", opt.dp_attention,
                "attention data-parallel over the ep chips, experts by all-to-all (DEP)");
  cmd->add_option("--all-to-all", opt.all_to_all,
                  "dispatch/combine kernels: auto, normal or low_latency (default auto)");
  cmd->add_option("--routing-skew", opt.skew,
                  "power-law skew of expert popularity (0 uniform; about 1 for DeepSeek-V3)");
  cmd->add_option("--expert-loads", opt.loads, "JSON list of each routed expert's relative load");
  cmd->add_option("--redundant-experts", opt.redundant,
                  "extra expert slots holding copies of the hottest experts");
  cmd->add_flag("--eplb", opt.eplb, "place experts to even the ranks' load (DeepSeek's EPLB)");
  cmd->add_option("--weights-in", opt.weights_in,
                  "where weights live: hbm, or sram (across the chips; KV cache in HBM)");
}

// Over a plan and routing already set (a scenario's), what the flags give.
void apply_expert_options(const ExpertOptions& opt, ParallelPlan& plan, RoutingSpec& routing) {
  if (opt.ep) {
    if (*opt.ep < 1) throw ConfigError(fmt::format("--ep: expected at least 1, got {}", *opt.ep));
    plan.ep = *opt.ep;
  }
  if (opt.dp_attention) plan.dp_attention = true;
  if (opt.weights_in) {
    const auto level = parse_memory_level(*opt.weights_in);
    if (!level) {
      throw ConfigError(
          fmt::format("--weights-in: expected hbm or sram, got '{}'", *opt.weights_in));
    }
    plan.weights_in = *level;
  }
  if (opt.all_to_all) {
    const auto mode = parse_all_to_all(*opt.all_to_all);
    if (!mode) {
      throw ConfigError(fmt::format("--all-to-all: expected auto, normal or low_latency, got '{}'",
                                    *opt.all_to_all));
    }
    plan.all_to_all = *mode;
  }
  if (opt.skew) {
    if (!(*opt.skew >= 0 && *opt.skew <= 10)) {
      throw ConfigError(
          fmt::format("--routing-skew: expected an exponent from 0 to 10, got {}", *opt.skew));
    }
    routing.skew = *opt.skew;
  }
  if (opt.loads) {
    routing.loads = read_expert_loads(*opt.loads);
    routing.loads_source = *opt.loads;
  }
  if (opt.redundant) {
    if (*opt.redundant < 0 || *opt.redundant > (1 << 16)) {
      throw ConfigError(
          fmt::format("--redundant-experts: expected 0 to {}, got {}", 1 << 16, *opt.redundant));
    }
    routing.redundant = *opt.redundant;
  }
  if (opt.eplb) routing.balanced = true;
}

struct StepOptions {
  std::string model;
  std::string hw;
  std::string engine = "fused";
  std::string calibration;
  std::optional<std::string> topology;
  int64_t tp = 1;
  int64_t pp = 1;
  int64_t replicas = 1;
  bool overlap = false;
  ExpertOptions experts;
  std::optional<int64_t> layers;
  PrecisionOverride precision;
  StepRequest request{"decode", 1, 0, 1};
  bool json = false;
};

StepCostModel make_model(const StepOptions& opt) {
  Hardware hw = load_hardware(opt.hw, opt.topology);
  if (!opt.calibration.empty()) {
    hw.chip.calibration = read_calibration(opt.calibration);
    hw.chip.calibration_file = opt.calibration;
  }
  ParallelContext parallel;
  parallel.plan.tp = opt.tp;
  parallel.plan.pp = opt.pp;
  parallel.plan.replicas = opt.replicas;
  apply_expert_options(opt.experts, parallel.plan, parallel.routing);
  if (opt.replicas < 1 || opt.replicas > 1000000) {
    throw ConfigError(fmt::format("--replicas: expected 1 to 1000000, got {}", opt.replicas));
  }
  // On a system, the replicas share its chips.
  if (hw.network && parallel.plan.chips() > hw.chips) {
    throw ConfigError(fmt::format("{} needs {} chips but {} has {}", parallel.plan.describe(),
                                  parallel.plan.chips(), hw.system_name, hw.chips));
  }
  parallel.network = hw.network;
  parallel.overlap = opt.overlap;
  return StepCostModel(load_model(opt.model, opt.layers, opt.precision), std::move(hw.chip),
                       load_engine(opt.engine), std::move(parallel));
}

int run_step(const StepOptions& opt, bool check_only) {
  const StepRequest& req = opt.request;
  if (req.batch < 1)
    throw ConfigError(fmt::format("--batch: expected at least 1, got {}", req.batch));
  if (req.context < 0)
    throw ConfigError(fmt::format("--ctx: expected 0 or more, got {}", req.context));
  if (req.tokens < 1)
    throw ConfigError(fmt::format("--tokens: expected at least 1, got {}", req.tokens));
  // Far beyond any machine, and where 64-bit token arithmetic would overflow.
  constexpr double kMaxPositions = 1e12;
  const double per_sequence = req.phase == "prefill" ? static_cast<double>(req.tokens)
                                                     : static_cast<double>(req.context) + 1;
  if (static_cast<double>(req.batch) * per_sequence > kMaxPositions) {
    throw ConfigError(fmt::format(
        "--batch x {}: {} x {:g} token positions is beyond what any system holds (at most {:g})",
        req.phase == "prefill" ? "--tokens" : "--ctx", req.batch, per_sequence, kMaxPositions));
  }
  StepCostModel model = make_model(opt);
  // A model attends to at most max_position_embeddings positions.
  const int64_t max_positions = model.full_model().max_position_embeddings;
  const int64_t positions = req.phase == "prefill" ? req.tokens : req.context + 1;
  if (max_positions > 0 && positions > max_positions) {
    throw ConfigError(
        fmt::format("{}: {} positions per sequence is beyond {}'s max_position_embeddings ({})",
                    req.phase == "prefill" ? "--tokens" : "--ctx", positions,
                    model.full_model().name, max_positions));
  }
  const BatchSummary batch = to_batch(req, model.model().attention_window());
  model.check_fits(batch);
  const StepCost step = model.cost(batch);
  if (check_only) return 0;
  if (opt.json) {
    std::cout << step_json(model, req, step).dump(2) << "\n";
  } else {
    std::cout << format_step_table(model, req, step);
  }
  return 0;
}

// `jalapeno model M`: the model's facts at its precision, and with --hw the
// largest KV cache and longest context that fit.
int run_model(const StepOptions& opt, bool check_only) {
  if (opt.request.context < 0 || opt.request.context > 1000000000) {
    throw ConfigError(fmt::format("--ctx: expected 0 to 1e9, got {}", opt.request.context));
  }
  const ModelSpec model = load_model(opt.model, opt.layers, opt.precision);
  std::optional<StepCostModel> cost;
  if (!opt.hw.empty()) cost.emplace(make_model(opt));
  const ModelFacts facts = model_facts(model, opt.request.context, cost ? &*cost : nullptr);
  if (check_only) return 0;
  if (opt.json) {
    std::cout << model_json(model, facts).dump(2) << "\n";
  } else {
    std::cout << format_model_table(model, facts);
  }
  return 0;
}

struct ChipOptions {
  std::string chip;
  bool json = false;
};

// `jalapeno chip CHIP`: the chip as described, and its die when it has one.
int run_chip(const ChipOptions& opt, bool check_only) {
  const ChipSpec chip = load_chip(opt.chip);
  const std::optional<DieEstimate> die =
      chip.die ? std::optional<DieEstimate>(estimate_die(chip)) : std::nullopt;
  if (check_only) return 0;
  if (opt.json) {
    std::cout << chip_json(chip, die).dump(2) << "\n";
  } else {
    std::cout << format_chip_table(chip, die);
  }
  return 0;
}

struct SystemOptions {
  std::string system;
  bool json = false;
};

// `jalapeno system SYSTEM`: the network's tiers, power, racks and price.
int run_system(const SystemOptions& opt, bool check_only) {
  const SystemSpec system = load_system(opt.system);
  const ChipSpec chip = load_chip(system.chip);
  if (check_only) return 0;
  if (opt.json) {
    std::cout << system_json(system, chip).dump(2) << "\n";
  } else {
    std::cout << format_system_table(system, chip);
  }
  return 0;
}

struct ParamsOptions {
  std::string kind;
  bool markdown = false;
  bool json = false;
};

// `jalapeno params [KIND]`: the declared keys of every kind of spec file.
int run_params(const ParamsOptions& opt, bool check_only) {
  std::vector<const ParamKind*> kinds = param_kinds();
  if (!opt.kind.empty()) {
    const ParamKind* kind = find_param_kind(opt.kind);
    if (!kind) {
      std::string names;
      for (const ParamKind* k : param_kinds()) names += (names.empty() ? "" : ", ") + k->name;
      throw ConfigError(fmt::format("unknown kind '{}' (kinds: {})", opt.kind, names));
    }
    kinds = {kind};
  }
  if (check_only) return 0;
  std::cout << format_params(kinds, opt.json       ? ParamFormat::kJson
                                    : opt.markdown ? ParamFormat::kMarkdown
                                                   : ParamFormat::kText);
  return 0;
}

int run_presets() {
  auto list = [](const char* what, const std::vector<std::string>& names) {
    std::string line;
    for (const auto& n : names) line += (line.empty() ? "" : ", ") + n;
    fmt::print("{:<9} {}\n", what, line);
  };
  list("models", model_preset_names());
  list("chips", chip_preset_names());
  list("engines", engine_preset_names());
  list("systems", system_preset_names());
  list("scenarios", preset_names("scenarios", ".yaml"));  // serve NAME
  list("sweeps", preset_names("sweeps", ".yaml"));        // sweep NAME
  list("processes", process_preset_names());              // a chip's die.process
  list("switches", switch_preset_names());                // a system's topology.switch.model
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
        const BatchSummary batch = decode_batch(b, ctx, model.attention_window());
        try {
          cost.check_fits(batch);
        } catch (const InfeasibleError&) {
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

// --weights, --activations, --kv and --weight-group over the checkpoint's
// precision (a config.json's quantization_config).
void add_precision_options(CLI::App* cmd, PrecisionOverride& precision) {
  cmd->add_option("--weights", precision.weights,
                  "weight format of the projections: bf16, fp16, fp8_e4m3, fp8_e5m2, nvfp4, "
                  "mxfp4, int8, int4");
  cmd->add_option("--activations", precision.activations,
                  "format the projections' inputs are quantised to (their matrix rate)");
  cmd->add_option("--kv", precision.kv, "KV-cache format: bf16, fp16, fp8_e4m3, fp8_e5m2, int8");
  cmd->add_option("--weight-group", precision.weight_group,
                  "elements per weight scale (int4/int8/fp8; -1 per channel)");
}

// A flag that takes a quantity as the YAML does ("50ms", "5/s") or a plain
// number in the flag's unit: CLI11 gets the SI value, or refuses the text
// (exit code 2) saying what was expected.
CLI::Validator quantity_flag(Dimension dim, const std::string& plain_unit) {
  return CLI::Validator(
      [dim, plain_unit](std::string& text) -> std::string {
        if (parse_number(text)) return "";
        if (const std::optional<double> value = parse_quantity(text, dim)) {
          text = fmt::format("{:.17g}", *value);
          return "";
        }
        return fmt::format("expected {} or a plain number of {}, got '{}'", describe(dim),
                           plain_unit, text);
      },
      "", "quantity");
}

// Command-line overrides of single scenario fields; unset ones leave the
// scenario (or the defaults) alone.
struct ServeOptions {
  std::string scenario_file;
  std::optional<std::string> model, hw, engine, router, input_len, output_len, trace, preemption;
  std::optional<std::string> scheduler;
  bool per_sequence = false;
  int64_t seeds = 1;
  int64_t jobs = 1;  // threads for --seeds' runs
  std::optional<uint32_t> replicas;
  std::optional<int64_t> tp, pp, systems;
  std::optional<std::string> topology;
  bool overlap = false;
  ExpertOptions experts;
  std::optional<double> rate, speedup, think_s, slo_ttft_s, slo_tpot_s;
  std::optional<int64_t> concurrency, requests, max_seqs, max_tokens, block_size, loops;
  std::optional<int64_t> seed;
  PrecisionOverride precision;
  bool offline = false;
  bool no_chunked_prefill = false;
  bool prefix_caching = false;
  // Speculative decoding over the scenario's: a method turns it on.
  std::optional<std::string> speculative, draft_model;
  std::optional<int64_t> speculative_tokens;
  std::optional<double> acceptance;
  bool json = false;
  bool timeline = false;
  std::string out_dir;
};

template <typename T>
void require_at_least(const std::optional<T>& value, T minimum, const char* flag) {
  if (value && !(*value >= minimum)) {
    throw ConfigError(fmt::format("{}: expected at least {}, got {}", flag, minimum, *value));
  }
}

template <typename T>
void require_above_zero(const std::optional<T>& value, const char* flag) {
  if (value && !(*value > 0)) {
    throw ConfigError(fmt::format("{}: expected a value above zero, got {}", flag, *value));
  }
}

// --speculative, --speculative-tokens, --acceptance and --draft-model, each
// over the scenario's value; validate_scenario checks the result.
void apply_speculative_options(const ServeOptions& opt, SpeculativeConfig& spec) {
  const bool any = opt.speculative || opt.speculative_tokens || opt.acceptance || opt.draft_model;
  if (!any) return;
  if (opt.speculative) spec.method = *opt.speculative;
  if (!spec.enabled()) {
    throw ConfigError(
        "--speculative-tokens, --acceptance, --draft-model: expected --speculative METHOD (or a "
        "scenario with speculative:) to go with them");
  }
  if (opt.speculative_tokens) spec.tokens = *opt.speculative_tokens;
  if (opt.acceptance) spec.acceptance = {*opt.acceptance};
  if (opt.draft_model) spec.draft_model = *opt.draft_model;
  if (spec.method != "draft" && !opt.draft_model) spec.draft_model.clear();
}

Scenario build_scenario(const ServeOptions& opt) {
  require_at_least(opt.replicas, 1u, "--replicas");
  require_at_least(opt.tp, int64_t{1}, "--tp");
  require_at_least(opt.pp, int64_t{1}, "--pp");
  require_above_zero(opt.rate, "--rate");
  require_above_zero(opt.speedup, "--speedup");
  require_at_least(opt.think_s, 0.0, "--think");
  require_at_least(opt.slo_ttft_s, 0.0, "--slo-ttft");
  require_at_least(opt.slo_tpot_s, 0.0, "--slo-tpot");
  require_at_least(opt.seed, int64_t{0}, "--seed");
  for (const auto& [value, flag] :
       {std::pair{opt.concurrency, "--concurrency"}, std::pair{opt.requests, "--requests"},
        std::pair{opt.max_seqs, "--max-seqs"}, std::pair{opt.max_tokens, "--max-tokens"},
        std::pair{opt.block_size, "--block-size"}, std::pair{opt.loops, "--loops"}}) {
    require_at_least(value, int64_t{1}, flag);
  }
  // A file, or a scenario preset by name (data/scenarios/NAME.yaml).
  Scenario s =
      opt.scenario_file.empty()
          ? Scenario{}
          : read_scenario(resolve_preset("scenarios", opt.scenario_file, ".yaml", "scenario"));
  if (opt.model) s.model = *opt.model;
  if (opt.hw) {
    s.hw = *opt.hw;
    s.inline_chip.reset();  // the flag replaces a chip written in the file
  }
  if (opt.engine) {
    s.engine = *opt.engine;
    s.inline_engine.reset();
  }
  if (opt.router) s.serve.router = *opt.router;
  if (opt.scheduler) s.serve.scheduler.policy = *opt.scheduler;
  if (opt.per_sequence) s.serve.per_sequence_only = true;
  if (opt.replicas) s.serve.replicas = *opt.replicas;
  if (opt.systems) {
    if (*opt.systems < 1 || *opt.systems > ServeLimits::kMaxReplicas) {
      throw ConfigError(fmt::format("--systems: expected 1 to {}, got {}",
                                    ServeLimits::kMaxReplicas, *opt.systems));
    }
    s.systems = *opt.systems;
  }
  if (opt.tp) s.plan.tp = *opt.tp;
  if (opt.pp) s.plan.pp = *opt.pp;
  apply_expert_options(opt.experts, s.plan, s.routing);
  if (opt.topology) s.topology = *opt.topology;
  if (opt.overlap) s.overlap = true;
  if (opt.seed) s.seed = static_cast<uint64_t>(*opt.seed);
  if (opt.max_seqs) s.serve.scheduler.max_sequences = *opt.max_seqs;
  if (opt.max_tokens) s.serve.scheduler.max_batched_tokens = *opt.max_tokens;
  if (opt.block_size) s.serve.scheduler.block_size = *opt.block_size;
  if (opt.no_chunked_prefill) s.serve.scheduler.chunked_prefill = false;
  if (opt.prefix_caching) s.serve.scheduler.prefix_caching = true;
  apply_speculative_options(opt, s.serve.scheduler.speculative);
  if (opt.preemption) {
    s.serve.scheduler.preemption =
        *opt.preemption == "swap" ? Preemption::kSwap : Preemption::kRecompute;
  }
  // Flags override the scenario's precision part by part.
  if (opt.precision.any()) {
    if (opt.precision.weights) s.precision.weights = opt.precision.weights;
    if (opt.precision.activations) s.precision.activations = opt.precision.activations;
    if (opt.precision.kv) s.precision.kv = opt.precision.kv;
    if (opt.precision.weight_group) s.precision.weight_group = opt.precision.weight_group;
    s.precision.source = "flags";
  }
  if (opt.slo_ttft_s) s.slo.ttft_s = *opt.slo_ttft_s;
  if (opt.slo_tpot_s) s.slo.tpot_s = *opt.slo_tpot_s;
  const int arrival_flags = (opt.rate ? 1 : 0) + (opt.offline ? 1 : 0) + (opt.concurrency ? 1 : 0);
  if (arrival_flags > 1) {
    throw ConfigError("--rate, --offline and --concurrency: expected at most one of them");
  }
  if (opt.trace) {
    if (arrival_flags > 0 || opt.input_len || opt.output_len) {
      throw ConfigError(
          "--trace: the trace gives arrivals and lengths; drop --rate, --offline, "
          "--concurrency, --input-len and --output-len");
    }
    s.workload = WorkloadKind::kTrace;
    s.trace.path = *opt.trace;
  }
  if (opt.speedup) s.trace.speedup = *opt.speedup;
  if (opt.loops) s.trace.loops = *opt.loops;
  if (opt.rate) {
    s.workload = WorkloadKind::kSynthetic;
    s.synthetic.arrivals = ArrivalKind::kPoisson;
    s.synthetic.rate_per_s = *opt.rate;
  }
  if (opt.offline) {
    s.workload = WorkloadKind::kSynthetic;
    s.synthetic.arrivals = ArrivalKind::kOffline;
  }
  if (opt.concurrency) {
    s.workload = WorkloadKind::kClosedLoop;
    s.closed_loop.users = *opt.concurrency;
  }
  if (opt.think_s) s.closed_loop.think_s = *opt.think_s;
  if (opt.requests) {
    s.synthetic.requests = s.closed_loop.requests = *opt.requests;
    s.trace.max_requests = *opt.requests;
  }
  if (opt.input_len) {
    s.synthetic.input = s.closed_loop.input =
        LengthDistribution::parse(*opt.input_len, "--input-len");
  }
  if (opt.output_len) {
    s.synthetic.output = s.closed_loop.output =
        LengthDistribution::parse(*opt.output_len, "--output-len");
  }
  s.synthetic.seed = s.closed_loop.seed = s.agentic.seed = s.serve.seed = s.seed;
  // A flag that would change nothing is a mistake worth saying.
  if ((opt.input_len || opt.output_len) && s.workload == WorkloadKind::kTrace) {
    throw ConfigError("--input-len, --output-len: the trace gives the lengths");
  }
  if (opt.think_s && s.workload != WorkloadKind::kClosedLoop) {
    throw ConfigError("--think: only a closed loop (--concurrency) has think time");
  }
  if ((opt.speedup || opt.loops) && s.workload != WorkloadKind::kTrace) {
    throw ConfigError("--speedup, --loops: only a trace (--trace) is sped up or looped");
  }
  validate_scenario(s);
  return s;
}

std::ofstream open_output(const std::string& dir, const std::string& name) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  std::ofstream out(path);
  if (!out) throw ConfigError(fmt::format("--out: cannot write {}", path));
  return out;
}

// `--seeds N`: the scenario run with seeds seed, seed + 1, ..., each metric's
// mean, standard deviation, least and greatest over the runs: how much of a
// difference between two configurations is the workload's draw.
int run_seeds(const Scenario& scenario, const ServeOptions& opt, bool check_only) {
  if (opt.seeds < 2 || opt.seeds > 1000) {
    throw ConfigError(fmt::format("--seeds: expected 2 to 1000 runs, got {}", opt.seeds));
  }
  if (!opt.out_dir.empty() || opt.timeline) {
    throw ConfigError("--seeds: --out and --timeline write one run; drop them or --seeds");
  }
  // All the runs together within what one run may simulate.
  const uint64_t per_run = expected_requests(scenario);
  if (per_run > 0 && per_run * static_cast<uint64_t>(opt.seeds) > ServeLimits::kMaxRequests) {
    throw ConfigError(fmt::format(
        "--seeds: {} runs of {} requests is beyond the {} requests all the runs may simulate; "
        "fewer seeds or fewer requests",
        opt.seeds, per_run, ServeLimits::kMaxRequests));
  }
  if (opt.jobs < 1 || opt.jobs > 256) {
    throw ConfigError(fmt::format("--jobs: expected 1 to 256 threads, got {}", opt.jobs));
  }
  make_scenario_cost_model(scenario);  // refuses a bad scenario before any thread starts
  if (check_only) return 0;
  struct Metric {
    const char* name;
    double scale;  // to the unit shown
    const char* unit;
    std::vector<double> values;
  };
  std::vector<Metric> metrics = {
      {"throughput", 1, "req/s", {}}, {"output_tokens", 1, "tok/s", {}},
      {"goodput", 100, "%", {}},      {"ttft_p50", 1e3, "ms", {}},
      {"ttft_p99", 1e3, "ms", {}},    {"tpot_p50", 1e3, "ms", {}},
      {"tpot_p99", 1e3, "ms", {}},    {"itl_p99", 1e3, "ms", {}},
      {"e2e_p99", 1e3, "ms", {}},     {"joules_per_output_token", 1, "J", {}},
  };
  std::vector<uint64_t> seeds;
  for (int64_t k = 0; k < opt.seeds; ++k) seeds.push_back(scenario.seed + static_cast<uint64_t>(k));
  // Each run on its own cost model and thread (--jobs): the same numbers in
  // the same order whatever the number of threads.
  std::vector<std::vector<double>> values(seeds.size());
  parallel_for_index(seeds.size(), static_cast<size_t>(opt.jobs), [&](size_t k) {
    Scenario run = scenario;
    run.seed = seeds[k];
    run.synthetic.seed = run.closed_loop.seed = run.agentic.seed = run.serve.seed = run.seed;
    StepCostModel cost = make_scenario_cost_model(run);
    std::unique_ptr<RequestSource> source = make_source(run);
    const std::unique_ptr<ServingMetrics> metrics = scenario_metrics(run);
    ServingMetrics& m = *metrics;
    Simulator sim(cost, run.serve, *source, m);
    sim.run();
    const nlohmann::ordered_json doc = m.to_json();
    values[k] = {
        doc["throughput"]["requests_per_s"],
        doc["throughput"]["output_tokens_per_s"],
        doc["goodput"]["fraction"],
        m.ttft().quantile(0.5),
        m.ttft().quantile(0.99),
        m.tpot().quantile(0.5),
        m.tpot().quantile(0.99),
        m.itl().quantile(0.99),
        m.e2e().quantile(0.99),
        doc["energy"].is_object() ? doc["energy"]["joules_per_output_token"].get<double>() : 0.0,
    };
  });
  for (const std::vector<double>& run : values) {
    for (size_t i = 0; i < metrics.size(); ++i) metrics[i].values.push_back(run[i]);
  }
  nlohmann::ordered_json doc;
  doc["schema"] = "jalapeno.serve-seeds/1";
  doc["seeds"] = seeds;
  std::string table = fmt::format(
      "{} on {}, {} seeds from {}\n\n{:<24} {:>12} {:>10} {:>12} {:>12}\n", scenario.model,
      scenario.hw, opt.seeds, scenario.seed, "metric", "mean", "sd", "min", "max");
  for (const Metric& metric : metrics) {
    double sum = 0, lo = metric.values.front(), hi = lo;
    for (double v : metric.values) sum += v, lo = std::min(lo, v), hi = std::max(hi, v);
    const double n = static_cast<double>(metric.values.size());
    const double mean = sum / n;
    double squares = 0;
    for (double v : metric.values) squares += (v - mean) * (v - mean);
    const double sd = std::sqrt(squares / (n - 1));  // sample standard deviation
    doc["metrics"][metric.name] = {
        {"mean", mean}, {"sd", sd}, {"min", lo}, {"max", hi}, {"values", metric.values}};
    const double k = metric.scale;
    table += fmt::format("{:<24} {:>12.4g} {:>10.3g} {:>12.4g} {:>12.4g}\n",
                         fmt::format("{} ({})", metric.name, metric.unit), mean * k, sd * k, lo * k,
                         hi * k);
  }
  std::cout << (opt.json ? doc.dump(2) + "\n" : table);
  return 0;
}

int run_scenario(const Scenario& scenario, const ServeOptions& opt, bool check_only) {
  if (opt.seeds != 1) return run_seeds(scenario, opt, check_only);
  StepCostModel cost = make_scenario_cost_model(scenario);
  std::unique_ptr<RequestSource> source = make_source(scenario);
  if (check_only) {
    if (opt.timeline && opt.out_dir.empty()) {
      throw ConfigError("--timeline: needs --out DIR to write timeline.json into");
    }
    return 0;
  }
  const std::unique_ptr<ServingMetrics> owned = scenario_metrics(scenario);
  ServingMetrics& metrics = *owned;
  std::ofstream csv, timeline;
  std::unique_ptr<PerfettoWriter> trace;
  if (!opt.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opt.out_dir, ec);
    if (ec)
      throw ConfigError(fmt::format("--out: cannot create {}: {}", opt.out_dir, ec.message()));
    csv = open_output(opt.out_dir, "requests.csv");
    metrics.stream_requests_csv(&csv);
    if (opt.timeline) {
      timeline = open_output(opt.out_dir, "timeline.json");
      trace = std::make_unique<PerfettoWriter>(timeline);
      if (cost.chip().power) {
        trace->set_power(cost.chip().power->idle_W,
                         static_cast<double>(scenario.plan.chips_per_replica()));
      }
    }
  } else if (opt.timeline) {
    throw ConfigError("--timeline: needs --out DIR to write timeline.json into");
  }
  // The timeline sees what the metrics see: steps, and finished requests
  // for their spans.
  std::optional<ObserverFanOut> both;
  if (trace) both.emplace(std::vector<ServingObserver*>{&metrics, trace.get()});
  Simulator sim(cost, scenario.serve, *source,
                both ? static_cast<ServingObserver&>(*both) : metrics);
  // A long run says how far it is, on a terminal only (tests and pipes see
  // nothing); the line ends before the summary, or before an error.
  std::unique_ptr<ProgressLine> progress;
  if (stderr_is_terminal()) {
    progress = std::make_unique<ProgressLine>(std::cerr, expected_requests(scenario));
    sim.set_progress_hook([&progress](const RunProgress& p) { progress->update(p); });
  }
  sim.run();
  progress.reset();
  trace.reset();  // closes the timeline's JSON
  // The document only when it is written: with many replicas it is large.
  if (!opt.out_dir.empty() || opt.json) {
    nlohmann::ordered_json doc = metrics.to_json();
    doc["scenario"] = scenario_json(scenario, cost, *source);
    const std::string text = doc.dump(2);
    if (!opt.out_dir.empty()) open_output(opt.out_dir, "summary.json") << text << "\n";
    if (opt.json) std::cout << text << "\n";
  }
  if (!opt.json) {
    const std::string layout = cost.plan().chips_per_replica() > 1
                                   ? fmt::format("{}, {}", scenario.hw, cost.plan().describe())
                                   : fmt::format("{} x{}", scenario.hw, scenario.serve.replicas);
    const std::string& policy = scenario.serve.scheduler.policy;
    std::cout << fmt::format("{} on {} ({} engine{}), {}\n\n", scenario.model, layout,
                             scenario.engine,
                             policy == SchedulerConfig{}.policy ? "" : ", " + policy + " scheduler",
                             source->describe())
              << metrics.summary_table();
  }
  return 0;
}

void add_serve_options(CLI::App* cmd, ServeOptions& opt) {
  cmd->add_option("scenario", opt.scenario_file,
                  "scenario YAML or preset name (flags override its fields)");
  cmd->add_option("--model", opt.model, "model preset or config.json path");
  cmd->add_option("--hw", opt.hw, "chip preset or chip YAML path");
  cmd->add_option("--engine", opt.engine, "engine preset or YAML path");
  cmd->add_option("--replicas", opt.replicas, "number of replicas");
  cmd->add_option("--tp", opt.tp, "tensor parallel degree of each replica");
  cmd->add_option("--pp", opt.pp, "pipeline stages of each replica");
  cmd->add_option("--systems", opt.systems,
                  "systems of the --hw kind holding the replicas (each replica in one)");
  cmd->add_option("--topology", opt.topology,
                  "system preset or YAML whose network joins the chips");
  cmd->add_flag("--overlap", opt.overlap, "overlap communication with compute");
  add_expert_options(cmd, opt.experts);
  cmd->add_option("--router", opt.router,
                  "round-robin, least-outstanding, least-kv, power-of-two, random or prefix-aware");
  cmd->add_option("--rate", opt.rate, "Poisson arrivals: a rate (5/s, 300/min) or requests/s")
      ->transform(quantity_flag(Dimension::kRate, "requests per second"));
  cmd->add_flag("--offline", opt.offline, "every request at t = 0 (MLPerf Offline)");
  cmd->add_option("--concurrency", opt.concurrency, "closed loop: this many users");
  cmd->add_option("--think", opt.think_s, "closed loop: think time between requests (2s, 500ms)")
      ->transform(quantity_flag(Dimension::kTime, "seconds"));
  cmd->add_option("--requests", opt.requests, "number of requests (a trace: at most this many)");
  cmd->add_option(
      "--input-len", opt.input_len,
      "input length SPEC: N, uniform:a:b, normal:m:sd, lognormal:mean:sigma[:max], file:PATH");
  cmd->add_option("--output-len", opt.output_len, "output length SPEC, as --input-len");
  cmd->add_option("--trace", opt.trace, "replay a trace (Azure or BurstGPT CSV, or JSONL)");
  cmd->add_option("--speedup", opt.speedup, "trace: divide arrival times by this factor");
  cmd->add_option("--loops", opt.loops, "trace: play it this many times");
  cmd->add_option("--seed", opt.seed, "random seed");
  CLI::Option* seeds = cmd->add_option(
      "--seeds", opt.seeds,
      "repeat the run with N seeds (seed, seed+1, ...) and report each metric's spread");
  cmd->add_option("--jobs", opt.jobs,
                  "with --seeds: runs on up to N threads at once (the same results; default 1)")
      ->needs(seeds);
  cmd->add_option("--slo-ttft", opt.slo_ttft_s, "TTFT SLO (2s, 500ms; a plain number: seconds)")
      ->transform(quantity_flag(Dimension::kTime, "seconds"));
  cmd->add_option("--slo-tpot", opt.slo_tpot_s, "TPOT SLO (50ms; a plain number: seconds)")
      ->transform(quantity_flag(Dimension::kTime, "seconds"));
  cmd->add_option("--scheduler", opt.scheduler,
                  "scheduler policy: vllm, sarathi, trtllm, sglang or priority");
  cmd->add_flag("--per-sequence", opt.per_sequence,
                "every step on the per-sequence reference path (slower, same results)");
  cmd->add_option("--max-seqs", opt.max_seqs, "sequences per batch");
  cmd->add_option("--max-tokens", opt.max_tokens, "token budget per step");
  cmd->add_option("--block-size", opt.block_size, "KV block size in tokens");
  cmd->add_flag("--no-chunked-prefill", opt.no_chunked_prefill, "prefill whole prompts only");
  cmd->add_flag("--prefix-caching", opt.prefix_caching,
                "share KV blocks of common prompt prefixes (vLLM enable_prefix_caching)");
  cmd->add_option("--speculative", opt.speculative,
                  "speculative decoding: draft (with --draft-model), mtp or eagle");
  cmd->add_option("--speculative-tokens", opt.speculative_tokens,
                  "speculative decoding: drafts proposed per verification");
  cmd->add_option("--acceptance", opt.acceptance,
                  "speculative decoding: probability a draft is accepted, 0 to 1");
  cmd->add_option("--draft-model", opt.draft_model,
                  "speculative decoding: the draft model (preset or config.json)");
  cmd->add_option("--preemption", opt.preemption, "recompute or swap")
      ->check(CLI::IsMember({"recompute", "swap"}));
  add_precision_options(cmd, opt.precision);
  cmd->add_flag("--json", opt.json, "print the jalapeno.serve/1 JSON document");
  cmd->add_option("--out", opt.out_dir, "write summary.json and requests.csv into DIR");
  cmd->add_flag("--timeline", opt.timeline, "also write a Perfetto timeline.json into --out DIR");
}

// `jalapeno bench`: wall time and peak memory of the serving simulator on the
// issue's reference workload. Capacity is the throughput of an offline run
// (every request queued at t = 0); the timed run offers Poisson arrivals at
// a fraction of it.
struct BenchOptions {
  int64_t requests = 100000;
  double load = 0.9;
  std::string trace;
  int64_t loops = 1;
  bool prefix_caching = false;
  int64_t sessions = 0;  // > 0: agentic sessions instead (README "Prefix caching and sessions")
};

double peak_rss_mb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

int run_bench(const BenchOptions& opt, bool check_only) {
  if (opt.requests < 1 || opt.requests > 100000000) {
    throw ConfigError(fmt::format("--requests: expected 1 to 1e8, got {}", opt.requests));
  }
  if (!(opt.load > 0 && opt.load <= 10)) {
    throw ConfigError(
        fmt::format("--load: expected a fraction of capacity in (0, 10], got {}", opt.load));
  }
  if (opt.loops < 1 || opt.loops > 10000) {
    throw ConfigError(fmt::format("--loops: expected 1 to 10000, got {}", opt.loops));
  }
  if (opt.sessions < 0 || opt.sessions > 10000000) {
    throw ConfigError(fmt::format("--sessions: expected 1 to 1e7, got {}", opt.sessions));
  }
  if (check_only) return 0;
  Scenario s;
  s.serve.scheduler.prefix_caching = opt.prefix_caching;
  s.synthetic.input = LengthDistribution::parse("lognormal:512:0.6:4096", "input");
  s.synthetic.output = LengthDistribution::parse("lognormal:256:0.6:2048", "output");
  StepCostModel cost(load_model(s.model), load_chip(s.hw), load_engine(s.engine));
  auto timed = [&](const Scenario& scenario, ServingMetrics& metrics) {
    auto source = make_source(scenario);
    Simulator sim(cost, scenario.serve, *source, metrics);
    const auto start = std::chrono::steady_clock::now();
    sim.run();
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::make_pair(wall, sim.events());
  };
  if (opt.sessions > 0) {
    // Agentic sessions, 64 at a time, about 10 calls each, every call
    // re-reading a 2,048-token system prompt and everything before it.
    s.workload = WorkloadKind::kAgentic;
    s.agentic.sessions = opt.sessions;
    s.agentic.concurrency = 64;
    s.agentic.calls = LengthDistribution::parse("uniform:5:15", "calls");
    s.agentic.system_prompt_tokens = 2048;
    s.agentic.first_tokens = LengthDistribution::parse("lognormal:400:0.5:4000", "first");
    s.agentic.new_tokens = LengthDistribution::parse("lognormal:300:0.6:4000", "new");
    s.agentic.output = LengthDistribution::parse("lognormal:200:0.6:2000", "output");
    s.agentic.think_s = 1;
    ServingMetrics metrics(1, s.slo);
    const auto [wall, events] = timed(s, metrics);
    fmt::print(
        "agentic: {} sessions, {} calls, prefix caching {}: {:.3f} s wall ({:.0f} calls/s, {} "
        "events, {} step-cost memo entries), {:.0f} s simulated; peak RSS {:.1f} MB\n",
        opt.sessions, metrics.completed(), opt.prefix_caching ? "on" : "off", wall,
        static_cast<double>(metrics.completed()) / wall, events, cost.memo_size(), metrics.end_s(),
        peak_rss_mb());
    return 0;
  }
  if (!opt.trace.empty()) {
    s.workload = WorkloadKind::kTrace;
    s.trace.path = opt.trace;
    s.trace.loops = opt.loops;
    ServingMetrics metrics(1, s.slo);
    const auto [wall, events] = timed(s, metrics);
    fmt::print(
        "trace {} x{}: {} requests in {:.3f} s wall ({:.0f} requests/s, {} events), peak RSS "
        "{:.1f} MB\n",
        opt.trace, opt.loops, metrics.completed(), wall,
        static_cast<double>(metrics.completed()) / wall, events, peak_rss_mb());
    return 0;
  }
  Scenario offline = s;
  offline.synthetic.arrivals = ArrivalKind::kOffline;
  offline.synthetic.requests = 20000;
  ServingMetrics capacity_metrics(1, s.slo);
  timed(offline, capacity_metrics);
  const double capacity =
      static_cast<double>(capacity_metrics.completed()) / capacity_metrics.end_s();
  s.synthetic.arrivals = ArrivalKind::kPoisson;
  s.synthetic.rate_per_s = opt.load * capacity;
  s.synthetic.requests = opt.requests;
  ServingMetrics metrics(1, s.slo);
  const auto [wall, events] = timed(s, metrics);
  fmt::print(
      "{} on {} ({} engine): capacity {:.2f} requests/s (offline run); Poisson at {:.0f}% = "
      "{:.2f}/s\n",
      s.model, s.hw, s.engine, capacity, 100 * opt.load, s.synthetic.rate_per_s);
  fmt::print(
      "{} requests ({} input, {} output tokens) simulated in {:.3f} s wall: {:.0f} requests/s, "
      "{} events, {} step-cost memo entries; peak RSS {:.1f} MB\n",
      metrics.completed(), s.synthetic.input.spec(), s.synthetic.output.spec(), wall,
      static_cast<double>(metrics.completed()) / wall, events, cost.memo_size(), peak_rss_mb());
  fmt::print(
      "simulated {:.0f} s of service; TTFT p50 {:.1f} ms p99 {:.1f} ms; TPOT p50 {:.1f} ms\n",
      metrics.end_s(), 1e3 * metrics.ttft().quantile(0.5), 1e3 * metrics.ttft().quantile(0.99),
      1e3 * metrics.tpot().quantile(0.5));
  return 0;
}

struct PlanOptions {
  PlanSearchSpec spec;
  ExpertOptions experts;
  int64_t simulate = 0;
  int64_t simulate_requests = 2000;
  std::string workload = "1024:256";
  int64_t top = 12;
  bool json = false;
  // Fleet sizing (with --rate).
  std::optional<double> rate;
  double percentile = 99;
  int64_t seeds = 3;
  int64_t jobs = 1;  // threads for a verdict's seeds
  std::string router = "least-outstanding";
  int64_t candidates = 3;
};

// `plan --rate R`: the fewest chips that serve R requests/s within the SLOs
// at the percentile, verified by simulating the fleet.
int run_fleet(const PlanOptions& opt) {
  FleetSpec spec;
  spec.plan = opt.spec;
  spec.rate_per_s = *opt.rate;
  spec.percentile = opt.percentile;
  spec.seeds = opt.seeds;
  spec.jobs = static_cast<size_t>(opt.jobs);
  spec.router = opt.router;
  if (opt.candidates < 1 || opt.candidates > 100) {
    throw ConfigError(fmt::format("--candidates: expected 1 to 100, got {}", opt.candidates));
  }
  spec.candidates = static_cast<size_t>(opt.candidates);
  const FleetResult result = size_fleet(spec);
  if (!opt.json) {
    std::cout << format_fleet_table(spec, result);
    return 0;
  }
  nlohmann::ordered_json doc;
  doc["schema"] = "jalapeno.fleet/1";
  doc["model"] = result.model;
  doc["system"] = result.system;
  doc["system_chips"] = result.system_chips;
  doc["rate_per_s"] = spec.rate_per_s;
  doc["percentile"] = spec.percentile;
  doc["slo_ttft_s"] = spec.plan.slo_ttft_s;
  doc["slo_tpot_s"] = spec.plan.slo_tpot_s;
  doc["router"] = spec.router;
  doc["layout"] = result.layout();
  const auto verdict_json = [](const FleetVerdict& v) {
    return nlohmann::ordered_json{{"replicas", v.replicas},
                                  {"seeds_passing", v.seeds_passing},
                                  {"seeds", v.seeds},
                                  {"ttft_s", v.ttft_s},
                                  {"tpot_s", v.tpot_s}};
  };
  auto& candidates = doc["candidates"] = nlohmann::ordered_json::array();
  for (const FleetCandidate& c : result.candidates) {
    auto tried = nlohmann::ordered_json::array();
    for (const FleetVerdict& v : c.tried) tried.push_back(verdict_json(v));
    candidates.push_back({{"tp", c.plan.tp},
                          {"pp", c.plan.pp},
                          {"ep", c.plan.ep},
                          {"dp_attention", c.plan.dp_attention},
                          {"chips_per_replica", c.chips_per_replica},
                          {"capacity_per_replica", c.capacity_per_replica},
                          {"estimated_replicas", c.estimated_replicas},
                          {"found", c.found},
                          {"replicas", c.found ? c.verdict.replicas : 0},
                          {"chips", c.found ? c.chips() : 0},
                          {"verdict", verdict_json(c.verdict)},
                          {"tried", std::move(tried)}});
  }
  std::cout << doc.dump(2) << "\n";
  return 0;
}

// The flags `plan` and `compare` share: the workload, SLOs and limits.
void check_plan_flags(PlanOptions& opt) {
  // --workload IN:OUT, both whole token counts.
  const auto colon = opt.workload.find(':');
  const auto count = [&](std::string_view text) -> int64_t {
    const auto value = parse_number(text);
    if (!value || *value < 1 || *value > 1e9 || *value != std::floor(*value)) {
      throw ConfigError(fmt::format(
          "--workload: expected INPUT:OUTPUT mean token counts such as 1024:256 (whole numbers "
          "from 1 to 1e9), got '{}'",
          opt.workload));
    }
    return static_cast<int64_t>(*value);
  };
  if (colon == std::string::npos) count("");
  opt.spec.input_tokens = count(std::string_view(opt.workload).substr(0, colon));
  opt.spec.output_tokens = count(std::string_view(opt.workload).substr(colon + 1));
  if (!(opt.spec.slo_ttft_s >= 0) || !(opt.spec.slo_tpot_s >= 0)) {
    throw ConfigError("--slo-ttft, --slo-tpot: expected 0 (none) or a time in seconds above zero");
  }
  if (opt.spec.max_sequences < 1 || opt.spec.max_sequences > 1000000) {
    throw ConfigError(
        fmt::format("--max-seqs: expected 1 to 1000000, got {}", opt.spec.max_sequences));
  }
  if (opt.spec.chips < 0) {
    throw ConfigError(
        fmt::format("--chips: expected 1 or more (or leave it out for all the "
                    "system's chips), got {}",
                    opt.spec.chips));
  }
  if (opt.simulate_requests < 1 || opt.simulate_requests > 10000000) {
    throw ConfigError(
        fmt::format("--simulate-requests: expected 1 to 10000000, got {}", opt.simulate_requests));
  }
  find_plan_objective(opt.spec.objective);  // an unknown name is an error now
  if (opt.jobs < 1 || opt.jobs > 256) {
    throw ConfigError(fmt::format("--jobs: expected 1 to 256 threads, got {}", opt.jobs));
  }
  {
    ParallelPlan chosen;
    apply_expert_options(opt.experts, chosen, opt.spec.routing);
    opt.spec.all_to_all = chosen.all_to_all;
    if (opt.experts.ep) opt.spec.ep = chosen.ep;
    opt.spec.dp_attention_only = chosen.dp_attention;
    opt.spec.weights_in = chosen.weights_in;
  }
}

int run_plan(PlanOptions opt, bool check_only) {
  check_plan_flags(opt);
  if (opt.jobs != 1 && !opt.rate && opt.simulate == 0) {
    throw ConfigError(
        "--jobs: runs simulations on threads; it goes with --rate (fleet sizing) or --simulate N");
  }
  if (check_only) return 0;
  if (opt.simulate < 0 || opt.simulate > 1000) {
    throw ConfigError(fmt::format("--simulate: expected 0 to 1000 plans, got {}", opt.simulate));
  }
  if (opt.top < 1 || opt.top > 1000000) {
    throw ConfigError(fmt::format("--top: expected 1 to 1000000 plans, got {}", opt.top));
  }
  if (opt.rate) return run_fleet(opt);
  const PlanSearchResult result =
      search_plans(opt.spec, static_cast<size_t>(opt.simulate), opt.simulate_requests, 0.9,
                   static_cast<size_t>(opt.jobs));
  if (opt.json) {
    nlohmann::ordered_json doc;
    doc["schema"] = "jalapeno.plan/1";
    doc["model"] = result.model;
    doc["system"] = result.system;
    doc["chips"] = result.chips;
    doc["objective"] = result.objective;
    auto& plans = doc["plans"] = nlohmann::ordered_json::array();
    for (const auto& p : result.plans) plans.push_back(plan_result_json(p));
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << format_plan_table(result, static_cast<size_t>(opt.top));
  }
  return 0;
}

struct CompareOptions {
  PlanOptions plan;  // model, workload, SLOs, engine, objective, jobs
  std::string systems;
  bool no_simulate = false;
  bool curve = false;
};

// `jalapeno compare`: the best plan of one model and workload on each system.
int run_compare(CompareOptions opt, bool check_only) {
  check_plan_flags(opt.plan);
  CompareSpec spec;
  spec.plan = opt.plan.spec;
  spec.simulate = !opt.no_simulate;
  spec.requests = opt.plan.simulate_requests;
  spec.curve = opt.curve;
  spec.jobs = static_cast<size_t>(opt.plan.jobs);
  for (size_t start = 0; start <= opt.systems.size();) {
    size_t comma = opt.systems.find(',', start);
    if (comma == std::string::npos) comma = opt.systems.size();
    spec.systems.push_back(opt.systems.substr(start, comma - start));
    start = comma + 1;
  }
  if (check_only) {
    check_compare_systems(spec.systems);
    return 0;
  }
  const CompareResult result = compare_systems(spec);
  if (opt.plan.json) {
    std::cout << compare_json(result).dump(2) << "\n";
  } else {
    std::cout << format_compare_table(result);
  }
  return 0;
}

// `jalapeno run`: the comparison the project exists for. jalapeno-ref's rack
// against eight H200s and a GB200 NVL72 serving Llama-3.1-70B in fp8 to
// chat users: the Azure LLM conversation trace's mean lengths (1,155 tokens
// in, 211 out over its 19,366 requests; data/traces), at least 100 tokens/s
// per user (TPOT <= 10 ms) and TTFT <= 2 s, each system's best plan by
// tokens/s per facility MW, simulated, and each one's throughput against
// interactivity. `jalapeno serve data/scenarios/default.yaml` is the
// single-replica trace replay that `run` used to be.
CompareOptions default_comparison() {
  CompareOptions opt;
  opt.plan.spec.model = "llama-3.1-70b";
  opt.plan.workload = "1155:211";
  opt.plan.spec.slo_tpot_s = 0.010;
  opt.plan.spec.slo_ttft_s = 2;
  // Prompts prefilled in chunks small enough that a step carrying one still
  // keeps the decoders near their TPOT (vLLM's chunked prefill; 8,192 tokens
  // in one step would stall them for tens of milliseconds).
  opt.plan.spec.max_batched_tokens = 512;
  opt.plan.spec.objective = "tokens-per-s-per-MW";
  opt.plan.spec.precision.weights = "fp8_e4m3";
  opt.plan.spec.precision.kv = "fp8_e4m3";
  opt.plan.spec.precision.source = "jalapeno run";
  opt.plan.jobs = 2;
  opt.systems = "jalapeno-ref-rack,hgx-h200,gb200-nvl72";
  opt.curve = true;
  return opt;
}

int run_validate(bool json, bool summary_only, bool serving) {
  std::vector<ValidationRow> rows = validate_all();
  if (serving) {
    const std::vector<ValidationRow> more = validate_serving();
    rows.insert(rows.end(), more.begin(), more.end());
  }
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& r : rows) {
      out.push_back({{"set", r.set},
                     {"shape", r.label},
                     {"predicted_s", r.predicted_s},
                     {"measured_s", r.measured_s},
                     {"error", r.error()},
                     {"sample", in_sample(r.set) ? "in" : "out"}});
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "Cost model (analytical presets) against measurements: whole steps and kernels\n"
              << "on an NVIDIA H200 (data/calibration/h200; Llama-3.1-8B, bf16), and GEMMs on\n"
              << "H100 and A100 published by Vidur (data/calibration/published; Llama-2, fp16);\n"
              << "out of sample: the H200's production kernels (kernels_extra.json) and\n"
              << "published figures (data/validation)\n\n"
              << (summary_only ? format_validation_summary(rows) : format_validation(rows));
  }
  return 0;
}

}  // namespace

namespace jalapeno::cli {

int run(int argc, const char* const* argv, Mode mode) {
  CLI::App app{"jalapeno: a digital twin of a rack-scale LLM inference machine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "jalapeno 0.1.0");

  StepOptions step;
  CLI::App* step_cmd = app.add_subcommand("step", "Predict one inference step, by operator");
  step_cmd->add_option("--model", step.model, "model preset or config.json path")->required();
  step_cmd->add_option("--hw", step.hw, "chip or system preset, or a chip/system YAML path")
      ->required();
  step_cmd->add_option("--tp", step.tp, "tensor parallel degree (default 1)");
  step_cmd->add_option("--pp", step.pp, "pipeline stages (default 1)");
  step_cmd->add_option("--replicas", step.replicas,
                       "data-parallel replicas sharing the system (default 1)");
  step_cmd->add_option("--topology", step.topology,
                       "system preset or YAML whose network joins the chips");
  step_cmd->add_flag("--overlap", step.overlap, "overlap communication with compute");
  add_expert_options(step_cmd, step.experts);
  step_cmd->add_option("--engine", step.engine, "engine preset or YAML path (default: fused)");
  step_cmd->add_option("--layers", step.layers, "override the model's number of layers");
  step_cmd->add_option("--phase", step.request.phase, "decode or prefill (default: decode)")
      ->check(CLI::IsMember({"decode", "prefill"}));
  step_cmd->add_option("--batch", step.request.batch, "sequences in the batch (default: 1)");
  step_cmd->add_option("--ctx", step.request.context, "decode: tokens already cached per sequence");
  step_cmd->add_option("--tokens", step.request.tokens, "prefill: prompt tokens per sequence");
  step_cmd->add_option("--calibration", step.calibration,
                       "kernels.json of measured kernel times that refine the chip");
  add_precision_options(step_cmd, step.precision);
  step_cmd->add_flag("--json", step.json, "print one JSON object (schema jalapeno.step/1)");

  StepOptions model_opt;
  model_opt.request.context = 1024;
  CLI::App* model_cmd =
      app.add_subcommand("model", "A model's parameters, bytes, KV per token, FLOPs, and fit");
  model_cmd->add_option("model", model_opt.model, "model preset or config.json path")->required();
  model_cmd->add_option("--hw", model_opt.hw, "chip or system: show the KV cache that fits");
  model_cmd->add_option("--tp", model_opt.tp, "tensor parallel degree (default 1)");
  model_cmd->add_option("--pp", model_opt.pp, "pipeline stages (default 1)");
  model_cmd->add_option("--topology", model_opt.topology,
                        "system preset or YAML whose network joins the chips");
  model_cmd->add_option("--engine", model_opt.engine, "engine preset (default: fused)");
  model_cmd->add_option("--layers", model_opt.layers, "override the model's number of layers");
  model_cmd->add_option("--ctx", model_opt.request.context,
                        "context at which FLOPs per token are given (default 1024)");
  add_precision_options(model_cmd, model_opt.precision);
  model_cmd->add_flag("--json", model_opt.json, "print one JSON object (schema jalapeno.model/1)");

  ChipOptions chip_opt;
  CLI::App* chip_cmd = app.add_subcommand(
      "chip", "A chip's rates, memory levels and I/O, and its die's area, yield and built cost");
  chip_cmd->add_option("chip", chip_opt.chip, "chip preset or YAML path")->required();
  chip_cmd->add_flag("--json", chip_opt.json, "print one JSON object (schema jalapeno.chip/1)");
  SystemOptions system_opt;
  CLI::App* system_cmd = app.add_subcommand(
      "system", "A system's network tiers, switches and optics, rack draw, and price part by part");
  system_cmd->add_option("system", system_opt.system, "system preset or YAML path")->required();
  system_cmd->add_flag("--json", system_opt.json,
                       "print one JSON object (schema jalapeno.system/1)");
  app.add_subcommand("presets", "List the model, chip and engine presets");
  ParamsOptions params_opt;
  CLI::App* params_cmd =
      app.add_subcommand("params", "The keys each kind of file may hold: type, default, meaning");
  params_cmd->add_option(
      "kind", params_opt.kind,
      "chip, chip-power, chip-cost, system, engine, model, quantization, "
      "scenario, power-override, cost-override, facility, sweep, process or die-model (default: "
      "all)");
  params_cmd->add_flag("--markdown", params_opt.markdown, "as Markdown tables (the README's)");
  params_cmd->add_flag("--json", params_opt.json, "as JSON (schema jalapeno.params/1)")
      ->excludes(params_cmd->get_option("--markdown"));
  app.add_subcommand("run",
                     "jalapeno-ref against 8 x H200 and a GB200 NVL72: Llama-3.1-70B chat at "
                     ">= 100 tokens/s per user");
  app.add_subcommand("decode-table", "Predicted decode steps of Llama-3.1-8B on H100 and H200");
  ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Simulate an inference service");
  add_serve_options(serve_cmd, serve);
  PlanOptions plan;
  CLI::App* plan_cmd =
      app.add_subcommand("plan", "Search the parallel plans of a model on a system");
  plan_cmd->add_option("--model", plan.spec.model, "model preset or config.json path")->required();
  plan_cmd->add_option("--hw", plan.spec.hw, "system preset (or a chip with --topology)")
      ->required();
  plan_cmd->add_option("--topology", plan.spec.topology,
                       "system preset whose network joins the chips");
  plan_cmd->add_option("--engine", plan.spec.engine, "engine preset (default: fused)");
  plan_cmd->add_option("--chips", plan.spec.chips, "chips to use (default: all of the system)");
  plan_cmd->add_option("--slo-ttft", plan.spec.slo_ttft_s, "TTFT SLO (2s; a plain number: seconds)")
      ->transform(quantity_flag(Dimension::kTime, "seconds"));
  plan_cmd->add_option("--slo-tpot", plan.spec.slo_tpot_s, "TPOT SLO (50ms; plain: seconds)")
      ->transform(quantity_flag(Dimension::kTime, "seconds"));
  plan_cmd->add_option("--workload", plan.workload, "mean INPUT:OUTPUT tokens (default 1024:256)");
  plan_cmd->add_option("--max-seqs", plan.spec.max_sequences, "sequences per replica");
  plan_cmd->add_flag("--overlap", plan.spec.overlap, "overlap communication with compute");
  add_expert_options(plan_cmd, plan.experts);
  plan_cmd->add_option("--top", plan.top, "plans to show (default 12)");
  plan_cmd->add_option("--simulate", plan.simulate,
                       "check the best N plans with the serving simulator at 90% of their "
                       "estimated throughput");
  plan_cmd->add_option("--simulate-requests", plan.simulate_requests,
                       "requests per simulated plan (default 2000)");
  add_precision_options(plan_cmd, plan.spec.precision);
  plan_cmd->add_option("--objective", plan.spec.objective,
                       "rank by tokens-per-s-per-chip (default), tokens-per-s-per-MW or "
                       "usd-per-mtok");
  plan_cmd->add_flag("--json", plan.json,
                     "print the jalapeno.plan/1 (or, with --rate, fleet/1) document");
  plan_cmd
      ->add_option("--rate", plan.rate,
                   "fleet sizing: the fewest chips serving this rate (5/s) within the SLOs")
      ->transform(quantity_flag(Dimension::kRate, "requests per second"));
  plan_cmd->add_option("--percentile", plan.percentile,
                       "fleet sizing: the SLOs hold for this percentile of requests (default 99)");
  plan_cmd->add_option("--seeds", plan.seeds, "fleet sizing: simulations a verdict (default 3)");
  plan_cmd->add_option("--jobs", plan.jobs,
                       "with --rate or --simulate: the simulations on up to N threads at once (the "
                       "same answer; default 1)");
  plan_cmd->add_option("--router", plan.router,
                       "fleet sizing: the fleet's router (default least-outstanding)");
  plan_cmd->add_option("--candidates", plan.candidates,
                       "fleet sizing: replica layouts to verify (default 3)");
  CompareOptions compare;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare", "One model and workload on several systems: each one's best plan side by side");
  compare_cmd->add_option("--model", compare.plan.spec.model, "model preset or config.json path")
      ->required();
  compare_cmd
      ->add_option("--systems", compare.systems,
                   "systems (or single chips) to compare, by comma: hgx-h200,gb200-nvl72")
      ->required();
  compare_cmd->add_option("--engine", compare.plan.spec.engine, "engine preset (default: fused)");
  compare_cmd->add_option("--workload", compare.plan.workload,
                          "mean INPUT:OUTPUT tokens (default 1024:256)");
  compare_cmd
      ->add_option("--slo-ttft", compare.plan.spec.slo_ttft_s, "TTFT SLO (2s; plain: seconds)")
      ->transform(quantity_flag(Dimension::kTime, "seconds"));
  compare_cmd
      ->add_option("--slo-tpot", compare.plan.spec.slo_tpot_s, "TPOT SLO (50ms; plain: seconds)")
      ->transform(quantity_flag(Dimension::kTime, "seconds"));
  compare_cmd->add_option("--max-seqs", compare.plan.spec.max_sequences,
                          "sequences per replica (default 256; the curve's largest cap)");
  compare_cmd->add_option("--objective", compare.plan.spec.objective,
                          "rank each system's plans by tokens-per-s-per-chip (default), "
                          "tokens-per-s-per-MW or usd-per-mtok");
  compare_cmd->add_flag("--overlap", compare.plan.spec.overlap,
                        "overlap communication with compute");
  add_precision_options(compare_cmd, compare.plan.spec.precision);
  compare_cmd->add_flag("--no-simulate", compare.no_simulate,
                        "analytical only: no TTFT/TPOT percentiles (seconds faster)");
  compare_cmd->add_option("--simulate-requests", compare.plan.simulate_requests,
                          "requests per simulated plan (default 2000)");
  compare_cmd->add_flag("--curve", compare.curve,
                        "also each system's throughput against interactivity: the best plan "
                        "at each cap on the batch, 1 to --max-seqs");
  compare_cmd->add_option("--jobs", compare.plan.jobs,
                          "the simulations on up to N threads (the same answer; default 1)");
  compare_cmd->add_flag("--json", compare.plan.json, "print the jalapeno.compare/1 document");
  SweepOptions sweep;
  CLI::App* sweep_cmd = add_sweep_command(app, sweep);
  ReportOptions report;
  CLI::App* report_cmd = add_report_command(app, report);
  BenchOptions bench;
  CLI::App* bench_cmd = app.add_subcommand("bench", "Time the serving simulator (see README)");
  bench_cmd->add_option("--requests", bench.requests, "requests in the timed run");
  bench_cmd->add_option("--load", bench.load, "offered load as a fraction of capacity");
  bench_cmd->add_option("--trace", bench.trace, "instead: replay this trace");
  bench_cmd->add_option("--loops", bench.loops, "trace: play it this many times");
  bench_cmd->add_flag("--prefix-caching", bench.prefix_caching, "with the prefix cache on");
  bench_cmd->add_option("--sessions", bench.sessions,
                        "instead: this many agentic sessions of about 10 calls");
  bool validate_json = false;
  CLI::App* validate_cmd =
      app.add_subcommand("validate", "Compare predictions with the H200 measurements");
  validate_cmd->add_flag("--json", validate_json, "print rows as JSON");
  bool validate_summary = false;
  validate_cmd->add_flag("--summary", validate_summary, "print only each set's error summary");
  bool validate_serving_sets = false;
  validate_cmd->add_flag("--serving", validate_serving_sets,
                         "also simulate the published serving benchmarks (tens of seconds)");

  check_number_flags(app);
  // CLI11 reports an unknown first word as a missing subcommand; name it.
  if (argc > 1 && argv[1][0] == '-' && std::string_view(argv[1]) != "--help" &&
      std::string_view(argv[1]) != "-h" && std::string_view(argv[1]) != "--version") {
    std::cerr << fmt::format(
        "error: unknown option '{}' before the command (jalapeno COMMAND "
        "[OPTIONS]; see jalapeno --help)\n",
        argv[1]);
    return kBadInput;
  }
  if (argc > 1 && argv[1][0] != '-') {
    const std::string word = argv[1];
    std::string known;
    bool found = false;
    for (const CLI::App* sub :
         std::as_const(app).get_subcommands([](const CLI::App*) { return true; })) {
      found = found || sub->get_name() == word;
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::cerr << fmt::format("error: unknown command '{}' (commands: {})\n", word, known);
      return kBadInput;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kBadInput;
  }
  try {
    const bool check_only = mode == Mode::kCheckOnly;
    if (step_cmd->parsed()) return run_step(step, check_only);
    if (model_cmd->parsed()) return run_model(model_opt, check_only);
    if (chip_cmd->parsed()) return run_chip(chip_opt, check_only);
    if (system_cmd->parsed()) return run_system(system_opt, check_only);
    if (app.got_subcommand("presets")) return check_only ? 0 : run_presets();
    if (params_cmd->parsed()) return run_params(params_opt, check_only);
    if (app.got_subcommand("decode-table")) return check_only ? 0 : run_demo();
    if (app.got_subcommand("run")) return run_compare(default_comparison(), check_only);
    if (serve_cmd->parsed()) return run_scenario(build_scenario(serve), serve, check_only);
    if (bench_cmd->parsed()) return run_bench(bench, check_only);
    if (plan_cmd->parsed()) return run_plan(plan, check_only);
    if (compare_cmd->parsed()) return run_compare(compare, check_only);
    if (sweep_cmd->parsed()) return run_sweep_command(sweep, check_only);
    if (report_cmd->parsed()) return run_report_command(report, check_only);
    if (validate_cmd->parsed()) {
      return check_only ? 0 : run_validate(validate_json, validate_summary, validate_serving_sets);
    }
  } catch (const ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kBadInput;
  } catch (const YAML::Exception& e) {
    // A YAML node used against its type somewhere a SpecReader did not guard.
    std::cerr << "error: malformed input: " << e.what() << "\n";
    return kBadInput;
  } catch (const std::exception& e) {
    // Not the user's input: a broken invariant. Say so rather than abort.
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace jalapeno::cli
