#pragma once
// Independent runs on several threads with results in a fixed order: each
// index is computed by exactly one worker into its own slot, so the output
// is the same whatever the number of threads or their timing. The work must
// share nothing mutable: the step-cost model is not thread-safe, so each run
// builds its own (its memo is exact, so a run's numbers do not depend on
// what an earlier run left in it).
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace jalapeno {

// Calls work(i) for i in [0, count) on up to `jobs` threads (the caller's
// included). If any call throws, the exception of the lowest such index is
// rethrown once all have stopped; indices not yet started are skipped.
template <class Work>
void parallel_for_index(size_t count, size_t jobs, Work&& work) {
  const size_t threads = std::clamp<size_t>(jobs, 1, std::max<size_t>(count, 1));
  if (threads == 1) {
    for (size_t i = 0; i < count; ++i) work(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::exception_ptr> errors(count);
  const auto worker = [&] {
    for (size_t i; !failed.load() && (i = next.fetch_add(1)) < count;) {
      try {
        work(i);
      } catch (...) {
        errors[i] = std::current_exception();
        failed.store(true);
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  try {
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  } catch (...) {
    // No thread to be had: stop the ones started, join them, say so.
    failed.store(true);
    for (std::thread& t : pool) t.join();
    throw;
  }
  worker();
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace jalapeno
