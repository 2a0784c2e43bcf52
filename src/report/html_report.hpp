#pragma once
// `jalapeno report`: one self-contained HTML page of plots from a result
// (a served scenario, a sweep, a plan search or a step), with plotly.js
// inlined so that nothing is fetched when it is viewed. The page marks
// itself when every plot has rendered (body data-plots / data-rendered /
// data-errors), which the browser test reads.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace jalapeno {

// One plot: a title, plotly traces and layout, and a line on what it shows.
struct ReportFigure {
  std::string title;
  std::string caption;
  nlohmann::ordered_json traces = nlohmann::ordered_json::array();
  nlohmann::ordered_json layout = nlohmann::ordered_json::object();
};

// What a result file holds, read for the report.
struct ReportInput {
  enum class Kind { kServe, kSweep, kPlan, kStep } kind = Kind::kServe;
  nlohmann::ordered_json document;               // serve, plan or step: the JSON document
  std::vector<nlohmann::ordered_json> rows;      // sweep: its rows, columns in their order
  std::vector<nlohmann::ordered_json> requests;  // serve with requests.csv: one per request
};

// Reads RESULT: a directory holding sweep.jsonl or summary.json (and
// requests.csv), a .jsonl of sweep rows, or a .json document of schema
// jalapeno.serve/1, jalapeno.plan/1 or jalapeno.step/1. Throws ConfigError
// naming the file and what was expected.
ReportInput read_report_input(const std::string& path);

// The plots a result gives.
std::vector<ReportFigure> report_figures(const ReportInput& input);

// The page: the figures, plotly.js (its text) inlined, a title.
std::string render_report(const std::vector<ReportFigure>& figures, const std::string& title,
                          const std::string& plotly_js);

// plotly.js from Debian's python3-plotly (or JALAPENO_PLOTLY_JS); throws
// ConfigError naming where it looked when it is missing.
std::string load_plotly_js();

}  // namespace jalapeno
