#pragma once
// The serving simulator's event loop: requests arrive from a source, a
// router assigns each to a replica, and every replica runs steps back to back
// while it has work. Events are (time, insertion order): a run is a pure
// function of its inputs and seed.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/event_queue.hpp"
#include "report/serving_metrics.hpp"
#include "serve/replica.hpp"
#include "serve/router.hpp"
#include "workload/source.hpp"

namespace jalapeno {

struct ServeConfig {
  uint32_t replicas = 1;
  std::string router = "round-robin";
  SchedulerConfig scheduler;
};

class Simulator {
 public:
  // All replicas share one step cost model (same model, chip and engine), so
  // they share its memo too.
  Simulator(StepCostModel& cost, const ServeConfig& config, RequestSource& source,
            ServingMetrics& metrics, PerfettoWriter* trace = nullptr);

  // Runs until the source is exhausted and every request has finished.
  void run();

  double now_s() const { return now_s_; }
  // The integral over time of the number of requests in the system (arrived,
  // not finished), kept from the event sequence alone: with the metrics' sum
  // of latencies it checks Little's law.
  double requests_in_system_integral() const { return in_system_area_; }
  uint64_t events() const { return events_; }
  const std::vector<Replica>& replicas() const { return replicas_; }

 private:
  enum EventKind : uint32_t { kArrival = 0, kStepDone = 1, kStageFree = 2 };

  void pull_next_arrival();
  bool backlogged() const;
  void try_start(uint32_t replica);

  RequestSource& source_;
  ServingMetrics& metrics_;
  PerfettoWriter* trace_;
  std::unique_ptr<Router> router_;
  std::vector<Replica> replicas_;
  EventQueue queue_;
  bool arrival_pending_ = false;
  int64_t max_waiting_ = 0;  // requests waiting in all replicas before arrivals are held
  Request pending_;
  std::vector<Request> finished_;
  double now_s_ = 0;
  uint64_t events_ = 0;
  int64_t in_system_ = 0;
  double in_system_area_ = 0;
};

}  // namespace jalapeno
