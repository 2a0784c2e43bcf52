#pragma once
// Plan search: every way to split a model over a system's chips (tensor
// parallel x pipeline parallel, with as many replicas as fit), each costed
// analytically at the largest batch its KV cache and the TPOT SLO allow,
// ranked by output tokens per second per chip among the plans that meet the
// SLOs, each with the reason it wins or loses.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/parallel_plan.hpp"

namespace jalapeno {

struct PlanSearchSpec {
  std::string model;
  std::string hw;
  std::optional<std::string> topology;
  std::string engine = "fused";
  int64_t chips = 0;      // 0: all of the system's chips
  double slo_ttft_s = 0;  // 0: unbounded
  double slo_tpot_s = 0;
  int64_t input_tokens = 1024;  // mean prompt
  int64_t output_tokens = 256;  // mean output
  int64_t max_sequences = 256;  // per replica (all micro-batches together)
  int64_t max_batched_tokens = 8192;
  double memory_utilization = 0.9;
  bool overlap = false;
};

struct PlanResult {
  ParallelPlan plan;
  bool meets_slos = false;
  std::string verdict;      // why it wins or loses
  int64_t batch = 0;        // sequences in flight per replica
  double tpot_s = 0;        // decode step latency at that batch
  double ttft_s = 0;        // prefill of one prompt, unloaded
  double comm_share = 0;    // of the decode step
  double tokens_per_s = 0;  // output tokens/s, all replicas
  double tokens_per_s_per_chip = 0;
};

struct PlanSearchResult {
  std::string model;
  std::string system;
  int64_t chips = 0;
  std::vector<PlanResult> plans;  // best first; those missing SLOs or invalid last
};

// Throws ConfigError for bad input (unknown model or hardware, no network).
PlanSearchResult search_plans(const PlanSearchSpec& spec);
std::string format_plan_table(const PlanSearchResult& result, size_t top);

}  // namespace jalapeno
