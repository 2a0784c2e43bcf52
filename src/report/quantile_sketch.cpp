// DDSketch-style quantile sketch (Masson, Rim, Lee, VLDB 2019), with the
// cubically interpolated index mapping of DDSketch's implementations in place
// of a logarithm (libm's log alone cost more than the rest of an add).
//
// A positive value v = 2^e (1 + s), s in [0, 1), is mapped to
// g(v) = e + P(s), where the cubic P(s) = (6/35) s^3 - (3/5) s^2 + (10/7) s
// interpolates log2(1 + s): P(0) = 0, P(1) = 1, increasing. Bucket i holds the
// values with g in ((i - 1) / M, i / M]. The slope of ln(v) in g is
// ln(2) log2'(1 + s) / P'(s), at most 7/10 (at s = 0), so with
// M = 0.7 / ln(gamma), gamma = (1 + a) / (1 - a), a bucket's bounds l < u
// satisfy u / l <= gamma: 1% more buckets than exact logarithmic ones. Every
// value of a bucket is reported as 2 l u / (l + u), within a relative
// distance (u - l) / (u + l) <= a of each end, hence of every value in it.
// Zeros are counted apart. Buckets are a dense vector from the lowest to the
// highest index seen, so memory grows with log(max / min) / log(gamma) (about
// 2,100 buckets for nine decades at a = 0.005), never with the number of
// values. Min, max and sum are exact: quantile() returns them for the first
// and last ranks and clamps every other answer to [min, max].
#include "report/quantile_sketch.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

namespace jalapeno {

namespace {

// The interpolating cubic's largest ln-slope (see the top).
constexpr double kMaxLnSlope = 0.7;

// The refusals, out of line: add() is on the serving loop's path.
[[noreturn, gnu::cold, gnu::noinline]] void refuse_value(double value) {
  throw std::invalid_argument("quantile sketch: values must be finite and >= 0, got " +
                              std::to_string(value));
}

}  // namespace

QuantileSketch::QuantileSketch(double relative_accuracy) {
  if (!(relative_accuracy > 0 && relative_accuracy < 1)) {
    throw std::invalid_argument("quantile sketch: relative accuracy must be in (0, 1), got " +
                                std::to_string(relative_accuracy));
  }
  gamma_ = (1 + relative_accuracy) / (1 - relative_accuracy);
  buckets_per_octave_ = kMaxLnSlope / std::log(gamma_);
}

void QuantileSketch::refuse_index() {
  throw std::out_of_range("quantile sketch: value out of the indexable range");
}

QuantileSketch::Bound QuantileSketch::bound(int64_t index) const {
  // Where g(v) = (index - 1) / M: the octave, then P(s) = the rest, solved
  // by Newton's method (P is increasing with P' >= 26/35 on [0, 1]).
  const double g = static_cast<double>(index - 1) / buckets_per_octave_;
  const double octave = std::floor(g);
  const double target = g - octave;
  double s = target;
  for (int i = 0; i < 8; ++i) {
    const double slope = (3 * kA * s + 2 * kB) * s + kC;
    s = std::clamp(s - (cubic(s) - target) / slope, 0.0, 1.0);
  }
  return {1 + s, static_cast<int>(octave)};
}

double QuantileSketch::lower_bound(int64_t index) const {
  const Bound b = bound(index);
  return std::ldexp(b.mantissa, b.exponent);
}

void QuantileSketch::add_in_general(double value, uint64_t count) {
  if (count == 0) return;
  if (!(value >= 0) || !std::isfinite(value)) [[unlikely]] {
    refuse_value(value);
  }
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += count;
  sum_ += count == 1 ? value : value * static_cast<double>(count);
  if (value == 0) {
    zeros_ += count;
    return;
  }
  const auto i = static_cast<int32_t>(bucket_index(value));
  if (counts_.empty()) {
    offset_ = i;
    counts_.push_back(0);
  } else if (i < offset_) {
    counts_.insert(counts_.begin(), static_cast<size_t>(offset_ - i), 0);
    offset_ = i;
  } else if (static_cast<size_t>(i - offset_) >= counts_.size()) {
    counts_.resize(static_cast<size_t>(i - offset_) + 1, 0);
  }
  counts_[static_cast<size_t>(i - offset_)] += count;
}

void QuantileSketch::merge(const QuantileSketch& other) {
  if (gamma_ != other.gamma_) {
    throw std::invalid_argument("quantile sketch: cannot merge sketches of different accuracy");
  }
  if (other.count_ == 0) {
    return;
  }
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  zeros_ += other.zeros_;
  sum_ += other.sum_;
  if (other.counts_.empty()) {
    return;
  }
  if (counts_.empty()) {
    offset_ = other.offset_;
    counts_ = other.counts_;
    return;
  }
  const int32_t lo = std::min(offset_, other.offset_);
  const int32_t hi = std::max(offset_ + static_cast<int32_t>(counts_.size()),
                              other.offset_ + static_cast<int32_t>(other.counts_.size()));
  if (lo < offset_) {
    counts_.insert(counts_.begin(), static_cast<size_t>(offset_ - lo), 0);
    offset_ = lo;
  }
  counts_.resize(static_cast<size_t>(hi - offset_), 0);
  const auto shift = static_cast<size_t>(other.offset_ - offset_);
  for (size_t k = 0; k < other.counts_.size(); ++k) {
    counts_[shift + k] += other.counts_[k];
  }
}

double QuantileSketch::quantile(double q) const {
  if (count_ == 0) {
    return 0;
  }
  q = std::clamp(std::isnan(q) ? 0.0 : q, 0.0, 1.0);
  // Nearest rank ceil(q * count), tolerant of the rounding in q * count
  // (0.07 * 100 is 7.000000000000001 in binary floating point, rank 7).
  const double n = static_cast<double>(count_);
  const double x = q * n;
  const double r = std::ceil(x - x * 1e-14);
  const uint64_t rank = std::clamp<uint64_t>(r < 1 ? 1 : static_cast<uint64_t>(r), 1, count_);
  if (rank <= zeros_) {
    return 0;
  }
  // The extreme ranks are known exactly.
  if (rank == count_) {
    return max_;
  }
  if (rank == 1) {
    return min_;
  }
  uint64_t seen = zeros_;
  size_t k = 0;
  for (; k < counts_.size(); ++k) {
    seen += counts_[k];
    if (seen >= rank) {
      break;
    }
  }
  k = std::min(k, counts_.size() - 1);  // unreachable guard: counts sum to count - zeros
  const int32_t index = offset_ + static_cast<int32_t>(k);
  // 2 l u / (l + u) = l 2r / (1 + r) with r = u / l from the bounds'
  // mantissas and exponents: the top bucket's upper bound is beyond the
  // doubles, its ratio is not. An answer beyond them is clamped to max_,
  // which is then nearer every value of the bucket.
  const Bound lower = bound(index), upper = bound(index + 1);
  const double ratio = std::ldexp(upper.mantissa / lower.mantissa, upper.exponent - lower.exponent);
  const double value = std::ldexp(lower.mantissa * (2 * ratio / (1 + ratio)), lower.exponent);
  return std::clamp(value, min_, max_);  // never outside the values seen
}

}  // namespace jalapeno
