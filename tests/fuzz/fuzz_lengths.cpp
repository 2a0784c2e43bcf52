// Length specs (--input-len, workload.input_tokens): LengthDistribution::parse
// on the first line of the input, then a few samples. The rest of the input,
// after the first newline, is written to a scratch file whose path replaces
// each '@' in the spec, so "file:@\n512\n1024\n" fuzzes length files too.
#include <string>

#include "core/rng.hpp"
#include "fuzz_common.hpp"
#include "workload/lengths.hpp"

using namespace jalapeno;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  std::string spec(input.substr(0, newline));
  if (newline != std::string_view::npos) {
    const std::string path = fuzz::write_file("lengths.txt", input.substr(newline + 1));
    for (size_t at = spec.find('@'); at != std::string::npos; at = spec.find('@', at + path.size()))
      spec.replace(at, 1, path);
  }
  fuzz::expect_config_error_only([&] {
    const LengthDistribution dist = LengthDistribution::parse(spec, "--input-len");
    const int64_t max = dist.max();
    fuzz::check(max >= 1, "max below 1");
    const double mean = dist.mean();
    fuzz::check(std::isfinite(mean) && mean >= 1 && mean <= static_cast<double>(max) * (1 + 1e-9),
                "mean " + std::to_string(mean) + " outside [1, max " + std::to_string(max) + "]");
    Rng rng(1, "fuzz");
    for (int i = 0; i < 16; ++i) {
      const int64_t n = dist.sample(rng);
      fuzz::check(n >= 1 && n <= max, "sample " + std::to_string(n) + " outside [1, max]");
    }
  });
  return 0;
}
