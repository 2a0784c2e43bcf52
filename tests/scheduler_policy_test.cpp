// Each scheduler policy's defining behaviour, on the same workloads as the
// default (vLLM's): Sarathi-Serve's bounded, stall-free steps; TensorRT-LLM's
// reservation that never preempts; SGLang's prefill steps apart from
// decodes; priority classes served in order. The registry refuses unknown
// names.
#include "serve/scheduler_policy.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.hpp"
#include "serve_support.hpp"
#include "test_support.hpp"

namespace jalapeno {
namespace {

using testing_support::config_error;
using testing_support::poisson;
using testing_support::SimRun;
using testing_support::simulate;

SimRun run(Scenario s, const std::string& policy) {
  s.serve.scheduler.policy = policy;
  return simulate(s);
}

double max_step_s(const SimRun& r) {
  double m = 0;
  for (const StepRecord& s : r.seen.steps) m = std::max(m, s.seconds);
  return m;
}

double max_gap_s(const SimRun& r) {
  return r.seen.gaps.empty() ? 0 : r.seen.gaps.rbegin()->first;
}

TEST(SchedulerPolicy, RegistryNamesEveryPolicyAndRefusesOthers) {
  const auto names = scheduler_policy_names();
  for (const char* name : {"vllm", "sarathi", "trtllm", "sglang", "priority"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    EXPECT_EQ(make_scheduler_policy(name, "test")->name(), name);
  }
  const std::string message =
      config_error([] { make_scheduler_policy("orca", "scheduler.policy (--scheduler)"); });
  EXPECT_NE(message.find("scheduler.policy (--scheduler): unknown scheduler policy 'orca'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("sarathi"), std::string::npos);
}

// Long prompts under a small token budget. Sarathi-Serve puts every decode
// first: no decoder ever misses a step, so no gap between two tokens is
// longer than the longest step. vLLM visits running sequences in admission
// order: a chunked prompt admitted before a decoder can take the whole
// budget, and the decoder waits a step.
Scenario long_prompts(int64_t budget) {
  Scenario s = poisson(3, 300, "uniform:4000:12000", "uniform:50:400");
  s.serve.scheduler.max_batched_tokens = budget;
  return s;
}

TEST(SchedulerPolicy, SarathiNeverStallsADecode) {
  const SimRun sarathi = run(long_prompts(512), "sarathi");
  EXPECT_LE(max_gap_s(sarathi), max_step_s(sarathi) * (1 + 1e-9));
  EXPECT_EQ(sarathi.seen.done.size(), 300u);
}

// Sarathi-Serve's point: with a small budget a step's time stays bounded
// however long the prompts, where a large budget lets one prompt's chunk
// make a long step that every decode waits for.
TEST(SchedulerPolicy, SarathiBudgetBoundsTheStepTime) {
  const SimRun small = run(long_prompts(512), "sarathi");
  const SimRun large = run(long_prompts(8192), "vllm");
  EXPECT_LT(3 * max_step_s(small), max_step_s(large));
  EXPECT_LT(max_gap_s(small), max_gap_s(large) / 3);
}

// A cache with room for a few dozen sequences: vLLM preempts, TensorRT-LLM
// reserves each request's whole length at admission and never does.
Scenario tight_memory() {
  Scenario s = poisson(50, 400, "uniform:200:600", "uniform:300:900");
  s.serve.scheduler.memory_utilization = 0.13;  // ~2 GB of KV on an H200
  return s;
}

TEST(SchedulerPolicy, TrtllmReservesAndNeverPreempts) {
  const SimRun vllm = run(tight_memory(), "vllm");
  const SimRun trtllm = run(tight_memory(), "trtllm");
  EXPECT_GT(vllm.seen.preemptions, 0u);
  EXPECT_EQ(trtllm.seen.preemptions, 0u);
  EXPECT_EQ(trtllm.seen.done.size(), 400u);
  EXPECT_LE(trtllm.peak_kv, 1.0);
  // Reserving admits fewer at once: smaller batches than vLLM's.
  double vllm_batch = 0, trtllm_batch = 0;
  for (const auto& s : vllm.seen.steps) vllm_batch += static_cast<double>(s.sequences);
  for (const auto& s : trtllm.seen.steps) trtllm_batch += static_cast<double>(s.sequences);
  EXPECT_LT(trtllm_batch / static_cast<double>(trtllm.seen.steps.size()),
            vllm_batch / static_cast<double>(vllm.seen.steps.size()));
}

// SGLang runs a prefill batch whenever a request can be admitted, and
// decodes otherwise: no step mixes the two, and first tokens come sooner.
TEST(SchedulerPolicy, SglangKeepsPrefillStepsApart) {
  const Scenario s = poisson(30, 1500, "lognormal:512:0.6:4096", "lognormal:256:0.6:2048");
  const SimRun sglang = run(s, "sglang");
  const SimRun vllm = run(s, "vllm");
  int64_t mixed_vllm = 0;
  for (const auto& step : sglang.seen.steps) {
    EXPECT_TRUE(step.prefill_tokens == 0 || step.decode_tokens == 0)
        << step.start_s << " seqs " << step.sequences << " prefill " << step.prefill_tokens
        << " decode " << step.decode_tokens;
  }
  for (const auto& step : vllm.seen.steps) {
    mixed_vllm += step.prefill_tokens > 0 && step.decode_tokens > 0 ? 1 : 0;
  }
  EXPECT_GT(mixed_vllm, 100);
  double ttft_sglang = 0, ttft_vllm = 0;
  for (const auto& r : sglang.seen.done) ttft_sglang += r.ttft_s();
  for (const auto& r : vllm.seen.done) ttft_vllm += r.ttft_s();
  EXPECT_LT(ttft_sglang, ttft_vllm);
}

// Overload with two classes: the priority policy serves class 0 first, so
// its requests wait far less than class 1's; FCFS treats them alike.
TEST(SchedulerPolicy, PriorityClassesAreServedInOrder) {
  Scenario s = poisson(60, 2000, "uniform:200:1500", "uniform:50:400");
  s.synthetic.priority_mix = {0.3, 0.7};
  const auto mean_queue = [](const SimRun& r, int32_t cls) {
    double sum = 0;
    int n = 0;
    for (const auto& rec : r.seen.done) {
      if (rec.priority != cls) continue;
      sum += rec.queue_s();
      ++n;
    }
    return sum / n;
  };
  const SimRun priority = run(s, "priority");
  const SimRun fcfs = run(s, "vllm");
  EXPECT_LT(4 * mean_queue(priority, 0), mean_queue(priority, 1));
  EXPECT_LT(mean_queue(fcfs, 0), 1.5 * mean_queue(fcfs, 1));
  EXPECT_LT(mean_queue(fcfs, 1), 1.5 * mean_queue(fcfs, 0));
}

// Under memory pressure: long class-1 requests hold the cache from t = 0,
// short class-0 ones arrive later. FCFS makes the newcomers wait behind the
// cache's holders; the priority policy admits them first and takes the
// blocks they need from class 1 (the youngest of the lowest class, even one
// already in the step).
TEST(SchedulerPolicy, PriorityPreemptsTheLowestClass) {
  const auto dir = std::filesystem::temp_directory_path() / "jalapeno_priority_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / "classes.jsonl";
  {
    std::ofstream out(path);
    for (int i = 0; i < 60; ++i) {
      out << R"({"timestamp": 0, "input_tokens": 200, "output_tokens": 3000, "priority": 1})"
          << "\n";
    }
    for (int i = 0; i < 200; ++i) {
      out << fmt::format(
                 R"({{"timestamp": {}, "input_tokens": 300, "output_tokens": 200, "priority": 0}})",
                 1.0 + 0.05 * i)
          << "\n";
    }
  }
  Scenario s;
  s.workload = WorkloadKind::kTrace;
  s.trace.path = path.string();
  s.serve.scheduler.memory_utilization = 0.13;  // ~2 GB of KV on an H200
  struct ByClass {
    double preemptions[2] = {0, 0};
    double e2e_s[2] = {0, 0};
  };
  const auto by_class = [&](const std::string& policy) {
    ByClass c;
    double n[2] = {0, 0};
    for (const auto& rec : run(s, policy).seen.done) {
      c.preemptions[rec.priority] += static_cast<double>(rec.preemptions);
      c.e2e_s[rec.priority] += rec.e2e_s();
      n[rec.priority] += 1;
    }
    for (int k = 0; k < 2; ++k) c.e2e_s[k] /= n[k];
    return c;
  };
  const ByClass fcfs = by_class("vllm");
  const ByClass priority = by_class("priority");
  // Class 0 is served ahead of class 1, which takes the preemptions.
  EXPECT_LT(2 * priority.e2e_s[0], fcfs.e2e_s[0]);
  EXPECT_GT(priority.e2e_s[1], fcfs.e2e_s[1]);
  EXPECT_GT(priority.preemptions[1], priority.preemptions[0]);
}

}  // namespace
}  // namespace jalapeno
