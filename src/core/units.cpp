#include "core/units.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace jalapeno {
namespace {

struct UnitDef {
  std::string_view symbol;
  double scale;
};

// Each dimension's units, longest-match not needed: symbols are compared whole.
constexpr std::array kBytesUnits{UnitDef{"B", 1},
                                 UnitDef{"KB", 1e3},
                                 UnitDef{"MB", 1e6},
                                 UnitDef{"GB", 1e9},
                                 UnitDef{"TB", 1e12},
                                 UnitDef{"PB", 1e15},
                                 UnitDef{"KiB", 1024.0},
                                 UnitDef{"MiB", 1048576.0},
                                 UnitDef{"GiB", 1073741824.0},
                                 UnitDef{"TiB", 1099511627776.0}};
constexpr std::array kFlopUnits{UnitDef{"FLOPS", 1}, UnitDef{"GFLOPS", 1e9},
                                UnitDef{"TFLOPS", 1e12}, UnitDef{"PFLOPS", 1e15}};
constexpr std::array kTimeUnits{UnitDef{"ns", 1e-9}, UnitDef{"us", 1e-6}, UnitDef{"ms", 1e-3},
                                UnitDef{"s", 1}};
constexpr std::array kPowerUnits{UnitDef{"W", 1}, UnitDef{"kW", 1e3}, UnitDef{"MW", 1e6}};
constexpr std::array kEnergyUnits{UnitDef{"pJ", 1e-12}, UnitDef{"nJ", 1e-9}, UnitDef{"uJ", 1e-6},
                                  UnitDef{"mJ", 1e-3}, UnitDef{"J", 1}};
constexpr std::array kFrequencyUnits{UnitDef{"Hz", 1}, UnitDef{"kHz", 1e3}, UnitDef{"MHz", 1e6},
                                     UnitDef{"GHz", 1e9}};

template <size_t N>
std::optional<double> lookup(const std::array<UnitDef, N>& units, std::string_view symbol) {
  for (const auto& unit : units) {
    if (unit.symbol == symbol) return unit.scale;
  }
  return std::nullopt;
}

std::optional<double> unit_scale(std::string_view symbol, Dimension dim) {
  switch (dim) {
    case Dimension::kBytes:
      return lookup(kBytesUnits, symbol);
    case Dimension::kBandwidth:
      if (symbol.size() > 2 && symbol.substr(symbol.size() - 2) == "/s") {
        return lookup(kBytesUnits, symbol.substr(0, symbol.size() - 2));
      }
      return std::nullopt;
    case Dimension::kFlopRate:
      return lookup(kFlopUnits, symbol);
    case Dimension::kTime:
      return lookup(kTimeUnits, symbol);
    case Dimension::kPower:
      return lookup(kPowerUnits, symbol);
    case Dimension::kEnergy:
      return lookup(kEnergyUnits, symbol);
    case Dimension::kFrequency:
      return lookup(kFrequencyUnits, symbol);
    case Dimension::kRate:
      if (symbol == "/s") return 1.0;
      if (symbol == "/min") return 1.0 / 60;
      if (symbol == "/h") return 1.0 / 3600;
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::string describe(Dimension dim) {
  switch (dim) {
    case Dimension::kBytes:
      return "a size such as '141GB' or '80GiB' (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
    case Dimension::kBandwidth:
      return "a bandwidth such as '4.8TB/s' (B/s, KB/s, MB/s, GB/s, TB/s, GiB/s)";
    case Dimension::kFlopRate:
      return "a compute rate such as '989TFLOPS' (FLOPS, GFLOPS, TFLOPS, PFLOPS)";
    case Dimension::kTime:
      return "a time such as '2us' (ns, us, ms, s)";
    case Dimension::kPower:
      return "a power such as '700W' (W, kW, MW)";
    case Dimension::kEnergy:
      return "an energy such as '5pJ' (pJ, nJ, uJ, mJ, J)";
    case Dimension::kFrequency:
      return "a frequency such as '1.98GHz' (Hz, kHz, MHz, GHz)";
    case Dimension::kRate:
      return "a rate such as '12/s' (/s, /min, /h)";
  }
  return "a quantity";
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parse_quantity(std::string_view text, Dimension dim) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double number = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [after, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || !std::isfinite(number)) return std::nullopt;
  std::string_view symbol(after, static_cast<size_t>(end - after));
  while (!symbol.empty() && symbol.front() == ' ') symbol.remove_prefix(1);
  auto scale = unit_scale(symbol, dim);
  if (!scale) return std::nullopt;
  return number * *scale;
}

std::string format_quantity(double value, Dimension dim) {
  auto pick = [value](auto units) {
    // The largest decimal unit that keeps the mantissa, rounded to three
    // significant digits, at or above 1.
    const double rounded = std::stod(fmt::format("{:.3g}", value));
    const UnitDef* best = &units[0];
    for (const auto& unit : units) {
      if (std::abs(rounded) >= unit.scale && unit.symbol.find('i') == std::string_view::npos) {
        best = &unit;
      }
    }
    const double mantissa = rounded / best->scale;
    if (std::abs(mantissa) >= 1000) return fmt::format("{:.0f} {}", mantissa, best->symbol);
    return fmt::format("{:.3g} {}", mantissa, best->symbol);
  };
  switch (dim) {
    case Dimension::kBytes:
      return pick(kBytesUnits);
    case Dimension::kBandwidth: {
      std::string bytes = format_quantity(value, Dimension::kBytes);
      return bytes + "/s";
    }
    case Dimension::kFlopRate:
      return pick(kFlopUnits);
    case Dimension::kTime:
      return pick(kTimeUnits);
    case Dimension::kPower:
      return pick(kPowerUnits);
    case Dimension::kEnergy:
      return pick(kEnergyUnits);
    case Dimension::kFrequency:
      return pick(kFrequencyUnits);
    case Dimension::kRate:
      return fmt::format("{:.3g}/s", value);
  }
  return fmt::format("{}", value);
}

}  // namespace jalapeno
