// The declared keys of a sweep file (read by read_sweep_document in
// dse/sweep.cpp): the base scenario, the axes over its fields and how points
// are drawn from them.
#include <optional>
#include <string>

#include "core/params.hpp"

namespace jalapeno {

const ParamKind& sweep_param_kind() {
  static const ParamKind kind{
      "sweep",
      "A design-space sweep: a base scenario and axes of values over its fields.",
      {
          {"mode", ParamType::kString, std::nullopt, std::string("simulate"),
           "How each point runs: simulate (the serving simulator, start to end) or analytical "
           "(the plan search's steady-state estimate)."},
          {"sampling", ParamType::kString, std::nullopt, std::string("grid"),
           "Which points run: grid (every combination), random or lhs (Latin hypercube)."},
          {"samples", ParamType::kInteger, std::nullopt, std::string("(required unless grid)"),
           "Points drawn by random or lhs sampling; not allowed on a grid."},
          {"seed", ParamType::kInteger, std::nullopt, std::string("1"),
           "Seed of random and lhs sampling; 0 or more."},
          {"scenario", ParamType::kNameOrMapping, std::nullopt, std::nullopt,
           "The base scenario: a scenario file (relative to the sweep file) or one inline.",
           "scenario"},
          {"axes", ParamType::kNames, std::nullopt, std::nullopt,
           "Dotted paths into the scenario (e.g. system.hw.hbm.bandwidth), each with the "
           "values it takes."},
          {"axes.*", ParamType::kMapping, std::nullopt, std::nullopt,
           "An axis: a list of values, or a range {from, to, points | step, scale}."},
          {"axes.*.from", ParamType::kString, std::nullopt, std::nullopt,
           "First value of the range, with the field's unit (e.g. 2/s, 4.8TB/s)."},
          {"axes.*.to", ParamType::kString, std::nullopt, std::nullopt,
           "Last value of the range, above from, in the unit of from."},
          {"axes.*.scale", ParamType::kString, std::nullopt, std::string("linear"),
           "Spacing of the range's values: linear or log."},
          {"axes.*.points", ParamType::kInteger, std::nullopt, std::string("(none)"),
           "Values in the range, ends included, 2 or more; instead of step."},
          {"axes.*.step", ParamType::kNumber, std::nullopt, std::string("(none)"),
           "Distance between the range's values (linear scale only); instead of points. "
           "Without points or step, random and lhs draw from the whole range."},
      }};
  return kind;
}

}  // namespace jalapeno
