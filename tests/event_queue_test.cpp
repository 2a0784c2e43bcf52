// EventQueue: earliest time first, ties in insertion order, and agreement
// with a sorted reference under interleaved pushes and pops.
#include "core/event_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.hpp"

namespace jalapeno {
namespace {

TEST(EventQueue, PopsInTimeOrder) {
  EventQueue queue;
  for (double t : {5.0, 1.0, 3.0, 0.5, 4.0, 2.0}) queue.push(t, 0);
  EXPECT_EQ(queue.size(), 6u);
  std::vector<double> times;
  while (!queue.empty()) times.push_back(queue.pop().time_s);
  EXPECT_EQ(times, (std::vector<double>{0.5, 1.0, 2.0, 3.0, 4.0, 5.0}));
}

TEST(EventQueue, TiesRunInInsertionOrder) {
  EventQueue queue;
  for (uint32_t i = 0; i < 50; ++i) queue.push(i % 2 == 0 ? 1.0 : 2.0, /*kind=*/i);
  for (uint32_t expected : {0u, 2u, 4u}) EXPECT_EQ(queue.pop().kind, expected);
  // Pushed later at the same time: runs after the earlier ones at that time.
  queue.push(1.0, 100);
  std::vector<uint32_t> rest;
  while (!queue.empty()) rest.push_back(queue.pop().kind);
  std::vector<uint32_t> expected;
  for (uint32_t i = 6; i < 50; i += 2) expected.push_back(i);
  expected.push_back(100);
  for (uint32_t i = 1; i < 50; i += 2) expected.push_back(i);
  EXPECT_EQ(rest, expected);
}

TEST(EventQueue, CarriesEveryField) {
  EventQueue queue;
  queue.push(2.5, 7, 3, 0xdeadbeefcafeULL);
  EXPECT_EQ(queue.top().time_s, 2.5);
  const Event event = queue.pop();
  EXPECT_EQ(event.time_s, 2.5);
  EXPECT_EQ(event.kind, 7u);
  EXPECT_EQ(event.target, 3u);
  EXPECT_EQ(event.payload, 0xdeadbeefcafeULL);
  EXPECT_TRUE(queue.empty());
}

TEST(EventQueue, InterleavedPushPopMatchesSortedReference) {
  EventQueue queue;
  queue.reserve(64);
  std::vector<Event> reference;  // every pending event; the minimum is popped
  Rng rng(3, "event-queue");
  uint64_t pushed = 0;
  double now = 0;
  for (int step = 0; step < 20000; ++step) {
    if (reference.empty() || rng.uniform() < 0.55) {
      // Integer offsets from now: many exact ties.
      const double t = now + std::floor(rng.uniform() * 5);
      queue.push(t, 0, 0, pushed);
      reference.push_back(Event{t, pushed, 0, 0, pushed});
      ++pushed;
    } else {
      const auto first =
          std::min_element(reference.begin(), reference.end(), [](const Event& a, const Event& b) {
            return a.time_s < b.time_s || (a.time_s == b.time_s && a.order < b.order);
          });
      const Event got = queue.pop();
      ASSERT_EQ(got.time_s, first->time_s) << "step " << step;
      ASSERT_EQ(got.payload, first->payload) << "step " << step;
      ASSERT_EQ(got.order, first->order) << "step " << step;
      now = got.time_s;
      reference.erase(first);
    }
    ASSERT_EQ(queue.size(), reference.size());
  }
}

}  // namespace
}  // namespace jalapeno
