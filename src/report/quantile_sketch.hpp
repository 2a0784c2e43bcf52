#pragma once
// A streaming quantile sketch with bounded relative error (DDSketch-style
// buckets, even in log(value) up to a bounded factor): constant memory however
// many values it sees, so the serving metrics of a 10-million-request trace
// fit in a few kilobytes. Values must be >= 0; zero is counted apart.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace jalapeno {

class QuantileSketch {
 public:
  // relative_accuracy: a reported quantile q' satisfies |q' - q| <= alpha * q
  // for the exact sample quantile q (of the same rank).
  explicit QuantileSketch(double relative_accuracy = 0.005);

  void add(double value) { add(value, 1); }
  // `count` copies of `value` at the cost of one (sum += value * count).
  // Inline for the common case (a positive value in a bucket already held):
  // the serving loop adds four values a request and one a step.
  void add(double value, uint64_t count) {
    if (count_ != 0 && count != 0 && value > 0 && value <= kMaxValue) [[likely]] {
      const auto k = static_cast<uint64_t>(bucket_index(value) - offset_);
      if (k < counts_.size()) [[likely]] {
        min_ = value < min_ ? value : min_;
        max_ = value > max_ ? value : max_;
        count_ += count;
        sum_ += count == 1 ? value : value * static_cast<double>(count);
        counts_[k] += count;
        return;
      }
    }
    add_in_general(value, count);
  }
  void merge(const QuantileSketch& other);  // same accuracy required

  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0; }
  double min() const { return min_; }
  double max() const { return max_; }
  // q in [0, 1]; 0 when empty. Quantile of rank ceil(q * count) (nearest rank).
  double quantile(double q) const;
  // Buckets held (memory is about 8 bytes each): grows with log(max / min),
  // not with count().
  size_t bucket_count() const { return counts_.size(); }
  // The bucket of a positive finite value, and the bounds of a bucket: it
  // holds the values in (lower_bound(i), lower_bound(i + 1)], whose ratio is
  // at most (1 + a) / (1 - a) (the top bucket's upper bound is inf as a
  // double; its ratio holds all the same).
  int64_t bucket_index(double value) const {
    auto bits = std::bit_cast<uint64_t>(value);
    int64_t exponent = static_cast<int64_t>(bits >> 52) - 1023;
    if (exponent == -1023) [[unlikely]] {
      // A subnormal: scaled into the normal range first.
      bits = std::bit_cast<uint64_t>(value * 0x1p64);
      exponent = static_cast<int64_t>(bits >> 52) - 1023 - 64;
    }
    const double s =
        std::bit_cast<double>((bits & ((uint64_t{1} << 52) - 1)) | std::bit_cast<uint64_t>(1.0)) -
        1;
    const double x = (static_cast<double>(exponent) + cubic(s)) * buckets_per_octave_;
    if (!(std::abs(x) <= kMaxIndex)) [[unlikely]] {
      refuse_index();
    }
    // ceil(x), without libm (x is within int64's range).
    const auto truncated = static_cast<int64_t>(x);
    return truncated + (x > static_cast<double>(truncated) ? 1 : 0);
  }
  double lower_bound(int64_t index) const;

 private:
  static constexpr double kMaxValue = std::numeric_limits<double>::max();
  // A bucket bound as mantissa [1, 2] and exponent: the top bucket's upper
  // bound is beyond the doubles.
  struct Bound {
    double mantissa;
    int exponent;
  };
  Bound bound(int64_t index) const;
  // Bucket indices beyond this would mean an absurdly fine accuracy or range;
  // refusing them keeps the int32 arithmetic and the vector size sane.
  static constexpr double kMaxIndex = 1 << 30;
  // P(s), the cubic interpolating log2(1 + s) on [0, 1] (see the .cpp).
  static constexpr double kA = 6.0 / 35, kB = -3.0 / 5, kC = 10.0 / 7;
  static double cubic(double s) { return ((kA * s + kB) * s + kC) * s; }
  [[noreturn, gnu::cold, gnu::noinline]] static void refuse_index();
  // Every case: the first value, zeros, a new bucket, and refusals.
  void add_in_general(double value, uint64_t count);

  double gamma_;
  double buckets_per_octave_;
  uint64_t count_ = 0;
  uint64_t zeros_ = 0;
  double sum_ = 0;
  double min_ = 0;
  double max_ = 0;
  int32_t offset_ = 0;            // bucket index of counts_[0]
  std::vector<uint64_t> counts_;  // grows only with the range of values, not their number
};

}  // namespace jalapeno
