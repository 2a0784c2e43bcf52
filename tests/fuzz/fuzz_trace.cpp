// Trace files: Azure LLM CSV, BurstGPT CSV and JSONL (the format is detected
// from the first line). Every request of the file, played twice (loops: 2),
// with arrivals finite and in order and token counts of at least 1.
#include <string>

#include "fuzz_common.hpp"
#include "workload/source.hpp"

using namespace jalapeno;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TraceSpec spec;
  spec.path =
      fuzz::write_file("trace.csv", std::string_view(reinterpret_cast<const char*>(data), size));
  spec.loops = 2;
  fuzz::expect_config_error_only([&] {
    std::unique_ptr<RequestSource> source = make_trace_source(spec);
    double last = 0;
    int64_t count = 0;
    while (const auto request = source->next()) {
      fuzz::check_finite(request->arrival_s, "arrival time");
      fuzz::check(request->arrival_s >= last, "arrivals out of order");
      fuzz::check(request->input_tokens >= 1 && request->output_tokens >= 1, "token counts");
      fuzz::check(++count <= 2 * static_cast<int64_t>(size) + 2, "more requests than lines");
      last = request->arrival_s;
    }
    fuzz::check(source->exhausted(), "next() ended before exhausted()");
    source->describe();
  });
  return 0;
}
