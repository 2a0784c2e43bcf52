#include "cli/sweep_command.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/json_input.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "dse/sweep.hpp"
#include "report/progress.hpp"
#include "serve/scenario.hpp"

#ifndef JALAPENO_PYTHON_EXECUTABLE
#define JALAPENO_PYTHON_EXECUTABLE "/usr/bin/python3"
#endif

extern char** environ;

namespace jalapeno::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

// "sweep: 120/1000 points, 3 errors, 12 s, about 90 s left" on a terminal,
// at most four times a second.
class SweepProgress {
 public:
  SweepProgress(size_t total, size_t done) : total_(total), done_(done), start_(now()) {}
  ~SweepProgress() {
    if (shown_) std::cerr << "\n";
  }
  void add(bool error) {
    ++done_;
    ++ran_;
    errors_ += error ? 1 : 0;
    const double t = now();
    if (t - last_ < 0.25 && done_ < total_) return;
    last_ = t;
    shown_ = true;
    const double elapsed = t - start_;
    const double left = elapsed / static_cast<double>(ran_) * static_cast<double>(total_ - done_);
    std::cerr << fmt::format("\rsweep: {}/{} points, {} errors, {:.0f} s, about {:.0f} s left   ",
                             done_, total_, errors_, elapsed, left)
              << std::flush;
  }

 private:
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  size_t total_, done_, ran_ = 0, errors_ = 0;
  double start_, last_ = 0;
  bool shown_ = false;
};

// The rows an earlier run wrote, each checked to be this sweep's. A last
// line without its newline was cut by a stop mid-write: it is run again.
std::vector<ordered_json> read_done_rows(const SweepSpec& spec, const std::string& path) {
  std::vector<ordered_json> rows;
  std::error_code ec;
  if (!fs::exists(path, ec)) return rows;
  const std::string text = read_regular_file(path, "sweep result", int64_t{1} << 32);
  std::vector<char> seen(spec.points(), 0);
  size_t start = 0, line = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    ++line;
    const std::string where = fmt::format("{}:{}", path, line);
    ordered_json row = parse_ordered_json_strict(text.substr(start, end - start), where);
    check_resumed_row(spec, row, where);
    const size_t point = row["point"].get<size_t>();
    if (seen[point]) throw ConfigError(fmt::format("{}: point {} a second time", where, point));
    seen[point] = 1;
    rows.push_back(std::move(row));
  }
  return rows;
}

void write_file(const fs::path& path, const std::string& text) {
  // Written beside, then renamed: a stop mid-write leaves the old file whole.
  const fs::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw ConfigError(fmt::format("--out: cannot write {}", partial.string()));
  }
  std::error_code ec;
  fs::rename(partial, path, ec);
  if (ec) throw ConfigError(fmt::format("--out: cannot write {}: {}", path.string(), ec.message()));
}

// The package beside the binary: build/python in a build tree, or
// PREFIX/lib/pythonX.Y/dist-packages when installed.
std::string python_path() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::string path;
  if (ec) return path;
  const auto add = [&](const fs::path& dir) {
    if (fs::is_regular_file(dir / "jalapeno" / "__init__.py", ec)) {
      path += (path.empty() ? "" : ":") + dir.string();
    }
  };
  add(exe.parent_path() / "python");
  for (const auto& entry : fs::directory_iterator(exe.parent_path().parent_path() / "lib", ec)) {
    add(entry.path() / "dist-packages");
  }
  return path;
}

// Runs `python3 -m jalapeno sweep ... --dask ADDRESS` and returns its exit
// code; the Python package spreads the points and writes the same files.
int run_on_dask(const SweepOptions& opt) {
  const std::string package = python_path();
  if (package.empty()) {
    throw ConfigError(
        "--dask: the jalapeno Python package is not beside this binary (build it with make, or "
        "install it with make install)");
  }
  const char* existing = std::getenv("PYTHONPATH");
  const std::string pythonpath =
      package + (existing != nullptr && *existing != '\0' ? std::string(":") + existing : "");
  std::vector<std::string> args = {JALAPENO_PYTHON_EXECUTABLE,
                                   "-m",
                                   "jalapeno",
                                   "sweep",
                                   opt.file,
                                   "--dask",
                                   opt.dask,
                                   "--format",
                                   opt.format,
                                   "--timeout",
                                   fmt::format("{}", opt.dask_timeout_s)};
  if (!opt.out_dir.empty()) args.insert(args.end(), {"--out", opt.out_dir});
  if (!opt.pareto.empty()) args.insert(args.end(), {"--pareto", opt.pareto});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).substr(0, 11) != "PYTHONPATH=") environment.emplace_back(*e);
  }
  environment.push_back("PYTHONPATH=" + pythonpath);
  std::vector<char*> envp;
  for (std::string& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::cout << std::flush;
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()) != 0) {
    throw ConfigError(fmt::format("--dask: cannot run {}", args[0]));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

CLI::App* add_sweep_command(CLI::App& app, SweepOptions& opt) {
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Run a sweep over scenario fields: one row of inputs and metrics a point");
  cmd->add_option("sweep", opt.file,
                  "sweep YAML (README \"Sweeps, Pareto fronts, Python and reports\")")
      ->required();
  cmd->add_option("--out", opt.out_dir,
                  "write DIR/sweep.csv and DIR/sweep.jsonl (default: CSV on stdout)");
  cmd->add_option("--jobs", opt.jobs,
                  "points on up to N threads at once (the same rows; default 1)");
  cmd->add_flag("--resume", opt.resume, "with --out: run only the points DIR/sweep.jsonl lacks");
  cmd->add_option("--pareto", opt.pareto,
                  "mark the Pareto-optimal points of metrics X,Y (max:X or min:X to say which "
                  "way is better)");
  cmd->add_option("--format", opt.format, "on stdout: csv (default) or jsonl");
  cmd->add_option("--dask", opt.dask,
                  "spread the points over the Dask cluster at this scheduler address (through "
                  "the Python package; the same rows)");
  cmd->add_option("--dask-timeout", opt.dask_timeout_s,
                  "with --dask: seconds to reach the scheduler (default 30)");
  return cmd;
}

int run_sweep_command(const SweepOptions& given, bool check_only) {
  // A file, or a sweep preset by name (data/sweeps/NAME.yaml).
  SweepOptions opt = given;
  opt.file = resolve_preset("sweeps", opt.file, ".yaml", "sweep");
  if (opt.jobs < 1 || opt.jobs > 256) {
    throw ConfigError(fmt::format("--jobs: expected 1 to 256 threads, got {}", opt.jobs));
  }
  if (opt.resume && opt.out_dir.empty()) {
    throw ConfigError("--resume: needs --out DIR, whose sweep.jsonl it continues");
  }
  if (opt.format != "csv" && opt.format != "jsonl") {
    throw ConfigError(fmt::format("--format: expected csv or jsonl, got '{}'", opt.format));
  }
  const DocumentCache parsed_once;  // the same files for every point
  const SweepSpec spec = read_sweep(opt.file);
  if (!opt.dask.empty()) {
    if (opt.resume) throw ConfigError("--resume: not with --dask (run the rest locally)");
    if (opt.jobs != 1)
      throw ConfigError("--jobs: not with --dask (the cluster's workers run them)");
    if (!(opt.dask_timeout_s > 0 && opt.dask_timeout_s <= 3600)) {
      throw ConfigError(
          fmt::format("--dask-timeout: expected 0 to 3600 seconds, got {}", opt.dask_timeout_s));
    }
    sweep_point_scenario(spec, 0);  // the sweep's own errors first, here
    if (check_only) return 0;
    return run_on_dask(opt);
  }
  if (check_only) {
    // The files it names: the sweep and the scenario, read by the first point.
    sweep_point_scenario(spec, 0);
    return 0;
  }
  check_sweep(spec);  // an undeclared field or a bad value fails before anything runs
  const fs::path dir(opt.out_dir);
  std::vector<ordered_json> done;
  std::ofstream log;  // rows as they finish, for --resume after a stop
  if (!opt.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
      throw ConfigError(fmt::format("--out: cannot create {}: {}", opt.out_dir, ec.message()));
    if (opt.resume) done = read_done_rows(spec, (dir / "sweep.jsonl").string());
    // Rewritten without any cut last line, then appended to.
    std::string kept;
    for (const ordered_json& row : done) kept += row.dump() + "\n";
    write_file(dir / "sweep.jsonl", kept);
    log.open(dir / "sweep.jsonl", std::ios::binary | std::ios::app);
    if (!log) throw ConfigError(fmt::format("--out: cannot write {}/sweep.jsonl", opt.out_dir));
  }
  // The Pareto metrics are checked on the first row that ran, before the
  // other points run.
  std::vector<ParetoObjective> objectives;
  const auto first_ok = [](const std::vector<ordered_json>& rows) {
    for (const ordered_json& r : rows) {
      if (r.value("status", "") == "ok") return true;
    }
    return false;
  };
  if (!opt.pareto.empty() && !done.empty() && first_ok(done)) {
    objectives = parse_pareto(opt.pareto, done);
  }
  SweepProgress* progress = nullptr;
  std::unique_ptr<SweepProgress> shown;
  if (stderr_is_terminal()) {
    shown = std::make_unique<SweepProgress>(spec.points(), done.size());
    progress = shown.get();
  }
  const auto on_row = [&](const ordered_json& row) {
    if (log.is_open()) log << row.dump() << "\n" << std::flush;
    if (progress) progress->add(row.value("status", "") != "ok");
  };
  if (!opt.pareto.empty() && objectives.empty()) {
    // Points run one at a time until one runs (up to 64), to check the
    // names against its columns before the others run.
    std::vector<char> have(spec.points(), 0);
    for (const ordered_json& r : done) have[r["point"].get<size_t>()] = 1;
    size_t tried = 0;
    for (size_t p = 0; p < spec.points() && tried < 64 && objectives.empty(); ++p) {
      if (have[p]) continue;
      ++tried;
      ordered_json row = run_sweep_point(spec, p);
      on_row(row);
      done.push_back(row);
      if (first_ok(done)) objectives = parse_pareto(opt.pareto, done);
    }
  }
  std::vector<ordered_json> rows =
      run_sweep(spec, static_cast<size_t>(opt.jobs), std::move(done), on_row);
  shown.reset();
  log.close();
  if (!opt.pareto.empty()) {
    if (objectives.empty()) objectives = parse_pareto(opt.pareto, rows);
    mark_pareto(rows, objectives);
  }
  std::string jsonl;
  for (const ordered_json& row : rows) jsonl += row.dump() + "\n";
  const std::string csv = sweep_csv(rows);
  if (opt.out_dir.empty()) {
    std::cout << (opt.format == "csv" ? csv : jsonl);
    return 0;
  }
  write_file(dir / "sweep.jsonl", jsonl);
  write_file(dir / "sweep.csv", csv);
  size_t errors = 0, front = 0;
  for (const ordered_json& row : rows) {
    errors += row.value("status", "") != "ok";
    front += row.value("pareto", false);
  }
  std::cout << fmt::format("{} points ({} ran, {} could not: see their 'error'){} -> {}, {}\n",
                           rows.size(), rows.size() - errors, errors,
                           opt.pareto.empty() ? "" : fmt::format("; {} on the Pareto front", front),
                           (dir / "sweep.csv").string(), (dir / "sweep.jsonl").string());
  return 0;
}

}  // namespace jalapeno::cli
