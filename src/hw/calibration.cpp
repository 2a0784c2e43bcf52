#include "hw/calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "core/error.hpp"
#include "core/json_input.hpp"

namespace jalapeno {
namespace {

double interpolate_loglog(double x0, double y0, double x1, double y1, double x) {
  if (x1 == x0) return y0;
  const double t = (std::log(x) - std::log(x0)) / (std::log(x1) - std::log(x0));
  return std::exp(std::log(y0) + t * (std::log(y1) - std::log(y0)));
}

template <typename T>
T field(const nlohmann::json& row, const char* key, const std::string& where) {
  if (!row.is_object()) throw ConfigError(fmt::format("{}: expected an object", where));
  if (!row.contains(key)) throw ConfigError(fmt::format("{}: missing key '{}'", where, key));
  const nlohmann::json& cell = row.at(key);
  if (!cell.is_number() || (std::is_integral_v<T> && !cell.is_number_integer())) {
    throw ConfigError(fmt::format("{}: key '{}': expected {}", where, key,
                                  std::is_integral_v<T> ? "a whole number" : "a number"));
  }
  try {
    T value = cell.get<T>();
    if (!(value > 0))
      throw ConfigError(fmt::format("{}: key '{}': expected a value above zero", where, key));
    return value;
  } catch (const nlohmann::json::exception&) {
    throw ConfigError(fmt::format("{}: key '{}': expected a number", where, key));
  }
}

}  // namespace

std::optional<double> CalibrationTable::gemm_seconds(int64_t m, int64_t k, int64_t n) const {
  auto it = gemm.find({k, n});
  if (it == gemm.end()) return std::nullopt;
  const auto& points = it->second;
  const double x = static_cast<double>(m);
  if (x < points.front().first || x > points.back().first) return std::nullopt;
  auto upper = std::lower_bound(points.begin(), points.end(), x,
                                [](const auto& p, double v) { return p.first < v; });
  if (upper->first == x) return upper->second;
  auto lower = upper - 1;
  return interpolate_loglog(lower->first, lower->second, upper->first, upper->second, x);
}

std::optional<double> CalibrationTable::attention_seconds(int64_t group, int64_t kv_heads,
                                                          int64_t head_dim, double batch,
                                                          double ctx) const {
  auto it = attention.find({group, kv_heads, head_dim});
  if (it == attention.end()) return std::nullopt;
  const auto& grid = it->second;
  std::vector<int64_t> batches, ctxs;
  for (const auto& [key, seconds] : grid) {
    batches.push_back(key.first);
    ctxs.push_back(key.second);
  }
  std::sort(batches.begin(), batches.end());
  batches.erase(std::unique(batches.begin(), batches.end()), batches.end());
  std::sort(ctxs.begin(), ctxs.end());
  ctxs.erase(std::unique(ctxs.begin(), ctxs.end()), ctxs.end());
  auto bracket = [](const std::vector<int64_t>& axis,
                    double v) -> std::optional<std::pair<int64_t, int64_t>> {
    if (axis.empty() || v < static_cast<double>(axis.front()) ||
        v > static_cast<double>(axis.back())) {
      return std::nullopt;
    }
    auto up = std::lower_bound(axis.begin(), axis.end(), v,
                               [](int64_t a, double x) { return static_cast<double>(a) < x; });
    if (static_cast<double>(*up) == v || up == axis.begin()) return std::make_pair(*up, *up);
    return std::make_pair(*(up - 1), *up);
  };
  auto b = bracket(batches, batch);
  auto c = bracket(ctxs, ctx);
  if (!b || !c) return std::nullopt;
  auto at = [&](int64_t bb, int64_t cc) -> std::optional<double> {
    auto p = grid.find({bb, cc});
    if (p == grid.end()) return std::nullopt;
    return p->second;
  };
  auto y00 = at(b->first, c->first), y01 = at(b->first, c->second);
  auto y10 = at(b->second, c->first), y11 = at(b->second, c->second);
  if (!y00 || !y01 || !y10 || !y11) return std::nullopt;
  const double low = interpolate_loglog(static_cast<double>(c->first), *y00,
                                        static_cast<double>(c->second), *y01, ctx);
  const double high = interpolate_loglog(static_cast<double>(c->first), *y10,
                                         static_cast<double>(c->second), *y11, ctx);
  return interpolate_loglog(static_cast<double>(b->first), low, static_cast<double>(b->second),
                            high, batch);
}

CalibrationTable read_calibration(const std::string& path) {
  const nlohmann::json doc = read_json_file(path, "calibration file");
  // Measurement files carry what they measured; anything else is a mistake
  // that would silently leave the chip uncalibrated.
  if (!doc.is_object()) {
    throw ConfigError(fmt::format("{}: expected an object with 'gemm' and/or 'attn' lists", path));
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "meta" && key != "ceilings" && key != "gemm" && key != "attn") {
      throw ConfigError(
          fmt::format("{}: unknown key '{}' (known keys: meta, ceilings, gemm, attn)", path, key));
    }
  }
  if (!doc.contains("gemm") && !doc.contains("attn")) {
    throw ConfigError(fmt::format("{}: no 'gemm' or 'attn' measurements", path));
  }
  CalibrationTable table;
  if (doc.contains("gemm")) {
    if (!doc["gemm"].is_array())
      throw ConfigError(fmt::format("{}: key 'gemm': expected a list", path));
    size_t i = 0;
    for (const auto& row : doc["gemm"]) {
      const std::string where = fmt::format("{}: gemm[{}]", path, i++);
      const auto k = field<int64_t>(row, "k", where);
      const auto n = field<int64_t>(row, "n", where);
      table.gemm[{k, n}].emplace_back(static_cast<double>(field<int64_t>(row, "m", where)),
                                      field<double>(row, "seconds", where));
    }
    for (auto& [key, points] : table.gemm) std::sort(points.begin(), points.end());
  }
  if (doc.contains("attn")) {
    if (!doc["attn"].is_array())
      throw ConfigError(fmt::format("{}: key 'attn': expected a list", path));
    size_t i = 0;
    for (const auto& row : doc["attn"]) {
      const std::string where = fmt::format("{}: attn[{}]", path, i++);
      auto key = std::make_tuple(field<int64_t>(row, "group", where),
                                 field<int64_t>(row, "kv_heads", where),
                                 field<int64_t>(row, "head_dim", where));
      table.attention[key]
                     [{field<int64_t>(row, "batch", where), field<int64_t>(row, "ctx", where)}] =
          field<double>(row, "seconds", where);
    }
  }
  return table;
}

}  // namespace jalapeno
