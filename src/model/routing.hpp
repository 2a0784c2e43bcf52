#pragma once
// Where an MoE layer's tokens go: how likely each expert is to be picked,
// how the experts (and their redundant copies) are placed on the ranks of an
// expert-parallel group, and so how many tokens and distinct experts the
// most loaded rank gets for a batch. That rank sets the step time: the
// others wait for it at the combine.
#include <cstdint>
#include <string>
#include <vector>

#include "model/model_spec.hpp"

namespace jalapeno {

// How tokens pick experts, and how experts are placed.
struct RoutingSpec {
  // 0: uniform (routers are trained to balance); above 0, expert popularity
  // falls as a power law of its rank, p ~ rank^-alpha (published routing
  // traces put DeepSeek-V3 near alpha = 1; README "Expert parallelism").
  double skew = 0;
  // Relative load of each expert (from --expert-loads): replaces the power
  // law when given; one entry per routed expert.
  std::vector<double> loads;
  std::string loads_source;  // the file, for messages
  // Extra expert slots holding copies of the hottest experts (DeepSeek's
  // EPLB: redundant experts), and whether placement evens the ranks' load.
  int64_t redundant = 0;
  bool balanced = false;
  bool any() const { return skew > 0 || !loads.empty() || redundant > 0 || balanced; }
};

// The expected work of one rank for a batch of T tokens.
struct RankLoad {
  double assignments = 0;  // token-expert pairs it computes
  double experts_hit = 0;  // distinct expert slots it runs (and reads the weights of)
  int64_t slots = 0;       // expert slots it holds (weights in memory)
};

class ExpertRouting {
 public:
  // Throws ConfigError when ranks do not divide the slots (experts +
  // redundant), or loads do not match the experts.
  ExpertRouting(const MoeSpec& moe, const RoutingSpec& spec, int64_t ranks);

  // The slowest rank's expected work for `tokens` routed tokens: the one
  // whose roofline max(experts hit x seconds_per_expert, assignments x
  // seconds_per_assignment) is longest (reading its experts' weights, or
  // computing its tokens). Ranks tie under uniform routing.
  RankLoad most_loaded(int64_t tokens, double seconds_per_expert = 0,
                       double seconds_per_assignment = 1) const;
  // Its share of all assignments over the even share (1: balanced).
  double imbalance() const;
  // The probability that one token picks each expert (top_k of them in all).
  const std::vector<double>& pick_probability() const { return pick_; }
  int64_t ranks() const { return ranks_; }
  int64_t slots_per_rank() const { return static_cast<int64_t>(rank_slots_.front().size()); }

 private:
  struct Slot {
    int64_t expert;
    double pick;  // the probability a token is sent to this slot
  };
  RankLoad rank_load(size_t rank, double tokens) const;
  std::vector<double> pick_;
  std::vector<std::vector<Slot>> rank_slots_;
  std::vector<std::vector<double>> log_missed_;  // per slot, log(1 - pick): hits by exp
  int64_t ranks_;
  size_t busiest_ = 0;  // by share of the assignments
  bool alike_ = false;  // every rank's slots the same (uniform routing): rank 0 stands for all
};

// Reads a file of expert loads: a JSON list of non-negative numbers, or an
// object {"loads": [...]}, one per routed expert (counts or fractions; only
// their ratios matter). Throws ConfigError naming the file.
std::vector<double> read_expert_loads(const std::string& path);

}  // namespace jalapeno
