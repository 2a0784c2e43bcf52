#pragma once
// The serving simulator's event loop: requests arrive from a source, a
// router assigns each to a replica, and every replica runs steps back to back
// while it has work. Events are (time, insertion order): a run is a pure
// function of its inputs and seed.
//
// The work per event does not grow with the number of replicas (beyond the
// router's logarithm): the backlog is a running count, the router keeps its
// own index of loads, and a replica's state is created when the first
// request is routed to it (a replica never used costs a null pointer, a
// router entry and a metrics record).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/event_queue.hpp"
#include "serve/replica.hpp"
#include "serve/router.hpp"
#include "serve/serving_events.hpp"
#include "workload/source.hpp"

namespace jalapeno {

// What one run may cover; beyond these a scenario is a mistake (a rate per
// hour given per second, a swap bandwidth in bytes instead of gigabytes), or
// would run for hours or exhaust memory without a word. Exceeding one throws
// ConfigError saying which and what to check. See README "Inputs and their
// errors".
struct ServeLimits {
  // 100,000 replicas: as many accelerators as the largest fleets hold; one
  // replica never used costs ~0.2 KB, but the output has a row (console) or
  // an object (JSON, ~1 KB with its series) per replica.
  static constexpr uint32_t kMaxReplicas = 100000;
  // 1e8 requests: about 15 minutes at the benchmark's 120,000 requests/s,
  // hours for long outputs on many replicas.
  static constexpr uint64_t kMaxRequests = 100000000;
  // About 3.2 years of simulated service: every scenario of a real service is
  // far shorter; longer means a unit mistake.
  static constexpr double kMaxSimulatedSeconds = 1e8;
  // One hour for one step: real steps take milliseconds to seconds.
  static constexpr double kMaxStepSeconds = 3600;
  // Requests waiting in all replicas before arrivals are held in the source:
  // 4,194,304 (~0.5 GB of queued requests), so an offline run of 1e8 requests
  // over many replicas stays in memory.
  static constexpr int64_t kMaxBacklog = int64_t{1} << 22;

  uint64_t max_requests = kMaxRequests;
  double max_simulated_s = kMaxSimulatedSeconds;
  double max_step_s = kMaxStepSeconds;
};

struct ServeConfig {
  uint32_t replicas = 1;
  std::string router = "round-robin";
  uint64_t seed = 1;  // for routers that draw (power-of-two choices): the scenario's
  SchedulerConfig scheduler;
  ServeLimits limits;
  // Every step on the per-sequence path (the reference the decode aggregate
  // is checked against; README "Serving core"): same results, slower.
  bool per_sequence_only = false;
};

class Simulator {
 public:
  // All replicas share one step cost model (same model, chip and engine), so
  // they share its memo too. Throws ConfigError for more than
  // ServeLimits::kMaxReplicas replicas.
  // `metrics` and `trace` (optional) observe the run: the report stage's
  // ServingMetrics and PerfettoWriter, or any other ServingObserver.
  Simulator(StepCostModel& cost, const ServeConfig& config, RequestSource& source,
            ServingObserver& metrics, ServingObserver* trace = nullptr);

  // Runs until the source is exhausted and every request has finished.
  void run();

  // Calls `hook` every `every_events` events (and once at the end of run())
  // with where the run stands; a hook is expected to throttle itself by wall
  // clock (see ProgressLine). Without one the loop pays one comparison per
  // event.
  void set_progress_hook(std::function<void(const RunProgress&)> hook,
                         uint64_t every_events = 1024);

  double now_s() const { return now_s_; }
  // The integral over time of the number of requests in the system (arrived,
  // not finished), kept from the event sequence alone: with the metrics' sum
  // of latencies it checks Little's law.
  double requests_in_system_integral() const { return in_system_area_; }
  uint64_t events() const { return events_; }
  uint64_t arrivals() const { return arrivals_; }
  uint32_t replica_count() const { return static_cast<uint32_t>(replicas_.size()); }
  // Replica `index`, or null when no request was ever routed to it.
  const Replica* replica(uint32_t index) const { return replicas_.at(index).get(); }
  // How many replicas were given state (routed at least one request).
  uint32_t replicas_created() const { return created_; }
  const Router& router() const { return *router_; }
  const Speculator* speculator() const { return speculator_.get(); }

 private:
  enum EventKind : uint32_t { kArrival = 0, kStepDone = 1, kStageFree = 2 };

  void pull_next_arrival();
  bool backlogged() const { return waiting_ >= max_waiting_; }
  void try_start(uint32_t replica);
  Replica& replica_for(uint32_t index);
  RunProgress progress() const;

  StepCostModel& cost_;
  SchedulerConfig scheduler_;
  ServeLimits limits_;
  bool per_sequence_only_;
  int64_t kv_blocks_;
  RequestSource& source_;
  ServingObserver& metrics_;
  ServingObserver* trace_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Speculator> speculator_;  // the replicas' drafter, when they speculate
  std::vector<std::unique_ptr<Replica>> replicas_;
  uint32_t created_ = 0;
  EventQueue queue_;
  bool arrival_pending_ = false;
  int64_t waiting_ = 0;      // requests waiting in all replicas (queued or swapped out)
  int64_t max_waiting_ = 0;  // ... before arrivals are held in the source
  Request pending_;
  Event arrival_;  // pending_'s arrival, outside queue_ (EventQueue::stamp)
  std::vector<Request> finished_;
  double now_s_ = 0;
  uint64_t events_ = 0;
  uint64_t arrivals_ = 0;   // requests taken from the source
  uint64_t completed_ = 0;  // requests finished
  int64_t in_system_ = 0;
  double in_system_area_ = 0;
  std::function<void(const RunProgress&)> progress_hook_;
  uint64_t progress_every_ = 0;
  uint64_t next_progress_ = UINT64_MAX;
};

}  // namespace jalapeno
