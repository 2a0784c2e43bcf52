#include "cli/report_command.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "report/html_report.hpp"

namespace jalapeno::cli {

CLI::App* add_report_command(CLI::App& app, ReportOptions& opt) {
  CLI::App* cmd = app.add_subcommand(
      "report", "One self-contained HTML page of plots from a serve, sweep, plan or step result");
  cmd->add_option("result", opt.result,
                  "serve --json or plan --json or step --json output, a sweep's .jsonl, or a "
                  "serve or sweep --out directory")
      ->required();
  cmd->add_option("-o,--out", opt.out, "the page to write (default report.html)");
  cmd->add_option("--title", opt.title, "the page's title (default: the result's name)");
  return cmd;
}

int run_report_command(const ReportOptions& opt, bool check_only) {
  const ReportInput input = read_report_input(opt.result);
  std::vector<ReportFigure> figures;
  try {
    figures = report_figures(input);
  } catch (const nlohmann::json::exception& e) {
    // A document of the right schema with a field of the wrong type.
    throw ConfigError(fmt::format("{}: not what its schema says: {}", opt.result, e.what()));
  }
  if (figures.empty()) throw ConfigError(fmt::format("{}: nothing in it to plot", opt.result));
  const std::string plotly = load_plotly_js();
  if (check_only) return 0;
  const std::string title = opt.title.empty() ? "jalapeno: " + opt.result : opt.title;
  const std::string page = render_report(figures, title, plotly);
  std::ofstream out(opt.out, std::ios::binary | std::ios::trunc);
  out << page;
  if (!out) throw ConfigError(fmt::format("--out: cannot write {}", opt.out));
  std::cout << fmt::format("{}: {} plots from {} ({:.1f} MB, plotly.js inlined)\n", opt.out,
                           figures.size(), opt.result, static_cast<double>(page.size()) / 1e6);
  return 0;
}

}  // namespace jalapeno::cli
