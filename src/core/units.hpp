#pragma once
// Quantities with units, as written in configs ("4.8TB/s", "141GB", "2us"),
// parsed once into SI values (bytes, bytes/s, FLOP/s, seconds, watts, joules,
// hertz, square metres). Decimal prefixes mean powers of 1000 as datasheets use them; binary
// ones (KiB, MiB, GiB, TiB) are accepted where written.
#include <optional>
#include <string>
#include <string_view>

namespace jalapeno {

enum class Dimension {
  kBytes,
  kBandwidth,
  kFlopRate,
  kTime,
  kPower,
  kEnergy,
  kFrequency,
  kRate,
  kArea
};

// A human-readable description of what a value of this dimension looks like,
// for error messages: "a size such as '141GB'".
std::string describe(Dimension dim);

// Parses text as a quantity of the given dimension into its SI value.
// Returns nothing when the text is not such a quantity (no number, unknown or
// wrong-dimension unit, trailing garbage).
std::optional<double> parse_quantity(std::string_view text, Dimension dim);

// The magnitudes a config may give a quantity of this dimension: far beyond
// any machine either way (1 B to 1 EB, 1 KB/s to 1 EB/s, 1 fs to 31 years...),
// so that a typo in an exponent is an error rather than a simulation that
// overflows, underflows or runs for ever. Zero is outside the range; callers
// decide whether zero is allowed.
struct QuantityRange {
  double min;
  double max;
};
QuantityRange sane_range(Dimension dim);
// "between 1 B and 1 EB" for messages.
std::string describe_range(Dimension dim);

// True when text is a well-formed quantity of this dimension whose value a
// double cannot hold (1e308PB, 1e-320s): for messages that say why.
bool quantity_out_of_range(std::string_view text, Dimension dim);

// A whole, finite number with nothing after it ("12", "0.5", "1e3").
std::optional<double> parse_number(std::string_view text);

// Formats an SI value with a fitting prefix for tables: "4.8 TB/s", "12.5 us".
std::string format_quantity(double value, Dimension dim);

}  // namespace jalapeno
