#pragma once
// What the users and the operator of a simulated service see. The simulator
// reports each request's milestones; the collector keeps streaming aggregates
// (quantile sketches, sums), so memory does not grow with the number of
// requests, and can stream one CSV row per finished request.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "report/quantile_sketch.hpp"
#include "serve/serving_events.hpp"

namespace jalapeno {

// The per-replica time series are bounded: every replica's series has at most
// max_series_buckets() buckets, so memory and output do not grow with the
// simulated span. The interval starts at the requested sample interval and
// doubles (merging buckets pairwise) whenever a step or the end of the run
// would need more; the JSON states the interval used.
class ServingMetrics : public ServingObserver {
 public:
  // Buckets per replica's series: 2048, or fewer when many replicas would
  // hold more than kSeriesCells buckets in all (never fewer than 16).
  static constexpr size_t kMaxSeriesBuckets = 2048;
  static constexpr size_t kMinSeriesBuckets = 16;
  static constexpr size_t kSeriesCells = size_t{1} << 21;  // ~48 MB of series at most
  static size_t series_buckets_for(uint32_t replicas);

  // max_series_buckets 0: series_buckets_for(replicas).
  ServingMetrics(uint32_t replicas, Slo slo, double sample_interval_s = 1.0,
                 size_t max_series_buckets = 0);

  // The scheduler's cap on sequences per batch, for batch occupancy (mean
  // batch / cap) and the diagnoses; 0 (unknown): neither is reported.
  void set_sequence_cap(int64_t max_sequences) { sequence_cap_ = max_sequences; }
  // Whether arrivals are independent of completions (false for a closed
  // loop, whose rate is the service's own): only then can a run be judged
  // overloaded.
  void set_open_loop(bool open) { open_loop_ = open; }
  // Whether the replicas cache prefixes: only then does the document have a
  // prefix_cache object (null otherwise).
  void set_prefix_caching(bool on) { prefix_caching_ = on; }
  // Whether the replicas speculate: only then does the document have a
  // speculative object (null otherwise).
  void set_speculative(bool on) { speculative_ = on; }
  // What the run says about itself: overload (served below the offered
  // rate), a KV-starved batch, a batch capped by max_sequences, steps bound
  // by the token budget. One sentence each, with the figures behind it.
  std::vector<std::string> diagnoses() const;

  // Optional per-request CSV, written as requests finish (header first).
  void stream_requests_csv(std::ostream* out);

  void on_token_gap(double gap_s) override;  // every inter-token gap of every request
  void on_token_gaps(const double* gaps_s, size_t n) override {
    for (size_t i = 0; i < n; ++i) itl_.add(gaps_s[i]);
  }
  void on_repeated_token_gap(double gap_s, uint64_t count) override { itl_.add(gap_s, count); }
  void on_request_done(const RequestRecord& record) override;
  void on_step(const StepRecord& step) override;
  void on_preemption(uint32_t replica) override;
  void on_end(double end_s) override { set_end_time(end_s); }
  void set_end_time(double end_s);
  // Without it the document has no energy or cost (null).
  void set_energy_accounting(const EnergyAccounting& accounting) { accounting_ = accounting; }

  uint64_t completed() const { return completed_; }
  uint64_t output_tokens() const { return output_tokens_; }
  uint64_t input_tokens() const { return input_tokens_; }
  double end_s() const { return end_s_; }
  const QuantileSketch& ttft() const { return ttft_; }
  const QuantileSketch& tpot() const { return tpot_; }
  const QuantileSketch& e2e() const { return e2e_; }
  const QuantileSketch& itl() const { return itl_; }
  const QuantileSketch& queue() const { return queue_; }
  // Latencies of one priority class (RequestRecord::priority); empty
  // sketches for a class never seen.
  struct ClassStats {
    QuantileSketch ttft, e2e;
    uint64_t good = 0;
  };
  const std::map<int32_t, ClassStats>& by_priority() const { return by_priority_; }
  uint64_t goodput_requests() const { return good_; }
  // Time-weighted mean number of requests in the system (arrival to finish):
  // sum of e2e over the span, for Little's law checks.
  double request_seconds() const { return request_seconds_; }
  // Prompt tokens the finished requests found in the prefix cache at their
  // first admission, and prompt tokens the steps computed (every chunk,
  // recomputation after preemption included).
  uint64_t cached_tokens() const { return cached_tokens_; }
  uint64_t computed_prompt_tokens() const { return computed_prompt_tokens_; }
  uint64_t evicted_blocks() const { return evicted_blocks_; }
  // Speculative decoding, summed over the steps (StepRecord): the target's
  // verifications, the drafts they checked and accepted, the drafter's time.
  struct SpeculationStats {
    uint64_t verifications = 0;
    uint64_t proposed = 0;
    uint64_t accepted = 0;
    double draft_s = 0;
  };
  const SpeculationStats& speculation() const { return speculation_; }
  // Per session (RequestRecord::session), once the run has ended: a task's
  // calls, its span from the first call's arrival to the last one's end,
  // its tokens and its requests' energy.
  struct SessionStats {
    double first_arrival_s = 0;
    double last_finish_s = 0;
    uint64_t calls = 0;
    uint64_t input_tokens = 0;
    uint64_t output_tokens = 0;
    uint64_t cached_tokens = 0;
    double joules = 0;
  };
  const std::map<int64_t, SessionStats>& sessions() const { return sessions_; }
  // The series' bucket width now: the requested sample interval times a power
  // of two.
  double series_interval_s() const { return interval_s_; }
  size_t max_series_buckets() const { return max_buckets_; }

  // The "jalapeno.serve/1" document (see README "Serving output").
  nlohmann::ordered_json to_json() const;
  std::string summary_table() const;

 private:
  struct ReplicaStats {
    uint64_t steps = 0;
    uint64_t preemptions = 0;
    double busy_s = 0;
    double batch_weighted = 0;  // sum of sequences x seconds
    double kv_weighted = 0;     // sum of kv fraction x seconds
    double kv_peak = 0;
    double waiting_weighted = 0;       // sum of requests waiting x seconds
    uint64_t held[kHeldByKinds] = {};  // steps that left requests waiting, by why
    // Downsampled time series, one bucket per interval_s_ (empty until the
    // replica runs a step).
    std::vector<double> busy_by_interval;
    std::vector<double> batch_by_interval;
    std::vector<double> kv_by_interval;
    std::vector<double> joules_by_interval;  // dynamic energy
    std::vector<double> waiting_by_interval;
  };
  // The run's energy and mean power: the chips', then with the rest of the
  // system, then at the facility's meter.
  struct RunPower {
    double joules = 0;
    double mean_W = 0;
    double system_W = 0;
    double facility_W = 0;
  };
  RunPower run_power(double duration) const;  // with an accounting only
  nlohmann::ordered_json energy_json(double duration) const;
  nlohmann::ordered_json cost_json(double duration) const;
  nlohmann::ordered_json prefix_cache_json() const;
  nlohmann::ordered_json speculative_json() const;
  nlohmann::ordered_json sessions_json(double duration) const;

  // Doubles the interval until `end_s` is inside max_buckets_ buckets.
  void cover(double end_s);

  Slo slo_;
  int64_t sequence_cap_ = 0;
  bool open_loop_ = true;
  double last_arrival_s_ = -1;
  double sample_interval_s_;  // as asked
  double interval_s_;         // as used: sample_interval_s_ x 2^k
  size_t max_buckets_;
  double inside_s_;  // ends before this need no coarsening (a margin below the last bucket's end)
  std::ostream* csv_ = nullptr;
  uint64_t completed_ = 0;
  uint64_t good_ = 0;
  uint64_t input_tokens_ = 0;
  uint64_t output_tokens_ = 0;
  uint64_t preemptions_ = 0;
  double first_arrival_s_ = -1;
  double end_s_ = 0;
  double request_seconds_ = 0;
  QuantileSketch ttft_, tpot_, e2e_, itl_, queue_;
  std::map<int32_t, ClassStats> by_priority_;
  std::optional<EnergyAccounting> accounting_;
  double dynamic_joules_ = 0;
  double request_joules_ = 0;  // completed requests' shares
  double busy_s_ = 0;          // step seconds, all replicas
  double input_busy_s_ = 0;    // of them, the prompt tokens' share
  std::vector<ReplicaStats> replicas_;
  bool prefix_caching_ = false;
  uint64_t cached_tokens_ = 0;
  uint64_t computed_prompt_tokens_ = 0;
  uint64_t evicted_blocks_ = 0;
  QuantileSketch hit_fraction_;  // per request: cached over prompt tokens
  bool speculative_ = false;
  SpeculationStats speculation_;
  std::map<int64_t, SessionStats> sessions_;
};

// Chrome trace JSON (Perfetto opens it): one track per replica, one slice per
// step with its batch in the args. Streamed: constant memory.
class PerfettoWriter : public ServingObserver {
 public:
  explicit PerfettoWriter(std::ostream& out);
  ~PerfettoWriter();  // closes the JSON array
  void replica_name(uint32_t replica, const std::string& name);
  // As the simulator's observer: a track per replica, a slice per step.
  void on_replica(uint32_t index) override;
  void on_step(const StepRecord& s) override { step(s); }
  // One request in kRequestSample: its time queued, prefilling and decoding
  // as three slices of one async track (requests overlap, so each is its own
  // row in Perfetto).
  void on_request_done(const RequestRecord& r) override;
  static constexpr uint64_t kRequestSample = 64;
  // With a power model: a counter track per replica, the power of each of
  // its chips (idle between steps, idle plus the step's dynamic power during
  // one).
  void set_power(double chip_idle_W, double chips_per_replica);
  void step(const StepRecord& step);

 private:
  void power_counter(uint32_t replica, double ts_s, double watts);
  std::ostream& out_;
  bool first_ = true;
  double chip_idle_W_ = -1;  // < 0: no power track
  double chips_per_replica_ = 1;
};

}  // namespace jalapeno
