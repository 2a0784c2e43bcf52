#pragma once
// `jalapeno report RESULT -o report.html`: one self-contained page of plots.
#include <CLI/CLI.hpp>
#include <string>

namespace jalapeno::cli {

struct ReportOptions {
  std::string result;
  std::string out = "report.html";
  std::string title;
};

CLI::App* add_report_command(CLI::App& app, ReportOptions& opt);
int run_report_command(const ReportOptions& opt, bool check_only);

}  // namespace jalapeno::cli
