#pragma once
// One model replica and its scheduler, in the manner of vLLM's: continuous
// batching under a cap on sequences and a token budget per step, chunked
// prefill, a paged KV cache with admission only when blocks are free, FCFS
// order, and preemption (by recompute, or by swapping KV to host memory)
// when running sequences need blocks that are not there. Each step's
// duration is the step cost model's for that exact batch.
#include <cstdint>
#include <deque>
#include <vector>

#include "cost/step_cost.hpp"
#include "serve/kv_cache.hpp"
#include "serve/serving_events.hpp"
#include "workload/request.hpp"

namespace jalapeno {

enum class Preemption { kRecompute, kSwap };

struct SchedulerConfig {
  int64_t max_sequences = 256;        // sequences in a batch (vLLM max_num_seqs)
  int64_t max_batched_tokens = 8192;  // new tokens per step (vLLM max_num_batched_tokens)
  int64_t block_size = 16;            // tokens per KV block
  bool chunked_prefill = true;
  Preemption preemption = Preemption::kRecompute;
  double swap_Bps = 50e9;           // host link for swapped KV (PCIe 5 x16, effective)
  double memory_utilization = 0.9;  // of HBM the engine may use (vLLM gpu_memory_utilization)
};

// KV blocks left for the cache on each chip of a replica after its weights
// and activation workspace (every chip of a replica holds the same number of
// token positions). Throws InfeasibleError when the model does not fit.
int64_t kv_cache_blocks(const StepCostModel& cost, const SchedulerConfig& config);

// How the cache pool is cut: a block's bytes per chip, the blocks each
// sequence's recurrent state takes, and whether positions take blocks at
// all (not for a model without attention layers).
struct CacheLayout {
  double block_bytes = 0;
  int64_t state_blocks = 0;
  bool per_token = true;
};
CacheLayout cache_layout(const StepCostModel& cost, const SchedulerConfig& config);

class Replica {
 public:
  // A replica whose cost model has pp pipeline stages keeps up to pp
  // micro-batches in flight: a new one can enter the first stage as soon as
  // the previous one has left it (stage time = step time / pp).
  Replica(uint32_t index, StepCostModel& cost, const SchedulerConfig& config, int64_t kv_blocks);

  // Throws InfeasibleError for a request the cache can never hold.
  void enqueue(const Request& request);
  // Whether a step can start at now_s: a free pipeline slot, the first stage
  // free, and work not already in flight.
  bool can_start(double now_s) const;
  // Forms the next batch at time now and returns its duration (entry to
  // exit of the pipeline); 0 when there is nothing to run.
  double start_step(double now_s, ServingObserver& metrics);
  // When the first stage frees up after the last started step.
  double stage_free_s() const { return stage_free_s_; }
  // Applies the oldest in-flight step's effects at its end; finished
  // requests are appended to `finished`.
  void finish_step(double now_s, ServingObserver& metrics, std::vector<Request>& finished);

  bool busy() const { return in_flight_ > 0; }
  bool has_work() const { return !running_.empty() || !waiting_.empty() || !swapped_.empty(); }
  int64_t outstanding() const {
    return static_cast<int64_t>(running_.size() + waiting_.size() + swapped_.size());
  }
  int64_t waiting() const { return static_cast<int64_t>(waiting_.size() + swapped_.size()); }
  double kv_used_fraction() const { return kv_.used_fraction(); }
  const KvBlockManager& kv() const { return kv_; }
  uint32_t index() const { return index_; }
  int64_t capacity_tokens() const { return kv_.capacity_tokens(); }
  const StepRecord& last_step() const { return last_step_; }
  // The last started step's time computing (the step cost model's) and moving
  // swapped KV blocks between host and HBM, and the bytes moved.
  double last_compute_s() const { return last_compute_s_; }
  double last_swap_s() const { return last_swap_s_; }
  double last_swap_bytes() const { return last_swap_bytes_; }
  int64_t pipeline_depth() const { return depth_; }

 private:
  struct Sequence {
    Request request;
    int64_t prefill_target =
        0;  // tokens to prefill before decoding (prompt, or more after recompute)
    int64_t prefilled = 0;
    int64_t kv_tokens = 0;  // positions in the cache
    int64_t generated = 0;  // output tokens produced
    int64_t blocks = 0;     // KV blocks held (on the GPU, or on the host while swapped)
    int64_t preemptions = 0;
    double first_scheduled_s = -1;
    double first_token_s = -1;
    double last_token_s = 0;
    bool in_flight = false;  // in a step that has not finished
    double joules = 0;       // its share of the steps it was in
    bool in_prefill() const { return prefilled < prefill_target; }
  };
  struct Scheduled {
    uint32_t slot;
    int64_t tokens;
  };
  struct Batch {
    std::vector<Scheduled> items;
    // The step's energy by what its tokens caused (StepTiming.input_share):
    // per prompt token of its prefill chunks, per decoding sequence.
    double joules_per_prompt_token = 0;
    double joules_per_decode = 0;
  };

  uint32_t store(Sequence seq);  // into a free slot
  // Frees the youngest running sequence not in flight and sends it back to
  // wait (or to host memory); false when every other one is in flight.
  bool preempt_youngest(ServingObserver& metrics, uint32_t keep);
  bool admit(Sequence seq, int64_t& tokens_left, double now_s, Batch& batch);

  uint32_t index_;
  StepCostModel& cost_;
  SchedulerConfig config_;
  KvBlockManager kv_;
  std::vector<double> gaps_;  // a step's inter-token gaps, reported at once
  double block_bytes_;
  int64_t depth_;                // pipeline stages: steps that may be in flight
  std::vector<Sequence> slots_;  // sequences, by slot; slots are reused
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> running_;  // slots in admission order: the last is preempted first
  std::deque<Sequence> waiting_;   // FCFS; recomputed preemptions go to the front
  std::deque<Sequence> swapped_;
  std::vector<Batch> batches_;  // a ring of depth_ in-flight batches
  size_t oldest_ = 0;           // ring index of the oldest in flight
  int64_t in_flight_ = 0;
  double stage_free_s_ = 0;
  double last_end_s_ = 0;  // in a pipeline, batches leave in order
  double swap_bytes_ = 0;
  double last_compute_s_ = 0;
  double last_swap_s_ = 0;
  double last_swap_bytes_ = 0;
  StepRecord last_step_;
};

}  // namespace jalapeno
