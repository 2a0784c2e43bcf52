#pragma once
// How a replica chooses each batch. The replica is the entity: it holds the
// sequences, the KV block manager, the decode aggregate and the pipeline,
// and forms every batch the same way (running sequences, then swapped-out
// ones, then new requests, under the sequence cap, the token budget and the
// free blocks). Its policy makes the decisions that tell one engine's
// scheduler from another's. Policies are registered by name in one table
// (scheduler_policy.cpp); scenarios (`scheduler.policy`) and flags
// (`--scheduler`) choose them by that name.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jalapeno {

// What one step may run.
enum class StepKind {
  kMixed,        // decodes and prefill chunks together (continuous batching)
  kPrefillOnly,  // prefill chunks and new requests; decodes wait
  kDecodeOnly,   // decodes alone
};

// What a policy sees of its replica when it decides.
struct SchedulerState {
  int64_t decoding = 0;    // running sequences past their prefill
  int64_t prefilling = 0;  // running sequences with prefill left
  int64_t waiting = 0;     // queued or swapped out
  bool can_admit = false;  // the first waiting one would get a slot and blocks now
};

class SchedulerPolicy {
 public:
  virtual ~SchedulerPolicy() = default;
  virtual std::string_view name() const = 0;
  // Whether steps may be other than kMixed (then step_kind() is asked each
  // step, and the replica gathers its state for it).
  virtual bool chooses_step_kind() const { return false; }
  // Which sequences the next step may run.
  virtual StepKind step_kind(const SchedulerState& /*state*/) const { return StepKind::kMixed; }
  // Running sequences in admission order (false), or every decode before
  // any prefill chunk (true: a long prompt never stalls a decode).
  virtual bool decodes_first() const { return false; }
  // Blocks for the whole request (prompt and every output token) taken at
  // admission, so that a running sequence never needs more and nothing is
  // ever preempted (false: blocks as the cache grows).
  virtual bool reserves_whole_request() const { return false; }
  // Waiting requests by priority class (lower first), FCFS within a class;
  // preemption takes the youngest of the lowest class (false: one class).
  virtual bool by_priority() const { return false; }
};

// "vllm" (the default), "sarathi", "trtllm", "sglang", "priority"; unknown
// names throw ConfigError naming `where` and the known ones.
std::unique_ptr<SchedulerPolicy> make_scheduler_policy(const std::string& name,
                                                       const std::string& where);
std::vector<std::string> scheduler_policy_names();

}  // namespace jalapeno
