// The extension module behind the Python package (python/jalapeno): the
// library's sweeps, scenarios and presets, and the command itself run in
// process. Results cross as JSON text, which the package turns into dicts
// and NumPy arrays; doubles survive the trip exactly (shortest round-trip
// form both ways).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "cli/app.hpp"
#include "core/error.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "cost/engine_profile.hpp"
#include "dse/sweep.hpp"
#include "hw/chip_spec.hpp"
#include "hw/topology.hpp"
#include "model/model_spec.hpp"
#include "serve/scenario.hpp"

namespace py = pybind11;
using nlohmann::ordered_json;

namespace {

// The command line in process, its output captured: (exit code, stdout,
// stderr). One at a time: it writes to the process's std::cout.
std::tuple<int, std::string, std::string> run_cli(const std::vector<std::string>& args) {
  static std::mutex one_at_a_time;
  const std::lock_guard<std::mutex> lock(one_at_a_time);
  std::vector<const char*> argv{"jalapeno"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  int code = 1;
  try {
    py::gil_scoped_release unlocked;
    code = jalapeno::cli::run(static_cast<int>(argv.size()), argv.data());
  } catch (...) {
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    throw;
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return {code, out.str(), err.str()};
}

// A YAML tree as JSON: plain scalars that read as numbers or booleans
// become those, quoted ones and the rest strings.
ordered_json to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    ordered_json out = ordered_json::object();
    for (const auto& entry : node) out[entry.first.Scalar()] = to_json(entry.second);
    return out;
  }
  if (node.IsSequence()) {
    ordered_json out = ordered_json::array();
    for (const YAML::Node& item : node) out.push_back(to_json(item));
    return out;
  }
  if (!node.IsScalar()) return nullptr;
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;
  if (text == "true" || text == "false") return text == "true";
  if (!text.empty()) {
    ordered_json number = ordered_json::parse(text, nullptr, false);
    if (number.is_number()) return number;
  }
  return text;
}

// The document cache for the life of the process (a notebook or a Dask
// worker runs many points over the same files).
void keep_documents_parsed() {
  static const std::unique_ptr<jalapeno::DocumentCache> cache =
      std::make_unique<jalapeno::DocumentCache>();
}

}  // namespace

PYBIND11_MODULE(_jalapeno, m) {
  m.doc() = "jalapeno's C++ library (use the jalapeno package, not this module)";
  keep_documents_parsed();
  py::register_exception<jalapeno::ConfigError>(m, "ConfigError", PyExc_ValueError);

  m.def("run_cli", &run_cli, py::arg("args"),
        "Runs `jalapeno ARGS...` in process: (exit code, stdout, stderr)");
  m.def(
      "set_data_dir", [](const std::string& dir) { jalapeno::set_data_dir(dir); },
      "Where presets are read from, unless JALAPENO_DATA says otherwise");
  m.def("data_dir", &jalapeno::data_dir);
  m.def("built_in_data_dir", &jalapeno::built_in_data_dir);
  m.def(
      "preset_names",
      [](const std::string& kind) -> std::vector<std::string> {
        if (kind == "models") return jalapeno::model_preset_names();
        if (kind == "chips") return jalapeno::chip_preset_names();
        if (kind == "engines") return jalapeno::engine_preset_names();
        if (kind == "systems") return jalapeno::system_preset_names();
        throw jalapeno::ConfigError("kind: expected models, chips, engines or systems, got '" +
                                    kind + "'");
      },
      py::arg("kind"));
  m.def(
      "load_document",
      [](const std::string& path) { return to_json(jalapeno::load_document(path).root).dump(); },
      py::arg("path"), "A YAML or JSON file as JSON text");
  m.def(
      "check_scenario_file", [](const std::string& path) { jalapeno::read_scenario(path); },
      py::arg("path"), "Reads a scenario file and raises what it gets wrong");
  m.def(
      "serve_file",
      [](const std::string& path) {
        const jalapeno::Scenario scenario = jalapeno::read_scenario(path);
        py::gil_scoped_release unlocked;
        return jalapeno::serve_summary(scenario).dump();
      },
      py::arg("path"), "Serves a scenario file: the summary as JSON");
  m.def(
      "serve",
      [](const std::string& text, const std::string& name) {
        const jalapeno::Scenario scenario =
            jalapeno::read_scenario(jalapeno::parse_document(text, name, true));
        py::gil_scoped_release unlocked;
        return jalapeno::serve_summary(scenario).dump();
      },
      py::arg("text"), py::arg("name"),
      "Serves a scenario (JSON text; relative paths from name's folder): the summary as JSON");

  py::class_<jalapeno::SweepSpec>(m, "Sweep")
      .def_static(
          "parse",
          [](const std::string& text, const std::string& name) {
            jalapeno::SweepSpec spec = jalapeno::parse_sweep(text, name);
            jalapeno::check_sweep(spec);
            return spec;
          },
          py::arg("text"), py::arg("name"))
      .def("points", &jalapeno::SweepSpec::points)
      .def_readonly("scenario_text", &jalapeno::SweepSpec::scenario_text)
      .def("point_values", &jalapeno::sweep_point_values, py::arg("point"))
      .def(
          "run_point",
          [](const jalapeno::SweepSpec& spec, size_t point) {
            py::gil_scoped_release unlocked;
            return jalapeno::run_sweep_point(spec, point).dump();
          },
          py::arg("point"))
      .def(
          "run",
          [](const jalapeno::SweepSpec& spec, int64_t jobs, const std::vector<std::string>& done) {
            if (jobs < 1 || jobs > 256) {
              throw jalapeno::ConfigError("jobs: expected 1 to 256 threads, got " +
                                          std::to_string(jobs));
            }
            std::vector<ordered_json> rows;
            for (const std::string& row : done) {
              rows.push_back(ordered_json::parse(row));
              jalapeno::check_resumed_row(spec, rows.back(), "a row given");
            }
            py::gil_scoped_release unlocked;
            std::vector<std::string> out;
            for (const ordered_json& row :
                 jalapeno::run_sweep(spec, static_cast<size_t>(jobs), std::move(rows))) {
              out.push_back(row.dump());
            }
            return out;
          },
          py::arg("jobs") = 1, py::arg("done") = std::vector<std::string>{});
  m.def(
      "finish_sweep",
      [](const std::vector<std::string>& rows_text, const std::string& pareto) {
        std::vector<ordered_json> rows;
        for (const std::string& row : rows_text) rows.push_back(ordered_json::parse(row));
        if (!pareto.empty()) jalapeno::mark_pareto(rows, jalapeno::parse_pareto(pareto, rows));
        std::string jsonl;
        for (const ordered_json& row : rows) jsonl += row.dump() + "\n";
        return std::make_tuple(jsonl, jalapeno::sweep_csv(rows));
      },
      py::arg("rows"), py::arg("pareto") = "",
      "Rows (JSON text, in point order) with the Pareto front marked: (JSON lines, CSV)");
}
