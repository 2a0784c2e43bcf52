#include "serve/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>

#include "core/error.hpp"
#include "core/params.hpp"
#include "core/spec_reader.hpp"
#include "core/units.hpp"
#include "plan/hardware.hpp"

namespace jalapeno {
namespace {

LengthDistribution read_length(SpecReader& reader, const std::string& key) {
  return LengthDistribution::parse(reader.string(key), reader.where(key));
}

void read_scheduler(SpecReader& reader, SchedulerConfig& config) {
  config.policy = reader.string_or("policy", config.policy);
  make_scheduler_policy(config.policy, reader.where("policy"));  // throws for an unknown name
  config.max_sequences = reader.integer_or("max_sequences", config.max_sequences, 1);
  config.max_batched_tokens = reader.integer_or("max_batched_tokens", config.max_batched_tokens, 1);
  config.block_size = reader.integer_or("block_size", config.block_size, 1);
  config.chunked_prefill = reader.boolean_or("chunked_prefill", config.chunked_prefill);
  const std::string preemption = reader.string_or("preemption", "recompute");
  if (preemption == "recompute") {
    config.preemption = Preemption::kRecompute;
  } else if (preemption == "swap") {
    config.preemption = Preemption::kSwap;
  } else {
    reader.fail("preemption", fmt::format("'recompute' or 'swap', got '{}'", preemption));
  }
  config.swap_Bps =
      reader.positive_quantity_or("swap_bandwidth", Dimension::kBandwidth, config.swap_Bps);
  config.prefix_caching = reader.boolean_or("prefix_caching", config.prefix_caching);
  if (reader.has("memory_utilization")) {
    config.memory_utilization = reader.fraction("memory_utilization");
  } else {
    reader.ignore("memory_utilization");
  }
  reader.finish();
}

// `speculative:` (serve/speculative.hpp). Each value is checked here, where
// the file's line is known; check_speculative checks the whole again for
// values from flags.
void read_speculative(SpecReader& reader, SpeculativeConfig& config) {
  config.method = reader.string("method");
  const auto& methods = speculation_methods();
  if (std::none_of(methods.begin(), methods.end(),
                   [&](const SpeculationMethod& m) { return config.method == m.name; })) {
    std::string names;
    for (const SpeculationMethod& m : methods) {
      names += (names.empty() ? "" : ", ") + std::string(m.name);
    }
    reader.fail("method", fmt::format("one of {}, got '{}'", names, config.method));
  }
  config.tokens = reader.integer_in("tokens", 1, kMaxSpeculativeTokens);
  const bool one = reader.has("acceptance");
  const bool each = reader.has("acceptance_by_position");
  if (one == each) {
    reader.fail(one ? "acceptance_by_position" : "acceptance",
                "one of acceptance (every draft) or acceptance_by_position (a list, one per "
                "draft)");
  }
  config.acceptance.clear();
  if (one) {
    config.acceptance.push_back(reader.number_in("acceptance", 0, 1));
    reader.ignore("acceptance_by_position");
  } else {
    reader.ignore("acceptance");
    const YAML::Node list = reader.raw("acceptance_by_position");
    if (!list.IsSequence() || list.size() == 0 ||
        static_cast<int64_t>(list.size()) > config.tokens) {
      reader.fail(
          "acceptance_by_position",
          fmt::format("a list of 1 to {} (tokens) acceptance probabilities", config.tokens));
    }
    for (size_t i = 0; i < list.size(); ++i) {
      double a = -1;
      try {
        if (list[i].IsScalar()) a = list[i].as<double>();
      } catch (const YAML::Exception&) {
        a = -1;
      }
      if (!(a >= 0 && a <= 1)) {
        reader.fail("acceptance_by_position",
                    fmt::format("probabilities in [0, 1], got '{}' at position {}",
                                list[i].IsScalar() ? list[i].Scalar() : "a list or mapping", i));
      }
      config.acceptance.push_back(a);
    }
  }
  if (reader.has("draft_model")) {
    if (config.method != "draft") {
      reader.fail("draft_model", fmt::format("no draft model for method {}, which drafts with the "
                                             "target's own layers (or method: draft)",
                                             config.method));
    }
    config.draft_model = reader.string("draft_model");
  } else {
    reader.ignore("draft_model");
    if (config.method == "draft") {
      reader.fail("draft_model", "a draft model (a preset or config.json) for method draft");
    }
  }
  reader.finish();
}

void read_arrivals(SpecReader& arrivals, Scenario& s) {
  const std::vector<std::string> kinds = {"poisson", "gamma", "constant", "offline", "closed_loop"};
  std::string chosen;
  for (const auto& kind : kinds) {
    if (!arrivals.has(kind)) continue;
    if (!chosen.empty()) {
      arrivals.fail(kind, fmt::format("one arrival process, but '{}' is given too", chosen));
    }
    chosen = kind;
  }
  if (chosen.empty()) {
    arrivals.fail("poisson",
                  "one of poisson: RATE, gamma: {rate, cv}, constant: RATE, "
                  "offline: true, closed_loop: {users, think}");
  }
  if (chosen == "poisson") {
    s.synthetic.arrivals = ArrivalKind::kPoisson;
    s.synthetic.rate_per_s = arrivals.positive_quantity("poisson", Dimension::kRate);
  } else if (chosen == "constant") {
    s.synthetic.arrivals = ArrivalKind::kConstant;
    s.synthetic.rate_per_s = arrivals.positive_quantity("constant", Dimension::kRate);
  } else if (chosen == "gamma") {
    SpecReader gamma = arrivals.child("gamma");
    s.synthetic.arrivals = ArrivalKind::kGamma;
    s.synthetic.rate_per_s = gamma.positive_quantity("rate", Dimension::kRate);
    s.synthetic.cv = gamma.number("cv");
    if (!(s.synthetic.cv > 0)) gamma.fail("cv", "a coefficient of variation above zero");
    gamma.finish();
  } else if (chosen == "offline") {
    if (!arrivals.boolean("offline")) arrivals.fail("offline", "true (or another arrival process)");
    s.synthetic.arrivals = ArrivalKind::kOffline;
  } else {
    SpecReader closed = arrivals.child("closed_loop");
    s.workload = WorkloadKind::kClosedLoop;
    s.closed_loop.users = closed.integer("users", 1);
    s.closed_loop.think_s = closed.has("think") ? closed.quantity("think", Dimension::kTime) : 0;
    if (!closed.has("think")) closed.ignore("think");
    if (s.closed_loop.think_s < 0) closed.fail("think", "a think time of 0 or more");
    closed.finish();
  }
  for (const auto& kind : kinds) arrivals.ignore(kind);
  arrivals.finish();
}

// `routing: {skew, loads, redundant_experts, eplb}` (README "Expert
// parallelism"); a relative loads path is relative to the scenario.
void read_routing(SpecReader& reader, const std::string& scenario_path, RoutingSpec& routing) {
  routing.skew = reader.number_or("skew", 0);
  if (!(routing.skew >= 0 && routing.skew <= 10)) {
    reader.fail("skew", fmt::format("a power-law exponent from 0 to 10, got {}", routing.skew));
  }
  if (reader.has("loads")) {
    std::filesystem::path path = reader.string("loads");
    if (path.is_relative()) path = std::filesystem::path(scenario_path).parent_path() / path;
    routing.loads_source = path.lexically_normal().string();
    try {
      routing.loads = read_expert_loads(routing.loads_source);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", reader.where("loads"), e.what()));
    }
  } else {
    reader.ignore("loads");
  }
  routing.redundant = reader.integer_or("redundant_experts", 0, 0);
  if (routing.redundant > (1 << 16)) {
    reader.fail("redundant_experts", fmt::format("at most {}, got {}", 1 << 16, routing.redundant));
  }
  routing.balanced = reader.boolean_or("eplb", false);
  reader.finish();
}

// `workload.agentic`: sessions of dependent calls (AgenticSpec).
void read_agentic(SpecReader& agentic, Scenario& s) {
  AgenticSpec& a = s.agentic;
  a.sessions = agentic.integer("sessions", 1);
  const bool rate = agentic.has("rate"), concurrency = agentic.has("concurrency");
  if (rate == concurrency) {
    agentic.fail(rate ? "concurrency" : "rate",
                 "exactly one of rate (sessions per second, a Poisson process) and concurrency "
                 "(sessions at once, a new one when one ends)");
  }
  if (rate) {
    a.rate_per_s = agentic.positive_quantity("rate", Dimension::kRate);
    agentic.ignore("concurrency");
  } else {
    a.concurrency = agentic.integer("concurrency", 1);
    agentic.ignore("rate");
  }
  a.calls = read_length(agentic, "calls");
  a.first_tokens = read_length(agentic, "first_tokens");
  a.new_tokens = read_length(agentic, "new_tokens");
  a.output = read_length(agentic, "output_tokens");
  a.think_s = agentic.quantity("think", Dimension::kTime);
  if (!(a.think_s >= 0)) agentic.fail("think", "a time of 0 or more");
  a.think_cv = agentic.number_or("think_cv", 1);
  if (!(a.think_cv >= 0 && a.think_cv <= 100)) {
    agentic.fail("think_cv", "a coefficient of variation from 0 (always `think`) to 100");
  }
  a.system_prompt_tokens = agentic.integer_or("system_prompt_tokens", 0, 0);
  a.system_prompts = agentic.integer_or("system_prompts", 1, 1);
  a.max_context_tokens = agentic.integer_or("max_context_tokens", a.max_context_tokens, 2);
  agentic.finish();
}

void read_workload(SpecReader& workload, Scenario& s, const std::filesystem::path& base) {
  if (workload.has("agentic")) {
    if (workload.has("trace")) {
      workload.fail("trace", "a trace or agentic sessions, not both");
    }
    for (const char* other :
         {"arrivals", "requests", "input_tokens", "output_tokens", "priority_mix"}) {
      if (workload.has(other)) {
        workload.fail(other,
                      "no other key beside workload.agentic: its sessions set the "
                      "arrivals, the number of calls and their lengths");
      }
    }
    s.workload = WorkloadKind::kAgentic;
    SpecReader agentic = workload.child("agentic");
    read_agentic(agentic, s);
    workload.finish();
    return;
  }
  workload.ignore("agentic");
  if (workload.has("trace")) {
    s.workload = WorkloadKind::kTrace;
    SpecReader trace = workload.child("trace");
    std::filesystem::path path = trace.string("path");
    if (path.is_relative()) path = base / path;
    s.trace.path = path.lexically_normal().string();
    s.trace.speedup = trace.number_or("speedup", 1);
    if (!(s.trace.speedup > 0)) trace.fail("speedup", "a factor above zero");
    s.trace.loops = trace.integer_or("loops", 1, 1);
    s.trace.max_requests = trace.integer_or("max_requests", 0, 0);
    trace.finish();
    workload.finish();
    return;
  }
  workload.ignore("trace");
  SpecReader arrivals = workload.child("arrivals");
  read_arrivals(arrivals, s);
  const int64_t requests = workload.integer("requests", 1);
  if (workload.has("priority_mix")) {
    const YAML::Node mix = workload.raw("priority_mix");
    const auto bad = [&] {
      workload.fail("priority_mix",
                    "a list of 2 to 64 weights >= 0, one per priority class (class 0 first, "
                    "served first), e.g. [0.2, 0.8]");
    };
    if (!mix.IsSequence() || mix.size() < 2 || mix.size() > 64) bad();
    for (const YAML::Node& w : mix) {
      if (!w.IsScalar()) bad();
      const std::optional<double> v = parse_number(w.Scalar());
      if (!v || !(*v >= 0)) bad();
      s.synthetic.priority_mix.push_back(*v);
    }
    double total = 0;
    for (double w : s.synthetic.priority_mix) total += w;
    if (!(total > 0)) bad();
    if (s.workload == WorkloadKind::kClosedLoop) {
      workload.fail("priority_mix", "open-loop arrivals (a closed loop's users have no classes)");
    }
  }
  const LengthDistribution input = read_length(workload, "input_tokens");
  const LengthDistribution output = read_length(workload, "output_tokens");
  s.synthetic.requests = s.closed_loop.requests = requests;
  s.synthetic.input = s.closed_loop.input = input;
  s.synthetic.output = s.closed_loop.output = output;
  workload.finish();
}

}  // namespace

Scenario read_scenario(const std::string& path) {
  return read_scenario(load_document(path));
}

Scenario read_scenario(const Document& doc) {
  SpecReader reader = SpecReader::mapping(doc, "", &scenario_param_kind());
  const std::string& path = doc.file;
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  Scenario s;
  s.path = path;
  s.model = reader.string("model");
  if (reader.has("engine") && reader.raw("engine").IsMap()) {
    auto engine = std::make_shared<const EngineProfile>(
        read_engine_profile(Document{reader.raw("engine"), path}, "engine"));
    s.engine = engine->name;
    s.inline_engine = std::move(engine);
  } else {
    s.engine = reader.string_or("engine", s.engine);
  }
  s.seed = static_cast<uint64_t>(reader.integer_or("seed", 1, 0));
  {
    SpecReader system = reader.child("system");
    if (system.has("hw") && system.raw("hw").IsMap()) {
      // A system's chip is changed through a chip of its own on the system's
      // network, not by extending the system.
      const YAML::Node parent = system.raw("hw")["extends"];
      const auto systems = system_preset_names();
      if (parent.IsScalar() &&
          std::find(systems.begin(), systems.end(), parent.Scalar()) != systems.end()) {
        system.fail("hw",
                    fmt::format("a chip: '{0}' is a system; to change its chip's fields write "
                                "its chip (hw: {{extends: CHIP, ...}}) with topology: {0}",
                                parent.Scalar()));
      }
      auto chip = std::make_shared<const ChipSpec>(
          read_chip_spec(Document{system.raw("hw"), path}, system.key_path("hw")));
      s.hw = chip->name;
      s.inline_chip = std::move(chip);
    } else {
      s.hw = system.string("hw");
    }
    const int64_t replicas = system.integer_or("replicas", 1, 1);
    if (replicas > ServeLimits::kMaxReplicas) {
      system.fail("replicas", fmt::format("1 to {}, got {}", ServeLimits::kMaxReplicas, replicas));
    }
    s.serve.replicas = static_cast<uint32_t>(replicas);
    s.serve.router = system.string_or("router", s.serve.router);
    make_router(s.serve.router, system.where("router"));  // throws for an unknown name
    s.systems = system.has("systems") ? system.integer_in("systems", 1, ServeLimits::kMaxReplicas)
                                      : (system.ignore("systems"), int64_t{1});
    s.plan.tp = system.integer_or("tp", 1, 1);
    s.plan.pp = system.integer_or("pp", 1, 1);
    s.plan.ep = system.integer_or("ep", 1, 1);
    s.plan.dp_attention = system.boolean_or("dp_attention", false);
    if (system.has("weights_in")) {
      const auto level = parse_memory_level(system.string("weights_in"));
      if (!level) system.fail("weights_in", "hbm or sram");
      s.plan.weights_in = *level;
    } else {
      system.ignore("weights_in");
    }
    const std::string mode = system.string_or("all_to_all", "auto");
    const auto all_to_all = parse_all_to_all(mode);
    if (!all_to_all) {
      system.fail("all_to_all", fmt::format("auto, normal or low_latency, got '{}'", mode));
    }
    s.plan.all_to_all = *all_to_all;
    if (system.has("topology")) {
      // A system file beside the scenario (or the sweep holding it) is taken
      // there; otherwise a preset, or a path from where jalapeno runs.
      const std::string topology = system.string("topology");
      const std::filesystem::path beside = std::filesystem::path(path).parent_path() / topology;
      std::error_code ec;  // a name too long for a path is not a file
      s.topology = std::filesystem::path(topology).is_relative() && !path.empty() &&
                           std::filesystem::is_regular_file(beside, ec)
                       ? beside.lexically_normal().string()
                       : topology;
    } else {
      system.ignore("topology");
    }
    s.overlap = system.boolean_or("overlap", false);
    system.finish();
  }
  if (reader.has("routing")) {
    SpecReader routing = reader.child("routing");
    read_routing(routing, path, s.routing);
  } else {
    reader.ignore("routing");
  }
  if (reader.has("scheduler")) {
    SpecReader scheduler = reader.child("scheduler");
    read_scheduler(scheduler, s.serve.scheduler);
  } else {
    reader.ignore("scheduler");
  }
  {
    SpecReader workload = reader.child("workload");
    read_workload(workload, s, base);
  }
  if (reader.has("speculative")) {
    SpecReader speculative = reader.child("speculative");
    read_speculative(speculative, s.serve.scheduler.speculative);
  } else {
    reader.ignore("speculative");
  }
  if (reader.has("slo")) {
    SpecReader slo = reader.child("slo");
    s.slo.ttft_s = slo.positive_quantity_or("ttft", Dimension::kTime, 0);
    s.slo.tpot_s = slo.positive_quantity_or("tpot", Dimension::kTime, 0);
    slo.finish();
  } else {
    reader.ignore("slo");
  }
  if (reader.has("precision")) {
    // Over the checkpoint's own (its config.json's quantization_config).
    SpecReader precision = reader.child("precision");
    using Part = std::optional<std::string> PrecisionOverride::*;
    static constexpr std::pair<const char*, Part> kParts[] = {
        {"weights", &PrecisionOverride::weights},
        {"activations", &PrecisionOverride::activations},
        {"kv", &PrecisionOverride::kv}};
    for (const auto& [key, part] : kParts) {
      if (!precision.has(key)) {
        precision.ignore(key);
        continue;
      }
      const std::string value = precision.string(key);
      if (!parse_dtype(value)) {
        precision.fail(key, fmt::format("one of {}, got '{}'", dtype_names(), value));
      }
      s.precision.*part = value;
    }
    if (precision.has("weight_group")) {
      s.precision.weight_group = precision.integer_in("weight_group", -1, 1 << 20);
    } else {
      precision.ignore("weight_group");
    }
    s.precision.source = "key 'precision'";  // the file is named by the caller
    precision.finish();
  } else {
    reader.ignore("precision");
  }
  if (reader.has("facility")) {
    SpecReader facility = reader.child("facility");
    s.facility = read_facility(facility);
    facility.finish();
  } else {
    reader.ignore("facility");
  }
  if (reader.has("power")) {
    SpecReader power = reader.child("power");
    s.power = read_power_override(power);
    power.finish();
  } else {
    reader.ignore("power");
  }
  if (reader.has("cost")) {
    SpecReader cost = reader.child("cost");
    s.cost = read_chip_cost_override(cost);
    cost.finish();
  } else {
    reader.ignore("cost");
  }
  if (reader.has("output")) {
    SpecReader output = reader.child("output");
    s.sample_interval_s =
        output.positive_quantity_or("sample_interval", Dimension::kTime, s.sample_interval_s);
    output.finish();
  } else {
    reader.ignore("output");
  }
  reader.finish();
  s.synthetic.seed = s.closed_loop.seed = s.agentic.seed = s.serve.seed = s.seed;
  try {
    validate_scenario(s);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", path, e.what()));  // which file holds the value
  }
  return s;
}

void validate_scenario(const Scenario& s) {
  auto check = [](const char* name, double value, double lo, double hi) {
    if (!(value >= lo && value <= hi)) {
      throw ConfigError(fmt::format("{}: expected {:g} to {:g}, got {:g}", name, lo, hi, value));
    }
  };
  const SchedulerConfig& c = s.serve.scheduler;
  const auto max_requests = static_cast<double>(ServeLimits::kMaxRequests);
  const double max_span = ServeLimits::kMaxSimulatedSeconds;
  check("replicas (system.replicas, --replicas)", s.serve.replicas, 1, ServeLimits::kMaxReplicas);
  make_router(s.serve.router, "router (system.router, --router)");  // throws for an unknown name
  make_scheduler_policy(s.serve.scheduler.policy, "scheduler.policy (--scheduler)");
  if (s.serve.router == "prefix-aware" && !s.serve.scheduler.prefix_caching) {
    throw ConfigError(
        "system.router (--router): prefix-aware routes by what each replica's prefix cache "
        "holds; turn on scheduler.prefix_caching (--prefix-caching) or choose another router");
  }
  check_speculative(c.speculative);
  check("tp (system.tp, --tp)", static_cast<double>(s.plan.tp), 1, 1e5);
  check("pp (system.pp, --pp)", static_cast<double>(s.plan.pp), 1, 1e5);
  check("scheduler.max_sequences (--max-seqs)", static_cast<double>(c.max_sequences), 1, 1e6);
  check("scheduler.max_batched_tokens (--max-tokens)", static_cast<double>(c.max_batched_tokens), 1,
        1e9);
  check("scheduler.block_size (--block-size)", static_cast<double>(c.block_size), 1, 1e6);
  // Slower than 1 MB/s is no host link; at 1 B/s one swapped sequence would
  // take weeks to move.
  check("scheduler.swap_bandwidth (bytes/s)", c.swap_Bps, 1e6, 1e16);
  check("output.sample_interval (seconds)", s.sample_interval_s, 1e-9, max_span);
  // Expected span of an open-loop workload: requests / rate.
  const auto span_check = [&](double requests, double rate) {
    const double span = requests / rate;
    if (span > max_span) {
      throw ConfigError(fmt::format(
          "workload.requests (--requests) and the arrival rate (--rate): {:g} requests at {:g}/s "
          "span about {:.3g} s of simulated time, beyond the {:g} s (about {:.1f} years) one run "
          "may simulate",
          requests, rate, span, max_span, max_span / 3.15576e7));
    }
  };
  switch (s.workload) {
    case WorkloadKind::kSynthetic:
      check("workload.requests (--requests)", static_cast<double>(s.synthetic.requests), 1,
            max_requests);
      if (s.synthetic.arrivals != ArrivalKind::kOffline) {
        // Slower than one request a year leaves a simulation of empty time.
        check("arrival rate (--rate)", s.synthetic.rate_per_s, 3e-8, 1e9);
        span_check(static_cast<double>(s.synthetic.requests), s.synthetic.rate_per_s);
      }
      break;
    case WorkloadKind::kClosedLoop:
      check("workload.requests (--requests)", static_cast<double>(s.closed_loop.requests), 1,
            max_requests);
      check("closed_loop.users (--concurrency)", static_cast<double>(s.closed_loop.users), 1, 1e7);
      check("closed_loop.think (--think, seconds)", s.closed_loop.think_s, 0, 3e7);
      {
        // Each user thinks between its requests: at least this much time.
        const double rounds = std::ceil(static_cast<double>(s.closed_loop.requests) /
                                        static_cast<double>(s.closed_loop.users));
        const double span = (rounds - 1) * s.closed_loop.think_s;
        if (span > max_span) {
          throw ConfigError(fmt::format(
              "closed_loop.think (--think): {} requests from {} users thinking {:g} s between "
              "requests span at least {:.3g} s of simulated time, beyond the {:g} s (about "
              "{:.1f} years) one run may simulate",
              s.closed_loop.requests, s.closed_loop.users, s.closed_loop.think_s, span, max_span,
              max_span / 3.15576e7));
        }
      }
      break;
    case WorkloadKind::kTrace:
      check("trace.speedup (--speedup)", s.trace.speedup, 1e-6, 1e9);
      // The loops replay the file; the requests they yield count against the
      // run's limit as they come (the file's length is not known up front).
      check("trace.loops (--loops)", static_cast<double>(s.trace.loops), 1, 1e4);
      check("trace.max_requests (--requests)", static_cast<double>(s.trace.max_requests), 0,
            max_requests);
      break;
    case WorkloadKind::kAgentic:
      check("agentic.sessions", static_cast<double>(s.agentic.sessions), 1, max_requests);
      break;
  }
}

namespace {

StepCostModel cost_model(const Scenario& scenario) {
  Hardware hw = scenario_hardware(scenario);
  ParallelContext parallel;
  parallel.plan = scenario.plan;
  parallel.plan.replicas = scenario.serve.replicas;
  parallel.routing = scenario.routing;
  parallel.network = hw.network;
  parallel.overlap = scenario.overlap;
  // On a system the replicas share its chips (or `systems` of them, each
  // replica within one); lone chips are as many as asked.
  if (hw.network && parallel.plan.chips() > hw.chips * scenario.systems) {
    throw ConfigError(fmt::format(
        "{} needs {} chips but {}{} {}", parallel.plan.describe(), parallel.plan.chips(),
        scenario.systems > 1 ? fmt::format("{} systems of ", scenario.systems) : "", hw.system_name,
        scenario.systems > 1 ? fmt::format("have {}", hw.chips * scenario.systems)
                             : fmt::format("has {}", hw.chips)));
  }
  return StepCostModel(load_model(scenario.model, std::nullopt, scenario.precision),
                       std::move(hw.chip), scenario_engine(scenario), std::move(parallel));
}

// Errors in what a scenario file named (a chip, a model, a distribution's
// parameters) name the file too; InfeasibleError stays what it is.
template <typename Make>
auto naming_the_file(const Scenario& scenario, Make make) {
  if (scenario.path.empty()) return make();
  try {
    return make();
  } catch (const InfeasibleError& e) {
    throw InfeasibleError(fmt::format("{}: {}", scenario.path, e.what()));
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", scenario.path, e.what()));
  }
}

}  // namespace

std::optional<EnergyAccounting> make_energy_accounting(const Scenario& scenario) {
  Hardware hw = naming_the_file(scenario, [&] { return scenario_hardware(scenario); });
  const ChipSpec& chip = hw.chip;
  if (!chip.power) return std::nullopt;
  EnergyAccounting a;
  a.chips = static_cast<double>(scenario.plan.chips_per_replica()) *
            static_cast<double>(scenario.serve.replicas);
  a.chip_idle_W = chip.power->idle_W;
  const ChipCost cost = scenario.cost.over(hw.chip_cost().value_or(ChipCost{}));
  a.has_cost = chip.cost.has_value() || scenario.cost.complete();
  // A system file's own power figures replace the chip file's share, unless
  // the scenario gives one.
  a.system_W_per_chip = scenario.cost.system_power_W.value_or(hw.system_W_per_chip());
  a.capex_usd_per_chip = cost.capex_usd(chip.hbm_bytes);
  a.conversion_efficiency = scenario.facility.conversion_efficiency;
  a.pue = scenario.facility.pue;
  a.life_s = scenario.facility.life_s;
  a.utilisation = scenario.facility.utilisation;
  a.usd_per_J = scenario.facility.usd_per_kWh / 3.6e6;
  return a;
}

nlohmann::ordered_json scenario_json(const Scenario& scenario, const StepCostModel& cost,
                                     const RequestSource& source) {
  const SpeculativeConfig& spec = scenario.serve.scheduler.speculative;
  nlohmann::ordered_json speculative = nullptr;
  if (spec.enabled()) {
    speculative = {
        {"method", spec.method},
        {"tokens", spec.tokens},
        {"acceptance", spec.acceptance},
        {"draft_model", spec.draft_model.empty() ? nlohmann::ordered_json(nullptr)
                                                 : nlohmann::ordered_json(spec.draft_model)}};
  }
  return {{"model", scenario.model},
          {"hw", scenario.hw},
          {"engine", scenario.engine},
          {"replicas", scenario.serve.replicas},
          {"tp", scenario.plan.tp},
          {"pp", scenario.plan.pp},
          {"ep", scenario.plan.ep},
          {"dp_attention", scenario.plan.dp_attention},
          {"router", scenario.serve.router},
          {"scheduler", scenario.serve.scheduler.policy},
          {"prefix_caching", scenario.serve.scheduler.prefix_caching},
          {"speculative", speculative},
          {"workload", source.describe()},
          {"seed", scenario.seed},
          {"precision", cost.model().precision.describe()}};
}

Hardware scenario_hardware(const Scenario& scenario) {
  Hardware hw = scenario.inline_chip ? load_hardware(*scenario.inline_chip, scenario.topology)
                                     : load_hardware(scenario.hw, scenario.topology);
  apply_power_override(scenario.power, hw.chip.name, hw.chip.tdp_W, hw.chip.power);
  return hw;
}

EngineProfile scenario_engine(const Scenario& scenario) {
  return scenario.inline_engine ? *scenario.inline_engine : load_engine(scenario.engine);
}

StepCostModel make_scenario_cost_model(const Scenario& scenario) {
  return naming_the_file(scenario, [&] {
    StepCostModel cost = cost_model(scenario);
    // What the replicas will refuse, refused now, with the file's name: a
    // drafter the model or plan cannot have.
    if (scenario.serve.scheduler.speculative.enabled()) {
      const Speculator check(cost, scenario.serve.scheduler.speculative);
    }
    return cost;
  });
}

std::unique_ptr<RequestSource> make_source(const Scenario& scenario) {
  switch (scenario.workload) {
    case WorkloadKind::kSynthetic:
      return naming_the_file(scenario, [&] { return make_synthetic_source(scenario.synthetic); });
    case WorkloadKind::kClosedLoop:
      return naming_the_file(scenario,
                             [&] { return make_closed_loop_source(scenario.closed_loop); });
    case WorkloadKind::kTrace: {
      const TraceSpec& spec = scenario.trace;
      if (spec.loops > 1 && spec.max_requests == 0) {
        // Loops multiply a length known only by reading the file: count one
        // pass, up to what the loops could take, so a run that would exceed
        // the limit says so now rather than after hours.
        const uint64_t allowed = ServeLimits::kMaxRequests / static_cast<uint64_t>(spec.loops);
        TraceSpec once = spec;
        once.loops = 1;
        std::unique_ptr<RequestSource> pass = make_trace_source(once);
        uint64_t rows = 0;
        while (rows <= allowed && pass->next()) ++rows;  // stops one past
        if (rows > allowed) {
          throw ConfigError(fmt::format(
              "trace.loops (--loops): {} loops of {}, more than {} requests in each pass, exceed "
              "the {} requests one run may simulate; lower the loops or cap the run with "
              "trace.max_requests (--requests)",
              spec.loops, std::filesystem::path(spec.path).filename().string(), allowed,
              ServeLimits::kMaxRequests));
        }
      }
      return make_trace_source(spec);
    }
    case WorkloadKind::kAgentic:
      return naming_the_file(scenario, [&] { return make_agentic_source(scenario.agentic); });
  }
  return nullptr;
}

uint64_t expected_requests(const Scenario& scenario) {
  switch (scenario.workload) {
    case WorkloadKind::kSynthetic:
      return static_cast<uint64_t>(scenario.synthetic.requests);
    case WorkloadKind::kClosedLoop:
      return static_cast<uint64_t>(scenario.closed_loop.requests);
    case WorkloadKind::kTrace:
      return static_cast<uint64_t>(scenario.trace.max_requests);
    case WorkloadKind::kAgentic:
      return 0;  // the calls per session are drawn
  }
  return 0;
}

}  // namespace jalapeno
