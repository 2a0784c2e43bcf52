#include "serve/simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace jalapeno {

Simulator::Simulator(StepCostModel& cost, const ServeConfig& config, RequestSource& source,
                     ServingObserver& metrics, ServingObserver* trace)
    : cost_(cost),
      scheduler_(config.scheduler),
      limits_(config.limits),
      per_sequence_only_(config.per_sequence_only),
      kv_blocks_(0),
      source_(source),
      metrics_(metrics),
      trace_(trace),
      router_(make_router(config.router, "router", config.seed)) {
  if (config.replicas < 1) throw ConfigError("replicas: expected at least 1");
  if (config.replicas > ServeLimits::kMaxReplicas) {
    throw ConfigError(fmt::format("replicas: expected 1 to {}, got {}", ServeLimits::kMaxReplicas,
                                  config.replicas));
  }
  // Throws InfeasibleError when the model does not fit, before any request.
  if (config.scheduler.speculative.enabled()) {
    SpeculativeConfig speculative = config.scheduler.speculative;
    speculative.seed = config.seed;  // the scenario's, as the routers'
    speculator_ = std::make_unique<Speculator>(cost, speculative);
  }
  kv_blocks_ = kv_cache_blocks(cost, config.scheduler, speculator_.get());
  check_prefix_caching(cost, config.scheduler);
  if (config.router == "prefix-aware" && !config.scheduler.prefix_caching) {
    throw ConfigError(
        "router: prefix-aware routes by what each replica's prefix cache holds; turn on "
        "scheduler.prefix_caching (--prefix-caching) or choose another router");
  }
  replicas_.resize(config.replicas);
  router_->reset(config.replicas);
  for (uint32_t i = 0; i < config.replicas; ++i) {
    metrics_.on_replica(i);
    if (trace_) trace_->on_replica(i);
  }
  queue_.reserve(std::min<size_t>(config.replicas, 4096) + 4);
  const int64_t per_replica = std::max<int64_t>(1024, 4 * config.scheduler.max_sequences);
  max_waiting_ = std::min(static_cast<int64_t>(config.replicas) * per_replica,
                          std::max(ServeLimits::kMaxBacklog, per_replica));
  finished_.reserve(static_cast<size_t>(std::min<int64_t>(config.scheduler.max_sequences, 4096)));
}

void Simulator::set_progress_hook(std::function<void(const RunProgress&)> hook,
                                  uint64_t every_events) {
  progress_hook_ = std::move(hook);
  progress_every_ = std::max<uint64_t>(every_events, 1);
  next_progress_ = progress_hook_ ? events_ + progress_every_ : UINT64_MAX;
}

RunProgress Simulator::progress() const {
  RunProgress p;
  p.simulated_s = now_s_;
  p.events = events_;
  p.arrived = arrivals_;
  p.completed = completed_;
  return p;
}

Replica& Simulator::replica_for(uint32_t index) {
  std::unique_ptr<Replica>& slot = replicas_[index];
  if (!slot) {
    slot = std::make_unique<Replica>(index, cost_, scheduler_, kv_blocks_, per_sequence_only_,
                                     speculator_.get());
    ++created_;
  }
  return *slot;
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
  if (arrivals_ >= limits_.max_requests) {
    throw ConfigError(fmt::format(
        "requests: the workload ({}) has more than {} requests, the most one run simulates; "
        "lower workload.requests (--requests), trace.loops (--loops), or cap a trace with "
        "trace.max_requests (--requests)",
        source_.describe(), limits_.max_requests));
  }
  if (!(next->arrival_s <= limits_.max_simulated_s)) {
    throw ConfigError(fmt::format(
        "simulated time: request {} arrives at t = {:.6g} s, beyond the {:g} s (about {:.1f} "
        "years) one run may simulate ({}); check the arrival rate (--rate), the think time "
        "(--think) or the trace's timestamps and speedup (--speedup)",
        next->id, next->arrival_s, limits_.max_simulated_s, limits_.max_simulated_s / 3.15576e7,
        source_.describe()));
  }
  ++arrivals_;
  pending_ = *next;
  arrival_pending_ = true;
  arrival_ = queue_.stamp(std::max(pending_.arrival_s, now_s_), kArrival);
}

void Simulator::try_start(uint32_t index) {
  Replica& replica = *replicas_[index];
  if (!replica.can_start(now_s_)) return;
  const int64_t waiting_before = replica.waiting();
  const double seconds = replica.start_step(now_s_, metrics_);
  waiting_ += replica.waiting() - waiting_before;
  router_->update(index, replica);
  if (seconds <= 0) return;
  const double step_s = replica.last_compute_s() + replica.last_swap_s();
  if (!(step_s <= limits_.max_step_s)) {
    const StepRecord& step = replica.last_step();
    const bool swapping = replica.last_swap_s() > replica.last_compute_s();
    throw ConfigError(fmt::format(
        "step time: one step of replica {} at t = {:.6g} s takes {:.6g} s ({:.6g} s computing "
        "{} sequences with {} prefill tokens, {:.6g} s moving {:.4g} GB of swapped KV cache), "
        "beyond the {:g} s one step may take; {}",
        index, now_s_, step_s, replica.last_compute_s(), step.sequences, step.prefill_tokens,
        replica.last_swap_s(), replica.last_swap_bytes() / 1e9, limits_.max_step_s,
        swapping ? "check scheduler.swap_bandwidth"
                 : "check the chip's compute and bandwidth, the model, and "
                   "scheduler.max_batched_tokens (--max-tokens)"));
  }
  if (trace_) trace_->on_step(replica.last_step());
  queue_.push(now_s_ + seconds, kStepDone, index);
  // With pipeline stages, the next micro-batch may enter when this one has
  // left the first stage.
  if (replica.pipeline_depth() > 1) queue_.push(replica.stage_free_s(), kStageFree, index);
}

void Simulator::run() {
  pull_next_arrival();
  while (arrival_pending_ || !queue_.empty()) {
    // The pending arrival, held apart, runs where the queue would have put it.
    const bool arrival_next =
        arrival_pending_ && (queue_.empty() || !EventQueue::later(arrival_, queue_.top()));
    const Event event = arrival_next ? arrival_ : queue_.pop();
    in_system_area_ += static_cast<double>(in_system_) * (event.time_s - now_s_);
    now_s_ = event.time_s;
    ++events_;
    if (events_ >= next_progress_) {
      next_progress_ = events_ + progress_every_;
      progress_hook_(progress());
    }
    if (!(now_s_ <= limits_.max_simulated_s)) {
      throw ConfigError(fmt::format(
          "simulated time: the run reaches t = {:.6g} s with {} requests in the system, beyond "
          "the {:g} s (about {:.1f} years) one run may simulate ({}); check the workload and the "
          "step times of the chip and model",
          now_s_, in_system_, limits_.max_simulated_s, limits_.max_simulated_s / 3.15576e7,
          source_.describe()));
    }
    if (event.kind == kArrival) {
      arrival_pending_ = false;
      ++in_system_;
      // A request held back by a backlog was in the system since it arrived.
      in_system_area_ += now_s_ - pending_.arrival_s;
      const uint32_t target = router_->route(pending_);
      Replica& replica = replica_for(target);
      replica.enqueue(pending_);
      ++waiting_;
      router_->update(target, replica);
      pull_next_arrival();
      try_start(target);
      continue;
    }
    if (event.kind == kStageFree) {
      try_start(event.target);
      continue;
    }
    Replica& replica = *replicas_[event.target];
    finished_.clear();
    replica.finish_step(now_s_, metrics_, finished_);
    if (!finished_.empty()) router_->update(event.target, replica);
    in_system_ -= static_cast<int64_t>(finished_.size());
    completed_ += finished_.size();
    for (const Request& done : finished_) source_.on_complete(done, now_s_);
    // A completion may have scheduled a request before the one held.
    if (arrival_pending_ && !finished_.empty() && source_.take_back(pending_)) {
      arrival_pending_ = false;
      --arrivals_;
    }
    pull_next_arrival();
    try_start(event.target);
  }
  for (const auto& r : replicas_) {
    if (r && r->has_work()) {
      throw std::logic_error(fmt::format("replica {} stalled with work left", r->index()));
    }
  }
  if (!source_.exhausted()) throw std::logic_error("the request source stalled before its end");
  metrics_.on_end(now_s_);
  if (progress_hook_) {
    RunProgress p = progress();
    p.finished = true;
    progress_hook_(p);
  }
}

}  // namespace jalapeno
