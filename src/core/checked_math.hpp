#pragma once
// Arithmetic on user-supplied integers that cannot wrap. Every product or sum
// of numbers that came from a file or a flag goes through these, so that a
// size of 2^61 x 4 fails loudly instead of wrapping to a small, valid-looking
// value.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "core/error.hpp"

namespace jalapeno {

// a * b, or a ConfigError naming what was being computed.
inline int64_t checked_mul(int64_t a, int64_t b, std::string_view what) {
  int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result)) {
    throw ConfigError(fmt::format("{}: {} x {} is beyond what any system holds", what, a, b));
  }
  return result;
}

// a + b, or a ConfigError naming what was being computed.
inline int64_t checked_add(int64_t a, int64_t b, std::string_view what) {
  int64_t result = 0;
  if (__builtin_add_overflow(a, b, &result)) {
    throw ConfigError(fmt::format("{}: {} + {} is beyond what any system holds", what, a, b));
  }
  return result;
}

// True when value is finite and converts to int64_t without overflow.
inline bool fits_int64(double value) {
  // 2^63 is exactly representable; every double below it converts.
  return std::isfinite(value) && value >= -9223372036854775808.0 && value < 9223372036854775808.0;
}

}  // namespace jalapeno
