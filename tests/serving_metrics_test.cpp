// QuantileSketch: the relative-accuracy guarantee against exact nearest-rank
// quantiles, bounded memory, merge, empty sketches and zeros. ServingMetrics:
// exact means, goodput under SLOs, the per-request CSV, the
// "jalapeno.serve/1" document, utilisation and series from steps, and
// determinism; bounded series that coarsen as the span grows. ProgressLine:
// throttled, overwritten in place, ended with a newline. PerfettoWriter: the
// trace parses and holds the events.
#include "report/serving_metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "report/progress.hpp"
#include "report/quantile_sketch.hpp"

namespace jalapeno {
namespace {

// A deterministic generator (Knuth's MMIX LCG), so the test does not depend on
// the standard library's distributions.
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : state_(seed) {}
  // Uniform in (0, 1).
  double uniform() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return (static_cast<double>(state_ >> 11) + 0.5) / 9007199254740992.0;  // 2^53
  }
  // Lognormal-ish: exp of a sum of uniforms (Irwin-Hall, near normal).
  double lognormal(double mu, double sigma) {
    double sum = 0;
    for (int k = 0; k < 12; ++k) {
      sum += uniform();
    }
    return std::exp(mu + sigma * (sum - 6.0));
  }

 private:
  uint64_t state_;
};

// Exact nearest-rank quantile of sorted values, q given in parts per thousand
// so that the rank is computed in integers.
double exact_quantile(const std::vector<double>& sorted, uint64_t q_permille) {
  const uint64_t n = sorted.size();
  const uint64_t rank = std::max<uint64_t>(1, (q_permille * n + 999) / 1000);
  return sorted[rank - 1];
}

// Relative accuracy plus a few ulps of slack for values on a bucket boundary.
constexpr double kSlack = 1e-12;

TEST(QuantileSketch, MeetsRelativeAccuracyOnLognormalValues) {
  for (double alpha : {0.005, 0.01, 0.05}) {
    QuantileSketch sketch(alpha);
    Lcg rng(42);
    std::vector<double> values;
    values.reserve(100000);
    for (int k = 0; k < 100000; ++k) {
      const double v = rng.lognormal(-3.0, 1.5);
      values.push_back(v);
      sketch.add(v);
    }
    std::sort(values.begin(), values.end());
    ASSERT_EQ(sketch.count(), values.size());
    EXPECT_EQ(sketch.min(), values.front());
    EXPECT_EQ(sketch.max(), values.back());
    for (uint64_t q_permille : {500u, 900u, 950u, 990u, 999u}) {
      const double exact = exact_quantile(values, q_permille);
      const double estimate = sketch.quantile(static_cast<double>(q_permille) / 1000.0);
      EXPECT_LE(std::abs(estimate - exact), (alpha + kSlack) * exact)
          << "alpha " << alpha << " q " << q_permille << "/1000";
    }
    // The extreme ranks are exact (the tracked min and max).
    EXPECT_EQ(sketch.quantile(0.0), values.front());
    EXPECT_EQ(sketch.quantile(1.0), values.back());
  }
}

TEST(QuantileSketch, MeetsRelativeAccuracyAtEveryRankOfASmallSample) {
  QuantileSketch sketch(0.01);
  Lcg rng(7);
  std::vector<double> values;
  for (int k = 0; k < 1000; ++k) {
    const double v = rng.lognormal(0.0, 3.0);
    values.push_back(v);
    sketch.add(v);
  }
  std::sort(values.begin(), values.end());
  for (uint64_t q_permille = 0; q_permille <= 1000; ++q_permille) {
    const double exact = exact_quantile(values, q_permille);
    EXPECT_LE(std::abs(sketch.quantile(static_cast<double>(q_permille) / 1000.0) - exact),
              (0.01 + kSlack) * exact)
        << "q " << q_permille << "/1000";
  }
}

// A value added n times at once is n values for every quantile and count.
TEST(QuantileSketch, RepeatedValuesCountAsThatManyAdds) {
  QuantileSketch once, repeated;
  const double values[] = {0.0, 0.013, 0.013, 0.2, 5.5, 0.0004};
  const uint64_t times[] = {3, 40, 1, 7, 2, 11};
  for (size_t i = 0; i < 6; ++i) {
    repeated.add(values[i], times[i]);
    for (uint64_t k = 0; k < times[i]; ++k) once.add(values[i]);
  }
  repeated.add(1.0, 0);  // nothing
  EXPECT_EQ(repeated.count(), once.count());
  EXPECT_EQ(repeated.bucket_count(), once.bucket_count());
  for (double q = 0; q <= 1.0; q += 0.01) EXPECT_EQ(repeated.quantile(q), once.quantile(q)) << q;
  EXPECT_NEAR(repeated.sum(), once.sum(), 1e-12);
  EXPECT_EQ(repeated.min(), once.min());
  EXPECT_EQ(repeated.max(), once.max());
}

// Classes are reported once there are two; a workload of one class, even
// one other than 0, has no per-class rows (and no empty class 0).
TEST(ServingMetrics, PriorityClassesOnlyWhenThereAreTwo) {
  ServingMetrics one(1, Slo{});
  RequestRecord r;
  r.arrival_s = 0;
  r.first_scheduled_s = 0.1;
  r.first_token_s = 0.2;
  r.finish_s = 1;
  r.output_tokens = 4;
  r.priority = 1;
  one.on_request_done(r);
  one.on_request_done(r);
  EXPECT_EQ(one.by_priority().size(), 1u);
  EXPECT_EQ(one.by_priority().count(0), 0u);
  EXPECT_FALSE(one.to_json().contains("by_priority"));
  ServingMetrics two(1, Slo{});
  r.priority = 0;
  two.on_request_done(r);
  r.priority = 2;
  r.first_token_s = 0.5;
  two.on_request_done(r);
  ASSERT_EQ(two.by_priority().size(), 2u);
  EXPECT_EQ(two.by_priority().at(0).ttft.count(), 1u);
  EXPECT_EQ(two.by_priority().at(2).ttft.max(), 0.5);
  EXPECT_EQ(two.to_json().at("by_priority").size(), 2u);
}

TEST(QuantileSketch, SumAndMeanAreExact) {
  QuantileSketch sketch;
  for (double v : {1.0, 2.0, 3.0, 10.0}) {
    sketch.add(v);
  }
  EXPECT_EQ(sketch.sum(), 16.0);
  EXPECT_EQ(sketch.mean(), 4.0);
  EXPECT_EQ(sketch.min(), 1.0);
  EXPECT_EQ(sketch.max(), 10.0);
}

TEST(QuantileSketch, MemoryStaysBoundedOverNineDecades) {
  QuantileSketch sketch(0.005);
  Lcg rng(1);
  for (int k = 0; k < 1000000; ++k) {
    // Log-uniform over [1e-6, 1e3].
    sketch.add(std::pow(10.0, -6.0 + 9.0 * rng.uniform()));
  }
  EXPECT_EQ(sketch.count(), 1000000u);
  // log(1e9) / log(1.005 / 0.995) is about 2,072 buckets.
  EXPECT_LT(sketch.bucket_count(), 3000u);
  EXPECT_GT(sketch.bucket_count(), 2000u);
}

// The index mapping (a cubic in place of log2) must put every value in a
// bucket whose bounds hold it, and no bucket may span more than gamma: over
// the range of normal doubles, and next to the bounds. (Subnormals have too
// few bits to draw bounds 1% apart; they still get an index, in order.)
TEST(QuantileSketch, EveryBucketHoldsItsValuesAndSpansAtMostGamma) {
  for (const double alpha : {0.005, 0.01, 0.05, 0.3, 1e-4}) {
    const QuantileSketch sketch(alpha);
    const double gamma = (1 + alpha) / (1 - alpha);
    const auto expect_held = [&](double v) {
      const int64_t i = sketch.bucket_index(v);
      const double lower = sketch.lower_bound(i), upper = sketch.lower_bound(i + 1);
      // Bounds are computed from g = (i - 1) / M, whose rounding is a
      // relative 1e-16 of up to 1,024 octaves: 7e-14 of the value at most.
      ASSERT_GT(v, lower * (1 - 1e-13)) << v << " alpha " << alpha;
      ASSERT_LE(v, upper * (1 + 1e-13)) << v << " alpha " << alpha;
      ASSERT_LE(upper / lower, gamma * (1 + 1e-13)) << v << " alpha " << alpha;
      ASSERT_GT(upper / lower, 1.0);
    };
    Lcg rng(7);
    for (int k = 0; k < 100000; ++k) {
      for (const double v :
           {std::exp(-700.0 + 1408.0 * rng.uniform()), std::exp(-3.0 + 6.0 * rng.uniform())}) {
        expect_held(v);
        // Next to the bounds of v's bucket.
        const int64_t i = sketch.bucket_index(v);
        for (const double bound : {sketch.lower_bound(i), sketch.lower_bound(i + 1)}) {
          expect_held(bound);
          expect_held(std::nextafter(bound, 0.0));
          expect_held(std::nextafter(bound, 1e308));
        }
      }
    }
    for (const double v : {std::numeric_limits<double>::min(), 1.0, 2.0, 0.5, 1e300, 1e308}) {
      expect_held(v);
    }
    EXPECT_LT(sketch.bucket_index(std::numeric_limits<double>::denorm_min()),
              sketch.bucket_index(1e-310));
    EXPECT_LT(sketch.bucket_index(1e-310), sketch.bucket_index(std::numeric_limits<double>::min()));
    // Indices increase with the value.
    double previous = 1e-300;
    for (int k = 0; k < 100000; ++k) {
      const double v = previous * (1 + 1e-3 * rng.uniform());
      ASSERT_GE(sketch.bucket_index(v), sketch.bucket_index(previous));
      previous = v;
    }
  }
}

// The top bucket's upper bound is beyond the doubles: its answer must still
// be within the accuracy of the values in it.
TEST(QuantileSketch, TheTopBucketAnswersWithinTheAccuracy) {
  for (const double alpha : {0.005, 0.01, 0.2, 0.3}) {
    QuantileSketch sketch(alpha);
    const double big = 1.77e308;
    for (int k = 0; k < 3; ++k) sketch.add(big);
    sketch.add(std::numeric_limits<double>::max());
    const double median = sketch.quantile(0.5);
    EXPECT_LE(std::abs(median - big), alpha * big * (1 + 1e-12)) << alpha;
  }
}

TEST(QuantileSketch, MergeEqualsAddingEverything) {
  QuantileSketch a(0.01);
  QuantileSketch b(0.01);
  QuantileSketch all(0.01);
  Lcg rng(3);
  for (int k = 0; k < 20000; ++k) {
    // Disjoint-ish ranges so that merging has to grow at both ends.
    const double v = rng.lognormal(k % 2 ? 4.0 : -4.0, 1.0);
    (k % 2 ? a : b).add(v);
    all.add(v);
  }
  a.add(0.0);
  all.add(0.0);
  QuantileSketch merged(0.01);
  merged.merge(b);
  merged.merge(a);
  merged.merge(QuantileSketch(0.01));  // empty: no effect
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_NEAR(merged.sum(), all.sum(), 1e-12 * all.sum());  // summation order differs
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (int k = 0; k <= 100; ++k) {
    const double q = k / 100.0;
    EXPECT_EQ(merged.quantile(q), all.quantile(q)) << "q " << q;
  }
  // Merging into a non-empty sketch in the other order gives the same.
  b.merge(a);
  for (int k = 0; k <= 100; ++k) {
    EXPECT_EQ(b.quantile(k / 100.0), all.quantile(k / 100.0));
  }
}

TEST(QuantileSketch, MergeRequiresTheSameAccuracy) {
  QuantileSketch a(0.01);
  QuantileSketch b(0.02);
  b.add(1.0);
  EXPECT_THROW(a.merge(b), std::invalid_argument);
}

TEST(QuantileSketch, EmptySketchReportsZeros) {
  QuantileSketch sketch;
  EXPECT_EQ(sketch.count(), 0u);
  EXPECT_EQ(sketch.sum(), 0);
  EXPECT_EQ(sketch.mean(), 0);
  EXPECT_EQ(sketch.min(), 0);
  EXPECT_EQ(sketch.max(), 0);
  EXPECT_EQ(sketch.quantile(0.0), 0);
  EXPECT_EQ(sketch.quantile(0.5), 0);
  EXPECT_EQ(sketch.quantile(1.0), 0);
}

TEST(QuantileSketch, ZerosAreCountedApart) {
  QuantileSketch sketch;
  for (int k = 0; k < 3; ++k) {
    sketch.add(0.0);
  }
  EXPECT_EQ(sketch.quantile(0.5), 0);
  EXPECT_EQ(sketch.quantile(1.0), 0);
  sketch.add(5.0);  // ranks 1-3 are zeros, rank 4 is 5
  EXPECT_EQ(sketch.count(), 4u);
  EXPECT_EQ(sketch.min(), 0);
  EXPECT_EQ(sketch.quantile(0.75), 0);
  EXPECT_NEAR(sketch.quantile(0.76), 5.0, 5.0 * 0.005);
  EXPECT_EQ(sketch.quantile(1.0), 5.0);
}

TEST(QuantileSketch, SingleValueIsExact) {
  QuantileSketch sketch;
  sketch.add(0.123);
  for (double q : {0.0, 0.5, 0.99, 1.0}) {
    EXPECT_EQ(sketch.quantile(q), 0.123);
  }
}

TEST(QuantileSketch, NearestRankIsRobustToRoundingOfQTimesCount) {
  QuantileSketch sketch(0.001);
  for (int k = 1; k <= 100; ++k) {
    sketch.add(k);
  }
  // 0.07 * 100 is 7.000000000000001 in binary; the rank is 7, not 8.
  EXPECT_NEAR(sketch.quantile(0.07), 7.0, 7.0 * 0.001);
  EXPECT_NEAR(sketch.quantile(0.5), 50.0, 50.0 * 0.001);
  EXPECT_NEAR(sketch.quantile(0.505), 51.0, 51.0 * 0.001);
}

TEST(QuantileSketch, RejectsNegativeAndNonFiniteValuesAndBadAccuracy) {
  QuantileSketch sketch;
  EXPECT_THROW(sketch.add(-1.0), std::invalid_argument);
  EXPECT_THROW(sketch.add(std::nan("")), std::invalid_argument);
  EXPECT_THROW(sketch.add(std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_EQ(sketch.count(), 0u);
  EXPECT_THROW(QuantileSketch(0.0), std::invalid_argument);
  EXPECT_THROW(QuantileSketch(1.0), std::invalid_argument);
}

// A request with the given milestones (seconds) and token counts.
RequestRecord record(uint64_t id, double arrival, double scheduled, double first_token,
                     double finish, int64_t input, int64_t output, uint32_t replica = 0) {
  RequestRecord r;
  r.id = id;
  r.replica = replica;
  r.arrival_s = arrival;
  r.first_scheduled_s = scheduled;
  r.first_token_s = first_token;
  r.finish_s = finish;
  r.input_tokens = input;
  r.output_tokens = output;
  return r;
}

StepRecord step(uint32_t replica, double start, double seconds, int64_t sequences, double kv) {
  StepRecord s;
  s.replica = replica;
  s.start_s = start;
  s.seconds = seconds;
  s.sequences = sequences;
  s.prefill_tokens = 10 * sequences;
  s.decode_tokens = sequences;
  s.kv_used_fraction = kv;
  return s;
}

// Three requests with round numbers (binary-exact where it matters):
//   1: arrival 0,  TTFT 0.25, TPOT (2.25-0.25)/4 = 0.5,  E2E 2.25, queue 0.125
//   2: arrival 1,  TTFT 0.5,  TPOT (2.5-1.5)/8 = 0.125,  E2E 1.5,  queue 0.25
//   3: arrival 2,  TTFT 1,    one output token (no TPOT), E2E 1,   queue 0.5
void feed_requests(ServingMetrics& m) {
  m.on_request_done(record(1, 0.0, 0.125, 0.25, 2.25, 100, 5));
  m.on_request_done(record(2, 1.0, 1.25, 1.5, 2.5, 200, 9, 1));
  m.on_request_done(record(3, 2.0, 2.5, 3.0, 3.0, 300, 1));
}

TEST(ServingMetrics, MeansAreExact) {
  ServingMetrics m(2, Slo{});
  feed_requests(m);
  EXPECT_EQ(m.completed(), 3u);
  EXPECT_EQ(m.input_tokens(), 600u);
  EXPECT_EQ(m.output_tokens(), 15u);
  EXPECT_DOUBLE_EQ(m.ttft().mean(), (0.25 + 0.5 + 1.0) / 3);
  EXPECT_EQ(m.tpot().count(), 2u);  // the one-token output has no TPOT
  EXPECT_DOUBLE_EQ(m.tpot().mean(), (0.5 + 0.125) / 2);
  EXPECT_DOUBLE_EQ(m.e2e().mean(), (2.25 + 1.5 + 1.0) / 3);
  EXPECT_DOUBLE_EQ(m.queue().mean(), (0.125 + 0.25 + 0.5) / 3);
  EXPECT_EQ(m.e2e().max(), 2.25);
  EXPECT_DOUBLE_EQ(m.request_seconds(), 2.25 + 1.5 + 1.0);
  // No SLO: everything is good.
  EXPECT_EQ(m.goodput_requests(), 3u);
}

TEST(ServingMetrics, GoodputNeedsBothSlos) {
  {
    ServingMetrics m(2, Slo{0.5, 0.25});
    feed_requests(m);
    // 1: TPOT 0.5 > 0.25. 2: TTFT 0.5 <= 0.5 (bound inclusive), TPOT ok.
    // 3: TTFT 1 > 0.5.
    EXPECT_EQ(m.goodput_requests(), 1u);
  }
  {
    ServingMetrics m(2, Slo{0.0, 0.25});  // TTFT unbounded
    feed_requests(m);
    EXPECT_EQ(m.goodput_requests(), 2u);  // 2, and 3 (one token: TPOT 0)
  }
  {
    ServingMetrics m(2, Slo{0.5, 0.0});  // TPOT unbounded
    feed_requests(m);
    EXPECT_EQ(m.goodput_requests(), 2u);  // 1 and 2
  }
}

TEST(ServingMetrics, RejectsBadConfiguration) {
  EXPECT_THROW(ServingMetrics(1, Slo{}, 0.0), ConfigError);
  EXPECT_THROW(ServingMetrics(1, Slo{-1.0, 0.0}), ConfigError);
  ServingMetrics m(1, Slo{});
  EXPECT_THROW(m.on_step(step(1, 0, 1, 1, 0)), std::out_of_range);
  EXPECT_THROW(m.on_preemption(1), std::out_of_range);
}

TEST(ServingMetrics, StreamsCsvHeaderAndRows) {
  std::ostringstream csv;
  ServingMetrics m(2, Slo{});
  m.stream_requests_csv(&csv);
  RequestRecord r = record(7, 0.1, 0.2, 0.3, 1.3, 50, 11, 1);
  r.preemptions = 2;
  m.on_request_done(r);
  m.on_request_done(record(8, 2.0, 2.5, 3.0, 3.0, 300, 1));
  EXPECT_EQ(csv.str(),
            "id,replica,arrival_s,ttft_s,tpot_s,e2e_s,queue_s,input_tokens,output_tokens,"
            "preemptions,joules,cached_tokens,session\n"
            "7,1,0.1,0.2,0.1,1.2,0.1,50,11,2,0,0,\n"
            "8,0,2,1,0,1,0.5,300,1,0,0,0,\n");
}

TEST(ServingMetrics, JsonHasTheDocumentedKeysAndValues) {
  ServingMetrics m(2, Slo{0.5, 0.25}, 1.0);
  feed_requests(m);
  m.on_token_gap(0.5);
  m.on_token_gap(0.125);
  m.on_step(step(0, 0.0, 1.0, 4, 0.5));
  m.on_step(step(0, 1.0, 0.5, 2, 0.25));
  m.on_step(step(1, 2.0, 1.0, 8, 0.75));
  m.on_preemption(1);
  m.on_preemption(1);
  m.set_end_time(4.0);
  const nlohmann::ordered_json j = m.to_json();

  std::vector<std::string> keys;
  for (const auto& item : j.items()) {
    keys.push_back(item.key());
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"schema", "completed_requests", "duration_s", "throughput",
                                      "goodput", "ttft_s", "tpot_s", "itl_s", "e2e_s", "queue_s",
                                      "preemptions", "diagnoses", "energy", "cost", "replicas"}));
  EXPECT_EQ(j["schema"], "jalapeno.serve/1");
  EXPECT_EQ(j["completed_requests"], 3);
  EXPECT_EQ(j["duration_s"], 4.0);
  EXPECT_EQ(j["throughput"]["requests_per_s"], 0.75);
  EXPECT_EQ(j["throughput"]["input_tokens_per_s"], 150.0);
  EXPECT_EQ(j["throughput"]["output_tokens_per_s"], 3.75);
  EXPECT_EQ(j["goodput"]["requests_per_s"], 0.25);
  EXPECT_DOUBLE_EQ(j["goodput"]["fraction"].get<double>(), 1.0 / 3);
  EXPECT_EQ(j["goodput"]["slo_ttft_s"], 0.5);
  EXPECT_EQ(j["goodput"]["slo_tpot_s"], 0.25);
  for (const char* metric : {"ttft_s", "tpot_s", "itl_s", "e2e_s", "queue_s"}) {
    std::vector<std::string> stats;
    for (const auto& item : j[metric].items()) {
      stats.push_back(item.key());
    }
    EXPECT_EQ(stats, (std::vector<std::string>{"mean", "p50", "p90", "p95", "p99", "max"}))
        << metric;
  }
  EXPECT_DOUBLE_EQ(j["ttft_s"]["mean"].get<double>(), 1.75 / 3);
  EXPECT_EQ(j["ttft_s"]["max"], 1.0);
  EXPECT_NEAR(j["ttft_s"]["p50"].get<double>(), 0.5, 0.5 * 0.005);
  EXPECT_EQ(j["itl_s"]["mean"], 0.3125);
  EXPECT_EQ(j["e2e_s"]["p99"], 2.25);  // clamped to the exact max
  EXPECT_EQ(j["preemptions"], 2);

  ASSERT_EQ(j["replicas"].size(), 2u);
  const auto& r0 = j["replicas"][0];
  std::vector<std::string> rkeys;
  for (const auto& item : r0.items()) {
    rkeys.push_back(item.key());
  }
  EXPECT_EQ(rkeys, (std::vector<std::string>{"replica", "steps", "utilisation", "busy_fraction",
                                             "mean_batch", "batch_occupancy", "mean_waiting",
                                             "steps_leaving_requests_waiting", "mean_kv_fraction",
                                             "peak_kv_fraction", "preemptions", "series"}));
  EXPECT_EQ(r0["busy_fraction"], r0["utilisation"]);
  EXPECT_EQ(r0["batch_occupancy"], 0.0);  // no cap given: not reported
  EXPECT_EQ(r0["replica"], 0);
  EXPECT_EQ(r0["steps"], 2);
  EXPECT_EQ(r0["utilisation"], 1.5 / 4.0);
  EXPECT_DOUBLE_EQ(r0["mean_batch"].get<double>(), (4 * 1.0 + 2 * 0.5) / 1.5);
  EXPECT_DOUBLE_EQ(r0["mean_kv_fraction"].get<double>(), (0.5 * 1.0 + 0.25 * 0.5) / 1.5);
  EXPECT_EQ(r0["peak_kv_fraction"], 0.5);
  EXPECT_EQ(r0["preemptions"], 0);
  EXPECT_EQ(r0["series"]["interval_s"], 1.0);
  EXPECT_EQ(r0["series"]["busy_fraction"], nlohmann::json({1.0, 0.5, 0.0, 0.0}));
  EXPECT_EQ(r0["series"]["mean_batch"], nlohmann::json({4.0, 2.0, 0.0, 0.0}));
  EXPECT_EQ(r0["series"]["mean_kv_fraction"], nlohmann::json({0.5, 0.25, 0.0, 0.0}));
  const auto& r1 = j["replicas"][1];
  EXPECT_EQ(r1["utilisation"], 0.25);
  EXPECT_EQ(r1["mean_batch"], 8.0);
  EXPECT_EQ(r1["peak_kv_fraction"], 0.75);
  EXPECT_EQ(r1["preemptions"], 2);
  EXPECT_EQ(r1["series"]["busy_fraction"], nlohmann::json({0.0, 0.0, 1.0, 0.0}));
}

TEST(ServingMetrics, StepsSpanningBucketsAreSplitInProportion) {
  ServingMetrics m(1, Slo{}, 1.0);
  m.on_step(step(0, 0.5, 2.0, 4, 0.5));    // 0.5 s in bucket 0, 1 s in 1, 0.5 s in 2
  m.on_step(step(0, 2.75, 0.25, 8, 1.0));  // bucket 2
  m.set_end_time(3.0);
  const auto j = m.to_json();
  const auto& series = j["replicas"][0]["series"];
  EXPECT_EQ(series["busy_fraction"], nlohmann::json({0.5, 1.0, 0.75}));
  EXPECT_EQ(series["mean_batch"], nlohmann::json({4.0, 4.0, (4 * 0.5 + 8 * 0.25) / 0.75}));
  EXPECT_EQ(j["replicas"][0]["utilisation"], 0.75);
}

TEST(ServingMetrics, LastBucketIsMeasuredUpToTheEnd) {
  ServingMetrics m(1, Slo{}, 1.0);
  m.on_step(step(0, 1.0, 0.25, 1, 0.0));
  m.set_end_time(1.5);  // the second bucket is half a second long
  const auto j = m.to_json();
  EXPECT_EQ(j["replicas"][0]["series"]["busy_fraction"], nlohmann::json({0.0, 0.5}));
}

TEST(ServingMetrics, EmptyRunHasNoNaNs) {
  ServingMetrics m(1, Slo{});
  // With a power model and a price, so that energy and cost are objects (a
  // NaN in them would print as null too).
  EnergyAccounting accounting;
  accounting.chips = 1;
  accounting.chip_idle_W = 75;
  accounting.capex_usd_per_chip = 40000;
  accounting.life_s = 1e8;
  accounting.has_cost = true;
  m.set_energy_accounting(accounting);
  const std::string dump = m.to_json().dump();
  EXPECT_EQ(dump.find("null"), std::string::npos) << dump;
  EXPECT_FALSE(m.summary_table().empty());
}

TEST(ServingMetrics, OutputIsDeterministic) {
  auto run = [] {
    ServingMetrics m(2, Slo{0.5, 0.25}, 0.5);
    std::ostringstream csv;
    m.stream_requests_csv(&csv);
    Lcg rng(9);
    double t = 0;
    for (uint64_t id = 0; id < 2000; ++id) {
      t += rng.uniform() * 0.01;
      const double ttft = rng.lognormal(-2, 1);
      const auto out = static_cast<int64_t>(1 + 100 * rng.uniform());
      m.on_request_done(record(id, t, t + ttft / 2, t + ttft, t + ttft + 0.02 * out, 500, out,
                               static_cast<uint32_t>(id % 2)));
      m.on_token_gap(0.02 * rng.uniform());
      m.on_step(step(static_cast<uint32_t>(id % 2), t, 0.007, 3, rng.uniform()));
    }
    m.set_end_time(t + 5);
    return m.to_json().dump() + "\n" + m.summary_table() + csv.str();
  };
  const std::string first = run();
  EXPECT_EQ(first, run());
}

TEST(ServingMetrics, SummaryTableShowsTheHeadlines) {
  ServingMetrics m(2, Slo{0.5, 0.25});
  feed_requests(m);
  m.on_step(step(0, 0.0, 1.0, 4, 0.5));
  m.set_end_time(4.0);
  const std::string table = m.summary_table();
  for (const char* text : {"3 requests", "0.75 requests/s", "33.3%", "TTFT", "TPOT", "ITL", "E2E",
                           "queue", "583.33", "replica", "25.0%"}) {
    EXPECT_NE(table.find(text), std::string::npos) << text << " in\n" << table;
  }
}

// --- bounded series -----------------------------------------------------------

// Busy seconds, sequence-seconds and KV-seconds summed back from a replica's
// series (fractions times each bucket's length inside the run).
struct SeriesTotals {
  double busy = 0, batch = 0, kv = 0;
};
SeriesTotals series_totals(const nlohmann::ordered_json& replica, double duration) {
  const auto& series = replica["series"];
  const double interval = series["interval_s"].get<double>();
  SeriesTotals t;
  const auto& busy = series["busy_fraction"];
  for (size_t b = 0; b < busy.size(); ++b) {
    double span = std::min(interval, duration - static_cast<double>(b) * interval);
    if (!(span > 1e-9 * interval)) span = interval;
    const double busy_s = busy[b].get<double>() * span;
    t.busy += busy_s;
    t.batch += series["mean_batch"][b].get<double>() * busy_s;
    t.kv += series["mean_kv_fraction"][b].get<double>() * busy_s;
  }
  return t;
}

TEST(ServingMetrics, SeriesBucketsPerReplicaAreCappedByTheReplicaCount) {
  EXPECT_EQ(ServingMetrics::series_buckets_for(1), 2048u);
  EXPECT_EQ(ServingMetrics::series_buckets_for(1024), 2048u);
  EXPECT_EQ(ServingMetrics::series_buckets_for(4096), 512u);
  EXPECT_EQ(ServingMetrics::series_buckets_for(100000), 20u);
  EXPECT_EQ(ServingMetrics::series_buckets_for(1000000), 16u);
  EXPECT_EQ(ServingMetrics(4096, Slo{}).max_series_buckets(), 512u);
}

// A run that fits keeps the requested interval (and byte-identical output).
TEST(ServingMetrics, SeriesKeepTheIntervalWhileTheRunFits) {
  ServingMetrics m(1, Slo{}, 1.0);
  m.on_step(step(0, 2046.5, 1.0, 4, 0.5));
  m.set_end_time(2048.0);
  const auto j = m.to_json();
  EXPECT_EQ(m.series_interval_s(), 1.0);
  EXPECT_EQ(j["replicas"][0]["series"]["interval_s"], 1.0);
  EXPECT_EQ(j["replicas"][0]["series"]["busy_fraction"].size(), 2048u);
}

// Two steps 9e6 s apart (the trace that gave 405 MB of JSON): the interval
// doubles until 2048 buckets cover the run, and every total is kept.
TEST(ServingMetrics, SeriesCoarsenAsTheSpanGrowsAndConserveTotals) {
  ServingMetrics m(2, Slo{}, 1.0);
  Lcg rng(3);
  double busy = 0, batch = 0, kv = 0;
  double t = 0;
  for (int i = 0; i < 5000; ++i) {
    // Mostly short steps; now and then a gap of days, and one of 9e6 s.
    t += i == 2500 ? 9e6 : (rng.uniform() < 0.01 ? 86400 * rng.uniform() : rng.uniform());
    const double seconds = 0.5 * rng.uniform();
    const auto seqs = static_cast<int64_t>(1 + 200 * rng.uniform());
    const double frac = rng.uniform();
    m.on_step(step(static_cast<uint32_t>(i % 2), t, seconds, seqs, frac));
    if (i % 2 == 0) {
      busy += seconds;
      batch += static_cast<double>(seqs) * seconds;
      kv += frac * seconds;
    }
    t += seconds;
    ASSERT_LE(std::ceil(t / m.series_interval_s()), 2048.0);
  }
  m.set_end_time(t);
  const auto j = m.to_json();
  const double interval = m.series_interval_s();
  EXPECT_EQ(j["replicas"][0]["series"]["interval_s"], interval);
  // The requested interval times a power of two, no coarser than needed.
  EXPECT_EQ(std::exp2(std::round(std::log2(interval))), interval);
  EXPECT_GT(2048 * interval, t);
  EXPECT_LE(1024 * interval, t);
  for (const auto& replica : j["replicas"]) {
    EXPECT_LE(replica["series"]["busy_fraction"].size(), 2048u);
    EXPECT_EQ(replica["series"]["busy_fraction"].size(),
              j["replicas"][0]["series"]["busy_fraction"].size());
  }
  const SeriesTotals totals = series_totals(j["replicas"][0], t);
  EXPECT_NEAR(totals.busy / busy, 1.0, 1e-9);
  EXPECT_NEAR(totals.batch / batch, 1.0, 1e-9);
  EXPECT_NEAR(totals.kv / kv, 1.0, 1e-9);
  EXPECT_NEAR(j["replicas"][0]["utilisation"].get<double>(), busy / t, 1e-12);
}

// Coarsening when a step ends far out merges what came before into the
// coarser buckets, exactly as if it had been collected at that interval.
TEST(ServingMetrics, CoarsenedSeriesEqualTheSeriesCollectedCoarse) {
  auto feed = [](ServingMetrics& m) {
    // With requests waiting, so that every series is merged.
    const auto waiting = [](StepRecord r, int64_t n) {
      r.waiting = n;
      return r;
    };
    m.on_step(waiting(step(0, 0.25, 0.5, 2, 0.5), 3));  // bucket 0 of 1 s
    m.on_step(waiting(step(0, 1.5, 1.0, 4, 0.25), 1));  // buckets 1 and 2 of 1 s
    m.on_step(waiting(step(0, 7.0, 1.0, 8, 1.0), 5));   // bucket 7 of 1 s
    m.on_step(waiting(step(0, 15.0, 1.0, 1, 0.0), 2));  // ends at 16: needs 16 buckets
  };
  ServingMetrics small(1, Slo{}, 1.0, 4);  // at most 4 buckets: interval 4 s
  feed(small);
  small.set_end_time(16.0);
  ServingMetrics coarse(1, Slo{}, 4.0, 4);
  feed(coarse);
  coarse.set_end_time(16.0);
  EXPECT_EQ(small.series_interval_s(), 4.0);
  EXPECT_EQ(small.to_json().dump(), coarse.to_json().dump());
  EXPECT_EQ(small.to_json()["replicas"][0]["series"]["busy_fraction"],
            nlohmann::json({0.375, 0.25, 0.0, 0.25}));
  // Requests waiting, over the busy time in each 4 s bucket.
  EXPECT_EQ(small.to_json()["replicas"][0]["series"]["mean_waiting"],
            nlohmann::json({(3 * 0.5 + 1 * 1.0) / 1.5, 5.0, 0.0, 2.0}));
}

// Memory does not grow with the simulated span: a step a year out, or one
// that lasts a year, leaves the series at their cap.
TEST(ServingMetrics, SeriesMemoryDoesNotGrowWithTheSpan) {
  for (const double span : {1e3, 1e6, 3e7, 1e8}) {
    ServingMetrics m(1, Slo{}, 1e-3);
    m.on_step(step(0, 0.0, 0.01, 1, 0.5));
    m.on_step(step(0, span, span, 1, 0.5));  // a long step spans every bucket
    m.set_end_time(2 * span);
    const auto j = m.to_json();
    EXPECT_LE(j["replicas"][0]["series"]["busy_fraction"].size(), 2048u) << span;
    EXPECT_GE(j["replicas"][0]["series"]["busy_fraction"].size(), 1024u) << span;
    EXPECT_NEAR(series_totals(j["replicas"][0], 2 * span).busy / (span + 0.01), 1.0, 1e-9);
  }
}

// --- progress line ------------------------------------------------------------

TEST(ProgressLine, ShortRunsPrintNothing) {
  std::ostringstream out;
  double now = 0;
  {
    ProgressLine line(out, 100, 0.5, 0.25, [&now] { return now; });
    RunProgress p;
    p.completed = 10;
    now = 0.4;
    line.update(p);
    p.finished = true;
    p.completed = 100;
    line.update(p);
  }
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressLine, UpdatesAreThrottledOverwrittenAndEndWithANewline) {
  std::ostringstream out;
  double now = 0;
  {
    ProgressLine line(out, 1000, 0.5, 0.25, [&now] { return now; });
    RunProgress p;
    for (int i = 1; i <= 100; ++i) {  // 100 updates over 2 s of wall time
      now = 0.02 * i;
      p.completed = static_cast<uint64_t>(5 * i);
      p.simulated_s = 3.0 * i;
      line.update(p);
    }
    p.finished = true;
    line.update(p);
  }
  const std::string text = out.str();
  // Shown from 0.5 s on, at most every 0.25 s, then the final line: 7 lines.
  const auto lines = std::count(text.begin(), text.end(), '\r');
  EXPECT_GE(lines, 5);
  EXPECT_LE(lines, 8);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("of 1000 requests"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA"), std::string::npos) << text;
  EXPECT_NE(text.find("done in"), std::string::npos) << text;
}

TEST(ProgressLine, FormatsTimeRequestsRateAndEta) {
  RunProgress p;
  p.simulated_s = 7200;
  p.completed = 250;
  EXPECT_EQ(ProgressLine::format(p, 1000, 2.0),
            "serve: 2.0 h simulated, 250 of 1000 requests (25.0%), 125 requests/s, ETA 6.0 s");
  EXPECT_EQ(ProgressLine::format(p, 0, 2.0),
            "serve: 2.0 h simulated, 250 requests, 125 requests/s");
}

TEST(ProgressLine, AnErrorMidRunStillEndsTheLine) {
  std::ostringstream out;
  double now = 0;
  try {
    ProgressLine line(out, 0, 0.5, 0.25, [&now] { return now; });
    now = 1;
    line.update(RunProgress{});
    throw std::runtime_error("stop");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(PerfettoWriter, WritesAJsonArrayOfEvents) {
  std::ostringstream out;
  {
    PerfettoWriter writer(out);
    writer.replica_name(0, "replica \"0\"");
    writer.replica_name(1, "replica 1");
    writer.step(step(0, 0.0015, 0.0025, 4, 0.5));
    writer.step(step(1, 1.0, 0.000001, 2, 0.125));
  }
  const auto all = nlohmann::json::parse(out.str());
  ASSERT_TRUE(all.is_array());
  // Each step is a slice, then its replica's queue and KV counters.
  nlohmann::json j = nlohmann::json::array();
  size_t counters = 0;
  for (const auto& e : all) {
    if (e["ph"] == "C") {
      ++counters;
      continue;
    }
    j.push_back(e);
  }
  EXPECT_EQ(counters, 4u);
  EXPECT_EQ(all[3]["name"], "replica 0 queue");
  EXPECT_EQ(all[4]["name"], "replica 0 KV occupancy");
  EXPECT_EQ(all[4]["args"]["used"], 0.5);
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0]["name"], "thread_name");
  EXPECT_EQ(j[0]["ph"], "M");
  EXPECT_EQ(j[0]["pid"], 1);
  EXPECT_EQ(j[0]["tid"], 0);
  EXPECT_EQ(j[0]["args"]["name"], "replica \"0\"");
  EXPECT_EQ(j[1]["tid"], 1);
  EXPECT_EQ(j[2]["name"], "step");
  EXPECT_EQ(j[2]["ph"], "X");
  EXPECT_EQ(j[2]["pid"], 1);
  EXPECT_EQ(j[2]["tid"], 0);
  EXPECT_DOUBLE_EQ(j[2]["ts"].get<double>(), 1500.0);
  EXPECT_DOUBLE_EQ(j[2]["dur"].get<double>(), 2500.0);
  EXPECT_EQ(j[2]["args"]["sequences"], 4);
  EXPECT_EQ(j[2]["args"]["prefill_tokens"], 40);
  EXPECT_EQ(j[2]["args"]["decode_tokens"], 4);
  EXPECT_EQ(j[2]["args"]["kv_used"], 0.5);
  EXPECT_EQ(j[3]["tid"], 1);
  EXPECT_DOUBLE_EQ(j[3]["ts"].get<double>(), 1e6);
  EXPECT_DOUBLE_EQ(j[3]["dur"].get<double>(), 1.0);
  EXPECT_NE(out.str().find("\"ts\":1500.000,"), std::string::npos) << out.str();
}

TEST(PerfettoWriter, EmptyTraceIsAnEmptyArray) {
  std::ostringstream out;
  { PerfettoWriter writer(out); }
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_TRUE(j.is_array());
  EXPECT_TRUE(j.empty());
}

}  // namespace
}  // namespace jalapeno
