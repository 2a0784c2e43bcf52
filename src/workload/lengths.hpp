#pragma once
// Token-length distributions, written as one-line specs on the command line
// and in scenarios:
//   "512"                          fixed
//   "uniform:128:1024"             uniform integers in [lo, hi]
//   "normal:512:128[:min:max]"     normal, rounded, clamped to [min, max] (default [1, inf))
//   "lognormal:512:0.8[:max]"      lognormal with the given MEAN and sigma of the log, clamped
//                                  to [1, max]
//   "file:PATH"                    empirical: one length per line (or CSV first column),
//                                  sampled uniformly
// Every sample is at least 1 and at most kMaxRequestTokens. Parameters whose
// samples could not be represented or would mean nothing (a non-finite,
// subnormal or absurd value, a sigma so wide that nearly every sample is
// clamped) are errors, so a spec never silently samples 1 token every time.
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"

namespace jalapeno {

// The most tokens one request may have, in a length spec or a trace: far
// beyond any model's context, and small enough that sums and products of
// token counts stay exact in 64-bit arithmetic.
inline constexpr int64_t kMaxRequestTokens = 1000000000;

// The widest lognormal accepted: at SIGMA 4 the median is already 1/2981 of
// the mean; beyond, nearly every sample is clamped to 1 or to MAX.
inline constexpr double kMaxLognormalSigma = 4;

// A length file is read whole; larger ones are a wrong path.
inline constexpr int64_t kMaxLengthFileBytes = 64LL << 20;

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
  int64_t min_ = 1, max_ = kMaxRequestTokens;
  std::vector<int32_t> values_;  // empirical (each at most kMaxRequestTokens)
};

}  // namespace jalapeno
