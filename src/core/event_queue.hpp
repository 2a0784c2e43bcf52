#pragma once
// The discrete-event core: events ordered by (time, insertion order), so that
// simultaneous events run in the order they were scheduled and a run is
// reproducible. Events are small values in a binary heap over one vector that
// grows to the peak number of pending events and is reused: no allocation per
// event on the hot path.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace jalapeno {

struct Event {
  double time_s = 0;
  uint64_t order = 0;   // insertion order, the tie-breaker
  uint32_t kind = 0;    // what happens (the simulator's enum)
  uint32_t target = 0;  // which replica / source
  uint64_t payload = 0;
};

class EventQueue {
 public:
  void reserve(size_t n) { heap_.reserve(n); }
  void push(double time_s, uint32_t kind, uint32_t target = 0, uint64_t payload = 0);
  // An event ordered as if pushed now, for a caller that holds it outside
  // the heap (the simulator's one pending arrival, which would otherwise be
  // pushed and popped once a request) and runs it when it is not later()
  // than top().
  Event stamp(double time_s, uint32_t kind, uint32_t target = 0, uint64_t payload = 0) {
    return Event{time_s, next_order_++, kind, target, payload};
  }
  // The earliest event; the queue must not be empty.
  Event pop();
  const Event& top() const { return heap_.front(); }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  static bool later(const Event& a, const Event& b) {
    return a.time_s > b.time_s || (a.time_s == b.time_s && a.order > b.order);
  }

 private:
  std::vector<Event> heap_;
  uint64_t next_order_ = 0;
};

}  // namespace jalapeno
