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
// Line rates of links and SerDes lanes are quoted in bits.
constexpr std::array kBitUnits{UnitDef{"b", 0.125},    UnitDef{"Kb", 125.0},
                               UnitDef{"Mb", 1.25e5},  UnitDef{"Gb", 1.25e8},
                               UnitDef{"Tb", 1.25e11}, UnitDef{"Pb", 1.25e14}};
constexpr std::array kFlopUnits{UnitDef{"FLOPS", 1}, UnitDef{"GFLOPS", 1e9},
                                UnitDef{"TFLOPS", 1e12}, UnitDef{"PFLOPS", 1e15}};
constexpr std::array kTimeUnits{UnitDef{"ns", 1e-9}, UnitDef{"us", 1e-6},   UnitDef{"ms", 1e-3},
                                UnitDef{"s", 1},     UnitDef{"min", 60},    UnitDef{"h", 3600},
                                UnitDef{"d", 86400}, UnitDef{"y", 31557600}};  // y: 365.25 d
constexpr std::array kPowerUnits{UnitDef{"W", 1}, UnitDef{"kW", 1e3}, UnitDef{"MW", 1e6}};
constexpr std::array kEnergyUnits{UnitDef{"pJ", 1e-12}, UnitDef{"nJ", 1e-9}, UnitDef{"uJ", 1e-6},
                                  UnitDef{"mJ", 1e-3}, UnitDef{"J", 1}};
constexpr std::array kFrequencyUnits{UnitDef{"Hz", 1}, UnitDef{"kHz", 1e3}, UnitDef{"MHz", 1e6},
                                     UnitDef{"GHz", 1e9}};
// Die and bit-cell areas, as process and die-shot figures quote them.
constexpr std::array kAreaUnits{UnitDef{"um2", 1e-12}, UnitDef{"mm2", 1e-6}, UnitDef{"cm2", 1e-4}};

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
        const std::string_view per = symbol.substr(0, symbol.size() - 2);
        if (auto bytes = lookup(kBytesUnits, per)) return bytes;
        return lookup(kBitUnits, per);
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
    case Dimension::kArea:
      return lookup(kAreaUnits, symbol);
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
      return "a bandwidth such as '4.8TB/s' (B/s, KB/s, MB/s, GB/s, TB/s, GiB/s; bits: Gb/s, Tb/s)";
    case Dimension::kFlopRate:
      return "a compute rate such as '989TFLOPS' (FLOPS, GFLOPS, TFLOPS, PFLOPS)";
    case Dimension::kTime:
      return "a time such as '2us' (ns, us, ms, s, min, h, d, y)";
    case Dimension::kPower:
      return "a power such as '700W' (W, kW, MW)";
    case Dimension::kEnergy:
      return "an energy such as '5pJ' (pJ, nJ, uJ, mJ, J)";
    case Dimension::kFrequency:
      return "a frequency such as '1.98GHz' (Hz, kHz, MHz, GHz)";
    case Dimension::kRate:
      return "a rate such as '12/s' (/s, /min, /h)";
    case Dimension::kArea:
      return "an area such as '814mm2' (um2, mm2, cm2)";
  }
  return "a quantity";
}

namespace {
// Zero, or a finite value of normal magnitude: infinities, NaN and subnormals
// (below 2.2e-308, where precision is lost and later arithmetic misbehaves)
// are not numbers anyone means in a config.
bool representable(double value) {
  return value == 0 || std::isnormal(value);
}
}  // namespace

QuantityRange sane_range(Dimension dim) {
  switch (dim) {
    case Dimension::kBytes:
      return {1, 1e18};
    case Dimension::kBandwidth:
      return {1e3, 1e18};
    case Dimension::kFlopRate:
      return {1e3, 1e21};
    case Dimension::kTime:
      return {1e-15, 1e9};
    case Dimension::kPower:
      return {1e-6, 1e10};
    case Dimension::kEnergy:
      return {1e-18, 1e15};
    case Dimension::kFrequency:
      return {1, 1e13};
    case Dimension::kRate:
      return {1e-6, 1e9};
    case Dimension::kArea:
      return {1e-18, 1};  // a nm^2 to a square metre (a wafer is 0.07 m^2)
  }
  return {0, 0};
}

std::string describe_range(Dimension dim) {
  const QuantityRange range = sane_range(dim);
  return fmt::format("between {} and {}", format_quantity(range.min, dim),
                     format_quantity(range.max, dim));
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !representable(value)) {
    return std::nullopt;
  }
  return value;
}

namespace {
enum class QuantityParse { kOk, kMalformed, kOutOfRange };

QuantityParse parse_quantity_into(std::string_view text, Dimension dim, double& value) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double number = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [after, ec] = std::from_chars(begin, end, number);
  if (ec == std::errc::invalid_argument) return QuantityParse::kMalformed;
  if (ec == std::errc() && !std::isfinite(number)) return QuantityParse::kMalformed;  // "inf"
  std::string_view symbol(after, static_cast<size_t>(end - after));
  while (!symbol.empty() && symbol.front() == ' ') symbol.remove_prefix(1);
  auto scale = unit_scale(symbol, dim);
  if (!scale) return QuantityParse::kMalformed;
  if (ec == std::errc::result_out_of_range || !representable(number)) {
    return QuantityParse::kOutOfRange;
  }
  // "1e308PB" is a finite number times a finite scale, and still infinite.
  value = number * *scale;
  return representable(value) ? QuantityParse::kOk : QuantityParse::kOutOfRange;
}
}  // namespace

std::optional<double> parse_quantity(std::string_view text, Dimension dim) {
  double value = 0;
  if (parse_quantity_into(text, dim, value) != QuantityParse::kOk) return std::nullopt;
  return value;
}

bool quantity_out_of_range(std::string_view text, Dimension dim) {
  double value = 0;
  return parse_quantity_into(text, dim, value) == QuantityParse::kOutOfRange;
}

std::string format_quantity(double value, Dimension dim) {
  auto pick = [value](auto units) {
    // The largest decimal unit that keeps the mantissa, rounded to three
    // significant digits, at or above 1.
    // from_chars leaves rounded alone when the text is out of range
    // (subnormals), where std::stod would throw.
    const std::string text = fmt::format("{:.3g}", value);
    double rounded = value;
    std::from_chars(text.data(), text.data() + text.size(), rounded);
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
      // Tables keep seconds above a second: a run of 5,000 s reads as such.
      return pick(std::array{kTimeUnits[0], kTimeUnits[1], kTimeUnits[2], kTimeUnits[3]});
    case Dimension::kPower:
      return pick(kPowerUnits);
    case Dimension::kEnergy:
      return pick(kEnergyUnits);
    case Dimension::kFrequency:
      return pick(kFrequencyUnits);
    case Dimension::kRate:
      return fmt::format("{:.3g}/s", value);
    case Dimension::kArea:
      return pick(kAreaUnits);
  }
  return fmt::format("{}", value);
}

}  // namespace jalapeno
