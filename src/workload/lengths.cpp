#include "workload/lengths.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <numbers>
#include <numeric>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "core/units.hpp"

namespace jalapeno {
namespace {

constexpr std::string_view kForms =
    "expected one of: N (fixed), uniform:LO:HI, normal:MEAN:SD[:MIN:MAX], "
    "lognormal:MEAN:SIGMA[:MAX], file:PATH (token counts are integers >= 1)";

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

std::optional<double> to_double(std::string_view text) {
  return parse_number(trim(text));
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

std::vector<int64_t> read_lengths_file(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("{}: cannot open length file '{}'", what, path));
  std::vector<int64_t> values;
  std::string line;
  int64_t line_no = 0;
  bool seen_content = false;
  while (std::getline(in, line)) {
    ++line_no;
    std::string_view text = trim(line);
    if (text.empty()) continue;
    // CSV: the first column holds the length.
    if (const auto comma = text.find(','); comma != std::string_view::npos) {
      text = trim(text.substr(0, comma));
    }
    const auto value = to_int(text);
    const bool first = !seen_content;
    seen_content = true;
    if (!value) {
      if (first) continue;  // a header line
      throw ConfigError(fmt::format("{}: {}: line {}: '{}' is not an integer token count", what,
                                    path, line_no, text));
    }
    if (*value < 1) {
      throw ConfigError(
          fmt::format("{}: {}: line {}: token count {} is below 1", what, path, line_no, *value));
    }
    values.push_back(*value);
  }
  if (values.empty()) {
    throw ConfigError(fmt::format("{}: {}: no token counts in the file", what, path));
  }
  return values;
}

}  // namespace

LengthDistribution LengthDistribution::fixed(int64_t tokens) {
  if (tokens < 1) throw ConfigError(fmt::format("fixed length {} is below 1 token", tokens));
  LengthDistribution dist;
  dist.kind_ = Kind::kFixed;
  dist.spec_ = std::to_string(tokens);
  dist.a_ = static_cast<double>(tokens);
  dist.min_ = dist.max_ = tokens;
  return dist;
}

LengthDistribution LengthDistribution::parse(const std::string& spec, const std::string& what) {
  const auto fail = [&](const std::string& reason) {
    return ConfigError(fmt::format("{}: bad length spec '{}': {}; {}", what, spec, reason, kForms));
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
  const auto count = [&](std::string_view name, int64_t value) {
    if (value < 1) throw fail(fmt::format("{} must be at least 1, got {}", name, value));
    return value;
  };
  const auto integer = [&](size_t i, std::string_view name) {
    const auto value = to_int(parts[i]);
    if (!value) throw fail(fmt::format("{} '{}' is not an integer", name, parts[i]));
    return count(name, *value);
  };
  const auto real = [&](size_t i, std::string_view name) {
    const auto value = to_double(parts[i]);
    if (!value) throw fail(fmt::format("{} '{}' is not a number", name, parts[i]));
    return *value;
  };

  LengthDistribution dist;
  dist.spec_ = spec;
  if (parts.size() == 1) {
    if (!to_int(parts[0])) throw fail(fmt::format("'{}' is not a token count", parts[0]));
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
    dist.a_ = real(1, "MEAN");
    dist.b_ = real(2, "SD");
    if (dist.b_ < 0) throw fail("SD must not be negative");
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
    const double mean = real(1, "MEAN");
    const double sigma = real(2, "SIGMA");
    if (mean <= 0) throw fail("MEAN must be positive");
    if (sigma < 0) throw fail("SIGMA must not be negative");
    // The spec gives the mean, the natural quantity for token counts; the
    // log-space mu that yields it is ln(mean) - sigma^2/2.
    dist.a_ = std::log(mean) - 0.5 * sigma * sigma;
    dist.b_ = sigma;
    if (parts.size() == 4) dist.max_ = integer(3, "MAX");
  } else {
    throw fail(fmt::format("unknown form '{}'", name));
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
      return lo * below + (above > 0 ? hi * above : 0.0) + a_ * (1.0 - below - above) +
             b_ * (phi_pdf(alpha) - phi_pdf(beta));
    }
    case Kind::kLognormal: {
      // E[clamp(X, lo, hi)] for X = exp(N(mu, sigma)).
      if (b_ == 0) return std::clamp(std::exp(a_), lo, hi);
      const double ln_lo = std::log(lo), ln_hi = std::log(hi);
      const double below = phi_cdf((ln_lo - a_) / b_);
      const double above = 0.5 * std::erfc((ln_hi - a_) / b_ / std::numbers::sqrt2);
      const double inside = std::exp(a_ + 0.5 * b_ * b_) * (phi_cdf((ln_hi - a_ - b_ * b_) / b_) -
                                                            phi_cdf((ln_lo - a_ - b_ * b_) / b_));
      return lo * below + (above > 0 ? hi * above : 0.0) + inside;
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
