#pragma once
// One model replica and its scheduler, in the manner of vLLM's: continuous
// batching under a cap on sequences and a token budget per step, chunked
// prefill, a paged KV cache with admission only when blocks are free, FCFS
// order, and preemption (by recompute, or by swapping KV to host memory)
// when running sequences need blocks that are not there. Each step's
// duration is the step cost model's for that exact batch.
//
// Decoding sequences that advance together are kept as one aggregate
// (serve/decode_aggregate.hpp): a step costs O(1) in them, and a sequence is
// touched only when it is admitted, finishes, is preempted or prefills. A
// step the aggregate cannot describe exactly (one that preempts, one whose
// token budget does not cover every running sequence, a pipeline's, a model
// with windowed attention) runs on the per-sequence path, which is kept as
// the reference: `per_sequence_only` runs every step on it, and the two
// give the same steps, completions, KV counts and token gaps (tests/
// serve_equivalence_test.cpp).
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "cost/step_cost.hpp"
#include "serve/decode_aggregate.hpp"
#include "serve/kv_cache.hpp"
#include "serve/scheduler_policy.hpp"
#include "serve/serving_events.hpp"
#include "serve/speculative.hpp"
#include "workload/request.hpp"

namespace jalapeno {

enum class Preemption { kRecompute, kSwap };

struct SchedulerConfig {
  std::string policy = "vllm";        // a registered SchedulerPolicy (serve/scheduler_policy.hpp)
  int64_t max_sequences = 256;        // sequences in a batch (vLLM max_num_seqs)
  int64_t max_batched_tokens = 8192;  // new tokens per step (vLLM max_num_batched_tokens)
  int64_t block_size = 16;            // tokens per KV block
  bool chunked_prefill = true;
  Preemption preemption = Preemption::kRecompute;
  double swap_Bps = 50e9;           // host link for swapped KV (PCIe 5 x16, effective)
  double memory_utilization = 0.9;  // of HBM the engine may use (vLLM gpu_memory_utilization)
  // Automatic prefix caching (serve/prefix_cache.hpp; vLLM
  // enable_prefix_caching, SGLang's radix cache).
  bool prefix_caching = false;
  // Speculative decoding (serve/speculative.hpp); off unless a method is set.
  SpeculativeConfig speculative;
};

// Throws ConfigError when prefix caching is asked of a model it cannot
// serve: one with recurrent layers, whose per-sequence state is not a
// function of a shared prefix's blocks.
void check_prefix_caching(const StepCostModel& cost, const SchedulerConfig& config);

// KV blocks left for the cache on each chip of a replica after its weights
// and activation workspace (every chip of a replica holds the same number of
// token positions), and after a drafter's weights when it speculates (its
// KV cache then shares each block). Throws InfeasibleError when the model
// does not fit.
int64_t kv_cache_blocks(const StepCostModel& cost, const SchedulerConfig& config,
                        const Speculator* speculator = nullptr);

// How the cache pool is cut: a block's bytes per chip, the blocks each
// sequence's recurrent state takes, and whether positions take blocks at
// all (not for a model without attention layers).
struct CacheLayout {
  double block_bytes = 0;
  int64_t state_blocks = 0;
  bool per_token = true;
};
CacheLayout cache_layout(const StepCostModel& cost, const SchedulerConfig& config,
                         const Speculator* speculator = nullptr);

class Replica {
 public:
  // A replica whose cost model has pp pipeline stages keeps up to pp
  // micro-batches in flight: a new one can enter the first stage as soon as
  // the previous one has left it (stage time = step time / pp).
  // A replica that speculates drafts with `speculator` (shared by the
  // replicas, as the cost model is); its steps stay on the per-sequence
  // path, since its sequences advance by different numbers of tokens.
  Replica(uint32_t index, StepCostModel& cost, const SchedulerConfig& config, int64_t kv_blocks,
          bool per_sequence_only = false, Speculator* speculator = nullptr);

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
  bool has_work() const { return running() > 0 || !waiting_.empty() || !swapped_.empty(); }
  int64_t outstanding() const {
    return running() + static_cast<int64_t>(waiting_.size() + swapped_.size());
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
  // Steps started, and how many of them took the decode aggregate's path.
  int64_t steps() const { return steps_; }
  int64_t aggregated_steps() const { return aggregated_steps_; }
  // Prompt tokens found in the prefix cache, at first admission and on
  // readmission after a recompute preemption.
  int64_t prefix_hit_tokens() const { return prefix_hit_tokens_; }
  // Speculative decoding: the target's checks, the drafts they checked and
  // accepted, and the tokens they made (accepted drafts and one more each).
  struct Speculation {
    int64_t verifications = 0;
    int64_t proposed = 0;
    int64_t accepted = 0;
  };
  const Speculation& speculation() const { return speculation_; }

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
    uint64_t order = 0;      // admission order into the running set
    bool done = false;       // finished; its slot is freed when running_ is compacted
    // While in the decode aggregate, kv_tokens, generated, blocks, joules
    // and last_token_s are as of the group step it joined at (join_step);
    // settle() brings them up to date.
    int64_t join_step = 0;
    double joules_mark = 0;  // the aggregate's energy per member when it joined
    // Prefix caching: the cache nodes of its leading blocks that are cache
    // entries (its other blocks are plain), its blocks' content ids as far
    // as they were needed (computed once), and the prompt tokens its first
    // admission found cached.
    std::vector<PrefixCache::Node> cached;
    mutable std::vector<uint64_t> ids;
    int64_t cached_tokens = 0;
    int64_t verifications = 0;  // speculative checks so far (the draws' index)
    bool in_prefill() const { return prefilled < prefill_target; }
  };
  // A queue of sequences that counts itself: std::deque::size() is an
  // iterator subtraction, and the serving loop asks for the waiting count
  // several times a step.
  class SequenceQueue {
   public:
    bool empty() const { return size_ == 0; }
    size_t size() const { return size_; }
    Sequence& front() { return queue_.front(); }
    const Sequence& front() const { return queue_.front(); }
    auto begin() { return queue_.begin(); }
    auto end() { return queue_.end(); }
    void push_back(Sequence&& seq) {
      queue_.push_back(std::move(seq));
      ++size_;
    }
    void push_front(Sequence&& seq) {
      queue_.push_front(std::move(seq));
      ++size_;
    }
    void insert(std::deque<Sequence>::iterator at, Sequence&& seq) {
      queue_.insert(at, std::move(seq));
      ++size_;
    }
    void pop_front() {
      queue_.pop_front();
      --size_;
    }

   private:
    std::deque<Sequence> queue_;
    size_t size_ = 0;
  };
  // A sequence in a step: its new positions, and the tokens the step makes
  // for it once it is decoding (1, or 1 + the drafts accepted).
  struct Scheduled {
    uint32_t slot;
    int64_t tokens;
    int64_t made;
  };
  struct Batch {
    std::vector<Scheduled> items;  // the sequences not in the aggregate
    bool aggregated = false;       // formed on the aggregate's path
    int64_t members = 0;           // the aggregate's members in it
    StepKind kind = StepKind::kMixed;
    // The step's energy by what its tokens caused (StepTiming.input_share):
    // per prompt token of its prefill chunks, per decoding sequence.
    double joules_per_prompt_token = 0;
    double joules_per_decode = 0;
  };

  uint32_t store(Sequence&& seq);  // into a free slot
  // Frees the youngest running sequence not in flight and sends it back to
  // wait (or to host memory): another one (kOther), none when every other
  // one is in flight (kNone), or under priority classes the asking one
  // itself when it is the lowest (kAsking).
  enum class Preempted { kNone, kOther, kAsking };
  Preempted preempt_youngest(ServingObserver& metrics, uint32_t asking, Batch& batch,
                             int64_t& tokens_left);
  // Takes `seq` (moved from) into the running set when it fits.
  bool admit(Sequence& seq, int64_t& tokens_left, double now_s, Batch& batch);
  // Prefix caching. The cached leading blocks of a sequence about to be
  // admitted with nothing computed (none otherwise), their nodes left in
  // hit_nodes_; and the sequence as those hits leave it.
  PrefixCache::Probe prefix_hit(const Sequence& seq) const;
  void count_hit(Sequence& seq, int64_t blocks) const;
  // Its counts alone (no cache vectors): what admission checks are tried on.
  static Sequence counts_of(const Sequence& seq);
  // Its block ids up to block `blocks`, computed once.
  const std::vector<uint64_t>& ids_to(const Sequence& seq, int64_t blocks) const;
  // Its full blocks up to its cached positions become cache entries.
  void cache_blocks(Sequence& seq);
  // Every block it holds back to the pool (seq.blocks is left to the caller).
  void release_blocks(Sequence& seq);
  // Into a waiting or swapped queue: at the back (new) or the front
  // (preempted), within its priority class under a policy that has them.
  void queue(SequenceQueue& q, Sequence&& seq, bool front_of_class);
  // The tokens admission would give a sequence (0: it must wait), and the
  // blocks it would take for them (or, under a policy that reserves, for
  // the whole request).
  int64_t admission_tokens(const Sequence& seq, int64_t tokens_left) const;
  // A decoding sequence's positions this step: its last token, and the
  // drafts it proposes (none without speculation, none for its last token,
  // no more than the budget left).
  int64_t decode_positions(const Sequence& seq, int64_t tokens_left) const;
  // The item for `tokens` of `slot` (drawing its accepted drafts).
  Scheduled schedule_item(uint32_t slot, int64_t tokens);
  int64_t reserved_positions(const Sequence& seq) const;
  int64_t blocks_wanted(const Sequence& seq, int64_t tokens) const;
  // Whether the next swapped or waiting sequence would be admitted now.
  bool front_admissible() const;
  StepKind step_kind() const;
  int64_t running() const {
    return static_cast<int64_t>(running_.size()) - static_cast<int64_t>(dead_slots_.size());
  }
  // The running sequences, oldest first, for this step: the aggregate's
  // (true), or each on its own after handing the aggregate back.
  bool schedule_aggregated(StepKind kind, int64_t& tokens_left, Batch& batch);
  void schedule_per_sequence(StepKind kind, int64_t& tokens_left, Batch& batch,
                             ServingObserver& metrics, bool& preempted);
  // Every member back on the per-sequence path, finished sequences dropped.
  void dissolve_aggregate();
  // A member's state brought up to the aggregate's current step.
  void settle(Sequence& seq);
  void join_aggregate(uint32_t slot);
  void compact_running();
  void finish_aggregated(double now_s, Batch& batch, ServingObserver& metrics,
                         std::vector<Request>& finished);
  void finish_per_sequence(double now_s, Batch& batch, ServingObserver& metrics,
                           std::vector<Request>& finished);
  // One batch item's step: its energy, cache and prefill progress, and its
  // token (true) with the gap since the last, if the step made one.
  bool advance(const Scheduled& s, const Batch& batch, double now_s);
  // The step's gaps, then completing_ in admission order, their slots into
  // `freed` (free at once, or when running_ is compacted).
  void report_completions(double now_s, ServingObserver& metrics, std::vector<Request>& finished,
                          std::vector<uint32_t>& freed);
  // Reports a finished sequence and frees its blocks.
  void complete(Sequence& seq, double now_s, ServingObserver& metrics,
                std::vector<Request>& finished);

  uint32_t index_;
  StepCostModel& cost_;
  SchedulerConfig config_;
  std::unique_ptr<SchedulerPolicy> policy_;
  KvBlockManager kv_;
  std::vector<double> gaps_;  // a step's inter-token gaps, reported at once
  double block_bytes_;
  int64_t depth_;                // pipeline stages: steps that may be in flight
  std::vector<Sequence> slots_;  // sequences, by slot; slots are reused
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> running_;  // slots in admission order: the last is preempted first
  SequenceQueue waiting_;          // FCFS; recomputed preemptions go to the front
  SequenceQueue swapped_;
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
  uint64_t next_order_ = 0;
  int64_t steps_ = 0;
  int64_t aggregated_steps_ = 0;
  std::vector<uint32_t> dead_slots_;  // finished, still in running_ until compacted
  // The decode aggregate, and the running sequences outside it: prefills in
  // progress (partial_) and decoders whose last token is not the members'
  // (pending_), each oldest first.
  bool aggregate_enabled_;
  DecodeAggregate decoders_;
  std::vector<uint32_t> partial_;
  std::vector<uint32_t> pending_;
  double group_last_token_s_ = 0;  // when the members last produced a token
  double group_joules_ = 0;        // energy per member over the aggregate's steps
  std::vector<DecodeAggregate::Member> due_;
  std::vector<std::pair<uint64_t, uint32_t>> completing_;  // (order, slot)
  mutable std::vector<PrefixCache::Node> hit_nodes_;       // prefix_hit's (scratch)
  int64_t prefix_hit_tokens_ = 0;
  Speculator* speculator_;
  std::vector<Speculator::Work> draft_work_;  // scratch, per step
  Speculation speculation_;
};

}  // namespace jalapeno
