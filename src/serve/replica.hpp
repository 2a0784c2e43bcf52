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
#include "report/serving_metrics.hpp"
#include "serve/kv_cache.hpp"
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

// KV blocks left for the cache on one replica after weights and activation
// workspace. Throws InfeasibleError when the model does not fit at all.
int64_t kv_cache_blocks(const ModelSpec& model, const ChipSpec& chip,
                        const SchedulerConfig& config);

class Replica {
 public:
  Replica(uint32_t index, StepCostModel& cost, const SchedulerConfig& config, int64_t kv_blocks);

  // Throws InfeasibleError for a request the cache can never hold.
  void enqueue(const Request& request);
  // Forms the next batch at time now and returns its duration; 0 when there
  // is nothing to run.
  double start_step(double now_s, ServingMetrics& metrics);
  // Applies the running step's effects at its end; finished requests are
  // appended to `finished`.
  void finish_step(double now_s, ServingMetrics& metrics, std::vector<Request>& finished);

  bool busy() const { return busy_; }
  bool has_work() const { return !running_.empty() || !waiting_.empty() || !swapped_.empty(); }
  int64_t outstanding() const {
    return static_cast<int64_t>(running_.size() + waiting_.size() + swapped_.size());
  }
  double kv_used_fraction() const { return kv_.used_fraction(); }
  const KvBlockManager& kv() const { return kv_; }
  uint32_t index() const { return index_; }
  const StepRecord& last_step() const { return last_step_; }
  int64_t capacity_tokens() const { return kv_.total_blocks() * kv_.block_size(); }

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
    bool in_prefill() const { return prefilled < prefill_target; }
  };
  struct Scheduled {
    size_t running_index;
    int64_t tokens;
  };

  // Frees the last running sequence's blocks and sends it back to wait.
  void preempt_last(ServingMetrics& metrics);
  bool admit(Sequence& seq, int64_t& tokens_left, double now_s);

  uint32_t index_;
  StepCostModel& cost_;
  SchedulerConfig config_;
  KvBlockManager kv_;
  double block_bytes_;
  std::vector<Sequence> running_;  // admission order: the last is preempted first
  std::deque<Sequence> waiting_;   // FCFS; recomputed preemptions go to the front
  std::deque<Sequence> swapped_;
  std::vector<Scheduled> batch_;
  bool busy_ = false;
  double step_start_s_ = 0;
  double step_seconds_ = 0;
  double swap_bytes_ = 0;
  StepRecord last_step_;
};

}  // namespace jalapeno
