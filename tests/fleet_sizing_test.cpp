// Fleet sizing against a closed form: replicas that run one request at a
// time, with fixed lengths, behind a random router are independent M/D/1
// queues (a random split of Poisson arrivals is Poisson). The fewest
// replicas whose 90th-percentile TTFT meets the SLO follows from the M/D/1
// waiting-time distribution (Erlang's formula); the sizing must find that
// count. And the ranking: by what the simulation verified, each answer the
// fewest that passes.
#include "dse/fleet_sizing.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "core/error.hpp"
#include "report/serving_metrics.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

// P(W <= t) for the M/D/1 queue with service time 1 and load rho (Erlang,
// 1909; e.g. Iversen, Teletraffic Engineering, ch. 10): (1 - rho) times the
// sum over k = 0..floor(t) of (rho (k - t))^k / k! exp(-rho (k - t)).
// The terms alternate and grow as exp(rho t): in long double the sum keeps
// about 19 - rho t / ln 10 digits, plenty for the t below 30 used here.
double md1_wait_cdf(double t, double rho) {
  if (t > 30) throw std::out_of_range("md1_wait_cdf: beyond its accurate range");
  long double sum = 0;
  long double factorial = 1;
  for (int k = 0; k <= static_cast<int>(std::floor(t)); ++k) {
    if (k > 0) factorial *= k;
    const long double x = static_cast<long double>(rho) * (k - static_cast<long double>(t));
    sum += std::pow(x, static_cast<long double>(k)) / factorial * std::exp(-x);
  }
  return static_cast<double>((1 - static_cast<long double>(rho)) * sum);
}

// The q-quantile of the wait, in service times (bisection on the CDF).
double md1_wait_quantile(double q, double rho) {
  if (md1_wait_cdf(0, rho) >= q) return 0;  // the first 1 - rho arrive to an idle server
  double lo = 0, hi = 1;
  while (md1_wait_cdf(hi, rho) < q) hi *= 2;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (md1_wait_cdf(mid, rho) < q ? lo : hi) = mid;
  }
  return hi;
}

TEST(FleetSizing, Md1ClosedFormMatchesItsMeanWait) {
  // The CDF's mean is Pollaczek-Khinchine's rho / (2 (1 - rho)).
  // (The tail beyond t = 30 is below 1e-8 at these loads.)
  for (const double rho : {0.3, 0.6, 0.75}) {
    double mean = 0;
    const double dt = 2e-3;
    for (double t = 0; t < 30 - dt; t += dt) mean += (1 - md1_wait_cdf(t + dt / 2, rho)) * dt;
    EXPECT_NEAR(mean, rho / (2 * (1 - rho)), 1e-5) << rho;
  }
}

TEST(FleetSizing, FindsTheMd1Answer) {
  FleetSpec spec;
  spec.plan.model = "llama-3.1-8b";
  spec.plan.hw = "hgx-h200";
  spec.plan.max_sequences = 1;  // one request at a time: a deterministic server
  spec.plan.input_tokens = 128;
  spec.plan.output_tokens = 16;
  spec.percentile = 90;
  spec.router = "random";
  spec.candidates = 1;
  spec.seeds = 3;
  spec.requests = 20000;
  // The layout it will try, and its service time D and unloaded TTFT, from
  // one request alone.
  spec.plan.slo_ttft_s = 10;  // loose, to find the layout
  const PlanSearchResult search = search_plans(spec.plan);
  ParallelPlan layout;
  for (const PlanResult& p : search.plans) {
    if (p.meets_slos) {
      layout = p.plan;
      break;
    }
  }
  Scenario one = plan_scenario(spec.plan, layout, 1);
  one.synthetic.rate_per_s = 1;
  StepCostModel cost = make_scenario_cost_model(one);
  auto source = make_source(one);
  ServingMetrics alone(1, one.slo);
  Simulator sim(cost, one.serve, *source, alone);
  sim.run();
  const double service_s = alone.e2e().max();
  const double prefill_s = alone.ttft().max();
  // A rate that 3 replicas serve at load 0.87 and 4 at 0.65; the SLO between
  // their closed-form p90 TTFTs (a factor of about 1.6 from each).
  spec.rate_per_s = 2.6 / service_s;
  const auto p90_ttft = [&](int64_t n) {
    const double rho = spec.rate_per_s * service_s / static_cast<double>(n);
    return md1_wait_quantile(0.9, rho) * service_s + prefill_s;
  };
  spec.plan.slo_ttft_s = std::sqrt(p90_ttft(3) * p90_ttft(4));
  int64_t expected = 1;
  while (spec.rate_per_s * service_s / static_cast<double>(expected) >= 1 ||
         p90_ttft(expected) > spec.plan.slo_ttft_s) {
    ++expected;
  }
  ASSERT_EQ(expected, 4);
  const FleetResult result = size_fleet(spec);
  ASSERT_EQ(result.candidates.size(), 1u);
  const FleetCandidate& c = result.candidates.front();
  EXPECT_EQ(c.plan.tp, layout.tp);
  ASSERT_TRUE(c.found);
  EXPECT_EQ(c.verdict.replicas, expected);
  // The simulated p90 TTFT is the closed form's, within the sketch's and the
  // sample's error.
  EXPECT_NEAR(c.verdict.ttft_s, p90_ttft(4), 0.08 * p90_ttft(4));
  EXPECT_EQ(c.verdict.seeds_passing, 3);
}

// Every answer is the fewest that passes (one fewer was simulated and
// failed), and candidates are ordered by verified chips, whatever their
// estimate said.
TEST(FleetSizing, RanksByWhatTheSimulationVerified) {
  FleetSpec spec;
  spec.plan.model = "llama-3.1-8b";
  spec.plan.hw = "hgx-h200";
  spec.plan.slo_ttft_s = 0.5;
  spec.plan.slo_tpot_s = 0.03;
  spec.plan.input_tokens = 512;
  spec.plan.output_tokens = 128;
  spec.rate_per_s = 60;
  spec.candidates = 3;
  spec.seeds = 2;
  const FleetResult result = size_fleet(spec);
  ASSERT_GE(result.candidates.size(), 2u);
  int64_t previous = 0;
  for (const FleetCandidate& c : result.candidates) {
    ASSERT_TRUE(c.found) << c.plan.describe();
    EXPECT_TRUE(c.verdict.passes());
    EXPECT_GE(c.chips(), previous);
    previous = c.chips();
    if (c.verdict.replicas > 1) {
      bool fewer_failed = false;
      for (const FleetVerdict& v : c.tried) {
        fewer_failed = fewer_failed || (v.replicas == c.verdict.replicas - 1 && !v.passes());
      }
      EXPECT_TRUE(fewer_failed) << c.plan.describe();
    }
  }
  EXPECT_NE(result.layout().find("joined only by the request router"), std::string::npos);
  // A verdict's seeds on three threads: the same answer, count by count.
  spec.jobs = 3;
  const FleetResult threaded = size_fleet(spec);
  ASSERT_EQ(threaded.candidates.size(), result.candidates.size());
  for (size_t i = 0; i < result.candidates.size(); ++i) {
    const FleetCandidate& a = result.candidates[i];
    const FleetCandidate& b = threaded.candidates[i];
    ASSERT_EQ(a.tried.size(), b.tried.size());
    for (size_t k = 0; k < a.tried.size(); ++k) {
      EXPECT_EQ(a.tried[k].replicas, b.tried[k].replicas);
      EXPECT_EQ(a.tried[k].seeds_passing, b.tried[k].seeds_passing);
      EXPECT_EQ(a.tried[k].ttft_s, b.tried[k].ttft_s);
      EXPECT_EQ(a.tried[k].tpot_s, b.tried[k].tpot_s);
    }
  }
}

TEST(FleetSizing, RefusesWhatItCannotSize) {
  FleetSpec spec;
  spec.plan.model = "llama-3.1-8b";
  spec.plan.hw = "hgx-h200";
  spec.rate_per_s = 10;
  EXPECT_NE(testing_support::config_error([&] { size_fleet(spec); }).find("needs an SLO"),
            std::string::npos);
  spec.plan.slo_ttft_s = 1;
  spec.percentile = 100;
  EXPECT_NE(testing_support::config_error([&] { size_fleet(spec); }).find("--percentile"),
            std::string::npos);
  spec.percentile = 99;
  spec.router = "fastest";
  EXPECT_NE(testing_support::config_error([&] { size_fleet(spec); }).find("fastest"),
            std::string::npos);
  spec.router = "random";
  spec.plan.slo_ttft_s = 1e-6;  // no prefill is that fast
  EXPECT_THROW(size_fleet(spec), InfeasibleError);
}

}  // namespace
}  // namespace jalapeno
