#pragma once
// What the serving simulator reports as a run goes, and the interface it
// reports it through: the report stage's collectors (ServingMetrics, the
// Perfetto timeline) implement ServingObserver, so the serving core does not
// depend on how its results are kept or shown.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace jalapeno {

// One finished request.
struct RequestRecord {
  uint64_t id = 0;
  uint32_t replica = 0;
  double arrival_s = 0;
  double first_scheduled_s = 0;  // first time it entered a running batch
  double first_token_s = 0;
  double finish_s = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t preemptions = 0;
  int32_t priority = 0;  // its class (Request::priority)
  // Its share of the energy of the steps it was in (all chips of its
  // replica; idle time between steps is the run's, not a request's).
  double joules = 0;
  int64_t cached_tokens = 0;  // prompt tokens found in the prefix cache
  int64_t session = -1;       // Request::session

  double ttft_s() const { return first_token_s - arrival_s; }
  // Mean time per output token after the first (0 for one-token outputs).
  double tpot_s() const {
    return output_tokens > 1 ? (finish_s - first_token_s) / static_cast<double>(output_tokens - 1)
                             : 0;
  }
  double e2e_s() const { return finish_s - arrival_s; }
  double queue_s() const { return first_scheduled_s - arrival_s; }
};

struct Slo {
  double ttft_s = 0;  // 0: no bound
  double tpot_s = 0;
};

// Why requests were left waiting when a step was formed (kNone: none were).
enum class HeldBy : uint8_t {
  kNone,
  kSequenceCap,  // the batch had max_sequences
  kTokenBudget,  // the step's max_batched_tokens were spent
  kKvBlocks,     // the next one's blocks were not free (or the step preempted)
  kPolicy,       // the policy ran a decode-only step
};
inline constexpr int kHeldByKinds = 5;

// One replica step, as the simulator ran it.
struct StepRecord {
  uint32_t replica = 0;
  double start_s = 0;
  double seconds = 0;
  int64_t sequences = 0;        // in the batch
  int64_t prefill_tokens = 0;   // prompt tokens processed
  int64_t decode_tokens = 0;    // output tokens generated
  double kv_used_fraction = 0;  // of the replica's KV blocks, after the step
  double comm_seconds = 0;      // of `seconds`, spent in collectives and stage sends
  // Energy beyond the chips' idle power (idle power is charged over the whole
  // run, steps or not), and the share of the step its prompt tokens cause.
  double dynamic_joules = 0;
  double input_share = 0;
  // The replica as the step left it: sequences running, requests waiting
  // (queued or swapped out), and why those waited.
  int64_t running = 0;
  int64_t waiting = 0;
  HeldBy held_by = HeldBy::kNone;
  uint64_t evicted_blocks = 0;  // prefix-cache entries the step's allocations evicted
  // Speculative decoding: of `seconds`, the drafter's passes; the
  // sequences the target verified, and the drafts they proposed and had
  // accepted (decode_tokens counts the tokens made, accepted ones included).
  double draft_seconds = 0;
  int64_t verifications = 0;
  int64_t proposed_tokens = 0;
  int64_t accepted_tokens = 0;
};

// What a run's energy and money are computed from (README "Energy and
// cost"): the chips serving, their power, what the rest of the system and
// the facility add, and the price of the machine and of electricity.
struct EnergyAccounting {
  double chips = 0;                  // every chip of every replica
  double chip_idle_W = 0;            // per chip, drawn whether or not it steps
  double system_W_per_chip = 0;      // hosts, NICs, switches, fans: each chip's share
  double conversion_efficiency = 1;  // power supplies: IT power drawn from the wall
  double pue = 1;                    // facility: cooling and distribution over IT power
  double capex_usd_per_chip = 0;     // the chip and its share of system and rack
  double life_s = 0;                 // amortisation period
  double utilisation = 1;            // of the life, the share in paid service
  double usd_per_J = 0;              // electricity
  bool has_cost = false;             // a price is known: without one, no money
};

// Where a run stands, as the simulator reports it.
struct RunProgress {
  double simulated_s = 0;  // simulated time reached
  uint64_t events = 0;     // events processed
  uint64_t arrived = 0;    // requests taken from the source
  uint64_t completed = 0;  // requests finished
  bool finished = false;   // the last report of a run
};

// Receives a run's milestones. Every callback has a default that ignores it,
// so a collector overrides what it keeps.
class ServingObserver {
 public:
  virtual ~ServingObserver() = default;
  virtual void on_replica(uint32_t /*index*/) {}  // before the run, once per replica
  virtual void on_step(const StepRecord& /*step*/) {}
  virtual void on_token_gap(double /*gap_s*/) {}  // every inter-token gap of every request
  // A step's gaps at once (one call a step, not a token: the replica
  // reports them so); by default one on_token_gap each.
  virtual void on_token_gaps(const double* gaps_s, size_t n) {
    for (size_t i = 0; i < n; ++i) on_token_gap(gaps_s[i]);
  }
  // `count` gaps of the same length (the decoders a step advances together);
  // by default one on_token_gap each.
  virtual void on_repeated_token_gap(double gap_s, uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) on_token_gap(gap_s);
  }
  virtual void on_request_done(const RequestRecord& /*record*/) {}
  virtual void on_preemption(uint32_t /*replica*/) {}
  virtual void on_end(double /*end_s*/) {}  // the last event's time
};

// Hands every callback to each of several observers, in order (the
// metrics and the timeline of one run).
class ObserverFanOut : public ServingObserver {
 public:
  explicit ObserverFanOut(std::vector<ServingObserver*> observers)
      : observers_(std::move(observers)) {}
  void on_replica(uint32_t i) override {
    for (auto* o : observers_) o->on_replica(i);
  }
  void on_step(const StepRecord& s) override {
    for (auto* o : observers_) o->on_step(s);
  }
  void on_token_gap(double g) override {
    for (auto* o : observers_) o->on_token_gap(g);
  }
  void on_token_gaps(const double* g, size_t n) override {
    for (auto* o : observers_) o->on_token_gaps(g, n);
  }
  void on_repeated_token_gap(double g, uint64_t n) override {
    for (auto* o : observers_) o->on_repeated_token_gap(g, n);
  }
  void on_request_done(const RequestRecord& r) override {
    for (auto* o : observers_) o->on_request_done(r);
  }
  void on_preemption(uint32_t i) override {
    for (auto* o : observers_) o->on_preemption(i);
  }
  void on_end(double t) override {
    for (auto* o : observers_) o->on_end(t);
  }

 private:
  std::vector<ServingObserver*> observers_;
};

}  // namespace jalapeno
