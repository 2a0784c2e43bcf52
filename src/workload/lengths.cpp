#include "workload/lengths.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <numeric>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "core/input_file.hpp"

namespace jalapeno {
namespace {

constexpr std::string_view kForms =
    "expected one of: N (fixed), uniform:LO:HI, normal:MEAN:SD[:MIN:MAX], "
    "lognormal:MEAN:SIGMA[:MAX], file:PATH (token counts N, LO, HI, MIN, MAX and each line of "
    "the file are whole numbers from 1 to 1000000000; MEAN from 1 to 1e9 tokens, SD from 0 to "
    "1e9, SIGMA from 0 to 4)";

// Bounds of the real-valued parameters, in tokens.
constexpr double kMinMean = 1;
constexpr double kMaxMean = static_cast<double>(kMaxRequestTokens);
constexpr double kMaxSd = static_cast<double>(kMaxRequestTokens);

// User text in a message, cut short: a spec may be any length.
std::string excerpt(std::string_view text) {
  constexpr size_t kMax = 120;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Whole-string parses: "12abc" is not 12.
std::optional<int64_t> to_int(std::string_view text) {
  text = trim(text);
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// A whole-string parse; a value out of double's range is reported as such.
struct Real {
  double value = 0;
  bool ok = false;
  bool out_of_range = false;
};
Real to_double(std::string_view text) {
  text = trim(text);
  Real real;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), real.value);
  if (text.empty() || ptr != text.data() + text.size()) return real;
  real.out_of_range = ec == std::errc::result_out_of_range;
  real.ok = ec == std::errc() && std::isfinite(real.value);
  return real;
}

double phi_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}
double phi_pdf(double z) {
  return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
}

int64_t clamp_round(double x, int64_t lo, int64_t hi) {
  // Clamp in double first: llround of a value beyond int64 is undefined.
  x = std::clamp(x, static_cast<double>(lo), static_cast<double>(hi));
  return std::clamp(static_cast<int64_t>(std::llround(x)), lo, hi);
}

// One token count per line (or in the first CSV column); a first line that is
// not a number is a header. The file is read whole, so only a regular file of
// bounded size is accepted (/dev/zero or a FIFO would be read forever).
std::vector<int32_t> read_lengths_file(const std::string& path, const std::string& what) {
  std::string text;
  try {
    text = read_regular_file(path, "length file", kMaxLengthFileBytes);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", what, e.what()));
  }
  std::vector<int32_t> values;
  int64_t line_no = 0;
  bool seen_content = false;
  size_t start = 0;
  while (start < text.size()) {
    const size_t newline = text.find('\n', start);
    const size_t end = newline == std::string::npos ? text.size() : newline;
    std::string_view line = trim(std::string_view(text).substr(start, end - start));
    start = end + 1;
    ++line_no;
    if (line.empty()) continue;
    // CSV: the first column holds the length.
    if (const auto comma = line.find(','); comma != std::string_view::npos) {
      line = trim(line.substr(0, comma));
    }
    const auto value = to_int(line);
    const bool first = !seen_content;
    seen_content = true;
    if (!value) {
      if (first) continue;  // a header line
      throw ConfigError(
          fmt::format("{}: {}: line {}: '{}' is not a whole number of tokens (expected 1 to {})",
                      what, path, line_no, excerpt(line), kMaxRequestTokens));
    }
    if (*value < 1 || *value > kMaxRequestTokens) {
      throw ConfigError(fmt::format(
          "{}: {}: line {}: token count {} is {} (expected 1 to {})", what, path, line_no, *value,
          *value < 1 ? "below 1" : "beyond any request", kMaxRequestTokens));
    }
    values.push_back(static_cast<int32_t>(*value));
  }
  if (values.empty()) {
    throw ConfigError(fmt::format("{}: {}: no token counts in the file", what, path));
  }
  return values;
}

}  // namespace

LengthDistribution LengthDistribution::fixed(int64_t tokens) {
  if (tokens < 1 || tokens > kMaxRequestTokens) {
    throw ConfigError(
        fmt::format("fixed length {} is not from 1 to {} tokens", tokens, kMaxRequestTokens));
  }
  LengthDistribution dist;
  dist.kind_ = Kind::kFixed;
  dist.spec_ = std::to_string(tokens);
  dist.a_ = static_cast<double>(tokens);
  dist.min_ = dist.max_ = tokens;
  return dist;
}

LengthDistribution LengthDistribution::parse(const std::string& spec, const std::string& what) {
  const auto fail = [&](const std::string& reason) {
    return ConfigError(
        fmt::format("{}: bad length spec '{}': {}; {}", what, excerpt(spec), reason, kForms));
  };
  const std::string_view text = trim(spec);
  if (text.empty()) throw fail("empty");

  // file: before splitting, since a path may itself contain ':'.
  if (text.starts_with("file:")) {
    const std::string path(trim(text.substr(5)));
    if (path.empty()) throw fail("no path after 'file:'");
    LengthDistribution dist;
    dist.kind_ = Kind::kEmpirical;
    dist.spec_ = spec;
    dist.values_ = read_lengths_file(path, what);
    dist.min_ = *std::min_element(dist.values_.begin(), dist.values_.end());
    dist.max_ = *std::max_element(dist.values_.begin(), dist.values_.end());
    return dist;
  }

  const auto parts = split(text, ':');
  // Token counts: whole numbers from 1 to kMaxRequestTokens.
  const auto integer = [&](size_t i, std::string_view name) {
    const auto value = to_int(parts[i]);
    if (!value) {
      throw fail(fmt::format("{} '{}' is not a whole number of tokens from 1 to {}", name,
                             excerpt(parts[i]), kMaxRequestTokens));
    }
    if (*value < 1) throw fail(fmt::format("{} must be at least 1, got {}", name, *value));
    if (*value > kMaxRequestTokens) {
      throw fail(fmt::format("{} {} is beyond any request (at most {} tokens)", name, *value,
                             kMaxRequestTokens));
    }
    return *value;
  };
  // Real parameters: finite, normal (not subnormal) or zero, within [lo, hi].
  const auto real = [&](size_t i, std::string_view name, double lo, double hi) {
    const Real real = to_double(parts[i]);
    if (real.out_of_range) {
      throw fail(fmt::format("{} '{}' is beyond the range of a double (accepted: {:g} to {:g})",
                             name, excerpt(parts[i]), lo, hi));
    }
    if (real.ok && std::fpclassify(real.value) == FP_SUBNORMAL) {
      throw fail(
          fmt::format("{} '{}' is too small to represent (subnormal; accepted: {:g} to {:g})", name,
                      excerpt(parts[i]), lo, hi));
    }
    if (!real.ok) {
      throw fail(fmt::format("{} '{}' is not a finite number (accepted: {:g} to {:g})", name,
                             excerpt(parts[i]), lo, hi));
    }
    if (!(real.value >= lo && real.value <= hi)) {
      throw fail(
          fmt::format("{} {:g} is outside the accepted {:g} to {:g}", name, real.value, lo, hi));
    }
    return real.value;
  };

  LengthDistribution dist;
  dist.spec_ = spec;
  if (parts.size() == 1) {
    LengthDistribution fixed_dist = fixed(integer(0, "fixed length"));
    fixed_dist.spec_ = spec;
    return fixed_dist;
  }
  const std::string_view name = parts[0];
  if (name == "uniform") {
    if (parts.size() != 3) throw fail("uniform takes LO:HI");
    dist.kind_ = Kind::kUniform;
    dist.min_ = integer(1, "LO");
    dist.max_ = integer(2, "HI");
    if (dist.min_ > dist.max_) throw fail("LO is greater than HI");
    dist.a_ = static_cast<double>(dist.min_);
    dist.b_ = static_cast<double>(dist.max_);
  } else if (name == "normal") {
    if (parts.size() != 3 && parts.size() != 5)
      throw fail("normal takes MEAN:SD or MEAN:SD:MIN:MAX");
    dist.kind_ = Kind::kNormal;
    dist.a_ = real(1, "MEAN", kMinMean, kMaxMean);
    dist.b_ = real(2, "SD", 0, kMaxSd);
    if (parts.size() == 5) {
      dist.min_ = integer(3, "MIN");
      dist.max_ = integer(4, "MAX");
      if (dist.min_ > dist.max_) throw fail("MIN is greater than MAX");
    }
  } else if (name == "lognormal") {
    if (parts.size() != 3 && parts.size() != 4) {
      throw fail("lognormal takes MEAN:SIGMA or MEAN:SIGMA:MAX");
    }
    dist.kind_ = Kind::kLognormal;
    const double mean = real(1, "MEAN", kMinMean, kMaxMean);
    const double sigma = real(2, "SIGMA", 0, kMaxLognormalSigma);
    // The spec gives the mean, the natural quantity for token counts; the
    // log-space mu that yields it is ln(mean) - sigma^2/2.
    dist.a_ = std::log(mean) - 0.5 * sigma * sigma;
    dist.b_ = sigma;
    if (parts.size() == 4) dist.max_ = integer(3, "MAX");
  } else {
    throw fail(fmt::format("unknown form '{}'", excerpt(name)));
  }
  return dist;
}

int64_t LengthDistribution::sample(Rng& rng) const {
  switch (kind_) {
    case Kind::kFixed:
      return min_;
    case Kind::kUniform: {
      const auto span = static_cast<double>(max_ - min_ + 1);
      // Floor of u * span lies in [0, span); the min() guards rounding at the top.
      return std::min(max_, min_ + static_cast<int64_t>(rng.uniform() * span));
    }
    case Kind::kNormal:
      return clamp_round(rng.normal(a_, b_), min_, max_);
    case Kind::kLognormal:
      return clamp_round(rng.lognormal(a_, b_), min_, max_);
    case Kind::kEmpirical: {
      const auto n = values_.size();
      const auto i = std::min(n - 1, static_cast<size_t>(rng.uniform() * static_cast<double>(n)));
      return values_[i];
    }
  }
  return min_;
}

double LengthDistribution::mean() const {
  const auto lo = static_cast<double>(min_);
  const auto hi = static_cast<double>(max_);
  switch (kind_) {
    case Kind::kFixed:
      return a_;
    case Kind::kUniform:
      return 0.5 * (lo + hi);
    case Kind::kNormal: {
      // E[clamp(X, lo, hi)] for X ~ N(a, b); rounding to integers is unbiased
      // to first order.
      if (b_ == 0) return std::clamp(a_, lo, hi);
      const double alpha = (lo - a_) / b_, beta = (hi - a_) / b_;
      const double below = phi_cdf(alpha), above = 0.5 * std::erfc(beta / std::numbers::sqrt2);
      // The clamp bounds the result exactly as it bounds X: the closed form
      // can land an ulp outside [lo, hi] when the range is narrow.
      return std::clamp(lo * below + (above > 0 ? hi * above : 0.0) + a_ * (1.0 - below - above) +
                            b_ * (phi_pdf(alpha) - phi_pdf(beta)),
                        lo, hi);
    }
    case Kind::kLognormal: {
      // E[clamp(X, lo, hi)] for X = exp(N(mu, sigma)).
      if (b_ == 0) return std::clamp(std::exp(a_), lo, hi);
      const double ln_lo = std::log(lo), ln_hi = std::log(hi);
      const double below = phi_cdf((ln_lo - a_) / b_);
      const double above = 0.5 * std::erfc((ln_hi - a_) / b_ / std::numbers::sqrt2);
      const double inside = std::exp(a_ + 0.5 * b_ * b_) * (phi_cdf((ln_hi - a_ - b_ * b_) / b_) -
                                                            phi_cdf((ln_lo - a_ - b_ * b_) / b_));
      return std::clamp(lo * below + (above > 0 ? hi * above : 0.0) + inside, lo, hi);
    }
    case Kind::kEmpirical: {
      const double sum = std::accumulate(values_.begin(), values_.end(), 0.0);
      return sum / static_cast<double>(values_.size());
    }
  }
  return a_;
}

int64_t LengthDistribution::max() const {
  return max_;
}

}  // namespace jalapeno
