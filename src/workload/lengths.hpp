#pragma once
// Token-length distributions, written as one-line specs on the command line
// and in scenarios:
//   "512"                          fixed
//   "uniform:128:1024"             uniform integers in [lo, hi]
//   "normal:512:128[:min:max]"     normal, rounded, clamped to [min, max] (default [1, inf))
//   "lognormal:512:0.8[:max]"      lognormal with the given MEAN and sigma of the log, clamped to
//   [1, max] "file:PATH"                    empirical: one length per line (or CSV first column),
//   sampled uniformly
// Every sample is at least 1.
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"

namespace jalapeno {

class LengthDistribution {
 public:
  enum class Kind { kFixed, kUniform, kNormal, kLognormal, kEmpirical };

  // Throws ConfigError naming `what` (e.g. "--input-len" or "scenario.yaml: key
  // 'workload.input_tokens'") and the expected forms when the spec is malformed.
  static LengthDistribution parse(const std::string& spec, const std::string& what);
  static LengthDistribution fixed(int64_t tokens);

  int64_t sample(Rng& rng) const;
  double mean() const;  // of the distribution as sampled (after clamping: approximately)
  int64_t max() const;  // the largest value it can return
  Kind kind() const { return kind_; }
  const std::string& spec() const { return spec_; }

 private:
  Kind kind_ = Kind::kFixed;
  std::string spec_;
  double a_ = 0,
         b_ = 0;  // fixed: a; uniform: [a, b]; normal: mean a, sd b; lognormal: mu a, sigma b
  int64_t min_ = 1, max_ = INT64_MAX;
  std::vector<int64_t> values_;  // empirical
};

}  // namespace jalapeno
