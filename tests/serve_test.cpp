// The serving simulator against closed forms and invariants: conservation,
// determinism, Little's law, the M/D/1 queue, KV accounting and preemption.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "core/error.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"

namespace jalapeno {
namespace {

struct SimRun {
  uint64_t completed = 0;
  uint64_t output_tokens = 0;
  uint64_t preemptions = 0;
  double end_s = 0;
  double latency_sum_s = 0;
  double in_system_integral = 0;
  double mean_queue_s = 0;
  double peak_kv = 0;
  std::string json;
};

SimRun simulate(const Scenario& s) {
  StepCostModel cost(load_model(s.model), load_chip(s.hw), load_engine(s.engine));
  auto source = make_source(s);
  ServingMetrics metrics(s.serve.replicas, s.slo, s.sample_interval_s);
  Simulator sim(cost, s.serve, *source, metrics);
  sim.run();
  SimRun r;
  r.completed = metrics.completed();
  r.output_tokens = metrics.output_tokens();
  r.end_s = metrics.end_s();
  r.latency_sum_s = metrics.request_seconds();
  r.in_system_integral = sim.requests_in_system_integral();
  r.mean_queue_s = metrics.queue().mean();
  const auto doc = metrics.to_json();
  r.preemptions = doc.at("preemptions").get<uint64_t>();
  for (const auto& replica : doc.at("replicas")) {
    r.peak_kv = std::max(r.peak_kv, replica.at("peak_kv_fraction").get<double>());
  }
  r.json = doc.dump();
  return r;
}

Scenario poisson(double rate, int64_t requests, const std::string& input,
                 const std::string& output) {
  Scenario s;
  s.model = "llama-3.1-8b";
  s.hw = "h200-sxm";
  s.engine = "fused";
  s.synthetic.arrivals = ArrivalKind::kPoisson;
  s.synthetic.rate_per_s = rate;
  s.synthetic.requests = requests;
  s.synthetic.input = LengthDistribution::parse(input, "input");
  s.synthetic.output = LengthDistribution::parse(output, "output");
  s.synthetic.seed = 7;
  return s;
}

TEST(Serve, ConservationOfRequestsAndTokens) {
  Scenario s = poisson(20, 3000, "lognormal:512:0.8:4096", "uniform:1:400");
  s.serve.replicas = 2;
  s.serve.router = "least-outstanding";
  const SimRun r = simulate(s);
  EXPECT_EQ(r.completed, 3000u);
  // Every requested output token generated, once: the same seed and streams
  // reproduce the requested lengths.
  auto source = make_source(s);
  uint64_t requested = 0;
  while (auto req = source->next()) requested += static_cast<uint64_t>(req->output_tokens);
  EXPECT_EQ(r.output_tokens, requested);
}

TEST(Serve, SameSeedGivesIdenticalOutput) {
  const Scenario s = poisson(15, 1000, "uniform:64:2048", "uniform:16:256");
  EXPECT_EQ(simulate(s).json, simulate(s).json);
  Scenario other = s;
  other.synthetic.seed = 8;
  EXPECT_NE(simulate(s).json, simulate(other).json);
}

// Little's law, L = lambda W: the time-average number of requests in the
// system, integrated from the event sequence, equals the arrival rate times
// the mean latency computed from each request's own timestamps.
TEST(Serve, LittlesLaw) {
  const SimRun r = simulate(poisson(18, 5000, "lognormal:700:0.7:4096", "uniform:32:300"));
  const double L = r.in_system_integral / r.end_s;
  const double lambda = static_cast<double>(r.completed) / r.end_s;
  const double W = r.latency_sum_s / static_cast<double>(r.completed);
  EXPECT_NEAR(L / (lambda * W), 1.0, 1e-9);
  EXPECT_GT(L, 1.0);  // a loaded system, not a trivial one
}

// One sequence per batch, one-token outputs and fixed prompts: each request is
// one step of fixed duration D, served FIFO by one server, so with Poisson
// arrivals the queue is M/D/1 and the mean wait is rho / (2 mu (1 - rho)).
TEST(Serve, MD1MeanWait) {
  Scenario s = poisson(1, 1, "128", "1");
  s.serve.scheduler.max_sequences = 1;
  StepCostModel cost(load_model(s.model), load_chip(s.hw), load_engine(s.engine));
  const double D = cost.seconds(prefill_batch(1, 128));
  const double mu = 1 / D;
  for (const double rho : {0.5, 0.8}) {
    s.synthetic.rate_per_s = rho * mu;
    s.synthetic.requests = 200000;
    const SimRun r = simulate(s);
    const double expected = rho / (2 * mu * (1 - rho));
    EXPECT_NEAR(r.mean_queue_s / expected, 1.0, 0.03) << "rho " << rho;
  }
}

Scenario tight_memory(Preemption mode) {
  // Long outputs on a cache with room for a few dozen sequences force the
  // scheduler to preempt.
  Scenario s = poisson(50, 400, "uniform:200:600", "uniform:300:900");
  s.serve.scheduler.memory_utilization = 0.13;  // ~2 GB of KV on an H200
  s.serve.scheduler.preemption = mode;
  return s;
}

TEST(Serve, PreemptionByRecomputeFinishesEveryRequest) {
  const SimRun r = simulate(tight_memory(Preemption::kRecompute));
  EXPECT_EQ(r.completed, 400u);
  EXPECT_GT(r.preemptions, 0u);
  EXPECT_LE(r.peak_kv, 1.0);
}

TEST(Serve, PreemptionBySwapFinishesEveryRequest) {
  const SimRun recompute = simulate(tight_memory(Preemption::kRecompute));
  const SimRun swap = simulate(tight_memory(Preemption::kSwap));
  EXPECT_EQ(swap.completed, 400u);
  EXPECT_GT(swap.preemptions, 0u);
  EXPECT_LE(swap.peak_kv, 1.0);
  EXPECT_NE(swap.json, recompute.json);
}

TEST(Serve, RequestLongerThanTheCacheIsRejected) {
  Scenario s = poisson(1, 10, "100000", "10");
  s.serve.scheduler.memory_utilization = 0.2;
  EXPECT_THROW(simulate(s), InfeasibleError);
}

TEST(Serve, ModelThatDoesNotFitIsRejected) {
  Scenario s = poisson(1, 10, "100", "10");
  s.model = "llama-3.1-405b";
  try {
    simulate(s);
    FAIL() << "expected InfeasibleError";
  } catch (const InfeasibleError& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit"), std::string::npos) << e.what();
  }
}

TEST(Serve, RoundRobinSpreadsRequestsEvenly) {
  Scenario s = poisson(40, 3000, "256", "64");
  s.serve.replicas = 3;
  const SimRun r = simulate(s);
  const auto doc = nlohmann::json::parse(r.json);
  for (const auto& replica : doc.at("replicas")) {
    EXPECT_GT(replica.at("steps").get<uint64_t>(), 0u);
  }
  EXPECT_EQ(r.completed, 3000u);
}

TEST(Serve, ClosedLoopKeepsAtMostNUsersInTheSystem) {
  Scenario s = poisson(1, 600, "512", "128");
  s.workload = WorkloadKind::kClosedLoop;
  s.closed_loop.users = 8;
  s.closed_loop.think_s = 0.5;
  s.closed_loop.requests = 600;
  s.closed_loop.input = s.synthetic.input;
  s.closed_loop.output = s.synthetic.output;
  const SimRun r = simulate(s);
  EXPECT_EQ(r.completed, 600u);
  EXPECT_LE(r.in_system_integral / r.end_s, 8.0);
}

TEST(Serve, OfflineRunsEverythingFromTimeZero) {
  Scenario s = poisson(1, 500, "512", "128");
  s.synthetic.arrivals = ArrivalKind::kOffline;
  const SimRun r = simulate(s);
  EXPECT_EQ(r.completed, 500u);
  // With everything queued at once, a full batch runs most of the time.
  const auto doc = nlohmann::json::parse(r.json);
  EXPECT_GT(doc.at("replicas")[0].at("mean_batch").get<double>(), 100.0);
}

// An offline run larger than the replicas' backlog limit keeps requests in
// the source until they drain (bounded memory) without changing latency
// accounting: Little's law still holds exactly.
TEST(Serve, BacklogHeldInTheSourceKeepsLittlesLaw) {
  Scenario s = poisson(1, 3000, "256", "32");
  s.synthetic.arrivals = ArrivalKind::kOffline;
  s.serve.scheduler.max_sequences = 16;  // backlog limit 1,024 < 3,000 requests
  const SimRun r = simulate(s);
  EXPECT_EQ(r.completed, 3000u);
  const double L = r.in_system_integral / r.end_s;
  const double lambda = static_cast<double>(r.completed) / r.end_s;
  EXPECT_NEAR(L / (lambda * r.latency_sum_s / static_cast<double>(r.completed)), 1.0, 1e-9);
}

// Without chunked prefill, a sequence preempted late re-prefills prompt and
// output, more than the token budget: it is chunked rather than stuck.
TEST(Serve, RecomputeLongerThanTheBudgetStillFinishes) {
  Scenario s = tight_memory(Preemption::kRecompute);
  s.serve.scheduler.chunked_prefill = false;
  s.serve.scheduler.max_batched_tokens = 1024;
  s.synthetic.input = LengthDistribution::parse("uniform:600:1000", "input");
  s.synthetic.output = LengthDistribution::parse("uniform:1000:3000", "output");
  const SimRun r = simulate(s);
  EXPECT_EQ(r.completed, 400u);
  EXPECT_GT(r.preemptions, 0u);
}

// Swapped-out sequences come back before new requests are let in, so none
// waits for the whole queue behind it.
TEST(Serve, SwappedSequencesAreNotStarved) {
  Scenario s = tight_memory(Preemption::kSwap);
  s.synthetic.rate_per_s = 3;
  s.synthetic.requests = 600;
  s.synthetic.input = LengthDistribution::parse("uniform:100:500", "input");
  s.synthetic.output = LengthDistribution::parse("uniform:200:2500", "output");
  Scenario recompute = s;
  recompute.serve.scheduler.preemption = Preemption::kRecompute;
  StepCostModel cost(load_model(s.model), load_chip(s.hw), load_engine(s.engine));
  double worst[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const Scenario& sc = i == 0 ? s : recompute;
    auto source = make_source(sc);
    ServingMetrics metrics(1, sc.slo);
    Simulator sim(cost, sc.serve, *source, metrics);
    sim.run();
    ASSERT_EQ(metrics.completed(), 600u);
    worst[i] = metrics.e2e().max();
  }
  std::cout << "[ swap     ] worst e2e " << worst[0] << " s, recompute " << worst[1] << " s\n";
  EXPECT_LT(worst[0], 1.25 * worst[1]) << "swap's worst latency against recompute's";
}

}  // namespace
}  // namespace jalapeno
