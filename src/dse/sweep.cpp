#include "dse/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <unordered_set>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/parallel.hpp"
#include "core/params.hpp"
#include "core/presets.hpp"
#include "core/rng.hpp"
#include "core/spec_reader.hpp"
#include "dse/plan_search.hpp"
#include "report/serving_metrics.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"

namespace jalapeno {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr const char* kSamplings = "grid, random or lhs";

// "20/s" -> (20, "/s"); "4.8TB/s" -> (4.8, "TB/s"); nothing for a non-number.
struct Quantity {
  double value = 0;
  std::string unit;
  bool whole = false;  // written without a point or exponent
};
std::optional<Quantity> split_quantity(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(value)) return std::nullopt;
  Quantity q;
  q.value = value;
  const std::string number(begin, static_cast<size_t>(end - begin));
  q.whole = number.find_first_of(".eE") == std::string::npos;
  q.unit = std::string(end);
  const size_t first = q.unit.find_first_not_of(' ');
  q.unit = first == std::string::npos ? "" : q.unit.substr(first);
  return q;
}

// A value of a range, written as the ends were (shortest round-trip form).
std::string format_value(double value, bool whole, const std::string& unit) {
  const std::string number = whole ? fmt::format("{}", static_cast<int64_t>(std::llround(value)))
                                   : fmt::format("{}", value);
  return number + unit;
}

// Reads one axis: a list, or a mapping {from, to, points | step, scale}.
SweepAxis read_axis(const std::string& path, const YAML::Node& node, SpecReader& axes,
                    SweepSampling sampling, uint64_t& values_left) {
  // All the axes' values together are bounded before any is made, so a
  // small file cannot ask for gigabytes of them.
  const auto take = [&](double count) {
    if (!(count <= static_cast<double>(values_left))) {
      axes.fail(path, fmt::format("at most {} values over all the axes together",
                                  SweepLimits::kMaxPoints));
    }
    values_left -= static_cast<uint64_t>(count);
  };
  SweepAxis axis;
  axis.path = path;
  if (path.empty() || path.front() == '.' || path.back() == '.' ||
      path.find("..") != std::string::npos) {
    axes.fail(path, "a dotted path into the scenario, e.g. workload.arrivals.poisson");
  }
  if (node.IsSequence()) {
    if (node.size() == 0) axes.fail(path, "a non-empty list of values");
    take(static_cast<double>(node.size()));
    for (const YAML::Node& v : node) {
      if (v.IsMap()) {
        // Fields set together (a design point): kept as flow YAML, laid
        // over the mapping at the path when a point is made.
        YAML::Emitter flow;
        flow << YAML::Flow << v;
        axis.values.emplace_back(flow.c_str());
        axis.quoted.push_back(false);
        continue;
      }
      if (!v.IsScalar()) {
        axes.fail(path, "a list of single values, or of mappings of fields set together");
      }
      axis.values.push_back(v.Scalar());
      axis.quoted.push_back(v.Tag() == "!");
    }
    return axis;
  }
  if (!node.IsMap()) {
    axes.fail(path, "a list of values, or a range {from, to, points | step, scale: linear | log}");
  }
  SpecReader range = axes.child(path);
  const auto end = [&](const char* key) {
    const std::string text = range.string(key);
    const auto q = split_quantity(text);
    if (!q)
      range.fail(key, fmt::format("a number with its unit, e.g. 8/s or 4.8TB/s, got '{}'", text));
    return *q;
  };
  const Quantity from = end("from");
  const Quantity to = end("to");
  if (from.unit != to.unit) {
    range.fail("to", fmt::format("the unit of 'from' ('{}'), got '{}'", from.unit, to.unit));
  }
  const std::string scale = range.string_or("scale", "linear");
  if (scale != "linear" && scale != "log")
    range.fail("scale", "linear or log, got '" + scale + "'");
  axis.log_scale = scale == "log";
  // Counts (sequences, tp) stay whole; a quantity with a unit is continuous.
  axis.whole = from.whole && to.whole && from.unit.empty();
  axis.unit = from.unit;
  axis.from = from.value;
  axis.to = to.value;
  if (!std::isfinite(to.value - from.value)) {
    range.fail("to", "a range whose span is a finite number");
  }
  // Whole numbers are written exactly only up to 2^53.
  if (axis.whole &&
      (std::abs(from.value) > 9.007199254740992e15 || std::abs(to.value) > 9.007199254740992e15)) {
    range.fail("to", "whole-number ends within 2^53 (9007199254740992)");
  }
  if (!(to.value > from.value)) {
    range.fail("to", fmt::format("a value above 'from' ({:g}), got {:g}: the range is empty",
                                 from.value, to.value));
  }
  if (axis.log_scale && !(from.value > 0)) {
    range.fail("from", "a value above zero on a log scale");
  }
  const bool has_points = range.has("points");
  const bool has_step = range.has("step");
  if (has_points && has_step) range.fail("step", "either points or step, not both");
  std::vector<double> values;
  if (has_points) {
    const auto n = range.integer_in("points", 2, static_cast<int64_t>(SweepLimits::kMaxPoints));
    take(static_cast<double>(n));
    for (int64_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / static_cast<double>(n - 1);
      values.push_back(i == n - 1       ? to.value
                       : axis.log_scale ? from.value * std::pow(to.value / from.value, t)
                                        : from.value + t * (to.value - from.value));
    }
  } else if (has_step) {
    if (axis.log_scale) range.fail("step", "points on a log scale (a step is linear)");
    const double step = range.number("step");
    if (!(step > 0)) range.fail("step", "a step above zero");
    const double count = std::floor((to.value - from.value) / step * (1 + 1e-12)) + 1;
    if (!(count <= static_cast<double>(SweepLimits::kMaxPoints))) {
      range.fail("step", fmt::format("at most {} values in the range", SweepLimits::kMaxPoints));
    }
    take(count);
    for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) {
      values.push_back(from.value + static_cast<double>(i) * step);
    }
  } else {
    range.ignore("points");
    range.ignore("step");
    if (sampling == SweepSampling::kGrid) {
      range.fail("points",
                 "points or step: a grid needs discrete values (random and lhs "
                 "sampling may draw from the whole range)");
    }
    axis.continuous = true;
  }
  range.finish();
  for (double v : values) {
    std::string text = format_value(v, axis.whole, axis.unit);
    // Whole-number ranges may round two values to one: keep it once.
    if (!axis.values.empty() && axis.values.back() == text) continue;
    axis.values.push_back(std::move(text));
    axis.quoted.push_back(false);
  }
  return axis;
}

SweepSpec read_sweep_document(const Document& doc) {
  SpecReader reader = SpecReader::mapping(doc, "", &sweep_param_kind());
  SweepSpec spec;
  spec.file = doc.file;
  const std::string mode = reader.string_or("mode", "simulate");
  if (mode == "simulate") {
    spec.mode = SweepMode::kSimulate;
  } else if (mode == "analytical") {
    spec.mode = SweepMode::kAnalytical;
  } else {
    reader.fail("mode", fmt::format("simulate or analytical, got '{}'", mode));
  }
  const std::string sampling = reader.string_or("sampling", "grid");
  if (sampling == "grid") {
    spec.sampling = SweepSampling::kGrid;
  } else if (sampling == "random") {
    spec.sampling = SweepSampling::kRandom;
  } else if (sampling == "lhs") {
    spec.sampling = SweepSampling::kLatinHypercube;
  } else {
    reader.fail("sampling", fmt::format("{}, got '{}'", kSamplings, sampling));
  }
  if (spec.sampling == SweepSampling::kGrid) {
    if (reader.has("samples"))
      reader.fail("samples", "no sample count on a grid (sampling: random or lhs)");
    reader.ignore("samples");
  } else {
    spec.samples = static_cast<uint64_t>(
        reader.integer_in("samples", 1, static_cast<int64_t>(SweepLimits::kMaxPoints)));
  }
  spec.seed = static_cast<uint64_t>(reader.integer_or("seed", 1, 0));
  // The base scenario: a file (relative to the sweep file) or a mapping.
  const YAML::Node scenario = reader.raw("scenario");
  if (scenario.IsMap()) {
    spec.scenario_inline = true;
    spec.scenario_file = doc.file;
  } else {
    fs::path path = reader.string("scenario");
    if (path.is_relative()) path = fs::path(doc.file).parent_path() / path;
    spec.scenario_file = path.lexically_normal().string();
    try {
      spec.scenario_text = read_regular_file(spec.scenario_file, "scenario file");
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", reader.where("scenario"), e.what()));
    }
  }
  {
    const YAML::Node axes_node = reader.raw("axes");
    if (!axes_node.IsMap() || axes_node.size() == 0) {
      reader.fail("axes", "a mapping of scenario fields to the values they take");
    }
    if (axes_node.size() > SweepLimits::kMaxAxes) {
      reader.fail("axes", fmt::format("at most {} axes", SweepLimits::kMaxAxes));
    }
    SpecReader axes = reader.child("axes");
    uint64_t values_left = SweepLimits::kMaxPoints;
    for (const auto& entry : axes_node) {
      const std::string path = entry.first.Scalar();
      // One field per axis: an axis over a part of another's field would be
      // overwritten by it, or overwrite it.
      for (const SweepAxis& other : spec.axes) {
        const std::string& a = other.path.size() < path.size() ? other.path : path;
        const std::string& b = other.path.size() < path.size() ? path : other.path;
        if (b == a || (b.starts_with(a) && b[a.size()] == '.')) {
          axes.fail(path, fmt::format("a field of its own: it overlaps axis '{}'", other.path));
        }
      }
      // Checked against the scenario's declared parameters before anything
      // runs: a misspelt field is an error at once, not after the first point.
      std::vector<std::string> near;
      if (!path.empty() && !resolve_param_path(scenario_param_kind(), path, &near)) {
        std::string close;
        for (const auto& n : near) close += (close.empty() ? "'" : ", '") + n + "'";
        axes.fail(path, close.empty() ? std::string("a parameter of a scenario (jalapeno params "
                                                    "scenario lists them)")
                                      : "a parameter of a scenario: did you mean " + close + "?");
      }
      spec.axes.push_back(read_axis(path, entry.second, axes, spec.sampling, values_left));
      axes.ignore(path);
    }
    axes.finish();
  }
  reader.finish();
  if (spec.sampling == SweepSampling::kGrid) {
    uint64_t points = 1;
    for (const SweepAxis& axis : spec.axes) {
      // Both at most 1e6: the product fits before it is compared.
      const uint64_t product = points * axis.values.size();
      if (product > SweepLimits::kMaxPoints) {
        throw ConfigError(fmt::format(
            "{}: key 'axes': a grid of at most {} points, got more (a product of {} axes)",
            doc.file, SweepLimits::kMaxPoints, spec.axes.size()));
      }
      points = product;
    }
  } else if (spec.sampling == SweepSampling::kLatinHypercube) {
    // Each axis cut into `samples` strata, each stratum drawn once, in an
    // order shuffled per axis.
    Rng rng(spec.seed, "sweep/lhs");
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      std::vector<uint32_t> order(spec.samples);
      std::iota(order.begin(), order.end(), 0u);
      for (size_t i = order.size(); i > 1; --i) {
        std::swap(order[i - 1], order[rng.next_u64() % i]);
      }
      spec.strata.push_back(std::move(order));
    }
  }
  return spec;
}

// Where in [0, 1) point i falls on axis a (random and lhs).
double sample_position(const SweepSpec& spec, size_t point, size_t axis) {
  Rng rng(spec.seed, fmt::format("sweep/point/{}/axis/{}", point, axis));
  const double u = rng.uniform();
  if (spec.sampling == SweepSampling::kRandom) return u;
  return (static_cast<double>(spec.strata[axis][point]) + u) / static_cast<double>(spec.samples);
}

std::string axis_value(const SweepSpec& spec, const SweepAxis& axis, size_t a, size_t point,
                       bool& quoted) {
  quoted = false;
  if (spec.sampling == SweepSampling::kGrid) {
    // The first axis varies slowest, as nested loops in the order written.
    size_t stride = 1;
    for (size_t b = a + 1; b < spec.axes.size(); ++b) stride *= spec.axes[b].values.size();
    const size_t index = (point / stride) % axis.values.size();
    quoted = axis.quoted[index];
    return axis.values[index];
  }
  const double u = sample_position(spec, point, a);
  if (!axis.continuous) {
    const size_t index = std::min(axis.values.size() - 1,
                                  static_cast<size_t>(u * static_cast<double>(axis.values.size())));
    quoted = axis.quoted[index];
    return axis.values[index];
  }
  const double value = axis.log_scale ? axis.from * std::pow(axis.to / axis.from, u)
                                      : axis.from + u * (axis.to - axis.from);
  return format_value(value, axis.whole, axis.unit);
}

// An axis value in a row: a plain number as a number (whole when written
// so), anything else (8/s, 4.8TB/s, a name) as the text.
ordered_json row_value(const std::string& text, bool quoted) {
  const auto q = split_quantity(text);
  if (!q || !q->unit.empty() || quoted) return text;
  if (q->whole && std::abs(q->value) < 9e15) return static_cast<int64_t>(q->value);
  return q->value;
}

// Each axis's value at the point, and whether it was written in quotes.
std::vector<std::pair<std::string, bool>> point_values(const SweepSpec& spec, size_t point) {
  if (point >= spec.points()) {
    throw ConfigError(
        fmt::format("{}: point {} of a sweep of {} points", spec.file, point, spec.points()));
  }
  std::vector<std::pair<std::string, bool>> out;
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    bool quoted = false;
    std::string value = axis_value(spec, spec.axes[a], a, point, quoted);
    out.emplace_back(std::move(value), quoted);
  }
  return out;
}

// A scalar node as the YAML parser would make it from the text written plain
// (numbers stay numbers to the readers) or in quotes.
YAML::Node scalar_node(const std::string& text, bool quoted) {
  YAML::Node node(text);
  node.SetTag(quoted ? "!" : "?");
  return node;
}

// An axis value as a node: a mapping of fields set together (written as
// flow YAML, which a plain scalar cannot start like), or a scalar.
YAML::Node value_node(const std::string& text, bool quoted) {
  if (!quoted && text.starts_with("{")) return YAML::Load(text);
  return scalar_node(text, quoted);
}

// Sets the field at `path` of `root` to `value` (a mapping value is laid
// over the mapping there, a preset name there becoming its extends), making
// the mappings on the way. A preset named on the way (`hw: h200-sxm`, `engine: vllm`) becomes
// `{extends: h200-sxm}`, so that a sweep may change a chip's or an engine's
// fields.
void set_field(YAML::Node root, const std::string& path, const YAML::Node& value) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(path.substr(start, dot - start));
  }
  parts.push_back(path.substr(start));
  YAML::Node node = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node child = node[parts[i]];
    if (!child.IsDefined() || child.IsNull()) {
      node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    } else if (child.IsScalar()) {
      YAML::Node extends(YAML::NodeType::Map);
      extends["extends"] = scalar_node(child.Scalar(), false);
      node[parts[i]] = extends;
    } else if (!child.IsMap()) {
      throw ConfigError(fmt::format("key '{}' is a list, not a mapping with fields",
                                    fmt::join(parts.begin(), parts.begin() + i + 1, ".")));
    }
    node.reset(node[parts[i]]);  // rebinds (operator= would overwrite what node refers to)
  }
  const YAML::Node there = node[parts.back()];
  if (value.IsMap() && there.IsDefined() && there.IsScalar()) {
    YAML::Node extends(YAML::NodeType::Map);
    extends["extends"] = scalar_node(there.Scalar(), false);
    node[parts.back()] = merge_over(extends, value);
  } else if (value.IsMap() && there.IsDefined() && there.IsMap()) {
    node[parts.back()] = merge_over(there, value);
  } else {
    node[parts.back()] = value;
  }
}

std::string describe_point(const SweepSpec& spec, size_t point) {
  const std::vector<std::string> values = sweep_point_values(spec, point);
  std::string out;
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    const std::string& v = values[a];
    out += fmt::format("{}{}={}", a ? ", " : "", spec.axes[a].path,
                       v.size() > 80 ? v.substr(0, 77) + "..." : v);
  }
  return out;
}

void flatten(const std::string& prefix, const ordered_json& value, ordered_json& row) {
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (prefix.empty() && key == "schema") continue;
      flatten(prefix.empty() ? key : prefix + "." + key, item, row);
    }
  } else if (value.is_array()) {
    // Lists of words (diagnoses) as one cell; per-replica tables are left
    // to `serve`.
    if (!std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_string(); })) {
      return;
    }
    std::string joined;
    for (const auto& v : value) joined += (joined.empty() ? "" : "; ") + v.get<std::string>();
    row[prefix] = joined;
  } else {
    row[prefix] = value;
  }
}

}  // namespace

std::unique_ptr<ServingMetrics> scenario_metrics(const Scenario& scenario) {
  auto metrics = std::make_unique<ServingMetrics>(scenario.serve.replicas, scenario.slo,
                                                  scenario.sample_interval_s);
  metrics->set_sequence_cap(scenario.serve.scheduler.max_sequences);
  // Agentic sessions are a closed loop too: a call follows its predecessor.
  metrics->set_open_loop(scenario.workload != WorkloadKind::kClosedLoop &&
                         scenario.workload != WorkloadKind::kAgentic);
  metrics->set_prefix_caching(scenario.serve.scheduler.prefix_caching);
  metrics->set_speculative(scenario.serve.scheduler.speculative.enabled());
  if (auto accounting = make_energy_accounting(scenario)) {
    metrics->set_energy_accounting(*accounting);
  }
  return metrics;
}

ordered_json serve_summary(const Scenario& scenario) {
  StepCostModel cost = make_scenario_cost_model(scenario);
  std::unique_ptr<RequestSource> source = make_source(scenario);
  const std::unique_ptr<ServingMetrics> metrics = scenario_metrics(scenario);
  Simulator sim(cost, scenario.serve, *source, *metrics);
  sim.run();
  ordered_json doc = metrics->to_json();
  // Interactivity: what one user sees, the usual x of a throughput curve.
  const double tpot = doc["tpot_s"]["mean"].get<double>();
  doc["tokens_per_s_per_user"] = tpot > 0 ? 1 / tpot : 0.0;
  doc["scenario"] = scenario_json(scenario, cost, *source);
  return doc;
}

namespace {

// The steady state the plan search predicts for the scenario's plan at its
// mean lengths.
ordered_json analyse(const Scenario& scenario) {
  if (scenario.workload == WorkloadKind::kTrace) {
    throw ConfigError("mode analytical: needs synthetic request lengths, not a trace");
  }
  PlanSearchSpec spec;
  spec.model = scenario.model;
  spec.hw = scenario.hw;
  spec.topology = scenario.topology;
  spec.engine = scenario.engine;
  spec.slo_ttft_s = scenario.slo.ttft_s;
  spec.slo_tpot_s = scenario.slo.tpot_s;
  const bool closed = scenario.workload == WorkloadKind::kClosedLoop;
  const LengthDistribution& input = closed ? scenario.closed_loop.input : scenario.synthetic.input;
  const LengthDistribution& output =
      closed ? scenario.closed_loop.output : scenario.synthetic.output;
  spec.input_tokens = std::max<int64_t>(1, std::llround(input.mean()));
  spec.output_tokens = std::max<int64_t>(1, std::llround(output.mean()));
  const SchedulerConfig& scheduler = scenario.serve.scheduler;
  spec.max_sequences = scheduler.max_sequences;
  spec.max_batched_tokens = scheduler.max_batched_tokens;
  spec.memory_utilization = scheduler.memory_utilization;
  spec.overlap = scenario.overlap;
  spec.routing = scenario.routing;
  spec.all_to_all = scenario.plan.all_to_all;
  spec.precision = scenario.precision;
  spec.facility = scenario.facility;
  const ModelSpec model = load_model(scenario.model, std::nullopt, scenario.precision);
  Hardware hw = scenario_hardware(scenario);
  hw.chips = hw.network ? hw.chips * scenario.systems : std::numeric_limits<int64_t>::max() / 4;
  if (hw.chip.cost || scenario.cost.complete()) {
    hw.chip.cost = scenario.cost.over(hw.chip.cost.value_or(ChipCost{}));
  }
  ParallelPlan plan = scenario.plan;
  plan.replicas = scenario.serve.replicas;
  const PlanResult r = evaluate_plan(spec, model, hw, scenario_engine(scenario), plan);
  // No operating point at all (the plan does not divide the model, the
  // weights do not fit): the point cannot run. A plan missing an SLO still
  // has its figures, with meets_slos false.
  if (r.batch == 0) throw InfeasibleError(r.verdict);
  ordered_json doc = plan_result_json(r);
  doc["tokens_per_s_per_user"] = r.tpot_s > 0 ? 1 / r.tpot_s : 0.0;
  doc["scenario"] = {{"model", scenario.model},
                     {"hw", scenario.hw},
                     {"engine", scenario.engine},
                     {"input_tokens", spec.input_tokens},
                     {"output_tokens", spec.output_tokens}};
  return doc;
}

// Which way each metric is better, by its column name's last part (the
// Pareto default; a "max:" or "min:" prefix overrides).
struct MetricGoal {
  const char* leaf;
  bool maximise;
};
constexpr MetricGoal kMetricGoals[] = {
    {"requests_per_s", true},
    {"input_tokens_per_s", true},
    {"output_tokens_per_s", true},
    {"tokens_per_s", true},
    {"tokens_per_s_per_chip", true},
    {"tokens_per_s_per_user", true},
    {"tokens_per_s_per_MW", true},
    {"fraction", true},
    {"batch", true},
    {"mean", false},
    {"p50", false},
    {"p90", false},
    {"p95", false},
    {"p99", false},
    {"max", false},
    {"tpot_s", false},
    {"ttft_s", false},
    {"joules", false},
    {"joules_per_token", false},
    {"joules_per_output_token", false},
    {"mean_power_W", false},
    {"peak_power_W", false},
    {"facility_power_W", false},
    {"facility_mean_power_W", false},
    {"usd_per_hour", false},
    {"usd_per_million_input_tokens", false},
    {"usd_per_million_output_tokens", false},
    {"preemptions", false},
    {"comm_share", false},
};

std::optional<bool> default_goal(const std::string& metric) {
  const size_t dot = metric.rfind('.');
  const std::string leaf = dot == std::string::npos ? metric : metric.substr(dot + 1);
  for (const MetricGoal& g : kMetricGoals) {
    if (leaf == g.leaf) return g.maximise;
  }
  return std::nullopt;
}

std::string csv_cell(const ordered_json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    if (text.empty()) return "";
    if (text.find_first_of(",\"\n\r") == std::string::npos && text.front() != ' ' &&
        text.back() != ' ') {
      return text;
    }
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  return value.dump();
}

}  // namespace

size_t SweepSpec::points() const {
  if (sampling != SweepSampling::kGrid) return samples;
  size_t n = 1;
  for (const SweepAxis& axis : axes) n *= axis.values.size();
  return n;
}

SweepSpec read_sweep(const std::string& path) {
  const std::string text = read_regular_file(path, "sweep file");
  return parse_sweep(text, path);
}

SweepSpec parse_sweep(const std::string& text, const std::string& name) {
  SweepSpec spec = read_sweep_document(parse_document(text, name, name.ends_with(".json")));
  if (spec.scenario_inline) spec.scenario_text = text;
  return spec;
}

std::vector<std::string> sweep_point_values(const SweepSpec& spec, size_t point) {
  std::vector<std::string> out;
  for (const auto& [value, quoted] : point_values(spec, point)) out.push_back(value);
  return out;
}

Scenario sweep_point_scenario(const SweepSpec& spec, size_t point) {
  if (point >= spec.points()) {
    throw ConfigError(
        fmt::format("{}: point {} of a sweep of {}", spec.file, point, spec.points()));
  }
  // Parsed anew: the point owns its document (nothing shared between threads).
  Document doc =
      parse_document(spec.scenario_text, spec.scenario_file, spec.scenario_file.ends_with(".json"));
  YAML::Node root = spec.scenario_inline ? doc.root["scenario"] : doc.root;
  try {
    const auto values = point_values(spec, point);
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      set_field(root, spec.axes[a].path, value_node(values[a].first, values[a].second));
    }
    return read_scenario(Document{root, spec.scenario_file});
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: point {} ({}): {}", spec.file, point,
                                  describe_point(spec, point), e.what()));
  }
}

void check_sweep(const SweepSpec& spec) {
  if (spec.sampling != SweepSampling::kGrid) {
    // Every field each sample sets is read by the first; the values are
    // drawn from ranges and lists the first few cover.
    for (size_t i = 0; i < std::min<size_t>(spec.points(), 256); ++i) sweep_point_scenario(spec, i);
    return;
  }
  // Each value of each axis once, the other axes at their first value: the
  // points of the grid's first row along every axis (a few hundred where the
  // grid may hold a million).
  size_t stride = 1;
  for (size_t a = spec.axes.size(); a-- > 0;) {
    for (size_t v = 0; v < spec.axes[a].values.size(); ++v) sweep_point_scenario(spec, v * stride);
    stride *= spec.axes[a].values.size();
  }
}

ordered_json run_sweep_point(const SweepSpec& spec, size_t point) {
  ordered_json row;
  row["point"] = point;
  const auto values = point_values(spec, point);
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    row[spec.axes[a].path] = row_value(values[a].first, values[a].second);
  }
  ordered_json metrics;
  try {
    const Scenario scenario = sweep_point_scenario(spec, point);
    metrics = spec.mode == SweepMode::kSimulate ? serve_summary(scenario) : analyse(scenario);
  } catch (const ConfigError& e) {
    // Not every point of a design space can run (a model too large for the
    // plan, a window too long): the row says why; the sweep goes on.
    row["status"] = "error";
    row["error"] = e.what();
    return row;
  }
  row["status"] = "ok";
  row["error"] = "";
  flatten("", metrics, row);
  return row;
}

void check_resumed_row(const SweepSpec& spec, const ordered_json& row, const std::string& where) {
  if (!row.is_object() || !row.contains("point") || !row["point"].is_number_unsigned() ||
      row["point"].get<uint64_t>() >= spec.points()) {
    throw ConfigError(
        fmt::format("{}: a row without a point of this sweep (0 to {})", where, spec.points() - 1));
  }
  for (const auto& [key, value] : row.items()) {
    if (value.is_structured()) {
      throw ConfigError(fmt::format("{}: '{}' is not a single value (rows are flat)", where, key));
    }
  }
  const size_t point = row["point"].get<size_t>();
  const ordered_json expected = [&] {
    ordered_json r;
    const auto values = point_values(spec, point);
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      r[spec.axes[a].path] = row_value(values[a].first, values[a].second);
    }
    return r;
  }();
  for (const auto& [axis, value] : expected.items()) {
    if (!row.contains(axis) || row[axis] != value) {
      throw ConfigError(fmt::format(
          "{}: point {} has {}={} where this sweep has {}: the file is another sweep's (remove it, "
          "or run without --resume)",
          where, point, axis, row.contains(axis) ? row[axis].dump() : "nothing", value.dump()));
    }
  }
}

std::vector<ordered_json> run_sweep(const SweepSpec& spec, size_t jobs,
                                    std::vector<ordered_json> done,
                                    const std::function<void(const ordered_json&)>& on_row) {
  const size_t n = spec.points();
  std::vector<ordered_json> rows(n);
  std::vector<char> have(n, 0);
  for (ordered_json& row : done) {
    const size_t point = row["point"].get<size_t>();
    row.erase("pareto");  // marked again over the whole sweep
    have[point] = 1;
    rows[point] = std::move(row);
  }
  std::vector<size_t> todo;
  for (size_t i = 0; i < n; ++i) {
    if (!have[i]) todo.push_back(i);
  }
  std::mutex report;
  const DocumentCache parsed_once;
  parallel_for_index(todo.size(), jobs, [&](size_t k) {
    ordered_json row = run_sweep_point(spec, todo[k]);
    if (on_row) {
      const std::lock_guard<std::mutex> lock(report);
      on_row(row);
    }
    rows[todo[k]] = std::move(row);
  });
  return rows;
}

std::vector<ParetoObjective> parse_pareto(const std::string& text,
                                          const std::vector<ordered_json>& rows) {
  std::vector<ParetoObjective> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, comma - start);
    start = comma + 1;
    ParetoObjective o;
    std::optional<bool> goal;
    if (item.starts_with("max:") || item.starts_with("min:")) {
      goal = item.starts_with("max:");
      item = item.substr(4);
    }
    o.metric = item;
    bool numeric = false, present = false;
    for (const ordered_json& row : rows) {
      if (row.contains(item)) {
        present = true;
        numeric = numeric || row[item].is_number();
      }
    }
    if (!present || !numeric) {
      // The close names among the columns of the first row that ran.
      const auto ran = std::find_if(rows.begin(), rows.end(), [](const ordered_json& r) {
        return r.value("status", "") == "ok";
      });
      std::string close;
      if (ran != rows.end()) {
        for (const auto& [key, value] : ran->items()) {
          (void)value;
          if (edit_distance(key, item) <= 3 ||
              (!item.empty() && key.find(item) != std::string::npos)) {
            close += (close.empty() ? "" : ", ") + key;
          }
        }
      }
      throw ConfigError(fmt::format("--pareto: '{}' is not {} of this sweep{}", item,
                                    present ? "a numeric output" : "an output",
                                    close.empty() ? " (its columns are in the CSV header)"
                                                  : " (did you mean " + close + "?)"));
    }
    if (!goal) goal = default_goal(item);
    if (!goal) {
      throw ConfigError(
          fmt::format("--pareto: '{}' has no known better direction: write max:{} or min:{}", item,
                      item, item));
    }
    o.maximise = *goal;
    out.push_back(o);
    if (comma == text.size()) break;
  }
  if (out.size() < 2) {
    throw ConfigError(fmt::format("--pareto: expected two or more metrics, X,Y, got '{}'", text));
  }
  return out;
}

void mark_pareto(std::vector<ordered_json>& rows, const std::vector<ParetoObjective>& objectives) {
  // Each candidate's objectives, all turned into "higher is better".
  std::vector<std::pair<size_t, std::vector<double>>> candidates;
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i]["pareto"] = false;
    if (rows[i].value("status", "") != "ok") continue;
    std::vector<double> v;
    for (const ParetoObjective& o : objectives) {
      if (!rows[i].contains(o.metric) || !rows[i][o.metric].is_number()) break;
      const double x = rows[i][o.metric].get<double>();
      if (!std::isfinite(x)) break;  // not comparable: not a candidate
      v.push_back(o.maximise ? x : -x);
    }
    if (v.size() == objectives.size()) candidates.emplace_back(i, std::move(v));
  }
  // Sorted best first on the objectives in order: a point can only be
  // dominated by one before it, and then by one on the front.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<const std::vector<double>*> front;
  for (const auto& candidate : candidates) {
    // Named, not a structured binding: lambdas may not capture those (C++20, clang).
    const size_t index = candidate.first;
    const std::vector<double>& v = candidate.second;
    const bool dominated = std::any_of(front.begin(), front.end(), [&](const auto* f) {
      bool better = false;
      for (size_t k = 0; k < v.size(); ++k) {
        if ((*f)[k] < v[k]) return false;
        better = better || (*f)[k] > v[k];
      }
      return better;
    });
    if (dominated) continue;
    front.push_back(&v);
    rows[index]["pareto"] = true;
  }
}

std::string sweep_csv(const std::vector<ordered_json>& rows) {
  std::vector<std::string> columns;
  std::unordered_set<std::string> seen;
  for (const ordered_json& row : rows) {
    for (const auto& [key, value] : row.items()) {
      (void)value;
      if (seen.insert(key).second) columns.push_back(key);
    }
  }
  std::string out;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c) out += ",";
    out += csv_cell(ordered_json(columns[c]));
  }
  out += "\n";
  for (const ordered_json& row : rows) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c) out += ",";
      const auto it = row.find(columns[c]);
      if (it != row.end()) out += csv_cell(*it);
    }
    out += "\n";
  }
  return out;
}

}  // namespace jalapeno
