#pragma once
// `jalapeno sweep SWEEP.yaml`: the points of a sweep on threads, rows to
// CSV and JSON lines, resumable, with the Pareto-optimal points marked.
#include <CLI/CLI.hpp>
#include <string>

namespace jalapeno::cli {

struct SweepOptions {
  std::string file;
  std::string out_dir;         // sweep.csv and sweep.jsonl; stdout (CSV) without
  std::string pareto;          // "X,Y": mark the Pareto-optimal rows
  std::string format = "csv";  // on stdout: csv or jsonl
  int64_t jobs = 1;
  bool resume = false;
  std::string dask;  // a Dask scheduler's address: the points on its workers
  double dask_timeout_s = 30;
};

CLI::App* add_sweep_command(CLI::App& app, SweepOptions& opt);
int run_sweep_command(const SweepOptions& opt, bool check_only);

}  // namespace jalapeno::cli
