#pragma once
// Fleet sizing: the fewest chips that serve a request rate with the SLOs met
// at a percentile. Each candidate replica layout (a plan of plan search that
// meets the SLOs analytically) gets the replica count its analytical
// capacity implies; the serving simulator then runs the whole fleet (every
// replica, the router, Poisson arrivals at the rate) with several seeds and
// the count moves until the fewest that pass is found. Candidates are ranked
// by what the simulation verified, never by the estimate.
#include <cstdint>
#include <string>
#include <vector>

#include "dse/plan_search.hpp"

namespace jalapeno {

struct FleetSpec {
  PlanSearchSpec plan;  // model, system, engine, SLOs, mean lengths, scheduler limits
  double rate_per_s = 0;
  double percentile = 99;  // the SLOs must hold for this share of requests
  int64_t seeds = 3;       // simulations per verdict; all must pass
  int64_t requests = 0;    // per simulation; 0: 300 per replica, at least 3,000
  std::string router = "least-outstanding";
  size_t candidates = 3;  // replica layouts tried, best estimate first
  int64_t max_replicas = 100000;
  size_t jobs = 1;  // threads for a verdict's seeds (--jobs); the answer is the same
};

// One fleet, simulated with every seed.
struct FleetVerdict {
  int64_t replicas = 0;
  int64_t seeds_passing = 0;
  int64_t seeds = 0;
  double ttft_s = 0;  // the percentile, worst over the seeds
  double tpot_s = 0;
  bool passes() const { return seeds > 0 && seeds_passing == seeds; }
};

struct FleetCandidate {
  ParallelPlan plan;  // one replica's layout
  int64_t chips_per_replica = 0;
  double capacity_per_replica = 0;  // requests/s, the analytical estimate
  int64_t estimated_replicas = 0;   // rate / capacity, rounded up
  bool found = false;               // a passing count within max_replicas
  FleetVerdict verdict;             // at the fewest passing replicas (or the last tried)
  std::vector<FleetVerdict> tried;  // every count simulated, in order
  int64_t chips() const { return verdict.replicas * chips_per_replica; }
};

struct FleetResult {
  std::string model;
  std::string system;
  int64_t system_chips = 0;                // chips in one system of the kind
  std::vector<FleetCandidate> candidates;  // fewest verified chips first; not found last
  // How the answer's replicas sit in systems and are joined.
  std::string layout() const;
};

// Throws ConfigError for bad input, InfeasibleError when no layout meets the
// SLOs analytically.
FleetResult size_fleet(const FleetSpec& spec);
FleetVerdict simulate_fleet(const FleetSpec& spec, const ParallelPlan& plan, int64_t replicas);
std::string format_fleet_table(const FleetSpec& spec, const FleetResult& result);

}  // namespace jalapeno
