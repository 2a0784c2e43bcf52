#pragma once
#include <cstdint>

namespace jalapeno {

// One inference request as the workload produces it.
struct Request {
  uint64_t id = 0;
  double arrival_s = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  // Its class under a priority policy: lower is served first (vLLM's
  // convention); 0 unless the workload gives classes.
  int32_t priority = 0;
};

}  // namespace jalapeno
