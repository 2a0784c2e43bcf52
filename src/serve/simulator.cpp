#include "serve/simulator.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"

namespace jalapeno {

Simulator::Simulator(StepCostModel& cost, const ServeConfig& config, RequestSource& source,
                     ServingMetrics& metrics, PerfettoWriter* trace)
    : source_(source),
      metrics_(metrics),
      trace_(trace),
      router_(make_router(config.router, "router")) {
  if (config.replicas < 1) throw ConfigError("replicas: expected at least 1");
  const int64_t blocks = kv_cache_blocks(cost, config.scheduler);
  replicas_.reserve(config.replicas);
  for (uint32_t i = 0; i < config.replicas; ++i) {
    replicas_.emplace_back(i, cost, config.scheduler, blocks);
    if (trace_) trace_->replica_name(i, fmt::format("replica {}", i));
  }
  queue_.reserve(config.replicas + 4);
  max_waiting_ = static_cast<int64_t>(config.replicas) *
                 std::max<int64_t>(1024, 4 * config.scheduler.max_sequences);
  finished_.reserve(static_cast<size_t>(config.scheduler.max_sequences));
}

// One arrival is pending at a time: the source is read as the simulation
// reaches it, so a trace of any length runs in constant memory. When the
// replicas already hold a deep backlog (an offline run, an overload), the
// next request stays in the source until they drain: it keeps its arrival
// time, so its latency is the same, and it is routed when it is let in, as a
// central queue in front of the replicas would.
void Simulator::pull_next_arrival() {
  if (arrival_pending_ || backlogged()) return;
  std::optional<Request> next = source_.next();
  if (!next) return;
  pending_ = *next;
  arrival_pending_ = true;
  queue_.push(std::max(pending_.arrival_s, now_s_), kArrival);
}

bool Simulator::backlogged() const {
  int64_t waiting = 0;
  for (const Replica& r : replicas_) waiting += r.waiting();
  return waiting >= max_waiting_;
}

void Simulator::try_start(uint32_t index) {
  Replica& replica = replicas_[index];
  if (!replica.can_start(now_s_)) return;
  const double seconds = replica.start_step(now_s_, metrics_);
  if (seconds <= 0) return;
  if (trace_) trace_->step(replica.last_step());
  queue_.push(now_s_ + seconds, kStepDone, index);
  // With pipeline stages, the next micro-batch may enter when this one has
  // left the first stage.
  if (replica.pipeline_depth() > 1) queue_.push(replica.stage_free_s(), kStageFree, index);
}

void Simulator::run() {
  pull_next_arrival();
  while (!queue_.empty()) {
    const Event event = queue_.pop();
    in_system_area_ += static_cast<double>(in_system_) * (event.time_s - now_s_);
    now_s_ = event.time_s;
    ++events_;
    if (event.kind == kArrival) {
      arrival_pending_ = false;
      ++in_system_;
      // A request held back by a backlog was in the system since it arrived.
      in_system_area_ += now_s_ - pending_.arrival_s;
      const uint32_t target = router_->route(pending_, replicas_);
      replicas_[target].enqueue(pending_);
      pull_next_arrival();
      try_start(target);
      continue;
    }
    if (event.kind == kStageFree) {
      try_start(event.target);
      continue;
    }
    Replica& replica = replicas_[event.target];
    finished_.clear();
    replica.finish_step(now_s_, metrics_, finished_);
    in_system_ -= static_cast<int64_t>(finished_.size());
    for (const Request& done : finished_) source_.on_complete(done, now_s_);
    pull_next_arrival();
    try_start(event.target);
  }
  for (const Replica& r : replicas_) {
    if (r.has_work()) {
      throw std::logic_error(fmt::format("replica {} stalled with work left", r.index()));
    }
  }
  if (!source_.exhausted()) throw std::logic_error("the request source stalled before its end");
  metrics_.set_end_time(now_s_);
}

}  // namespace jalapeno
