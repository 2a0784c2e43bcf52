#include "serve/scheduler_policy.hpp"

#include <fmt/format.h>

#include <functional>

#include "core/error.hpp"

namespace jalapeno {
namespace {

// vLLM v1 with chunked prefill (vllm/v1/core/sched/scheduler.py): running
// requests first in the order they were admitted, each given the rest of
// its prefill or one decode token while the token budget lasts, then
// waiting requests FCFS; KV blocks as the cache grows; the youngest running
// request preempted when blocks run out.
class VllmPolicy : public SchedulerPolicy {
 public:
  std::string_view name() const override { return "vllm"; }
};

// Sarathi-Serve's stall-free batching (Agrawal et al., OSDI 2024): every
// ongoing decode first, then ongoing prefill chunks, then new prompts, in
// chunks that fill the step's token budget. With a small budget (the paper
// uses 512 to 2048 tokens: `max_batched_tokens`) a step's time stays
// bounded however long the prompts are.
class SarathiPolicy : public SchedulerPolicy {
 public:
  std::string_view name() const override { return "sarathi"; }
  bool decodes_first() const override { return true; }
};

// TensorRT-LLM's in-flight batching under its default capacity policy,
// GUARANTEED_NO_EVICT (tensorrt_llm/batch_manager, CapacitySchedulerPolicy):
// a request is admitted only when the blocks for its whole length can be
// reserved, so running requests are never evicted. Its default is whole
// prompts (enable_chunked_context off): pair it with chunked_prefill: false
// to match.
class TrtllmPolicy : public SchedulerPolicy {
 public:
  std::string_view name() const override { return "trtllm"; }
  bool reserves_whole_request() const override { return true; }
};

// SGLang's scheduler (python/sglang/srt/managers/scheduler.py,
// get_next_batch_to_run): a prefill batch of new requests (and the chunked
// request in progress) whenever one can be admitted, decodes otherwise; the
// two are not mixed (its default, without --enable-mixed-chunk). New
// requests' first tokens come sooner, and each prefill step stalls the
// decodes.
class SglangPolicy : public SchedulerPolicy {
 public:
  std::string_view name() const override { return "sglang"; }
  bool chooses_step_kind() const override { return true; }
  StepKind step_kind(const SchedulerState& s) const override {
    if (s.prefilling > 0 || (s.waiting > 0 && s.can_admit)) return StepKind::kPrefillOnly;
    return StepKind::kDecodeOnly;
  }
};

// vLLM's priority scheduling (--scheduling-policy priority): waiting
// requests by their priority class, lower first, FCFS within one; when
// blocks run out the youngest request of the lowest class is preempted.
class PriorityPolicy : public SchedulerPolicy {
 public:
  std::string_view name() const override { return "priority"; }
  bool by_priority() const override { return true; }
};

struct Entry {
  std::string name;
  std::function<std::unique_ptr<SchedulerPolicy>()> make;
};

template <typename Policy>
Entry entry(const char* name) {
  return {name, [] { return std::make_unique<Policy>(); }};
}

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      entry<VllmPolicy>("vllm"),         entry<SarathiPolicy>("sarathi"),
      entry<TrtllmPolicy>("trtllm"),     entry<SglangPolicy>("sglang"),
      entry<PriorityPolicy>("priority"),
  };
  return entries;
}

}  // namespace

std::vector<std::string> scheduler_policy_names() {
  std::vector<std::string> names;
  for (const auto& e : registry()) names.push_back(e.name);
  return names;
}

std::unique_ptr<SchedulerPolicy> make_scheduler_policy(const std::string& name,
                                                       const std::string& where) {
  for (const auto& e : registry()) {
    if (name == e.name) return e.make();
  }
  std::string known;
  for (const auto& n : scheduler_policy_names()) known += (known.empty() ? "" : ", ") + n;
  throw ConfigError(
      fmt::format("{}: unknown scheduler policy '{}' (known: {})", where, name, known));
}

}  // namespace jalapeno
