// Serving metrics: streaming aggregates of what a simulated service did, and
// the "jalapeno.serve/1" JSON document, the summary table, the per-request
// CSV and the Perfetto (Chrome trace) timeline built from them.
//
// "jalapeno.serve/1" (ServingMetrics::to_json), keys in this order. Times are
// in seconds of simulated time from the start of the simulation (t = 0).
// Quantiles come from QuantileSketch (relative error <= 0.5%, nearest rank).
// Rates divide by duration_s and are 0 when it is 0.
//
//   schema               "jalapeno.serve/1"
//   completed_requests   requests that finished
//   duration_s           end of the simulation (set_end_time), from t = 0
//   throughput
//     requests_per_s       completed_requests / duration_s
//     input_tokens_per_s   prompt tokens of completed requests / duration_s
//     output_tokens_per_s  output tokens of completed requests / duration_s
//   goodput
//     requests_per_s       completed requests within both SLOs / duration_s
//     fraction             of completed requests within both SLOs (0 when none)
//     slo_ttft_s           TTFT bound (TTFT <= bound); 0 means unbounded
//     slo_tpot_s           TPOT bound (TPOT <= bound); 0 means unbounded
//                          (one-token outputs have TPOT 0 and always meet it)
//   ttft_s               time to first token: first token - arrival
//   tpot_s               time per output token after the first:
//                        (finish - first token) / (output tokens - 1);
//                        only requests with more than one output token
//   itl_s                inter-token latency: every gap between consecutive
//                        output tokens of every request
//   e2e_s                end to end: finish - arrival
//   queue_s              arrival to first entering a running batch
//     each of the five:  {mean, p50, p90, p95, p99, max}; all 0 when empty
//   preemptions          preemption events, all replicas
//   replicas             one object per replica, in index order:
//     replica              index
//     steps                steps run
//     utilisation          busy seconds / duration_s
//     mean_batch           sequences per step, weighted by step duration
//                          (mean over busy time; 0 when never busy)
//     mean_kv_fraction     KV blocks in use after each step (fraction of the
//                          replica's cache), weighted by step duration
//     peak_kv_fraction     highest KV fraction after any step
//     preemptions          preemption events on this replica
//     series               downsampled timeline, bucket k = [k, k+1) x interval_s
//       interval_s           bucket width: the requested sample interval times
//                            the power of two that keeps every series within
//                            ServingMetrics::max_series_buckets() buckets
//                            (2048; fewer with more than 1,024 replicas)
//       busy_fraction        busy seconds in the bucket / the bucket's length
//                            (the last bucket's length stops at duration_s)
//       mean_batch           as above, over the busy time inside the bucket
//       mean_kv_fraction     as above, over the busy time inside the bucket
//     A step that spans a bucket boundary is split between the buckets in
//     proportion to its time in each. Every replica's arrays have the same
//     length: enough buckets to cover duration_s and every step.
//
// Doubles are written as nlohmann prints them (shortest round trip), so the
// same run gives byte-identical output.
#include "report/serving_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/error.hpp"
#include "core/units.hpp"

namespace jalapeno {

namespace {

double ratio(double num, double den) {
  return den > 0 ? num / den : 0;
}

nlohmann::ordered_json latency_json(const QuantileSketch& sketch) {
  nlohmann::ordered_json j;
  j["mean"] = sketch.mean();
  j["p50"] = sketch.quantile(0.50);
  j["p90"] = sketch.quantile(0.90);
  j["p95"] = sketch.quantile(0.95);
  j["p99"] = sketch.quantile(0.99);
  j["max"] = sketch.max();
  return j;
}

std::string slo_text(double bound_s) {
  return bound_s > 0 ? "<= " + format_quantity(bound_s, Dimension::kTime) : "unbounded";
}

[[noreturn, gnu::cold, gnu::noinline]] void refuse_time(double value, const char* what) {
  throw std::invalid_argument(
      fmt::format("serving metrics: {} must be finite and >= 0, got {}", what, value));
}

// Inline, the throw out of line: on_step() checks two times a step.
inline void check_time(double value, const char* what) {
  if (!(value >= 0 && value <= std::numeric_limits<double>::max())) [[unlikely]] {
    refuse_time(value, what);  // NaN fails both comparisons
  }
}

}  // namespace

size_t ServingMetrics::series_buckets_for(uint32_t replicas) {
  const size_t share = kSeriesCells / std::max<size_t>(replicas, 1);
  return std::clamp(share, kMinSeriesBuckets, kMaxSeriesBuckets);
}

ServingMetrics::ServingMetrics(uint32_t replicas, Slo slo, double sample_interval_s,
                               size_t max_series_buckets)
    : slo_(slo),
      sample_interval_s_(sample_interval_s),
      interval_s_(sample_interval_s),
      max_buckets_(max_series_buckets > 0 ? max_series_buckets : series_buckets_for(replicas)),
      inside_s_(static_cast<double>(max_buckets_) * sample_interval_s * (1 - 1e-9)),
      replicas_(replicas) {
  if (!(sample_interval_s > 0) || !std::isfinite(sample_interval_s)) {
    throw ConfigError(
        fmt::format("sample interval must be a positive time, got {} s", sample_interval_s));
  }
  if (!(slo.ttft_s >= 0) || !(slo.tpot_s >= 0)) {
    throw ConfigError(
        fmt::format("SLO bounds must be >= 0 (0: unbounded), got TTFT {} s, TPOT {} s", slo.ttft_s,
                    slo.tpot_s));
  }
}

void ServingMetrics::cover(double end_s) {
  // Well inside the buckets (the case of nearly every step): nothing to do.
  if (end_s < inside_s_) return;
  // Buckets needed to reach end_s: ceil(end_s / interval).
  const auto limit = static_cast<double>(max_buckets_);
  double interval = interval_s_;
  size_t doublings = 0;
  while (std::ceil(end_s / interval) > limit) {
    interval *= 2;
    ++doublings;
  }
  if (doublings == 0) return;
  interval_s_ = interval;
  inside_s_ = limit * interval * (1 - 1e-9);
  // Old bucket b lies inside new bucket b >> doublings (the new boundaries are
  // old ones): merge the totals, which conserves every sum.
  for (ReplicaStats& r : replicas_) {
    if (r.busy_by_interval.empty()) continue;
    const size_t n = r.busy_by_interval.size();
    const size_t m = doublings >= 63 ? 1 : ((n - 1) >> doublings) + 1;
    for (std::vector<double>* series :
         {&r.busy_by_interval, &r.batch_by_interval, &r.kv_by_interval, &r.joules_by_interval,
          &r.waiting_by_interval}) {
      std::vector<double>& v = *series;
      for (size_t b = 0; b < n; ++b) {
        const size_t to = doublings >= 63 ? 0 : b >> doublings;
        v[to] = to == b ? v[b] : v[to] + v[b];
        if (to != b) v[b] = 0;
      }
      v.resize(m);
    }
  }
}

void ServingMetrics::set_end_time(double end_s) {
  check_time(end_s, "end time");
  cover(end_s);
  end_s_ = end_s;
}

void ServingMetrics::stream_requests_csv(std::ostream* out) {
  csv_ = out;
  if (csv_ != nullptr) {
    *csv_ << "id,replica,arrival_s,ttft_s,tpot_s,e2e_s,queue_s,input_tokens,output_tokens,"
             "preemptions,joules,cached_tokens,session\n";
  }
}

void ServingMetrics::on_token_gap(double gap_s) {
  itl_.add(gap_s);
}

void ServingMetrics::on_request_done(const RequestRecord& record) {
  const double ttft = record.ttft_s();
  const double tpot = record.tpot_s();
  const double e2e = record.e2e_s();
  const double queue = record.queue_s();
  const bool good =
      (slo_.ttft_s == 0 || ttft <= slo_.ttft_s) && (slo_.tpot_s == 0 || tpot <= slo_.tpot_s);
  // Classes are kept apart once a second one appears.
  if (!by_priority_.empty() || record.priority != 0) {
    if (by_priority_.empty() && completed_ > 0) {
      // The first request of another class: every earlier one was class 0.
      ClassStats& zero = by_priority_[0];
      zero.ttft = ttft_;
      zero.e2e = e2e_;
      zero.good = good_;
    }
    ClassStats& cls = by_priority_[record.priority];
    cls.ttft.add(ttft);
    cls.e2e.add(e2e);
    if (good) ++cls.good;
  }
  ++completed_;
  request_joules_ += record.joules;
  ttft_.add(ttft);
  if (record.output_tokens > 1) {
    tpot_.add(tpot);
  }
  e2e_.add(e2e);
  queue_.add(queue);
  input_tokens_ += static_cast<uint64_t>(std::max<int64_t>(record.input_tokens, 0));
  output_tokens_ += static_cast<uint64_t>(std::max<int64_t>(record.output_tokens, 0));
  if (good) ++good_;
  request_seconds_ += e2e;
  if (first_arrival_s_ < 0 || record.arrival_s < first_arrival_s_) {
    first_arrival_s_ = record.arrival_s;
  }
  last_arrival_s_ = std::max(last_arrival_s_, record.arrival_s);
  cached_tokens_ += static_cast<uint64_t>(std::max<int64_t>(record.cached_tokens, 0));
  if (prefix_caching_ && record.input_tokens > 0) {
    hit_fraction_.add(static_cast<double>(record.cached_tokens) /
                      static_cast<double>(record.input_tokens));
  }
  if (record.session >= 0) {
    const auto [it, first] = sessions_.try_emplace(record.session);
    SessionStats& task = it->second;
    if (first || record.arrival_s < task.first_arrival_s) task.first_arrival_s = record.arrival_s;
    task.last_finish_s = std::max(task.last_finish_s, record.finish_s);
    ++task.calls;
    task.input_tokens += static_cast<uint64_t>(std::max<int64_t>(record.input_tokens, 0));
    task.output_tokens += static_cast<uint64_t>(std::max<int64_t>(record.output_tokens, 0));
    task.cached_tokens += static_cast<uint64_t>(std::max<int64_t>(record.cached_tokens, 0));
    task.joules += record.joules;
  }
  if (csv_ != nullptr) {
    *csv_ << fmt::format("{},{},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{},{},{},{:.9g},{},{}\n",
                         record.id, record.replica, record.arrival_s, ttft, tpot, e2e, queue,
                         record.input_tokens, record.output_tokens, record.preemptions,
                         record.joules, record.cached_tokens,
                         record.session >= 0 ? std::to_string(record.session) : std::string());
  }
}

void ServingMetrics::on_step(const StepRecord& step) {
  if (step.replica >= replicas_.size()) {
    throw std::out_of_range(
        fmt::format("serving metrics: step on replica {} of {}", step.replica, replicas_.size()));
  }
  check_time(step.start_s, "step start");
  check_time(step.seconds, "step duration");
  ReplicaStats& r = replicas_[step.replica];
  const auto sequences = static_cast<double>(step.sequences);
  ++r.steps;
  r.busy_s += step.seconds;
  r.batch_weighted += sequences * step.seconds;
  r.kv_weighted += step.kv_used_fraction * step.seconds;
  r.kv_peak = std::max(r.kv_peak, step.kv_used_fraction);
  r.waiting_weighted += static_cast<double>(step.waiting) * step.seconds;
  ++r.held[static_cast<int>(step.held_by)];
  dynamic_joules_ += step.dynamic_joules;
  computed_prompt_tokens_ += static_cast<uint64_t>(std::max<int64_t>(step.prefill_tokens, 0));
  evicted_blocks_ += step.evicted_blocks;
  speculation_.verifications += static_cast<uint64_t>(std::max<int64_t>(step.verifications, 0));
  speculation_.proposed += static_cast<uint64_t>(std::max<int64_t>(step.proposed_tokens, 0));
  speculation_.accepted += static_cast<uint64_t>(std::max<int64_t>(step.accepted_tokens, 0));
  speculation_.draft_s += step.draft_seconds;
  busy_s_ += step.seconds;
  input_busy_s_ += step.input_share * step.seconds;
  if (step.seconds <= 0) {
    return;
  }
  // Split the step over the sample buckets it overlaps, in proportion; first
  // coarsen the series if the step ends beyond their last bucket.
  const double end_s = step.start_s + step.seconds;
  check_time(end_s, "step end");  // a finite start and duration may still overflow
  cover(end_s);
  const double interval = interval_s_;
  // At most max_buckets_ (cover() saw to it), but a step ending exactly on a
  // boundary names the bucket after it, which gets no overlap. (Times are
  // >= 0 and within the buckets: truncation is the floor.)
  const auto last_bucket = std::min(static_cast<size_t>(end_s / interval), max_buckets_);
  const auto first_bucket = std::min(static_cast<size_t>(step.start_s / interval), last_bucket);
  for (size_t b = first_bucket; b <= last_bucket; ++b) {
    const double lo = std::max(step.start_s, static_cast<double>(b) * interval);
    const double hi = std::min(end_s, static_cast<double>(b + 1) * interval);
    const double overlap = hi - lo;
    if (!(overlap > 0)) {
      continue;
    }
    if (r.busy_by_interval.size() <= b) {
      r.busy_by_interval.resize(b + 1, 0);
      r.batch_by_interval.resize(b + 1, 0);
      r.kv_by_interval.resize(b + 1, 0);
      r.joules_by_interval.resize(b + 1, 0);
      r.waiting_by_interval.resize(b + 1, 0);
    }
    r.waiting_by_interval[b] += static_cast<double>(step.waiting) * overlap;
    r.joules_by_interval[b] += step.dynamic_joules * overlap / step.seconds;
    r.busy_by_interval[b] += overlap;
    r.batch_by_interval[b] += sequences * overlap;
    r.kv_by_interval[b] += step.kv_used_fraction * overlap;
  }
}

void ServingMetrics::on_preemption(uint32_t replica) {
  if (replica >= replicas_.size()) {
    throw std::out_of_range(
        fmt::format("serving metrics: preemption on replica {} of {}", replica, replicas_.size()));
  }
  ++preemptions_;
  ++replicas_[replica].preemptions;
}

nlohmann::ordered_json ServingMetrics::to_json() const {
  const double duration = end_s_;
  nlohmann::ordered_json j;
  j["schema"] = "jalapeno.serve/1";
  j["completed_requests"] = completed_;
  j["duration_s"] = duration;
  j["throughput"] = {
      {"requests_per_s", ratio(static_cast<double>(completed_), duration)},
      {"input_tokens_per_s", ratio(static_cast<double>(input_tokens_), duration)},
      {"output_tokens_per_s", ratio(static_cast<double>(output_tokens_), duration)},
  };
  j["goodput"] = {
      {"requests_per_s", ratio(static_cast<double>(good_), duration)},
      {"fraction", ratio(static_cast<double>(good_), static_cast<double>(completed_))},
      {"slo_ttft_s", slo_.ttft_s},
      {"slo_tpot_s", slo_.tpot_s},
  };
  j["ttft_s"] = latency_json(ttft_);
  j["tpot_s"] = latency_json(tpot_);
  j["itl_s"] = latency_json(itl_);
  j["e2e_s"] = latency_json(e2e_);
  j["queue_s"] = latency_json(queue_);
  if (by_priority_.size() > 1) {
    // Per priority class, when the workload has several.
    nlohmann::ordered_json classes = nlohmann::ordered_json::array();
    for (const auto& [priority, c] : by_priority_) {
      classes.push_back(
          {{"priority", priority},
           {"requests", c.ttft.count()},
           {"goodput_fraction",
            c.ttft.count() ? static_cast<double>(c.good) / static_cast<double>(c.ttft.count())
                           : 0.0},
           {"ttft_s", latency_json(c.ttft)},
           {"e2e_s", latency_json(c.e2e)}});
    }
    j["by_priority"] = classes;
  }
  j["preemptions"] = preemptions_;
  j["diagnoses"] = diagnoses();
  j["energy"] = energy_json(duration);
  j["cost"] = cost_json(duration);
  // Only for runs that have them, as by_priority.
  if (prefix_caching_) j["prefix_cache"] = prefix_cache_json();
  if (speculative_) j["speculative"] = speculative_json();
  if (!sessions_.empty()) j["sessions"] = sessions_json(duration);

  // Common series length: cover the whole run and every step (set_end_time
  // coarsened the interval to keep it within max_buckets_).
  const double interval = interval_s_;
  size_t buckets = 0;
  if (duration > 0) {
    buckets = static_cast<size_t>(
        std::min(std::ceil(duration / interval), static_cast<double>(max_buckets_)));
  }
  for (const ReplicaStats& r : replicas_) {
    buckets = std::max(buckets, r.busy_by_interval.size());
  }

  auto& replicas = j["replicas"] = nlohmann::ordered_json::array();
  for (size_t i = 0; i < replicas_.size(); ++i) {
    const ReplicaStats& r = replicas_[i];
    auto busy = nlohmann::ordered_json::array();
    auto batch = nlohmann::ordered_json::array();
    auto kv = nlohmann::ordered_json::array();
    auto waiting = nlohmann::ordered_json::array();
    for (size_t b = 0; b < buckets; ++b) {
      const double busy_s = b < r.busy_by_interval.size() ? r.busy_by_interval[b] : 0;
      const double batch_s = b < r.batch_by_interval.size() ? r.batch_by_interval[b] : 0;
      const double kv_s = b < r.kv_by_interval.size() ? r.kv_by_interval[b] : 0;
      // The bucket's length inside the run; a whole interval past its end.
      double span = std::min(interval, duration - static_cast<double>(b) * interval);
      if (!(span > 1e-9 * interval)) {
        span = interval;
      }
      busy.push_back(busy_s / span);
      batch.push_back(ratio(batch_s, busy_s));
      kv.push_back(ratio(kv_s, busy_s));
      waiting.push_back(
          ratio(b < r.waiting_by_interval.size() ? r.waiting_by_interval[b] : 0, busy_s));
    }
    nlohmann::ordered_json rj;
    rj["replica"] = i;
    rj["steps"] = r.steps;
    rj["utilisation"] = ratio(r.busy_s, duration);
    rj["busy_fraction"] = ratio(r.busy_s, duration);
    rj["mean_batch"] = ratio(r.batch_weighted, r.busy_s);
    rj["batch_occupancy"] =
        sequence_cap_ > 0 ? ratio(r.batch_weighted, r.busy_s) / static_cast<double>(sequence_cap_)
                          : 0.0;
    rj["mean_waiting"] = ratio(r.waiting_weighted, r.busy_s);
    rj["steps_leaving_requests_waiting"] = {
        {"sequence_cap", r.held[static_cast<int>(HeldBy::kSequenceCap)]},
        {"token_budget", r.held[static_cast<int>(HeldBy::kTokenBudget)]},
        {"kv_blocks", r.held[static_cast<int>(HeldBy::kKvBlocks)]},
        {"policy", r.held[static_cast<int>(HeldBy::kPolicy)]}};
    rj["mean_kv_fraction"] = ratio(r.kv_weighted, r.busy_s);
    rj["peak_kv_fraction"] = r.kv_peak;
    rj["preemptions"] = r.preemptions;
    rj["series"] = {
        {"interval_s", interval},
        {"busy_fraction", std::move(busy)},
        {"mean_batch", std::move(batch)},
        {"mean_kv_fraction", std::move(kv)},
        {"mean_waiting", std::move(waiting)},
    };
    replicas.push_back(std::move(rj));
  }
  return j;
}

ServingMetrics::RunPower ServingMetrics::run_power(double duration) const {
  const EnergyAccounting& a = *accounting_;
  RunPower p;
  p.joules = a.chips * a.chip_idle_W * duration + dynamic_joules_;
  p.mean_W = ratio(p.joules, duration);
  p.system_W = p.mean_W + a.chips * a.system_W_per_chip;
  p.facility_W = p.system_W / a.conversion_efficiency * a.pue;
  return p;
}

nlohmann::ordered_json ServingMetrics::energy_json(double duration) const {
  if (!accounting_) return nullptr;
  const EnergyAccounting& a = *accounting_;
  const double idle_W = a.chips * a.chip_idle_W;
  const RunPower power = run_power(duration);
  // Peak: the busiest sample interval, every replica's steps in it over the
  // chips' idle floor.
  double peak_W = duration > 0 ? idle_W : 0;
  size_t buckets = 0;
  for (const ReplicaStats& r : replicas_) buckets = std::max(buckets, r.joules_by_interval.size());
  for (size_t b = 0; b < buckets; ++b) {
    double span = std::min(interval_s_, duration - static_cast<double>(b) * interval_s_);
    if (!(span > 1e-9 * interval_s_)) span = interval_s_;
    double bucket_J = 0;
    for (const ReplicaStats& r : replicas_) {
      if (b < r.joules_by_interval.size()) bucket_J += r.joules_by_interval[b];
    }
    peak_W = std::max(peak_W, idle_W + bucket_J / span);
  }
  const auto tokens = static_cast<double>(input_tokens_ + output_tokens_);
  const auto output = static_cast<double>(output_tokens_);
  nlohmann::ordered_json j;
  j["chips"] = a.chips;
  j["joules"] = power.joules;
  j["idle_joules"] = idle_W * duration;
  j["joules_per_token"] = ratio(power.joules, tokens);
  j["joules_per_output_token"] = ratio(power.joules, output);
  j["mean_power_W"] = power.mean_W;
  j["peak_power_W"] = peak_W;
  j["system_mean_power_W"] = power.system_W;
  j["facility_mean_power_W"] = power.facility_W;
  j["tokens_per_s_per_MW"] = ratio(ratio(output, duration), power.facility_W / 1e6);
  j["mean_joules_per_request"] = ratio(request_joules_, static_cast<double>(completed_));
  return j;
}

nlohmann::ordered_json ServingMetrics::cost_json(double duration) const {
  if (!accounting_ || !accounting_->has_cost) return nullptr;
  const EnergyAccounting& a = *accounting_;
  const double facility_W = run_power(duration).facility_W;
  const double capex_per_h = a.chips * a.capex_usd_per_chip / (a.life_s * a.utilisation) * 3600;
  const double energy_per_h = facility_W * a.usd_per_J * 3600;
  const double usd_per_h = capex_per_h + energy_per_h;
  const double run_usd = usd_per_h * duration / 3600;
  // Idle time is shared as the busy time is.
  const double input_fraction = busy_s_ > 0 ? input_busy_s_ / busy_s_ : 0;
  nlohmann::ordered_json j;
  j["usd_per_hour"] = usd_per_h;
  j["capex_usd_per_hour"] = capex_per_h;
  j["energy_usd_per_hour"] = energy_per_h;
  j["run_usd"] = run_usd;
  j["input_share"] = input_fraction;
  j["usd_per_million_input_tokens"] =
      ratio(run_usd * input_fraction, static_cast<double>(input_tokens_)) * 1e6;
  j["usd_per_million_output_tokens"] =
      ratio(run_usd * (1 - input_fraction), static_cast<double>(output_tokens_)) * 1e6;
  j["assumptions"] = {{"capex_usd_per_chip", a.capex_usd_per_chip},
                      {"life_years", a.life_s / (365.25 * 86400)},
                      {"utilisation", a.utilisation},
                      {"usd_per_kWh", a.usd_per_J * 3.6e6},
                      {"pue", a.pue},
                      {"conversion_efficiency", a.conversion_efficiency},
                      {"system_W_per_chip", a.system_W_per_chip}};
  return j;
}

std::vector<std::string> ServingMetrics::diagnoses() const {
  std::vector<std::string> out;
  // Overload: an open-loop workload offered faster than it was served, so
  // the queue grew through the run (a stable run drains within about one
  // request's latency of the last arrival). Offline runs (one arrival time)
  // and closed loops (arrivals follow completions: set_open_loop(false))
  // are not judged.
  // A short run's drain weighs on its served rate, so the queue must also
  // have grown past the service itself: the p99 queue time above the mean
  // time in service (e2e less queue); and a hundred requests at least.
  const double arrival_span = last_arrival_s_ - first_arrival_s_;
  if (open_loop_ && completed_ >= 100 && arrival_span > 0 && end_s_ > first_arrival_s_) {
    const double n = static_cast<double>(completed_);
    const double offered = (n - 1) / arrival_span;
    const double served = n / (end_s_ - first_arrival_s_);
    const double in_service_s = e2e_.mean() - queue_.mean();
    if (served < 0.9 * offered && queue_.quantile(0.99) > in_service_s) {
      out.push_back(fmt::format(
          "overloaded: requests arrived at {:.4g}/s and were served at {:.4g}/s; the queue grew "
          "(mean queue time {:.3g} s, p99 {:.3g} s): add replicas or lower the rate",
          offered, served, queue_.mean(), queue_.quantile(0.99)));
    }
  }
  // What held the waiting requests back, over all replicas' steps.
  uint64_t steps = 0;
  uint64_t held[kHeldByKinds] = {};
  double batch_weighted = 0, busy_s = 0, kv_weighted = 0;
  for (const ReplicaStats& r : replicas_) {
    steps += r.steps;
    for (int k = 0; k < kHeldByKinds; ++k) held[k] += r.held[k];
    batch_weighted += r.batch_weighted;
    busy_s += r.busy_s;
    kv_weighted += r.kv_weighted;
  }
  if (steps == 0) return out;
  const auto share = [&](HeldBy why) {
    return static_cast<double>(held[static_cast<int>(why)]) / static_cast<double>(steps);
  };
  const double mean_batch = ratio(batch_weighted, busy_s);
  const double cap = static_cast<double>(sequence_cap_);
  // A quarter of the steps is "often": occasional bursts do not warn.
  constexpr double kOften = 0.25;
  if (share(HeldBy::kKvBlocks) >= kOften && sequence_cap_ > 0 && mean_batch < 0.5 * cap) {
    out.push_back(fmt::format(
        "KV-starved: in {:.0f}% of steps requests waited for KV blocks, with a mean batch of "
        "{:.1f} against max_sequences {}: more memory_utilization, an fp8 KV cache, more chips "
        "per replica or a smaller model would hold more",
        100 * share(HeldBy::kKvBlocks), mean_batch, sequence_cap_));
  }
  if (share(HeldBy::kSequenceCap) >= kOften) {
    out.push_back(fmt::format(
        "capped by max_sequences ({}): in {:.0f}% of steps requests waited with the batch full "
        "while the KV cache was {:.0f}% used on average: raise --max-seqs if it has room",
        sequence_cap_, 100 * share(HeldBy::kSequenceCap), 100 * ratio(kv_weighted, busy_s)));
  }
  if (share(HeldBy::kTokenBudget) >= kOften) {
    out.push_back(fmt::format(
        "prefill-bound: in {:.0f}% of steps the token budget (max_batched_tokens) was spent "
        "with requests waiting",
        100 * share(HeldBy::kTokenBudget)));
  }
  return out;
}

nlohmann::ordered_json ServingMetrics::prefix_cache_json() const {
  if (!prefix_caching_) return nullptr;
  const auto prompt = static_cast<double>(input_tokens_);
  return {
      {"prompt_tokens", input_tokens_},
      {"cached_tokens", cached_tokens_},
      {"hit_rate", ratio(static_cast<double>(cached_tokens_), prompt)},
      {"computed_prompt_tokens", computed_prompt_tokens_},
      {"evicted_blocks", evicted_blocks_},
      {"request_hit_rate",
       {{"mean", hit_fraction_.mean()},
        {"p10", hit_fraction_.quantile(0.10)},
        {"p50", hit_fraction_.quantile(0.50)},
        {"p90", hit_fraction_.quantile(0.90)}}},
  };
}

nlohmann::ordered_json ServingMetrics::speculative_json() const {
  if (!speculative_) return nullptr;
  const SpeculationStats& x = speculation_;
  const auto verifications = static_cast<double>(x.verifications);
  return {
      {"verifications", x.verifications},
      {"proposed_tokens", x.proposed},
      {"accepted_tokens", x.accepted},
      {"acceptance_rate", ratio(static_cast<double>(x.accepted), static_cast<double>(x.proposed))},
      // Tokens a verification makes: the accepted drafts and one more.
      {"tokens_per_verification",
       ratio(verifications + static_cast<double>(x.accepted), verifications)},
      {"draft_seconds", x.draft_s},
      {"draft_share", ratio(x.draft_s, busy_s_)},
  };
}

nlohmann::ordered_json ServingMetrics::sessions_json(double duration) const {
  if (sessions_.empty()) return nullptr;
  QuantileSketch task_time;
  double calls = 0, input = 0, output = 0, cached = 0, joules = 0;
  for (const auto& [id, task] : sessions_) {
    task_time.add(std::max(0.0, task.last_finish_s - task.first_arrival_s));
    calls += static_cast<double>(task.calls);
    input += static_cast<double>(task.input_tokens);
    output += static_cast<double>(task.output_tokens);
    cached += static_cast<double>(task.cached_tokens);
    joules += task.joules;
  }
  const auto n = static_cast<double>(sessions_.size());
  nlohmann::ordered_json j = {
      {"sessions", sessions_.size()},           {"calls_per_session", calls / n},
      {"task_time_s", latency_json(task_time)}, {"input_tokens_per_task", input / n},
      {"output_tokens_per_task", output / n},   {"cached_tokens_per_task", cached / n},
      {"joules_per_task", joules / n},
  };
  // The run's whole bill over its tasks: what a task costs the operator.
  const nlohmann::ordered_json cost = cost_json(duration);
  j["usd_per_task"] =
      cost.is_object()
          ? nlohmann::ordered_json(cost["usd_per_hour"].get<double>() * duration / 3600.0 / n)
          : nlohmann::ordered_json(nullptr);
  return j;
}

std::string ServingMetrics::summary_table() const {
  const double duration = end_s_;
  std::string out;
  out += fmt::format("{} requests in {}", completed_, format_quantity(duration, Dimension::kTime));
  if (completed_ > 0) {
    out += fmt::format(" (first arrival at t = {:.6g} s)", first_arrival_s_);
  }
  out += "\n";
  out += fmt::format(
      "throughput  {:.2f} requests/s · {:.1f} input tokens/s · {:.1f} output tokens/s\n",
      ratio(static_cast<double>(completed_), duration),
      ratio(static_cast<double>(input_tokens_), duration),
      ratio(static_cast<double>(output_tokens_), duration));
  out +=
      fmt::format("goodput     {:.2f} requests/s · {:.1f}% of requests within TTFT {}, TPOT {}\n",
                  ratio(static_cast<double>(good_), duration),
                  100.0 * ratio(static_cast<double>(good_), static_cast<double>(completed_)),
                  slo_text(slo_.ttft_s), slo_text(slo_.tpot_s));
  out += fmt::format("preemptions {}\n", preemptions_);
  if (prefix_caching_) {
    out += fmt::format(
        "prefix      {:.1f}% of prompt tokens cached ({} of {}) · {} prompt tokens computed · {} "
        "blocks evicted\n",
        100.0 * ratio(static_cast<double>(cached_tokens_), static_cast<double>(input_tokens_)),
        cached_tokens_, input_tokens_, computed_prompt_tokens_, evicted_blocks_);
  }
  if (speculative_) {
    const nlohmann::ordered_json x = speculative_json();
    out += fmt::format(
        "speculative {} verifications · {:.1f}% of {} drafts accepted · {:.2f} tokens per "
        "verification · drafter {:.1f}% of step time\n",
        x["verifications"].get<uint64_t>(), 100.0 * x["acceptance_rate"].get<double>(),
        x["proposed_tokens"].get<uint64_t>(), x["tokens_per_verification"].get<double>(),
        100.0 * x["draft_share"].get<double>());
  }
  if (!sessions_.empty()) {
    const nlohmann::ordered_json t = sessions_json(duration);
    std::string usd;
    if (t["usd_per_task"].is_number()) {
      usd = fmt::format(" · ${:.4g} per task", t["usd_per_task"].get<double>());
    }
    out += fmt::format(
        "sessions    {} tasks of {:.1f} calls · task time p50 {} p99 {} · {:.0f} input, {:.0f} "
        "output tokens and {:.4g} J per task{}\n",
        t["sessions"].get<uint64_t>(), t["calls_per_session"].get<double>(),
        format_quantity(t["task_time_s"]["p50"].get<double>(), Dimension::kTime),
        format_quantity(t["task_time_s"]["p99"].get<double>(), Dimension::kTime),
        t["input_tokens_per_task"].get<double>(), t["output_tokens_per_task"].get<double>(),
        t["joules_per_task"].get<double>(), usd);
  }
  for (const std::string& d : diagnoses()) out += "warning     " + d + "\n";
  if (accounting_) {
    const nlohmann::ordered_json e = energy_json(duration);
    const nlohmann::ordered_json c = cost_json(duration);
    if (c.is_null()) {
      out += "cost        none: no price for the chip (key cost in its file or the scenario)\n";
    } else {
      out += fmt::format(
          "energy      {:.4g} J/output token · {:.0f} W mean, {:.0f} W peak over {} chips · "
          "{:.4g} output tokens/s/MW at the facility\n",
          e["joules_per_output_token"].get<double>(), e["mean_power_W"].get<double>(),
          e["peak_power_W"].get<double>(), e["chips"].get<double>(),
          e["tokens_per_s_per_MW"].get<double>());
      out += fmt::format(
          "cost        ${:.2f}/hour · ${:.3f} per million input tokens · ${:.3f} per million "
          "output tokens\n",
          c["usd_per_hour"].get<double>(), c["usd_per_million_input_tokens"].get<double>(),
          c["usd_per_million_output_tokens"].get<double>());
    }
  } else {
    out += "energy      none: the chip file has no power model\n";
  }
  out += fmt::format("{:<10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "ms", "mean", "p50",
                     "p90", "p99", "max", "count");
  const auto row = [&out](const std::string& name, const QuantileSketch& s) {
    out += fmt::format("{:<10} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>10}\n", name,
                       1e3 * s.mean(), 1e3 * s.quantile(0.50), 1e3 * s.quantile(0.90),
                       1e3 * s.quantile(0.99), 1e3 * s.max(), s.count());
  };
  row("TTFT", ttft_);
  row("TPOT", tpot_);
  row("ITL", itl_);
  row("E2E", e2e_);
  row("queue", queue_);
  if (by_priority_.size() > 1) {
    for (const auto& [priority, c] : by_priority_) {
      row(fmt::format("TTFT/{}", priority), c.ttft);  // per priority class
    }
  }
  // busy: the share of time a step runs; occupancy: the mean batch over
  // the cap on sequences (two different "utilisations").
  out += fmt::format("{:<8} {:>9} {:>7} {:>10} {:>10} {:>8} {:>8} {:>11}\n", "replica", "steps",
                     "busy", "mean batch", "occupancy", "mean KV", "peak KV", "preemptions");
  for (size_t i = 0; i < replicas_.size(); ++i) {
    const ReplicaStats& r = replicas_[i];
    const double mean_batch = ratio(r.batch_weighted, r.busy_s);
    const std::string occupancy =
        sequence_cap_ > 0
            ? fmt::format("{:.1f}%", 100.0 * mean_batch / static_cast<double>(sequence_cap_))
            : "-";
    out += fmt::format("{:<8} {:>9} {:>6.1f}% {:>10.2f} {:>10} {:>7.1f}% {:>7.1f}% {:>11}\n", i,
                       r.steps, 100.0 * ratio(r.busy_s, duration), mean_batch, occupancy,
                       100.0 * ratio(r.kv_weighted, r.busy_s), 100.0 * r.kv_peak, r.preemptions);
  }
  return out;
}

PerfettoWriter::PerfettoWriter(std::ostream& out) : out_(out) {
  out_ << "[";
}

PerfettoWriter::~PerfettoWriter() {
  try {
    out_ << (first_ ? "]\n" : "\n]\n");
    out_.flush();
  } catch (...) {
    // A destructor must not throw; the stream's state tells the caller.
  }
}

void PerfettoWriter::on_replica(uint32_t index) {
  replica_name(index, fmt::format("replica {}", index));
}

void PerfettoWriter::replica_name(uint32_t replica, const std::string& name) {
  out_ << (first_ ? "\n" : ",\n");
  first_ = false;
  // dump() escapes the name as a JSON string.
  out_ << fmt::format(R"({{"name":"thread_name","ph":"M","pid":1,"tid":{},"args":{{"name":{}}}}})",
                      replica, nlohmann::json(name).dump());
}

void PerfettoWriter::set_power(double chip_idle_W, double chips_per_replica) {
  chip_idle_W_ = chip_idle_W;
  chips_per_replica_ = chips_per_replica;
}

void PerfettoWriter::power_counter(uint32_t replica, double ts_s, double watts) {
  out_ << fmt::format(
      ",\n"
      R"({{"name":"replica {} power per chip, W","ph":"C","pid":1,"ts":{:.3f},"args":{{"W":{:.6g}}}}})",
      replica, ts_s * 1e6, watts);
}

void PerfettoWriter::on_request_done(const RequestRecord& r) {
  if (r.id % kRequestSample != 0) return;
  const double marks[] = {r.arrival_s, r.first_scheduled_s, r.first_token_s, r.finish_s};
  const char* phases[] = {"queued", "prefill", "decode"};
  for (int k = 0; k < 3; ++k) {
    if (!std::isfinite(marks[k]) || !std::isfinite(marks[k + 1])) {
      throw std::invalid_argument("perfetto writer: request times must be finite");
    }
    out_ << (first_ ? "\n" : ",\n");
    first_ = false;
    out_ << fmt::format(
        R"({{"name":"{}","cat":"request","ph":"b","id":{},"pid":1,"ts":{:.3f},"args":{{"request":{},"replica":{}}}}})"
        ",\n"
        R"({{"name":"{}","cat":"request","ph":"e","id":{},"pid":1,"ts":{:.3f}}})",
        phases[k], r.id, marks[k] * 1e6, r.id, r.replica, phases[k], r.id, marks[k + 1] * 1e6);
  }
}

void PerfettoWriter::step(const StepRecord& step) {
  if (!std::isfinite(step.start_s) || !std::isfinite(step.seconds) ||
      !std::isfinite(step.kv_used_fraction)) {
    throw std::invalid_argument("perfetto writer: step times and KV fraction must be finite");
  }
  out_ << (first_ ? "\n" : ",\n");
  first_ = false;
  out_ << fmt::format(
      R"({{"name":"step","ph":"X","pid":1,"tid":{},"ts":{:.3f},"dur":{:.3f},"args":{{"sequences":{},"prefill_tokens":{},"decode_tokens":{},"kv_used":{:.9g}}}}})",
      step.replica, step.start_s * 1e6, step.seconds * 1e6, step.sequences, step.prefill_tokens,
      step.decode_tokens, step.kv_used_fraction);
  // Communication nests inside its step on the same track, so the timeline
  // shows how much of each step the network takes (its time is spread over
  // the layers; the slice shows its total).
  if (step.comm_seconds > 0) {
    out_ << fmt::format(
        ",\n"
        R"({{"name":"communication","ph":"X","pid":1,"tid":{},"ts":{:.3f},"dur":{:.3f}}})",
        step.replica, step.start_s * 1e6, std::min(step.comm_seconds, step.seconds) * 1e6);
  }
  // The replica's state as the step left it: requests waiting and
  // sequences running, and the KV cache's occupancy.
  out_ << fmt::format(
      ",\n"
      R"({{"name":"replica {} queue","ph":"C","pid":1,"ts":{:.3f},"args":{{"waiting":{},"running":{}}}}})"
      ",\n"
      R"({{"name":"replica {} KV occupancy","ph":"C","pid":1,"ts":{:.3f},"args":{{"used":{:.6g}}}}})",
      step.replica, step.start_s * 1e6, step.waiting, step.running, step.replica,
      step.start_s * 1e6, step.kv_used_fraction);
  if (chip_idle_W_ >= 0 && step.seconds > 0) {
    power_counter(step.replica, step.start_s,
                  chip_idle_W_ + step.dynamic_joules / chips_per_replica_ / step.seconds);
    power_counter(step.replica, step.start_s + step.seconds, chip_idle_W_);
  }
}

}  // namespace jalapeno
