// Units and numbers: parse_quantity for every Dimension and parse_number on
// the whole input; every accepted value is finite and formats.
#include <string>
#include <string_view>

#include "core/units.hpp"
#include "fuzz_common.hpp"

using namespace jalapeno;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_config_error_only([&] {
    if (const auto number = parse_number(text)) fuzz::check_finite(*number, "parse_number");
    for (const Dimension dim :
         {Dimension::kBytes, Dimension::kBandwidth, Dimension::kFlopRate, Dimension::kTime,
          Dimension::kPower, Dimension::kEnergy, Dimension::kFrequency, Dimension::kRate}) {
      const auto value = parse_quantity(text, dim);
      if (!value) continue;
      fuzz::check_finite(*value, "parse_quantity(" + describe(dim) + ")");
      const std::string shown = format_quantity(*value, dim);
      fuzz::check(!shown.empty(), "format_quantity gave an empty string");
    }
  });
  return 0;
}
