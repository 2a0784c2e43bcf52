// The serving simulator against closed forms and invariants: conservation,
// determinism, Little's law, the M/D/1 queue, KV accounting and preemption;
// work per event that does not grow with the replica count; bounded series;
// the limits of one run; the progress hook.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include "core/error.hpp"
#include "report/serving_metrics.hpp"
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

// --- many replicas -------------------------------------------------------------

struct RouterCount {
  uint64_t operations = 0;
  uint64_t events = 0;
  uint64_t arrivals = 0;
  uint32_t created = 0;
  uint64_t completed = 0;
  std::string json;
};

RouterCount count_router_work(Scenario s) {
  StepCostModel cost(load_model(s.model), load_chip(s.hw), load_engine(s.engine));
  auto source = make_source(s);
  ServingMetrics metrics(s.serve.replicas, s.slo, s.sample_interval_s);
  Simulator sim(cost, s.serve, *source, metrics);
  sim.run();
  RouterCount c;
  c.operations = sim.router().operations();
  c.events = sim.events();
  c.arrivals = sim.arrivals();
  c.created = sim.replicas_created();
  c.completed = metrics.completed();
  c.json = metrics.to_json().dump();
  return c;
}

// `--replicas 100000` with 2,000 requests took > 20 s: every arrival scanned
// every replica. The routers now keep an indexed heap: their operations per
// event grow with log2(replicas), not with replicas, and a replica gets state
// only when a request is routed to it.
TEST(Serve, RouterWorkPerEventDoesNotGrowWithReplicas) {
  for (const char* router : {"least-outstanding", "least-kv", "round-robin", "power-of-two"}) {
    double per_event[2] = {0, 0};
    const uint32_t counts[2] = {16, 100000};
    for (int k = 0; k < 2; ++k) {
      Scenario s = poisson(40, 2000, "uniform:64:1024", "uniform:8:128");
      s.serve.replicas = counts[k];
      s.serve.router = router;
      const RouterCount c = count_router_work(s);
      ASSERT_EQ(c.completed, 2000u) << router;
      EXPECT_EQ(c.arrivals, 2000u);
      EXPECT_LE(c.created, 2000u) << router;
      per_event[k] = static_cast<double>(c.operations) / static_cast<double>(c.events);
      // A few heap levels (two comparisons each) per load change, a few
      // load changes per event: nothing near one operation per replica.
      EXPECT_LE(per_event[k], 6 * std::log2(static_cast<double>(counts[k])) + 6)
          << router << " with " << counts[k] << " replicas";
    }
    std::cout << "[ router   ] " << router << ": " << per_event[0] << " operations/event with 16"
              << " replicas, " << per_event[1] << " with 100000\n";
    EXPECT_LT(per_event[1], 8 * per_event[0] + 8) << router;
  }
}

// The heap picks what a scan keeping the first strict minimum picks (ties to
// the lowest index): same seed, same routing, byte-identical results.
TEST(Serve, IndexedRoutersPickWhatAScanPicks) {
  StepCostModel cost(load_model("llama-3.1-8b"), load_chip("h200-sxm"), load_engine("fused"));
  SchedulerConfig config;
  config.memory_utilization = 0.13;  // a small cache: KV fractions spread out
  const int64_t blocks = kv_cache_blocks(cost, config);
  constexpr uint32_t kReplicas = 37;
  for (const char* policy : {"least-outstanding", "least-kv"}) {
    const std::string name = policy;
    std::vector<Replica> replicas;
    replicas.reserve(kReplicas);
    for (uint32_t i = 0; i < kReplicas; ++i) replicas.emplace_back(i, cost, config, blocks);
    ServingMetrics metrics(kReplicas, Slo{});
    auto router = make_router(name, "test");
    router->reset(kReplicas);
    const auto load = [&](uint32_t i) {
      return name == "least-kv" ? replicas[i].kv_used_fraction()
                                : static_cast<double>(replicas[i].outstanding());
    };
    uint64_t state = 12345;
    const auto next = [&state](uint64_t n) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return (state >> 33) % n;
    };
    double now = 0;
    uint64_t id = 0;
    std::vector<Request> finished;
    for (int op = 0; op < 20000; ++op) {
      uint32_t scan = 0;
      for (uint32_t i = 1; i < kReplicas; ++i) {
        if (load(i) < load(scan)) scan = i;
      }
      Request request;
      request.id = id++;
      request.arrival_s = now;
      request.input_tokens = static_cast<int64_t>(16 + next(2000));
      request.output_tokens = static_cast<int64_t>(1 + next(64));
      const uint32_t pick = router->route(request);
      ASSERT_EQ(pick, scan) << name << " at operation " << op;
      now += 0.5;
      uint32_t target = pick;
      switch (next(3)) {
        case 0:
          replicas[pick].enqueue(request);
          break;
        case 1:
          target = static_cast<uint32_t>(next(kReplicas));
          if (replicas[target].can_start(now)) replicas[target].start_step(now, metrics);
          break;
        default:
          target = static_cast<uint32_t>(next(kReplicas));
          if (replicas[target].busy()) replicas[target].finish_step(now, metrics, finished);
          break;
      }
      router->update(target, replicas[target]);
    }
  }
}

TEST(Serve, ManyReplicasAreDeterministic) {
  for (const char* router : {"least-outstanding", "least-kv", "power-of-two"}) {
    Scenario s = poisson(200, 1500, "uniform:64:1024", "uniform:8:128");
    s.serve.replicas = 1000;
    s.serve.router = router;
    const RouterCount a = count_router_work(s);
    EXPECT_EQ(a.json, count_router_work(s).json) << router;
    EXPECT_EQ(a.completed, 1500u);
  }
}

// Power of two choices: the less loaded of two random draws. With requests
// that never finish, 100 replicas end within a few requests of each other
// (one random draw each would spread them by tens); the draws follow the
// seed: the same seed the same picks, another seed others.
TEST(Serve, PowerOfTwoChoicesBalancesByItsDraws) {
  StepCostModel cost(load_model("llama-3.1-8b"), load_chip("h200-sxm"), load_engine("fused"));
  SchedulerConfig config;
  config.memory_utilization = 0.5;
  const int64_t blocks = kv_cache_blocks(cost, config);
  const auto run = [&](uint64_t seed) {
    std::vector<Replica> replicas;
    replicas.reserve(100);
    for (uint32_t i = 0; i < 100; ++i) replicas.emplace_back(i, cost, config, blocks);
    auto router = make_router("power-of-two", "test", seed);
    router->reset(100);
    std::vector<uint32_t> picks;
    for (uint64_t id = 0; id < 5000; ++id) {
      Request request;
      request.id = id;
      request.input_tokens = 16;
      request.output_tokens = 16;
      const uint32_t pick = router->route(request);
      replicas[pick].enqueue(request);
      router->update(pick, replicas[pick]);
      picks.push_back(pick);
    }
    int64_t most = 0, least = INT64_MAX;
    for (const Replica& r : replicas) {
      most = std::max(most, r.outstanding());
      least = std::min(least, r.outstanding());
    }
    EXPECT_LE(most - least, 6) << "seed " << seed;
    return picks;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

// The simulator reports through ServingObserver: any collector sees the
// run the report stage's ServingMetrics sees. One that only counts gets the
// same requests, tokens, steps and end time, with the ServingMetrics of
// the same run beside it as the trace observer.
TEST(Serve, AnyObserverSeesTheRun) {
  struct Counter : ServingObserver {
    uint64_t requests = 0, output_tokens = 0, gaps = 0, steps = 0, replicas = 0;
    double end_s = -1;
    void on_replica(uint32_t) override { ++replicas; }
    void on_step(const StepRecord&) override { ++steps; }
    void on_token_gap(double) override { ++gaps; }
    void on_request_done(const RequestRecord& r) override {
      ++requests;
      output_tokens += static_cast<uint64_t>(r.output_tokens);
    }
    void on_end(double t) override { end_s = t; }
  };
  Scenario s = poisson(20, 500, "uniform:64:512", "uniform:2:64");
  s.serve.replicas = 3;
  StepCostModel cost(load_model(s.model), load_chip(s.hw), load_engine(s.engine));
  auto source = make_source(s);
  Counter counter;
  ServingMetrics metrics(s.serve.replicas, s.slo, s.sample_interval_s);
  Simulator sim(cost, s.serve, *source, counter, &metrics);
  sim.run();
  EXPECT_EQ(counter.requests, 500u);
  EXPECT_EQ(counter.replicas, 3u);
  EXPECT_GT(counter.steps, 0u);
  // Every output token after a request's first is one gap.
  EXPECT_EQ(counter.gaps, counter.output_tokens - counter.requests);
  EXPECT_DOUBLE_EQ(counter.end_s, sim.now_s());
  // The metrics saw the steps (as the trace observer: steps only).
  EXPECT_EQ(metrics.completed(), 0u);
}

// --- bounded series ------------------------------------------------------------

std::string write_trace(const std::string& name, const std::string& rows) {
  const std::string path = (std::filesystem::path(testing::TempDir()) / name).string();
  std::ofstream(path) << "TIMESTAMP,ContextTokens,GeneratedTokens\n" << rows;
  return path;
}

Scenario trace_scenario(const std::string& path) {
  Scenario s;
  s.workload = WorkloadKind::kTrace;
  s.trace.path = path;
  return s;
}

// Two trace rows 9e6 s apart gave 405 MB of JSON and 1.2 GB of memory: the
// series now coarsen to at most 2048 buckets, whatever the span.
TEST(Serve, SeriesStayBoundedOverALongSpan) {
  Scenario s = trace_scenario(write_trace("gap.csv", "0,100,10\n9000000,100,10\n"));
  s.serve.replicas = 3;
  const SimRun r = simulate(s);
  EXPECT_EQ(r.completed, 2u);
  const auto doc = nlohmann::json::parse(r.json);
  for (const auto& replica : doc.at("replicas")) {
    const auto& series = replica.at("series");
    EXPECT_LE(series.at("busy_fraction").size(), 2048u);
    EXPECT_GE(series.at("interval_s").get<double>() * 2048, r.end_s);
  }
  EXPECT_LT(r.json.size(), 400000u);
}

// --- limits --------------------------------------------------------------------

void expect_config_error(const std::function<void()>& run, const std::string& text) {
  try {
    run();
    ADD_FAILURE() << "expected a ConfigError mentioning '" << text << "'";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("sample_interval"), std::string::npos) << e.what();
  }
}

TEST(Serve, ScenarioLimitsNameTheKey) {
  const Scenario base = poisson(10, 1000, "128", "16");
  const auto with = [&](const std::function<void(Scenario&)>& change) {
    Scenario s = base;
    change(s);
    return [s] { validate_scenario(s); };
  };
  EXPECT_NO_THROW(validate_scenario(base));
  expect_config_error(with([](Scenario& s) { s.serve.replicas = ServeLimits::kMaxReplicas + 1; }),
                      "replicas");
  expect_config_error(with([](Scenario& s) { s.synthetic.requests = 10000000000; }),
                      "workload.requests (--requests)");
  // A rate of 1e-7/s over 1,000 requests is 1e10 s of simulated time.
  expect_config_error(with([](Scenario& s) { s.synthetic.rate_per_s = 1e-7; }),
                      "span about 1e+10 s");
  expect_config_error(with([](Scenario& s) { s.serve.scheduler.swap_Bps = 1; }),
                      "scheduler.swap_bandwidth");
  expect_config_error(with([](Scenario& s) {
                        s.workload = WorkloadKind::kTrace;
                        s.trace.loops = 1000000;
                      }),
                      "trace.loops (--loops)");
  expect_config_error(with([](Scenario& s) {
                        s.workload = WorkloadKind::kTrace;
                        s.trace.max_requests = 10000000000;
                      }),
                      "trace.max_requests");
  expect_config_error(with([](Scenario& s) {
                        s.workload = WorkloadKind::kClosedLoop;
                        s.closed_loop.users = 2;
                        s.closed_loop.requests = 100;
                        s.closed_loop.think_s = 1e7;
                      }),
                      "closed_loop.think (--think)");
}

TEST(Serve, RunLimitsSayWhatIsWrong) {
  // More requests than one run may take (a looped trace finds out as it goes).
  Scenario many = poisson(100, 200, "128", "4");
  many.serve.limits.max_requests = 50;
  expect_config_error([&] { simulate(many); }, "more than 50 requests");
  // A billion-second gap in a trace: beyond the simulated span.
  const Scenario gap = trace_scenario(write_trace("billion.csv", "0,100,10\n1000000000,100,10\n"));
  expect_config_error([&] { simulate(gap); }, "simulated time: request 1 arrives at t = 1e+09 s");
  // A swap bandwidth of 1 B/s: one step would take weeks.
  Scenario swap = tight_memory(Preemption::kSwap);
  swap.serve.scheduler.swap_Bps = 1;
  expect_config_error([&] { simulate(swap); }, "check scheduler.swap_bandwidth");
}

// Loops of a trace whose length is known only by reading it: counted up front
// (one pass, as far as the loops could take), not found out hours later.
TEST(Serve, TraceLoopsBeyondTheRequestLimitAreRejectedUpFront) {
  std::string rows;
  const uint64_t per_pass = ServeLimits::kMaxRequests / 10000 + 1;
  for (uint64_t i = 0; i < per_pass; ++i) rows += std::to_string(i) + ",100,10\n";
  Scenario s = trace_scenario(write_trace("long.csv", rows));
  s.trace.loops = 10000;
  expect_config_error([&] { make_source(s); }, "trace.loops (--loops): 10000 loops of long.csv");
  s.trace.max_requests = 1000;  // a cap makes it fine
  EXPECT_NO_THROW(make_source(s));
  s.trace.max_requests = 0;
  s.trace.loops = 9999;
  EXPECT_NO_THROW(make_source(s));
}

TEST(Serve, TooManyReplicasIsAConfigError) {
  Scenario s = poisson(1, 10, "128", "4");
  s.serve.replicas = ServeLimits::kMaxReplicas + 1;
  expect_config_error([&] { simulate(s); }, "replicas: expected 1 to 100000");
}

// --- progress ------------------------------------------------------------------

TEST(Serve, ProgressHookSeesTheRunAdvance) {
  const Scenario s = poisson(20, 500, "256", "32");
  StepCostModel cost(load_model(s.model), load_chip(s.hw), load_engine(s.engine));
  auto source = make_source(s);
  ServingMetrics metrics(1, s.slo);
  Simulator sim(cost, s.serve, *source, metrics);
  std::vector<RunProgress> seen;
  sim.set_progress_hook([&seen](const RunProgress& p) { seen.push_back(p); }, 100);
  sim.run();
  ASSERT_GE(seen.size(), 3u);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].simulated_s, seen[i - 1].simulated_s);
    EXPECT_GE(seen[i].completed, seen[i - 1].completed);
    EXPECT_GE(seen[i].events, seen[i - 1].events);
  }
  EXPECT_EQ(seen.size(), sim.events() / 100 + 1);
  EXPECT_TRUE(seen.back().finished);
  EXPECT_EQ(seen.back().completed, 500u);
  EXPECT_EQ(seen.back().arrived, 500u);
  EXPECT_EQ(expected_requests(s), 500u);
  // The hook does not change the run.
  EXPECT_EQ(simulate(s).json, metrics.to_json().dump());
}

}  // namespace
}  // namespace jalapeno
