#pragma once
// A streaming quantile sketch with bounded relative error (DDSketch-style
// buckets, even in log(value) up to a bounded factor): constant memory however
// many values it sees, so the serving metrics of a 10-million-request trace
// fit in a few kilobytes. Values must be >= 0; zero is counted apart.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace jalapeno {

class QuantileSketch {
 public:
  // relative_accuracy: a reported quantile q' satisfies |q' - q| <= alpha * q
  // for the exact sample quantile q (of the same rank).
  explicit QuantileSketch(double relative_accuracy = 0.005);

  void add(double value);
  // `count` copies of `value` at the cost of one (sum += value * count).
  void add(double value, uint64_t count);
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
  // at most (1 + a) / (1 - a).
  int64_t bucket_index(double value) const;
  double lower_bound(int64_t index) const;

 private:
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
