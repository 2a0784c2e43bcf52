#pragma once
// Measured kernel times (the format of data/calibration/h200/kernels.json):
// GEMMs by (k, n) over a range of m, and decode attention by (group, kv_heads,
// head_dim) over a grid of batch and context. Within a measured range the cost
// model interpolates them (log-log); outside it keeps its analytical model.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace jalapeno {

struct CalibrationTable {
  // (k, n) -> points (m, seconds), sorted by m.
  std::map<std::pair<int64_t, int64_t>, std::vector<std::pair<double, double>>> gemm;
  // (group, kv_heads, head_dim) -> (batch, ctx) -> seconds.
  std::map<std::tuple<int64_t, int64_t, int64_t>, std::map<std::pair<int64_t, int64_t>, double>>
      attention;

  std::optional<double> gemm_seconds(int64_t m, int64_t k, int64_t n) const;
  // Bilinear in log(batch), log(ctx) inside the measured grid.
  std::optional<double> attention_seconds(int64_t group, int64_t kv_heads, int64_t head_dim,
                                          double batch, double ctx) const;
};

CalibrationTable read_calibration(const std::string& path);

}  // namespace jalapeno
