// parallel_for_index: every index computed once, whatever the threads; the
// lowest failing index's exception rethrown. Fleet sizing and --seeds use it
// (their results with several threads are compared in fleet_sizing_test and
// cli_test).
#include "core/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace jalapeno {
namespace {

TEST(Parallel, ComputesEveryIndexOnceInItsSlot) {
  for (const size_t jobs : {1u, 2u, 7u, 64u}) {
    for (const size_t count : {0u, 1u, 5u, 1000u}) {
      std::vector<int> hits(count, 0);
      std::vector<size_t> out(count, 0);
      parallel_for_index(count, jobs, [&](size_t i) {
        ++hits[i];  // one slot per index: no two threads share one
        out[i] = i * i;
      });
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(hits[i], 1) << "index " << i << ", " << jobs << " jobs";
        ASSERT_EQ(out[i], i * i);
      }
    }
  }
}

TEST(Parallel, RethrowsTheLowestFailingIndex) {
  for (const size_t jobs : {1u, 3u, 16u}) {
    std::atomic<int> calls{0};
    try {
      parallel_for_index(100, jobs, [&](size_t i) {
        ++calls;
        if (i == 17 || i == 40 || i == 99) throw std::runtime_error(std::to_string(i));
      });
      FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), "17") << jobs << " jobs";
    }
    // On one thread the indices after a failure are not started. (With more,
    // how many others started first depends on the scheduling.)
    if (jobs == 1) {
      EXPECT_EQ(calls.load(), 18);
    }
  }
}

}  // namespace
}  // namespace jalapeno
