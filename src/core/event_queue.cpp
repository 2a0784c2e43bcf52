#include "core/event_queue.hpp"

#include <algorithm>

namespace jalapeno {

// `later` as the heap's "less than" puts the earliest event (smallest time,
// then smallest insertion order) at the front.
void EventQueue::push(double time_s, uint32_t kind, uint32_t target, uint64_t payload) {
  heap_.push_back(Event{time_s, next_order_++, kind, target, payload});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

Event EventQueue::pop() {
  std::pop_heap(heap_.begin(), heap_.end(), later);
  Event event = heap_.back();
  heap_.pop_back();
  return event;
}

}  // namespace jalapeno
