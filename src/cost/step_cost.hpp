#pragma once
// The cost of one inference step: each operator of the model's op graph,
// run by an engine on a chip, becomes seconds, with the share of its time
// that is compute, memory or fixed per-kernel cost. A step's cost is a pure
// function of (model, chip, engine, batch summary), so it is memoised.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cost/collective.hpp"
#include "cost/energy.hpp"
#include "cost/engine_profile.hpp"
#include "hw/chip_spec.hpp"
#include "model/batch.hpp"
#include "model/model_spec.hpp"
#include "model/op_graph.hpp"
#include "plan/parallel_plan.hpp"

namespace jalapeno {

// What limits an op: compute, memory, its fixed per-kernel cost, the network
// (collectives), or nothing (fused into a neighbour: no kernel, no time).
enum class Bound { kCompute, kMemory, kFixed, kNetwork, kFused };
std::string_view to_string(Bound bound);

// A kernel's time split into what limits it.
struct KernelTime {
  double compute_s = 0;  // FLOPs at the achievable rate
  double memory_s = 0;   // bytes at the achievable bandwidth
  double fixed_s = 0;    // per-kernel cost beyond both
  bool calibrated = false;
  // Parts are kept so that times of several kernels add: each kernel puts
  // its limiting part (compute or memory) in one field and its fixed cost in
  // the other.
  double seconds() const { return compute_s + memory_s + fixed_s; }
  Bound bound() const;
};

struct OpCost {
  std::string_view name;
  OpKind kind;
  int64_t count = 0;
  double kernels = 0;  // launches per step
  double seconds = 0;  // all instances
  double flops = 0;    // all instances
  double bytes = 0;    // all instances, minimal traffic
  Bound bound = Bound::kMemory;
  bool calibrated = false;
  // All instances, at the step's clock: their dynamic energy and the idle
  // power of the chips over their time (absent without a power model).
  double joules = 0;
};

// Where a step's energy goes and what limited its clock (all chips of the
// replica; present when the chip has a power model).
struct StepEnergy {
  EnergyParts parts;
  double joules = 0;
  double hbm_bytes = 0;     // per chip
  double link_bytes = 0;    // per chip
  double power_W = 0;       // all chips, averaged over the step
  double chip_power_W = 0;  // one working chip, averaged over the step
  double clock = 1;         // fraction of the nominal clock the power limit allows
};

struct StepCost {
  double seconds = 0;      // the step as the user sees it
  double gpu_seconds = 0;  // kernel time
  // Host time: kernel launches when not replayed from a graph, plus the
  // engine's own work per step (host_step_seconds: scheduling, sampling,
  // detokenisation).
  double host_seconds = 0;
  double host_step_seconds = 0;
  double comm_seconds = 0;  // collectives and stage sends
  // How long one pipeline stage is busy with this batch: with pp > 1 a new
  // micro-batch can start this soon after the last (seconds / pp).
  double stage_seconds = 0;
  double kernels = 0;
  double weight_bytes = 0;
  double kv_read_bytes = 0;
  double kv_write_bytes = 0;
  double flops = 0;
  int64_t tokens = 0;
  std::vector<OpCost> ops;
  std::optional<StepEnergy> energy;
};

// What the serving loop needs of a step.
struct StepTiming {
  double seconds = 0;
  double comm_seconds = 0;
  double joules = 0;          // all chips of the replica, idle power over the step included
  double dynamic_joules = 0;  // beyond idle power
  double clock = 1;
  // The share of the step's time that its prompt tokens cause: prefill
  // attention, and the other ops' time by tokens (README "Energy and cost").
  double input_share = 0;
};

// The GEMM [m, k] x [k, n] (batch of independent problems), analytically:
// the chip's matrix library picks the output tile and split-K that finish
// first, with whole waves of tiles over the compute units; memory time at the
// achievable bandwidth, limited by how many units are busy.
// Bytes per element of a GEMM's operands: input [m, k], weight [k, n]
// (block scales included), output [m, n].
struct GemmOperandBytes {
  double input = 2;
  double weight = 2;
  double output = 2;
};
KernelTime gemm_time(const ChipSpec& chip, const EngineProfile& engine, double flops_rate,
                     int64_t m, int64_t k, int64_t n, int64_t batch, GemmOperandBytes bytes,
                     double fixed_s, bool unaligned);
// All three operands in one dtype of dtype_bytes.
KernelTime gemm_time(const ChipSpec& chip, const EngineProfile& engine, double flops_rate,
                     int64_t m, int64_t k, int64_t n, int64_t batch, double dtype_bytes,
                     double fixed_s, bool unaligned);

// How a replica spans chips: the plan, and the network its collectives run on
// (absent for a single chip).
struct ParallelContext {
  ParallelPlan plan;
  std::shared_ptr<const Network> network;
  // How MoE tokens pick experts and how experts are placed on the ep ranks
  // (uniform and contiguous by default).
  RoutingSpec routing = {};
  // Hide communication behind compute (an upper bound on the benefit: the
  // step takes the longer of the two).
  bool overlap = false;
};

class StepCostModel {
 public:
  // `model` is the whole model; with tp > 1 each chip runs shard_model(model, tp).
  // Throws ConfigError when the plan does not divide the model or needs a
  // network that is not given.
  StepCostModel(ModelSpec model, ChipSpec chip, EngineProfile engine,
                ParallelContext parallel = {});
  ~StepCostModel();
  StepCostModel(StepCostModel&&) noexcept;

  // Full breakdown (not memoised).
  StepCost cost(const BatchSummary& batch) const;
  // Step time only: the serving loop's call. Equal to cost(batch).seconds.
  // Everything but attention depends only on the numbers of tokens and
  // sequences and is memoised by them (a bounded table); attention, which
  // depends on every sequence's context, is costed directly (a few hundred
  // nanoseconds), so no context is ever bucketed.
  // comm_seconds, when given, receives the step's communication time.
  double seconds(const BatchSummary& batch, double* comm_seconds = nullptr) {
    const StepTiming t = timing(batch);
    if (comm_seconds != nullptr) *comm_seconds = t.comm_seconds;
    return t.seconds;
  }
  // The same step with its energy (memoised as seconds() is). Under
  // attention data parallelism a chip runs its share of the sequences.
  StepTiming timing(const BatchSummary& batch) {
    return dp_ranks_ > 1 ? shared_timing(batch) : timing(batch, batch);
  }

  const ModelSpec& model() const { return model_; }  // one chip's shard
  const ModelSpec& full_model() const { return full_model_; }
  const ParallelPlan& plan() const { return parallel_.plan; }
  // The plan with its network and MoE placement (what a draft model that
  // shares the replica's chips is built with).
  const ParallelContext& parallel() const { return parallel_; }
  // What one chip holds: its share of the weights (its TP slice of its
  // pipeline stage's layers; embedding and lm_head counted on every stage, a
  // slight over-estimate), and the KV cache of one token.
  double weight_bytes_per_chip() const;
  double kv_bytes_per_token_per_chip() const;
  // Recurrent layers' state per sequence, whatever its length (0 without).
  double state_bytes_per_sequence_per_chip() const;
  // Throws InfeasibleError, naming what is needed and what is there, when the
  // weights and the batch's KV cache exceed one chip's HBM.
  void check_fits(const BatchSummary& batch) const;
  const ChipSpec& chip() const { return chip_; }
  // Where the plan keeps weights and the KV cache (the same level unless
  // weights are placed in SRAM on a chip with HBM).
  const MemoryLevel& weight_level() const { return weight_level_; }
  const MemoryLevel& kv_level() const { return kv_level_; }
  bool levels_shared() const { return weight_level_.kind == kv_level_.kind; }
  const EngineProfile& engine() const { return engine_; }
  size_t memo_size() const { return memo_.size() + row_memo_.size(); }
  static constexpr size_t kMemoLimit = 1 << 16;  // entries; the table is cleared past it

  // One instance of an op of this batch's graph.
  KernelTime op_time(const Op& op, const BatchSummary& batch) const;

 private:
  KernelTime elementwise_time(const Op& op) const;
  KernelTime decode_attention_time(const Op& op, const BatchSummary& batch) const;
  KernelTime decode_attention_time_analytical(const Op& op, const BatchSummary& batch) const;
  KernelTime prefill_attention_time(const Op& op) const;
  double op_kernels(const Op& op) const;

  // What all instances of an op spend at the nominal clock on one chip,
  // apart from time.
  struct OpEnergy {
    double switching_J = 0;
    double hbm_bytes = 0;
    double hbm_J = 0;
    double link_J = 0;
  };
  OpEnergy op_energy(const Op& op) const;
  // The work of all instances of an op, added to `work`.
  void add_op_work(const Op& op, const KernelTime& time, StepWork& work) const;
  void add_op_work(const Op& op, const KernelTime& time, const OpEnergy& energy,
                   StepWork& work) const;
  // The op's energy at a clock (slowdown = 1 / clock) over `seconds` (its time
  // at that clock), all chips of the replica: what energy_at_clock gives for
  // that work alone.
  double op_joules(const Op& op, const KernelTime& time, const OpEnergy& energy, double clock,
                   double slowdown, double seconds) const;
  double hbm_bytes(const Op& op) const;
  double flop_joules(const Op& op) const;
  // A step from its work: the clock the power limit allows, its time and
  // energy.
  struct Finished {
    double seconds = 0;
    double gpu_seconds = 0;
    double launch_seconds = 0;
    double host_step_seconds = 0;
    double clock = 1;
    std::optional<EnergyParts> energy;
  };
  Finished finish(const StepWork& work, const BatchSummary& batch) const;
  struct LinearWork;
  // A step's attention ops, summed (what add_op_work adds for them).
  struct AttentionSums {
    double kernels = 0, core_s = 0, memory_s = 0, prefill_s = 0, busy_core_s = 0, switching_J = 0,
           bytes = 0, hbm_J = 0;
  };
  static StepWork combined(const LinearWork& linear, const AttentionSums& attention);
  // The step at the nominal clock, into `timing` (seconds, joules), when it
  // is within the power limit; false when finish() must find the clock.
  bool nominal_timing(const LinearWork& linear, const AttentionSums& attention,
                      const BatchSummary& batch, StepTiming& timing) const;
  // GPU time with compute and fixed time stretched by `slowdown` (1 / clock).
  double gpu_seconds_at(const StepWork& work, double slowdown) const;
  double combine(double linear, double comm, double attention) const;
  // What the ops outside attention depend on: tokens, sequences, and
  // whether any prefills (the engine may graph decode only); with latent
  // attention also how many (decode and prefill tokens take different ops).
  // The memo keeps two tables: the ops sized by tokens (keyed without the
  // sequences, but for latent attention and recurrent layers, whose
  // per-token ops split by decode and prefill) and those sized by sequences
  // (Op::per_sequence; keyed by sequences alone). A step's linear work is
  // the sum of one entry of each, so the tables fill with the few hundred
  // token and sequence counts a workload visits, not with their pairs.
  struct LinearKey {
    int64_t tokens;
    int64_t sequences;
    // Whether any sequence prefills, or (exact_prefills_) how many, with
    // (keys_resumed_) how many resume a state in the upper 32 bits: a step
    // holds far fewer than 2^31 sequences.
    int64_t prefills;
    bool operator==(const LinearKey&) const = default;
  };
  struct LinearKeyHash {
    size_t operator()(const LinearKey& k) const noexcept {
      return std::hash<int64_t>{}(k.tokens * 1000003 + k.sequences * 2 + k.prefills);
    }
  };
  LinearKey token_key(const BatchSummary& batch) const {
    const int64_t prefills = batch.prefill_sequences;
    if (!exact_prefills_) return {batch.tokens, 0, prefills > 0 ? 1 : 0};
    return {batch.tokens, batch.sequences,
            prefills | (keys_resumed_ ? batch.prefill_resumed << 32 : 0)};
  }
  LinearKey row_key(const BatchSummary& batch) const {
    return {0, batch.sequences, batch.prefill_sequences > 0 ? 1 : 0};
  }
  // The most loaded expert-parallel rank's work (into `load`), or null
  // without expert parallelism or skewed routing.
  const RankLoad* rank_load(const BatchSummary& whole, RankLoad& load) const;
  // timing() of the replica's batch `whole`, one chip running `batch` (its
  // share under attention data parallelism, else the same).
  StepTiming timing(const BatchSummary& whole, const BatchSummary& batch);
  StepTiming shared_timing(const BatchSummary& whole);
  bool graphs(const BatchSummary& batch) const;
  double attention_fixed_s(double profile_fixed_s, double kernels) const;
  double host_step_s(const BatchSummary& batch) const;
  double step_seconds(double gpu_s, double launch_s, double host_step) const;

  ModelSpec full_model_;
  ModelSpec model_;
  ChipSpec chip_;
  // The chip as the weights' and the KV cache's streams see it
  // (ChipSpec::streaming_from their levels).
  MemoryLevel weight_level_, kv_level_;
  ChipSpec weights_chip_, kv_chip_;
  EngineProfile engine_;
  ParallelContext parallel_;
  std::unique_ptr<Network> network_;  // the plan's network, with the engine's launch cost
  std::unique_ptr<CollectiveModel> collectives_;
  std::vector<int64_t> tp_group_;
  std::vector<int64_t> stage_pair_;
  // The plan's chips as doubles, for energy: a stage's tp chips share its
  // work, and all the replica's chips draw idle power.
  double tp_chips_ = 1;
  int64_t dp_ranks_ = 1;  // attention data-parallel ranks (1: none)
  // What the linear ops' memo key holds beyond tokens and sequences: the
  // exact prefill count (latent attention's and recurrent layers' ops tell
  // decode tokens from prefill ones) and the prefills resuming a state.
  bool exact_prefills_ = false;
  bool keys_resumed_ = false;
  std::optional<ExpertRouting> routing_;  // with expert parallelism or skewed routing
  double seconds_per_expert_ = 0;         // an expert's weights streamed once
  double seconds_per_assignment_ = 0;     // one token through one expert
  AttentionGeometry decode_geometry_{};   // of this chip's shard
  // Its decode attention ops' shapes, full and windowed (layers 0: none).
  DecodeAttentionShape full_decode_, window_decode_;
  double replica_chips_ = 1;
  double matrix_rate_ = 0;    // achievable FLOP/s in the hidden dtype (attention, lm_head)
  double gemm_rate_ = 0;      // achievable FLOP/s of the projections, at their precision
  double matrix_flop_J_ = 0;  // per FLOP in the hidden dtype, at the nominal clock
  double gemm_flop_J_ = 0;    // per FLOP of the projections, at their precision
  double hbm_byte_J_ = 0;     // per byte of the weights' level (0 without a power model)
  double kv_byte_J_ = 0;      // per byte of the KV cache's level
  double link_byte_J_ = 0;    // per byte a chip sends: its links and the switches
  // The context-independent part of a step (all ops but attention), with the
  // engine's per-step kernels: what timing() needs of its StepWork, compact
  // (the table is consulted every step; its size is cache misses).
  struct LinearWork {
    double core_s, memory_s, comm_s, busy_core_s, kernels, switching_J, unclocked_J;
    static LinearWork of(const StepWork& w) {
      return {w.linear_core_s, w.linear_memory_s, w.comm_s,          w.busy_core_s,
              w.kernels,       w.switching_J,     w.hbm_J + w.link_J};
    }
    // The two tables' parts of a step (tokens', then sequences').
    LinearWork operator+(const LinearWork& o) const {
      return {core_s + o.core_s,           memory_s + o.memory_s, comm_s + o.comm_s,
              busy_core_s + o.busy_core_s, kernels + o.kernels,   switching_J + o.switching_J,
              unclocked_J + o.unclocked_J};
    }
    StepWork work() const {
      // HBM and link energy together in hbm_J: only their sum is used.
      // Memory-limited time keeps the units busy.
      return StepWork{.linear_core_s = core_s,
                      .linear_memory_s = memory_s,
                      .comm_s = comm_s,
                      .busy_core_s = busy_core_s,
                      .busy_memory_s = memory_s,
                      .switching_J = switching_J,
                      .hbm_J = unclocked_J,
                      .kernels = kernels};
    }
  };
  // Each op's part of the linear work of `batch` (into `tokens` and `rows`),
  // the per-step fixed cost with the rows'.
  void linear_parts(const std::vector<Op>& ops, const BatchSummary& batch, StepWork& tokens,
                    StepWork& rows) const;
  // One of the memo's two tables: a key of one count (tokens or sequences)
  // and a prefill flag indexes a vector, as a serving loop visits a few
  // thousand counts; any other key (latent attention's exact prefills, or a
  // count past the dense range) goes to a hash map. Bounded: a table past
  // kMemoLimit entries starts again.
  class LinearTable {
   public:
    const LinearWork* find(const LinearKey& k) const {
      const int64_t index = dense_index(k);
      if (index >= 0) {
        const auto& v = dense_[k.prefills];
        const auto i = static_cast<size_t>(index);
        return i < v.size() && v[i].known ? &v[i].work : nullptr;
      }
      const auto it = sparse_.find(k);
      return it == sparse_.end() ? nullptr : &it->second;
    }
    const LinearWork& put(const LinearKey& k, const LinearWork& w);
    size_t size() const { return dense_count_ + sparse_.size(); }

   private:
    static constexpr int64_t kDenseLimit = int64_t{1} << 16;
    static int64_t dense_index(const LinearKey& k) {
      if (k.prefills < 0 || k.prefills > 1 || (k.tokens != 0 && k.sequences != 0)) return -1;
      const int64_t count = k.tokens + k.sequences;
      return count >= 0 && count < kDenseLimit ? count : -1;
    }
    struct Slot {
      LinearWork work{};
      bool known = false;
    };
    std::vector<Slot> dense_[2];  // by the prefill flag, then the count
    size_t dense_count_ = 0;
    std::unordered_map<LinearKey, LinearWork, LinearKeyHash> sparse_;
  };
  LinearTable memo_;      // ops sized by tokens
  LinearTable row_memo_;  // ... by sequences
};

}  // namespace jalapeno
