#pragma once
// Sweeps: a base scenario and axes over its fields, expanded into points
// (a grid, random samples or a Latin hypercube), each simulated or costed
// analytically into one row of inputs and metrics. A point is a pure
// function of the sweep and its index, so points may run in any order, on
// any thread or machine (Dask), and the rows come out the same byte for
// byte. README "Sweeps, Pareto fronts, Python and reports".
//
//   scenario: ../scenarios/default.yaml   # a file, or the scenario inline
//   mode: simulate                        # or analytical
//   sampling: grid                        # grid, random or lhs (with samples, seed)
//   axes:
//     workload.arrivals.poisson: {from: 2/s, to: 20/s, points: 10}
//     system.hw.hbm.bandwidth: [4.8TB/s, 6TB/s, 8TB/s]
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace jalapeno {

struct Scenario;

enum class SweepMode { kSimulate, kAnalytical };
enum class SweepSampling { kGrid, kRandom, kLatinHypercube };

// One axis: a dotted path into the scenario document and what it takes.
struct SweepAxis {
  std::string path;  // e.g. "workload.arrivals.poisson", "system.hw.hbm.bandwidth"
  // Discrete values (a list, or a range with points or step), each a YAML
  // scalar as it is written into the scenario.
  std::vector<std::string> values;
  std::vector<bool> quoted;  // values written in quotes stay strings
  // A continuous range (random and lhs sampling only): from..to on a linear
  // or log scale, in the unit the ends were written in; whole numbers when
  // both ends are.
  bool continuous = false;
  double from = 0, to = 0;
  bool log_scale = false;
  bool whole = false;
  std::string unit;
};

struct SweepSpec {
  std::string file;              // the sweep file (its name, for errors)
  std::string scenario_file;     // the file holding the base scenario
  std::string scenario_text;     // that file's text, parsed anew for each point
  bool scenario_inline = false;  // under the sweep file's `scenario:` key
  SweepMode mode = SweepMode::kSimulate;
  SweepSampling sampling = SweepSampling::kGrid;
  uint64_t samples = 0;  // random and lhs
  uint64_t seed = 1;     // random and lhs
  std::vector<SweepAxis> axes;
  // Latin hypercube: for each axis, the stratum of each sample.
  std::vector<std::vector<uint32_t>> strata;

  size_t points() const;
};

// Limits a sweep file must respect (ConfigError beyond them).
struct SweepLimits {
  static constexpr uint64_t kMaxPoints = 1'000'000;
  static constexpr size_t kMaxAxes = 32;
};

// Reads a sweep file; relative paths are relative to it. Throws ConfigError
// naming the file and the key for bad input (an empty range, a log range
// through zero, a continuous range on a grid, too many points ...).
SweepSpec read_sweep(const std::string& path);
// From text in memory (Python): `name` names it in errors and its folder is
// where relative paths start.
SweepSpec parse_sweep(const std::string& text, const std::string& name);

// The value each axis takes at point i, as written into the scenario.
std::vector<std::string> sweep_point_values(const SweepSpec& spec, size_t point);
// The scenario of point i. Throws ConfigError naming the sweep file, the
// point and its axis values (an undeclared field: the known keys there).
Scenario sweep_point_scenario(const SweepSpec& spec, size_t point);
// Reads the scenarios of points that between them take every value of
// every axis (a grid), or of the first 256 samples, so that an undeclared
// field or a bad value fails before anything runs (ConfigError). A point
// that fails later is a row with its error.
void check_sweep(const SweepSpec& spec);

// The metrics a scenario's run reports into: its replicas, SLOs, sampling
// interval, batch cap, open or closed loop, and energy and money when the
// chip has a power model.
class ServingMetrics;
std::unique_ptr<ServingMetrics> scenario_metrics(const Scenario& scenario);

// A scenario served from start to end: the jalapeno.serve/1 document of
// `serve --json` (with "tokens_per_s_per_user", 1 / mean TPOT).
nlohmann::ordered_json serve_summary(const Scenario& scenario);

// One point's row: "point", each axis's value (keyed by its path),
// "status" ("ok", or "error" when the point cannot run: a plan that does
// not fit, a model too long ...), "error", then every metric of the point
// (nested keys joined by dots, e.g. "ttft_s.p90", "energy.tokens_per_s_per_MW").
nlohmann::ordered_json run_sweep_point(const SweepSpec& spec, size_t point);

// Runs the points not in `done` (rows of an earlier run of the same sweep,
// by "point") on up to `jobs` threads; calls on_row (from any thread, one
// call at a time) as each finishes. Returns every row in point order.
std::vector<nlohmann::ordered_json> run_sweep(
    const SweepSpec& spec, size_t jobs, std::vector<nlohmann::ordered_json> done = {},
    const std::function<void(const nlohmann::ordered_json&)>& on_row = {});
// Throws ConfigError unless `row` (from a file) is point `point` of this
// sweep: the same axis values.
void check_resumed_row(const SweepSpec& spec, const nlohmann::ordered_json& row,
                       const std::string& where);

// A Pareto objective: a numeric metric column and its direction.
struct ParetoObjective {
  std::string metric;
  bool maximise = false;
};
// "X,Y[,Z...]", each optionally "max:X" or "min:X"; without a prefix the
// direction is the metric's own (throughput up, latency and cost down).
// Throws ConfigError for a metric no row has (with the close names), or a
// metric of no known direction without a prefix.
std::vector<ParetoObjective> parse_pareto(const std::string& text,
                                          const std::vector<nlohmann::ordered_json>& rows);
// Sets "pareto" on every row: true for the rows that ran and that no other
// such row dominates (at least as good on every objective, better on one).
void mark_pareto(std::vector<nlohmann::ordered_json>& rows,
                 const std::vector<ParetoObjective>& objectives);

// The rows as CSV: a header of every column any row has (first seen first),
// then one line a row; missing cells are empty.
std::string sweep_csv(const std::vector<nlohmann::ordered_json>& rows);

}  // namespace jalapeno
