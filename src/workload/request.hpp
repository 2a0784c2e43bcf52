#pragma once
#include <cstdint>

namespace jalapeno {

// One inference request as the workload produces it.
struct Request {
  uint64_t id = 0;
  double arrival_s = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

}  // namespace jalapeno
