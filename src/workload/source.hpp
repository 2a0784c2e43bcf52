#pragma once
// Where requests come from. A RequestSource yields requests in arrival order,
// one at a time, so that a trace of any length runs in constant memory.
//
// Open-loop sources decide arrival times themselves (Poisson, gamma, constant
// rate, offline, trace replay). A closed-loop source (N users with a think
// time) issues a user's next request only after the previous one completes:
// the simulator calls on_complete(), and next() may return nothing now but
// more later.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "workload/lengths.hpp"
#include "workload/request.hpp"

namespace jalapeno {

class RequestSource {
 public:
  virtual ~RequestSource() = default;
  // The next request in arrival order, or nothing if none is ready (closed
  // loop) or the source is exhausted (see exhausted()).
  virtual std::optional<Request> next() = 0;
  virtual bool exhausted() const = 0;
  // Closed-loop sources schedule the user's next request; others ignore it.
  virtual void on_complete(const Request& /*request*/, double /*time_s*/) {}
  // The simulator holds one arrival at a time. A source whose completions can
  // schedule a request before one it has already handed out (random think
  // times) takes that one back when they did, to give it again in order:
  // true when it took it back.
  virtual bool take_back(const Request& /*pending*/) { return false; }
  virtual std::string describe() const = 0;
};

enum class ArrivalKind { kPoisson, kGamma, kConstant, kOffline };

struct SyntheticSpec {
  ArrivalKind arrivals = ArrivalKind::kPoisson;
  double rate_per_s = 1;    // requests per second (Poisson, gamma, constant), 3e-8 to 1e9
  double cv = 1;            // gamma: coefficient of variation of the gaps, 0.001 to 100
  int64_t requests = 1000;  // how many to issue
  LengthDistribution input = LengthDistribution::fixed(512);
  LengthDistribution output = LengthDistribution::fixed(256);
  uint64_t seed = 1;
  // Priority classes: class i drawn with weight priority_mix[i] (from its
  // own stream, so arrivals and lengths do not change); empty: all class 0.
  std::vector<double> priority_mix;
};

std::unique_ptr<RequestSource> make_synthetic_source(const SyntheticSpec& spec);

struct ClosedLoopSpec {
  int64_t users = 1;
  double think_s = 0;  // fixed think time between a completion and the next request
  int64_t requests = 1000;
  LengthDistribution input = LengthDistribution::fixed(512);
  LengthDistribution output = LengthDistribution::fixed(256);
  uint64_t seed = 1;
};

std::unique_ptr<RequestSource> make_closed_loop_source(const ClosedLoopSpec& spec);

// Agentic tasks (README "Prefix caching and sessions"): sessions of
// dependent calls. A session's first call is a shared system prompt (one of
// `system_prompts`, drawn uniformly) and its own first tokens; each later
// call is everything so far (the previous call's prompt and output) plus new
// tokens (a tool's result, the user's next turn), issued a think time (the
// tool's run) after the previous call finished. A session ends after its
// drawn number of calls, or earlier when its next call would pass
// max_context_tokens. Sessions begin as a Poisson process at `rate_per_s`,
// or `concurrency` at a time (a new one when one ends). Request ids are in
// the order calls are scheduled.
struct AgenticSpec {
  int64_t sessions = 100;
  double rate_per_s = 0;    // sessions per second; 0: a closed loop of `concurrency`
  int64_t concurrency = 0;  // sessions at once; 0: open loop at rate_per_s
  LengthDistribution calls = LengthDistribution::fixed(8);
  int64_t system_prompt_tokens = 0;
  int64_t system_prompts = 1;
  LengthDistribution first_tokens = LengthDistribution::fixed(512);
  LengthDistribution new_tokens = LengthDistribution::fixed(256);
  LengthDistribution output = LengthDistribution::fixed(256);
  double think_s = 1;   // mean time between a call's end and the next call
  double think_cv = 1;  // of a gamma distribution; 0: always think_s
  int64_t max_context_tokens = 32768;
  uint64_t seed = 1;
};

std::unique_ptr<RequestSource> make_agentic_source(const AgenticSpec& spec);

// Trace replay, streamed from disk. Formats, chosen by the header line:
//   Azure LLM inference trace CSV: TIMESTAMP,ContextTokens,GeneratedTokens
//     (TIMESTAMP as "YYYY-MM-DD HH:MM:SS.fffffff" or seconds)
//   BurstGPT CSV: Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
//     (Timestamp in seconds; rows with Response tokens 0 are failures and skipped)
//   JSONL: one flat object per line with "timestamp" (s), "input_tokens",
//     "output_tokens", and optionally "priority", "session_id" and
//     "prefix_tokens" (an unknown, duplicate or nested key is an error)
//   Mooncake JSONL: "timestamp" (ms), "input_length", "output_length" and
//     "hash_ids", one hash per 512-token block of the prompt
// Only regular files are read (a device or FIFO is an error at once), one line
// of at most 64 KiB at a time. CSV headers hold only their format's columns,
// each once, and every row has as many fields as the header. Timestamps are
// 0 to 1e12 s, token counts 0 to kMaxRequestTokens; speedup 1e-6 to 1e9, loops
// 1 to 1e6. Arrival times are relative to the first row, divided by speedup.
// With loops > 1 the trace repeats, each pass starting one mean inter-arrival
// gap after the last. max_requests > 0 stops early. Malformed rows throw
// ConfigError naming the file, the line number and the field.
struct TraceSpec {
  std::string path;
  double speedup = 1;
  int64_t loops = 1;
  int64_t max_requests = 0;
};

std::unique_ptr<RequestSource> make_trace_source(const TraceSpec& spec);

}  // namespace jalapeno
