// Prefix caching and agentic sessions (README "Prefix caching and sessions"):
// the block cache's reference counts and eviction order, content ids, hit
// rates that follow from how a trace or a session generator was built,
// conservation of prompt tokens, routing by cache, and the errors for bad
// session traces.
#include "serve/prefix_cache.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "report/serving_metrics.hpp"
#include "serve/kv_cache.hpp"
#include "serve/scenario.hpp"
#include "serve/simulator.hpp"
#include "serve_support.hpp"
#include "test_support.hpp"
#include "workload/content.hpp"
#include "workload/source.hpp"

namespace jalapeno {
namespace {

namespace fs = std::filesystem;
using testing_support::config_error;
using testing_support::simulate;

// Named apart from other suites' directories.
struct TempDir : testing_support::TempDir {
  TempDir() : testing_support::TempDir("jalapeno_prefix_") {}
};

TEST(PrefixCache, CountsReferencesAndEvictsTheLeastRecentlyReleased) {
  PrefixCache cache;
  std::vector<PrefixCache::Node> a, b, found;
  for (uint64_t id : {1, 2, 3}) a.push_back(cache.insert(id));
  const std::vector<uint64_t> b_ids = {1, 2, 4};
  const PrefixCache::Probe probe = cache.probe(b_ids.data(), 3, found);
  EXPECT_EQ(probe.blocks, 2);  // 1, 2 then a miss
  EXPECT_EQ(probe.evictable, 0);
  EXPECT_EQ(found, std::vector<PrefixCache::Node>(a.begin(), a.begin() + 2));
  EXPECT_EQ(cache.acquire(found.data(), 2), 0);  // held already: none leaves the free count
  b = found;
  b.push_back(cache.insert(4));
  EXPECT_EQ(cache.references(1), 2);
  // a is released tail first: 3, then 2 and 1 stay held by b.
  EXPECT_EQ(cache.release(a.data(), 3), 1);
  EXPECT_EQ(cache.evictable(), 1);
  EXPECT_EQ(cache.release(b.data(), 3), 3);
  // Released order: 3 (with a), then b's 4, 2, 1 (tail first).
  cache.evict(2);
  EXPECT_FALSE(cache.contains(3));
  EXPECT_FALSE(cache.contains(4));
  EXPECT_TRUE(cache.contains(2));
  EXPECT_TRUE(cache.contains(1));
  EXPECT_EQ(cache.evictions(), 2u);
  // A hit on an evictable entry takes it back out of the eviction list.
  const PrefixCache::Node one = cache.node(1);
  EXPECT_EQ(cache.acquire(&one, 1), 1);
  EXPECT_EQ(cache.evictable(), 1);
}

TEST(PrefixCache, NeverEvictsABlockInUseAndRefusesBadAccounting) {
  PrefixCache cache;
  const std::vector<PrefixCache::Node> held = {cache.insert(7), cache.insert(8)};
  EXPECT_THROW(cache.evict(1), std::logic_error);  // both held
  EXPECT_THROW(cache.insert(7), std::logic_error);
  EXPECT_THROW(cache.node(9), std::logic_error);
  cache.release(held.data(), 2);
  EXPECT_THROW(cache.release(held.data(), 1), std::logic_error);  // no reference left
  cache.evict(2);
  EXPECT_EQ(cache.entries(), 0);
  EXPECT_THROW(cache.acquire(held.data(), 1), std::logic_error);  // evicted
}

TEST(PrefixCache, BlockPoolEvictsOnlyWhenUncachedBlocksRunOut) {
  KvBlockManager kv(4, 16);
  kv.enable_prefix_cache();
  std::vector<KvBlockManager::Node> nodes;
  kv.allocate(3);
  for (uint64_t id : {11, 12, 13}) nodes.push_back(kv.cache_computed(id));
  kv.release_cached(nodes.data(), 3);
  EXPECT_EQ(kv.free_blocks(), 4);  // cached and evictable blocks count as free
  kv.allocate(1);                  // the one uncached block: nothing evicted
  EXPECT_EQ(kv.cache().evictions(), 0u);
  kv.allocate(2);  // two of the cached ones, least recently released first: 13, then 12
  EXPECT_EQ(kv.cache().evictions(), 2u);
  EXPECT_TRUE(kv.cache().contains(11));
  EXPECT_FALSE(kv.cache().contains(13));
  EXPECT_EQ(kv.free_blocks(), 1);
  // Holding the last cached block leaves nothing free; a plain block
  // filled with content already cached is given back for the shared one.
  const KvBlockManager::Node eleven = kv.cache().node(11);
  kv.take_cached(&eleven, 1);
  EXPECT_EQ(kv.free_blocks(), 0);
  EXPECT_THROW(kv.allocate(1), std::logic_error);
  kv.release(1);
  kv.allocate(1);
  EXPECT_EQ(kv.cache_computed(11), eleven);  // now two references on 11, one plain block freed
  EXPECT_EQ(kv.cache().references(11), 2);
  EXPECT_EQ(kv.free_blocks(), 1);
}

TEST(ContentIds, SharedSegmentsShareBlocksAndNothingElse) {
  const int64_t block = 16;
  Request first;
  first.id = 1;
  first.input_tokens = 100;
  Request second;
  second.id = 2;
  second.input_tokens = 120;
  // The second shares the first's first 40 positions.
  second.content = std::make_shared<const ContentSegments>(
      shared_prefix({}, own_writer(first.id), first.input_tokens, 40));
  std::vector<uint64_t> a, b;
  append_block_ids(first, 0, 6, block, a);
  append_block_ids(second, 0, 6, block, b);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);  // positions 16..31
  EXPECT_NE(a[2], b[2]);  // 32..47 ends past the shared 40
  EXPECT_EQ(block_id(second, 1, block), b[1]);
  // A third call sharing 30 positions of the second: the first's 30.
  const ContentSegments third =
      shared_prefix(*second.content, own_writer(second.id), second.input_tokens, 30);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].end, 30);
  EXPECT_EQ(third[0].writer, own_writer(first.id));
  // Sharing all of the second's 120: the first's 40, then the second's own.
  const ContentSegments whole =
      shared_prefix(*second.content, own_writer(second.id), second.input_tokens, 120);
  ASSERT_EQ(whole.size(), 2u);
  EXPECT_EQ(whole[1].writer, own_writer(second.id));
  EXPECT_EQ(whole[1].end, 120);
}

Scenario traced(const std::string& path, bool caching) {
  Scenario s;
  s.workload = WorkloadKind::kTrace;
  s.trace.path = path;
  s.serve.scheduler.prefix_caching = caching;
  return s;
}

// Sessions whose every later call shares 90% of its prompt with the
// previous call's context, spaced so that each call finds the last one done:
// each hits exactly the full blocks inside its shared 90%.
TEST(PrefixCaching, SessionTraceHitsWhatItsConstructionImplies) {
  TempDir dir;
  std::string rows;
  const int64_t input = 2000, output = 50, prefix = 1800, calls = 6, sessions = 5;
  std::map<uint64_t, int64_t> expected;  // request id -> cached tokens
  uint64_t id = 0;
  for (int64_t c = 0; c < calls; ++c) {
    for (int64_t s = 0; s < sessions; ++s) {
      const int64_t shared = c == 0 ? 0 : prefix;
      rows += fmt::format(
          R"({{"timestamp": {}, "input_tokens": {}, "output_tokens": {}, "session_id": "task-{}", "prefix_tokens": {}}})"
          "\n",
          100 * c + s, input, output, s, shared);
      expected[id++] = shared / 16 * 16;
    }
  }
  const std::string path = dir.write("sessions.jsonl", rows);
  const auto run = simulate(traced(path, true));
  ASSERT_EQ(run.seen.done.size(), static_cast<size_t>(calls * sessions));
  int64_t cached = 0, prompt = 0, computed = 0;
  for (const RequestRecord& r : run.seen.done) {
    EXPECT_EQ(r.cached_tokens, expected.at(r.id)) << "request " << r.id;
    EXPECT_EQ(r.session, static_cast<int64_t>(r.id % sessions));
    cached += r.cached_tokens;
    prompt += r.input_tokens;
  }
  for (const StepRecord& step : run.seen.steps) computed += step.prefill_tokens;
  // Nothing preempted: the prompt tokens computed are the prompts less the hits.
  EXPECT_EQ(run.seen.preemptions, 0u);
  EXPECT_EQ(computed, prompt - cached);
  const double rate = static_cast<double>(cached) / static_cast<double>(prompt);
  EXPECT_NEAR(rate, (calls - 1.0) / calls * 1792.0 / 2000.0, 1e-12);
  // Without the cache every prompt token is computed.
  const auto plain = simulate(traced(path, false));
  int64_t plain_computed = 0;
  for (const StepRecord& step : plain.seen.steps) plain_computed += step.prefill_tokens;
  EXPECT_EQ(plain_computed, prompt);
  for (const RequestRecord& r : plain.seen.done) EXPECT_EQ(r.cached_tokens, 0);
}

TEST(PrefixCaching, MooncakeHashesShareTheirBlocks) {
  TempDir dir;
  // Two requests with the same two 512-token blocks, then one sharing the
  // first only; 100 s apart, so each finds the one before it finished.
  const std::string path = dir.write(
      "mooncake.jsonl",
      R"({"timestamp": 0, "input_length": 1024, "output_length": 8, "hash_ids": [5, 6]})"
      "\n"
      R"({"timestamp": 100000, "input_length": 1024, "output_length": 8, "hash_ids": [5, 6]})"
      "\n"
      R"({"timestamp": 200000, "input_length": 700, "output_length": 8, "hash_ids": [5, 9]})"
      "\n");
  const auto run = simulate(traced(path, true));
  std::map<uint64_t, int64_t> cached;
  for (const RequestRecord& r : run.seen.done) cached[r.id] = r.cached_tokens;
  EXPECT_EQ(cached.at(0), 0);
  EXPECT_EQ(cached.at(1), 1023 / 16 * 16);  // all but the last position's block
  EXPECT_EQ(cached.at(2), 512);
  auto source = make_trace_source(TraceSpec{path});
  const auto first = source->next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->input_tokens, 1024);
  EXPECT_EQ(source->next()->arrival_s, 100.0);  // milliseconds
}

TEST(PrefixCaching, BadSessionTracesNameTheFileLineAndKey) {
  TempDir dir;
  const std::string good =
      R"({"timestamp": 0, "input_tokens": 100, "output_tokens": 10, "session_id": "a"})"
      "\n";
  struct Case {
    std::string name, row, key, problem;
  };
  const std::vector<Case> cases = {
      {"unknown",
       R"({"timestamp": 1, "input_tokens": 100, "output_tokens": 10, "session_id": "b", "prefix_tokens": 5})",
       "session_id", "no earlier call"},
      {"longer_than_prompt",
       R"({"timestamp": 1, "input_tokens": 100, "output_tokens": 10, "session_id": "a", "prefix_tokens": 101})",
       "prefix_tokens", "more than the prompt"},
      {"longer_than_context",
       R"({"timestamp": 1, "input_tokens": 200, "output_tokens": 10, "session_id": "a", "prefix_tokens": 111})",
       "prefix_tokens", "left 110"},
      {"no_session",
       R"({"timestamp": 1, "input_tokens": 100, "output_tokens": 10, "prefix_tokens": 5})",
       "prefix_tokens", "needs a session_id"},
      {"session_bool",
       R"({"timestamp": 1, "input_tokens": 100, "output_tokens": 10, "session_id": true})",
       "session_id", "non-empty string"},
      {"session_empty",
       R"({"timestamp": 1, "input_tokens": 100, "output_tokens": 10, "session_id": ""})",
       "session_id", "non-empty string"},
      {"negative_prefix",
       R"({"timestamp": 1, "input_tokens": 100, "output_tokens": 10, "session_id": "a", "prefix_tokens": -1})",
       "prefix_tokens", "negative"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = dir.write(c.name + ".jsonl", good + c.row + "\n");
    const std::string message = config_error([&] {
      auto source = make_trace_source(TraceSpec{path});
      while (source->next()) {
      }
    });
    for (const std::string& part : {path, std::string("line 2"), c.key, c.problem}) {
      EXPECT_NE(message.find(part), std::string::npos) << message;
    }
  }
  const std::vector<Case> mooncake = {
      {"count", R"({"timestamp": 0, "input_length": 1025, "output_length": 1, "hash_ids": [1, 2]})",
       "hash_ids", "expected one per 512-token block, 3"},
      {"not_whole",
       R"({"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1.5]})", "hash_ids",
       "whole numbers"},
      {"nested", R"({"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [[1]]})",
       "hash_ids", "nested"},
      {"missing", R"({"timestamp": 0, "input_length": 10, "output_length": 1})", "hash_ids",
       "missing"},
      {"jsonl_key",
       R"({"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1], "session_id": 3})",
       "session_id", "unknown key"},
  };
  for (const Case& c : mooncake) {
    SCOPED_TRACE(c.name);
    const std::string path = dir.write(c.name + ".jsonl", c.row + "\n");
    const std::string message = config_error([&] { make_trace_source(TraceSpec{path}); });
    for (const std::string& part : {path, std::string("line 1"), c.key, c.problem}) {
      EXPECT_NE(message.find(part), std::string::npos) << message;
    }
  }
}

Scenario agentic(int64_t sessions, int64_t concurrency) {
  Scenario s;
  s.workload = WorkloadKind::kAgentic;
  s.agentic.sessions = sessions;
  s.agentic.concurrency = concurrency;
  s.agentic.calls = LengthDistribution::parse("uniform:2:8", "calls");
  s.agentic.system_prompt_tokens = 1000;
  s.agentic.first_tokens = LengthDistribution::parse("uniform:50:500", "first");
  s.agentic.new_tokens = LengthDistribution::parse("uniform:20:600", "new");
  s.agentic.output = LengthDistribution::parse("uniform:10:300", "output");
  s.agentic.think_s = 1;
  s.serve.scheduler.prefix_caching = true;
  return s;
}

// One session at a time on a cache that never fills: a session's first call
// hits the system prompt's full blocks (after the first session), every
// later one the full blocks of its predecessor's prompt and output.
TEST(PrefixCaching, AgenticSessionsHitTheirOwnContext) {
  const auto run = simulate(agentic(30, 1));
  std::map<int64_t, std::vector<RequestRecord>> by_session;
  for (const RequestRecord& r : run.seen.done) by_session[r.session].push_back(r);
  ASSERT_EQ(by_session.size(), 30u);
  int64_t prompt = 0, cached = 0, computed = 0;
  for (auto& [session, calls] : by_session) {
    std::sort(calls.begin(), calls.end(),
              [](const RequestRecord& a, const RequestRecord& b) { return a.id < b.id; });
    for (size_t k = 0; k < calls.size(); ++k) {
      const RequestRecord& r = calls[k];
      prompt += r.input_tokens;
      cached += r.cached_tokens;
      if (k == 0) {
        EXPECT_EQ(r.cached_tokens, session == 0 ? 0 : 1000 / 16 * 16) << "session " << session;
        continue;
      }
      const RequestRecord& before = calls[k - 1];
      // Its prompt is the whole earlier context plus new tokens.
      const int64_t context = before.input_tokens + before.output_tokens;
      EXPECT_GT(r.input_tokens, context);
      // What the predecessor cached: its positions but the last output token.
      EXPECT_EQ(r.cached_tokens, (context - 1) / 16 * 16) << "session " << session << " call " << k;
      EXPECT_GE(r.arrival_s, before.finish_s);  // after it, by a think time
    }
  }
  for (const StepRecord& step : run.seen.steps) computed += step.prefill_tokens;
  EXPECT_EQ(computed, prompt - cached);
}

// The same sessions whatever the cache does to the timing: their lengths
// come from each session's own stream.
TEST(PrefixCaching, AgenticWorkloadDoesNotDependOnTheCache) {
  Scenario s = agentic(40, 4);
  s.agentic.think_cv = 1.5;
  const auto cached = simulate(s);
  s.serve.scheduler.prefix_caching = false;
  const auto plain = simulate(s);
  std::map<int64_t, std::vector<int64_t>> lengths_cached, lengths_plain;
  for (const RequestRecord& r : cached.seen.done) {
    lengths_cached[r.session].push_back(r.input_tokens * 100000 + r.output_tokens);
  }
  for (const RequestRecord& r : plain.seen.done) {
    lengths_plain[r.session].push_back(r.input_tokens * 100000 + r.output_tokens);
  }
  for (auto& [k, v] : lengths_cached) std::sort(v.begin(), v.end());
  for (auto& [k, v] : lengths_plain) std::sort(v.begin(), v.end());
  EXPECT_EQ(lengths_cached, lengths_plain);
  EXPECT_LT(cached.seen.end_s, plain.seen.end_s);  // less prefill: done sooner
  // Same inputs and seed, same run.
  EXPECT_EQ(simulate(s).summary, plain.summary);
}

// A call whose random think time puts it before the one already handed out
// is given first: the source takes the held one back.
TEST(PrefixCaching, AgenticSourceHandsCallsOutInArrivalOrder) {
  int took_back = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    AgenticSpec spec = agentic(2, 2).agentic;
    spec.calls = LengthDistribution::fixed(3);
    spec.think_cv = 3;
    spec.seed = seed;
    auto source = make_agentic_source(spec);
    const Request a = *source->next();
    const Request b = *source->next();
    source->on_complete(a, 1.0);
    const Request held = *source->next();
    source->on_complete(b, 1.5);
    std::vector<Request> order;
    if (source->take_back(held)) {
      ++took_back;
    } else {
      order.push_back(held);
    }
    while (auto r = source->next()) order.push_back(*r);
    ASSERT_EQ(order.size(), 2u);
    EXPECT_LE(order[0].arrival_s, order[1].arrival_s) << "seed " << seed;
  }
  EXPECT_GT(took_back, 0);
}

TEST(PrefixCaching, PrefixAwareRoutingHitsMoreThanRoundRobin) {
  Scenario s = agentic(60, 8);
  s.agentic.system_prompts = 4;
  s.agentic.system_prompt_tokens = 3000;
  s.serve.replicas = 4;
  const auto hit_rate = [](const testing_support::SimRun& run) {
    double cached = 0, prompt = 0;
    for (const RequestRecord& r : run.seen.done) {
      cached += static_cast<double>(r.cached_tokens);
      prompt += static_cast<double>(r.input_tokens);
    }
    return cached / prompt;
  };
  s.serve.router = "round-robin";
  const double blind = hit_rate(simulate(s));  // 0.77
  s.serve.router = "prefix-aware";
  const auto aware = simulate(s);
  EXPECT_GT(hit_rate(aware), blind + 0.1) << blind;  // 0.91
  // Every later call of a session goes where its context is.
  std::map<int64_t, uint32_t> replica_of;
  int moved = 0;
  std::vector<RequestRecord> done = aware.seen.done;
  std::sort(done.begin(), done.end(),
            [](const RequestRecord& a, const RequestRecord& b) { return a.id < b.id; });
  for (const RequestRecord& r : done) {
    const auto [it, first] = replica_of.emplace(r.session, r.replica);
    if (!first && it->second != r.replica) ++moved;
  }
  EXPECT_EQ(moved, 0);
}

TEST(PrefixCaching, RefusesWhatItCannotServe) {
  Scenario recurrent = agentic(2, 1);
  recurrent.model = "mamba2-2.7b";
  EXPECT_NE(config_error([&] { simulate(recurrent); }).find("recurrent layers"), std::string::npos);
  Scenario routed = agentic(2, 1);
  routed.serve.scheduler.prefix_caching = false;
  routed.serve.router = "prefix-aware";
  EXPECT_NE(config_error([&] { simulate(routed); }).find("scheduler.prefix_caching"),
            std::string::npos);
  AgenticSpec both = agentic(2, 1).agentic;
  both.rate_per_s = 1;
  EXPECT_NE(config_error([&] { make_agentic_source(both); }).find("exactly one of rate"),
            std::string::npos);
  AgenticSpec cv = agentic(2, 1).agentic;
  cv.think_cv = -1;
  EXPECT_NE(config_error([&] { make_agentic_source(cv); }).find("think_cv"), std::string::npos);
}

}  // namespace
}  // namespace jalapeno
