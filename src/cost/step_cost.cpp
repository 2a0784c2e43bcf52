#include "cost/step_cost.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace jalapeno {
namespace {

// A kernel is limited by compute or by memory, whichever takes longer; the
// other overlaps with it. Only the limiting part is kept, so that times of
// several kernels add up.
KernelTime roofline(double compute_s, double memory_s, double fixed_s) {
  KernelTime t;
  if (compute_s > memory_s) {
    t.compute_s = compute_s;
  } else {
    t.memory_s = memory_s;
  }
  t.fixed_s = fixed_s;
  return t;
}

KernelTime& operator+=(KernelTime& a, const KernelTime& b) {
  a.compute_s += b.compute_s;
  a.memory_s += b.memory_s;
  a.fixed_s += b.fixed_s;
  a.calibrated = a.calibrated || b.calibrated;
  return a;
}

// Rescales a time's parts so that it totals a measured figure, keeping the
// analytical split between compute, memory and fixed cost.
KernelTime rescaled(KernelTime t, double measured_s) {
  const double scale = measured_s / t.seconds();
  t.compute_s *= scale;
  t.memory_s *= scale;
  t.fixed_s *= scale;
  t.calibrated = true;
  return t;
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Split-K needs enough of k per slice to be worth a reduction pass.
constexpr int64_t kMinSplitSlice = 256;

}  // namespace

std::string_view to_string(Bound bound) {
  switch (bound) {
    case Bound::kCompute:
      return "compute";
    case Bound::kMemory:
      return "memory";
    case Bound::kFixed:
      return "fixed";
    case Bound::kFused:
      return "fused";
    case Bound::kNetwork:
      return "network";
  }
  return "?";
}

Bound KernelTime::bound() const {
  if (fixed_s >= compute_s && fixed_s >= memory_s) return Bound::kFixed;
  return compute_s > memory_s ? Bound::kCompute : Bound::kMemory;
}

KernelTime gemm_time(const ChipSpec& chip, const EngineProfile& engine, double flops_rate,
                     int64_t m, int64_t k, int64_t n, int64_t batch, double dtype_bytes,
                     double fixed_s, bool unaligned) {
  return gemm_time(chip, engine, flops_rate, m, k, n, batch,
                   GemmOperandBytes{dtype_bytes, dtype_bytes, dtype_bytes}, fixed_s, unaligned);
}

KernelTime gemm_time(const ChipSpec& chip, const EngineProfile& engine, double flops_rate,
                     int64_t m, int64_t k, int64_t n, int64_t batch, GemmOperandBytes operands,
                     double fixed_s, bool unaligned) {
  const double bytes =
      (static_cast<double>(m * k) * operands.input + static_cast<double>(k * n) * operands.weight +
       static_cast<double>(m * n) * operands.output) *
      static_cast<double>(batch);
  const double unit_rate = flops_rate / static_cast<double>(chip.compute_units);
  const double read_Bps = chip.matrix_Bps_read();
  const int64_t padded_k = chip.padded_k(k);
  // Unaligned GEMMs run without split-K. Each problem streams with scalar
  // loads at a bounded rate until the whole chip's (reduced) ceiling is
  // reached; the harmonic sum of the two limits is the smooth saturation a
  // latency-bound stream shows, whatever the tile.
  const int64_t max_split = unaligned ? 1 : chip.max_split_k;
  double unaligned_Bps = 0;
  if (unaligned) {
    const double ceiling =
        std::min(read_Bps, static_cast<double>(chip.compute_units) * engine.unaligned_unit_Bps);
    const double streams = static_cast<double>(batch) * engine.unaligned_problem_Bps;
    unaligned_Bps = 1.0 / (1.0 / ceiling + 1.0 / streams);
  }
  const int64_t outputs = m * n * batch;
  // The best candidate's limiting time and which part it is.
  double best_s = std::numeric_limits<double>::infinity();
  double best_limit_s = 0;
  bool best_compute = false;
  for (const GemmTile& tile : chip.gemm_tiles) {
    const int64_t output_tiles = ceil_div(m, tile.m) * ceil_div(n, tile.n) * batch;
    // The arrays take K in whole passes of their depth (padded_k).
    const double tile_k_flops =
        2.0 * static_cast<double>(tile.m * tile.n) * static_cast<double>(padded_k);
    const double tile_rate = unit_rate * tile.efficiency;
    for (int64_t split = 1; split <= max_split; split *= 2) {
      if (split > 1 && k / split < kMinSplitSlice) break;
      const int64_t tiles = output_tiles * split;
      const int64_t waves = ceil_div(tiles, chip.compute_units);
      const double tile_flops = tile_k_flops / static_cast<double>(split);
      const double compute_s = static_cast<double>(waves) * tile_flops / tile_rate;
      const double busy_units = static_cast<double>(std::min(tiles, chip.compute_units));
      const double bandwidth =
          unaligned ? unaligned_Bps : std::min(read_Bps, busy_units * chip.unit_Bps);
      // Split-K partial sums go out and back in fp32.
      const double reduction = static_cast<double>((split - 1) * outputs) * 4.0 * 2.0;
      const double memory_s = (bytes + reduction) / bandwidth;
      // As roofline() keeps it: the limiting part, then the fixed cost.
      const bool compute = compute_s > memory_s;
      const double limit_s = compute ? compute_s : memory_s;
      const double seconds = limit_s + fixed_s;
      if (seconds < best_s) {
        best_s = seconds;
        best_limit_s = limit_s;
        best_compute = compute;
      }
    }
  }
  if (best_s == std::numeric_limits<double>::infinity()) return {};
  return best_compute ? roofline(best_limit_s, 0, fixed_s) : roofline(0, best_limit_s, fixed_s);
}

double StepCostModel::weight_bytes_per_chip() const {
  double bytes = model_.weight_bytes();
  if (routing_) {
    // A chip holds its expert slots (a few may be redundant copies), not all.
    const double experts = static_cast<double>(model_.moe.moe_layers) *
                           static_cast<double>(model_.moe.experts) *
                           static_cast<double>(model_.expert_params()) *
                           model_.precision.expert_weight_bytes_per_param();
    const double held =
        static_cast<double>(routing_->slots_per_rank()) / static_cast<double>(model_.moe.experts);
    bytes += experts * (held - 1);
  }
  return bytes / static_cast<double>(parallel_.plan.pp);
}

double StepCostModel::kv_bytes_per_token_per_chip() const {
  // Under attention data parallelism each chip caches its own sequences
  // whole: per token, on average, 1/tp of that.
  return model_.kv_bytes_per_token() / static_cast<double>(parallel_.plan.pp * dp_ranks_);
}

const RankLoad* StepCostModel::rank_load(const BatchSummary& whole, RankLoad& load) const {
  if (!routing_) return nullptr;
  load = routing_->most_loaded(whole.tokens, seconds_per_expert_, seconds_per_assignment_);
  return &load;
}

double StepCostModel::state_bytes_per_sequence_per_chip() const {
  return model_.state_bytes_per_sequence() / static_cast<double>(parallel_.plan.pp * dp_ranks_);
}

void StepCostModel::check_fits(const BatchSummary& batch) const {
  const double weights = weight_bytes_per_chip();
  const double positions =
      static_cast<double>(batch.decode_kv_positions + batch.prefill_kv_positions);
  const double kv = positions * kv_bytes_per_token_per_chip() +
                    static_cast<double>(batch.sequences) * state_bytes_per_sequence_per_chip();
  const std::string per_chip = parallel_.plan.chips_per_replica() > 1
                                   ? fmt::format(" per chip ({})", parallel_.plan.describe())
                                   : std::string();
  if (!levels_shared()) {
    if (weights > weight_level_.bytes) {
      throw InfeasibleError(fmt::format(
          "the weights do not fit in {}: {} needs {:.3f} GB of weights{} but {} has {:.3f} GB of "
          "{}; spread them over more chips",
          to_string(weight_level_.kind), full_model_.name, weights / 1e9, per_chip, chip_.name,
          weight_level_.bytes / 1e9, to_string(weight_level_.kind)));
    }
    if (kv > kv_level_.bytes) {
      throw InfeasibleError(fmt::format(
          "the batch's KV cache does not fit: {} needs {:.2f} GB of KV cache for {} cached "
          "positions{} but {} has {:.2f} GB of {}",
          full_model_.name, kv / 1e9, static_cast<int64_t>(positions), per_chip, chip_.name,
          kv_level_.bytes / 1e9, to_string(kv_level_.kind)));
    }
    return;
  }
  if (weights + kv > kv_level_.bytes) {
    throw InfeasibleError(fmt::format(
        "the batch does not fit in memory: {} needs {:.2f} GB{} ({:.2f} GB of weights + {:.2f} "
        "GB of KV cache for {} cached positions) but {} has {:.2f} GB of {}",
        full_model_.name, (weights + kv) / 1e9, per_chip, weights / 1e9, kv / 1e9,
        static_cast<int64_t>(positions), chip_.name, kv_level_.bytes / 1e9,
        kv_level_.kind == MemoryLevelKind::kHbm ? "HBM" : "SRAM"));
  }
}

StepCostModel::StepCostModel(ModelSpec model, ChipSpec chip, EngineProfile engine,
                             ParallelContext parallel)
    : full_model_(std::move(model)),
      chip_(std::move(chip)),
      engine_(std::move(engine)),
      parallel_(std::move(parallel)) {
  const ParallelPlan& plan = parallel_.plan;
  // Where weights stream from (the plan's choice, else main memory) and
  // where the KV cache lives (main memory: HBM, or SRAM on a chip without).
  const MemoryLevelKind weights_in = plan.weights_in.value_or(chip_.main_memory());
  const std::optional<MemoryLevel> weight_level = chip_.level(weights_in);
  if (!weight_level) {
    throw ConfigError(
        fmt::format("{} cannot hold weights in {}: {}", chip_.name, to_string(weights_in),
                    weights_in == MemoryLevelKind::kSram
                        ? fmt::format("its SRAM bandwidth is not stated (key sram.bandwidth in {})",
                                      chip_.source_file.empty() ? "its file" : chip_.source_file)
                        : std::string("it has no HBM")));
  }
  weight_level_ = *weight_level;
  kv_level_ = *chip_.level(chip_.main_memory());
  weights_chip_ = chip_.streaming_from(weight_level_);
  kv_chip_ = chip_.streaming_from(kv_level_);
  if (plan.chips_per_replica() > 1 && !parallel_.network) {
    throw ConfigError(
        fmt::format("{} spans {} chips: it needs a network (--topology, or a system as --hw)",
                    plan.describe(), plan.chips_per_replica()));
  }
  // This model is one replica: it must divide the model and fit the network.
  ParallelPlan replica = plan;
  replica.replicas = 1;
  check_plan(full_model_, replica, parallel_.network ? parallel_.network->chips() : 1);
  if (plan.chips_per_replica() > 1) {
    // The engine decides what a collective call costs beyond the network:
    // an eager NCCL call, or one replayed from a CUDA graph.
    TopologySpec topology = parallel_.network->spec();
    // Launch costs are added per call in op_time: eager or graph-captured
    // depends on the step.
    topology.collective_launch_s = 0;
    network_ = std::make_unique<Network>(topology);
    collectives_ = std::make_unique<CollectiveModel>(*network_);
    // The first replica's chips: TP groups are consecutive, stages follow.
    for (int64_t i = 0; i < plan.tp; ++i) tp_group_.push_back(i);
    if (plan.pp > 1) stage_pair_ = {0, plan.tp};
  }
  model_ = shard_model(full_model_, plan);
  dp_ranks_ = plan.dp_attention ? plan.tp : 1;
  exact_prefills_ = model_.mla.any() || model_.recurrent.any();
  keys_resumed_ = model_.recurrent.any();
  if (full_model_.moe.any() && (plan.ep > 1 || parallel_.routing.any())) {
    routing_.emplace(full_model_.moe, parallel_.routing, plan.ep);
  }
  tp_chips_ = static_cast<double>(plan.tp);
  decode_geometry_ = decode_geometry(model_);
  full_decode_ = full_decode_attention_shape(model_);
  window_decode_ = window_decode_attention_shape(model_);
  replica_chips_ = static_cast<double>(plan.chips_per_replica());
  const Precision& precision = model_.precision;
  const std::string hidden_key(info(precision.hidden).matrix_key);
  matrix_rate_ = chip_.matrix_flops_for(hidden_key) * chip_.matrix_efficiency_for(hidden_key);
  const std::string gemm_key(precision.gemm_matrix_key());
  gemm_rate_ =
      chip_.matrix_flops_for(gemm_key, fmt::format("{} for {} ({})", precision.describe(),
                                                   full_model_.name, full_model_.source_file)) *
      chip_.matrix_efficiency_for(gemm_key);
  if (routing_) {
    // Roofline of one expert of a layer: its weights streamed, or a token's
    // three projections computed; which rank is slowest (ExpertRouting).
    const double params = static_cast<double>(model_.expert_params());
    seconds_per_expert_ =
        params * precision.expert_weight_bytes_per_param() / weights_chip_.matrix_Bps_read();
    seconds_per_assignment_ = 2 * params / gemm_rate_;
  }
  if (chip_.power) {
    matrix_flop_J_ = chip_.power->matrix_flop_J_for(hidden_key);
    gemm_flop_J_ = chip_.power->matrix_flop_J_for(gemm_key);
    hbm_byte_J_ = weight_level_.byte_J;
    kv_byte_J_ = kv_level_.byte_J;
    link_byte_J_ = chip_.power->link_byte_J +
                   (parallel_.network ? parallel_.network->spec().switch_byte_J : 0);
  }
  if (model_.moe.any() && !engine_.has_routing) {
    throw ConfigError(fmt::format(
        "engine '{}' ({}) has no ops.routing: how it runs an MoE layer's top-k, token sort "
        "and combine, which {} needs",
        engine_.name, engine_.source_file, full_model_.name));
  }
  if (model_.recurrent.any() && !engine_.has_recurrent) {
    throw ConfigError(fmt::format(
        "engine '{}' ({}) has no ops.conv and ops.scan: how it runs a recurrent layer's "
        "convolution and scan, which {} needs",
        engine_.name, engine_.source_file, full_model_.name));
  }
  const auto& kv_formats = engine_.kv_cache_dtypes;
  if (std::find(kv_formats.begin(), kv_formats.end(), precision.kv) == kv_formats.end()) {
    std::string names;
    for (DType d : kv_formats) names += (names.empty() ? "" : ", ") + std::string(to_string(d));
    throw ConfigError(
        fmt::format("engine '{}' keeps its KV cache in {}; it cannot hold a {} "
                    "cache (key kv_cache_dtypes in its profile)",
                    engine_.name, names, to_string(precision.kv)));
  }
}

StepCostModel::~StepCostModel() = default;
StepCostModel::StepCostModel(StepCostModel&&) noexcept = default;

double StepCostModel::op_kernels(const Op& op) const {
  switch (op.kind) {
    case OpKind::kGemm:
      return 1;
    case OpKind::kAttentionDecode:
      return engine_.decode_attention_kernels;
    case OpKind::kAttentionPrefill:
      return engine_.prefill_attention_kernels;
    case OpKind::kCollective:
      return 1;
    default:
      return engine_.plan(op.kind).kernels;
  }
}

KernelTime StepCostModel::elementwise_time(const Op& op) const {
  const KernelPlan& plan = engine_.plan(op.kind);
  const double bytes =
      op.activation_bytes * plan.traffic + op.weight_bytes + op.kv_read_bytes + op.kv_write_bytes;
  const double memory_s = bytes / (weights_chip_.hbm_Bps * weights_chip_.copy_efficiency);
  // A chunked scan's work is matmuls within and between chunks.
  const double rate = op.matrix_scan ? matrix_rate_ : chip_.vector_flops;
  const double compute_s = op.flops * plan.traffic / rate;
  return roofline(compute_s, memory_s, plan.kernels * chip_.kernel_fixed_s);
}

KernelTime StepCostModel::decode_attention_time(const Op& op, const BatchSummary& batch) const {
  const int64_t sequences = batch.decode_sequences;
  const AttentionGeometry& g = decode_geometry_;
  if (engine_.decode_attention == DecodeAttention::kFlash) {
    // One kernel splits every sequence's cache into blocks over the units.
    const double ctas = static_cast<double>(op.attention_blocks * g.kv_heads);
    const double bandwidth =
        std::min(kv_chip_.matrix_Bps_read(),
                 std::min(ctas, static_cast<double>(chip_.compute_units)) * kv_chip_.unit_Bps);
    const double memory_s = (op.kv_read_bytes + op.activation_bytes) / bandwidth;
    const double compute_s = op.flops / matrix_rate_;
    return roofline(
        compute_s, memory_s,
        attention_fixed_s(engine_.decode_attention_fixed_s, engine_.decode_attention_kernels));
  }
  // Batched matmuls: q.K^T, a chain of elementwise kernels over the scores
  // (scale, casts, softmax), then p.V, one problem per (sequence, KV head).
  const int64_t length = ceil_div(op.attended, sequences);
  const bool unaligned = batch.decode_unaligned > 0;
  if (chip_.calibration && !unaligned) {
    // The measured chain (kernels.json "attn") is exactly this engine's.
    if (auto measured = chip_.calibration->attention_seconds(g.group, g.kv_heads, g.qk_dim,
                                                             static_cast<double>(sequences),
                                                             static_cast<double>(length))) {
      KernelTime analytical = decode_attention_time_analytical(op, batch);
      return rescaled(analytical, *measured);
    }
  }
  return decode_attention_time_analytical(op, batch);
}

KernelTime StepCostModel::decode_attention_time_analytical(const Op& op,
                                                           const BatchSummary& batch) const {
  // q and the scores in the hidden dtype, K and V in the cache's.
  const GemmOperandBytes operands{model_.bytes_per_param, model_.precision.kv_bytes(),
                                  model_.bytes_per_param};
  const int64_t sequences = batch.decode_sequences;
  const AttentionGeometry& g = decode_geometry_;
  const int64_t length = ceil_div(op.attended, sequences);
  const bool unaligned = batch.decode_unaligned > 0;
  const int64_t problems = sequences * g.kv_heads;
  KernelTime t = gemm_time(kv_chip_, engine_, matrix_rate_, g.group, g.qk_dim, length, problems,
                           operands, chip_.kernel_fixed_s, unaligned);
  t += gemm_time(kv_chip_, engine_, matrix_rate_, g.group, length, g.v_dim, problems, operands,
                 chip_.kernel_fixed_s, unaligned);
  const double chain_kernels = std::max(0.0, engine_.decode_attention_kernels - 2);
  t +=
      roofline(0, op.elements * engine_.score_bytes / (kv_chip_.hbm_Bps * kv_chip_.copy_efficiency),
               chain_kernels * chip_.kernel_fixed_s);
  return t;
}

KernelTime StepCostModel::prefill_attention_time(const Op& op) const {
  const double compute_s = op.flops / (matrix_rate_ * engine_.prefill_attention_efficiency);
  const double memory_s =
      (op.activation_bytes * engine_.prefill_attention_traffic + op.kv_read_bytes) /
      (kv_chip_.hbm_Bps * kv_chip_.copy_efficiency);
  return roofline(
      compute_s, memory_s,
      attention_fixed_s(engine_.prefill_attention_fixed_s, engine_.prefill_attention_kernels));
}

double StepCostModel::attention_fixed_s(double profile_fixed_s, double kernels) const {
  return profile_fixed_s >= 0 ? profile_fixed_s : kernels * chip_.kernel_fixed_s;
}

double StepCostModel::host_step_s(const BatchSummary& batch) const {
  return engine_.host_step_fixed_s +
         engine_.host_step_per_sequence_s * static_cast<double>(batch.sequences);
}

double StepCostModel::step_seconds(double gpu_s, double launch_s, double host_step) const {
  // Without a graph the host launches every kernel and the GPU runs behind
  // it, so launches and kernels overlap. Host work of the step itself either
  // overlaps with the GPU too (asynchronous scheduling) or the GPU waits.
  return engine_.host_step_overlapped ? std::max(gpu_s, launch_s + host_step)
                                      : host_step + std::max(gpu_s, launch_s);
}

KernelTime StepCostModel::op_time(const Op& op, const BatchSummary& batch) const {
  switch (op.kind) {
    case OpKind::kGemm: {
      if (op.m == 0) return {};
      const GemmOperandBytes operands{op.input_element_bytes, op.weight_element_bytes,
                                      op.output_element_bytes};
      const double rate = op.quantised ? gemm_rate_ : matrix_rate_;
      const KernelTime analytical = gemm_time(weights_chip_, engine_, rate, op.m, op.k, op.n,
                                              op.problems, operands, chip_.gemm_fixed_s, false);
      // The measured table is of single hidden-dtype GEMMs; a quantised or
      // grouped one keeps the analytical time.
      const bool table_format =
          op.problems == 1 && (!op.quantised || !model_.precision.quantised());
      if (chip_.calibration && table_format) {
        if (auto measured = chip_.calibration->gemm_seconds(op.m, op.k, op.n)) {
          return rescaled(analytical, *measured);
        }
      }
      return analytical;
    }
    case OpKind::kAttentionDecode:
      return decode_attention_time(op, batch);
    case OpKind::kAttentionPrefill:
      return prefill_attention_time(op);
    case OpKind::kCollective: {
      // Communication: neither compute nor HBM traffic; reported as fixed
      // time of the network.
      KernelTime t;
      t.fixed_s = graphs(batch) ? engine_.collective_launch_graph_s : engine_.collective_launch_s;
      if (op.comm == CommKind::kSendRecv) {
        t.fixed_s += collectives_->best(Collective::kSendRecv, stage_pair_, op.comm_bytes).seconds;
      } else if (op.comm == CommKind::kAllToAll) {
        // Low latency: every pair at once, in one phase. Normal: a small
        // layout exchange (counts per expert) before the data.
        if (op.comm_phases > 1) {
          t.fixed_s += static_cast<double>(op.comm_phases - 1) *
                       collectives_->best(Collective::kAllToAll, tp_group_, 0).seconds;
          t.fixed_s += collectives_->best(Collective::kAllToAll, tp_group_, op.comm_bytes).seconds;
        } else {
          t.fixed_s += collectives_->seconds(Collective::kAllToAll, Algorithm::kDirect, tp_group_,
                                             op.comm_bytes);
        }
      } else {
        const Collective c =
            op.comm == CommKind::kAllReduce ? Collective::kAllReduce : Collective::kAllGather;
        t.fixed_s += collectives_->best(c, tp_group_, op.comm_bytes).seconds;
      }
      return t;
    }
    default:
      return elementwise_time(op);
  }
}

bool StepCostModel::graphs(const BatchSummary& batch) const {
  return batch.prefill_sequences > 0 ? engine_.graphs_prefill : engine_.graphs_decode;
}

namespace {
bool is_attention(OpKind kind) {
  return kind == OpKind::kAttentionDecode || kind == OpKind::kAttentionPrefill;
}
}  // namespace

double StepCostModel::combine(double linear, double comm, double attention) const {
  return parallel_.overlap ? std::max(linear + attention, comm) : linear + comm + attention;
}

double StepCostModel::hbm_bytes(const Op& op) const {
  if (op.kind == OpKind::kCollective) return 0;
  if (op.kind == OpKind::kGemm || is_attention(op.kind)) return op.bytes();
  // Element-wise kernels move what their time was costed on.
  const KernelPlan& plan = engine_.plan(op.kind);
  return op.activation_bytes * plan.traffic + op.weight_bytes + op.kv_read_bytes +
         op.kv_write_bytes;
}

double StepCostModel::flop_joules(const Op& op) const {
  if (!chip_.power) return 0;
  switch (op.kind) {
    case OpKind::kGemm:
      return op.flops * (op.quantised ? gemm_flop_J_ : matrix_flop_J_);
    case OpKind::kAttentionDecode:
    case OpKind::kAttentionPrefill:
      return op.flops * matrix_flop_J_;
    case OpKind::kCollective:
      return 0;
    default:
      return op.flops * engine_.plan(op.kind).traffic * chip_.power->vector_flop_J;
  }
}

StepCostModel::OpEnergy StepCostModel::op_energy(const Op& op) const {
  const double count = static_cast<double>(op.count);
  if (op.kind == OpKind::kCollective) return {0, 0, 0, op.comm_bytes * count * link_byte_J_};
  const double bytes = hbm_bytes(op) * count;
  return {flop_joules(op) * count, bytes,
          bytes * (is_attention(op.kind) ? kv_byte_J_ : hbm_byte_J_), 0};
}

void StepCostModel::add_op_work(const Op& op, const KernelTime& time, StepWork& work) const {
  add_op_work(op, time, op_energy(op), work);
}

void StepCostModel::add_op_work(const Op& op, const KernelTime& time, const OpEnergy& energy,
                                StepWork& work) const {
  const double count = static_cast<double>(op.count);
  work.kernels += op_kernels(op) * count;
  if (op.kind == OpKind::kCollective) {
    work.comm_s += time.seconds() * count;
    work.link_bytes += op.comm_bytes * count;
    work.link_J += energy.link_J;
    return;
  }
  const double core_s = (time.compute_s + time.fixed_s) * count;
  const double memory_s = time.memory_s * count;
  if (is_attention(op.kind)) {
    work.attention_core_s += core_s;
    work.attention_memory_s += memory_s;
    if (op.kind == OpKind::kAttentionPrefill) work.prefill_attention_s += core_s + memory_s;
  } else {
    work.linear_core_s += core_s;
    work.linear_memory_s += memory_s;
  }
  work.busy_core_s += time.compute_s * count;
  work.busy_memory_s += memory_s;
  work.switching_J += energy.switching_J;
  work.hbm_bytes += energy.hbm_bytes;
  work.hbm_J += energy.hbm_J;
}

double StepCostModel::op_joules(const Op& op, const KernelTime& time, const OpEnergy& energy,
                                double clock, double slowdown, double seconds) const {
  // energy_at_clock of the op's work alone (add_op_work's fields).
  const PowerSpec& power = *chip_.power;
  const double count = static_cast<double>(op.count);
  const double busy_s = (time.memory_s + time.compute_s * slowdown) * count;
  const double dynamic_J = power.busy_W * clock * clock * clock * busy_s +
                           energy.switching_J * clock * clock + energy.hbm_J + energy.link_J;
  return power.idle_W * seconds * replica_chips_ + dynamic_J * tp_chips_;
}

double StepCostModel::gpu_seconds_at(const StepWork& work, double slowdown) const {
  return combine(work.linear_memory_s + work.linear_core_s * slowdown, work.comm_s,
                 work.attention_memory_s + work.attention_core_s * slowdown);
}

StepCostModel::Finished StepCostModel::finish(const StepWork& work,
                                              const BatchSummary& batch) const {
  Finished step;
  step.launch_seconds = graphs(batch) ? 0 : work.kernels * engine_.host_overhead_s;
  step.host_step_seconds = host_step_s(batch);
  // At a clock s, compute and fixed time stretch by 1/s (the slowdown).
  const auto at = [&](double clock, double slowdown) {
    step.clock = clock;
    step.gpu_seconds = gpu_seconds_at(work, slowdown);
    step.seconds = step_seconds(step.gpu_seconds, step.launch_seconds, step.host_step_seconds);
  };
  at(1, 1);
  if (!chip_.power) return step;
  const PowerSpec& power = *chip_.power;
  const double tp = tp_chips_;
  const double chips = replica_chips_;
  // A working chip's energy over the step beyond idle power, against what
  // the limit allows over that time: each of the tp chips of a stage does
  // 1/tp of the work (stages take turns, so pp does not divide it).
  const double allowed_W = chip_.tdp_W - power.idle_W;
  const double unclocked_J = work.hbm_J + work.link_J;
  const double busy_s = work.busy_memory_s + work.busy_core_s;
  const double dynamic_J = power.busy_W * busy_s + work.switching_J + unclocked_J;
  // As nominal_timing() decides.
  if (!(step.seconds > 0 && dynamic_J > allowed_W * step.seconds)) {
    // Under the limit at the nominal clock (most steps): energy_at_clock(1).
    step.energy = EnergyParts{power.idle_W * step.seconds * chips, power.busy_W * busy_s * tp,
                              work.switching_J * tp, work.hbm_J * tp, work.link_J * tp};
    return step;
  }
  // Energy beyond what the limit allows, at a clock: rises with the clock
  // (more energy, less time), zero at the fastest clock within the limit.
  const auto excess_J = [&](double clock) {
    const double slowdown = 1 / clock;
    at(clock, slowdown);
    const double busy_at = work.busy_memory_s + work.busy_core_s * slowdown;
    const double clocked_J = (power.busy_W * clock * busy_at + work.switching_J) * clock * clock;
    return clocked_J + unclocked_J - allowed_W * step.seconds;
  };
  // Regula falsi with the Illinois rule, keeping `low` on the side under the
  // limit, from a lower bound: below the nominal clock the clocked energy
  // falls at least as s^2, the HBM and link energy not at all, and the step
  // is no shorter. Near zero clock the power tends to idle power, which the
  // reader keeps below the limit, so a root exists in any case.
  const double headroom_J = allowed_W * step.seconds - unclocked_J;
  const double clocked_J = dynamic_J - unclocked_J;
  double low = headroom_J > 0 && clocked_J > 0 ? std::sqrt(headroom_J / clocked_J) : 1e-3;
  low = std::clamp(low, 1e-3, 1.0);
  double high = 1;
  double f_high = dynamic_J - allowed_W * step.seconds;  // excess_J(1), known
  const double tolerance_J = 1e-7 * chip_.tdp_W * step.seconds;
  double f_low = excess_J(low);
  int kept = 0;  // which end stayed last time: 1 low, -1 high
  for (int i = 0; i < 100 && f_low < -tolerance_J && high - low > 1e-12; ++i) {
    const double mid = (low * f_high - high * f_low) / (f_high - f_low);
    const double f_mid = excess_J(mid);
    if (f_mid > 0) {
      high = mid;
      f_high = f_mid;
      if (kept == 1) f_low /= 2;
      kept = 1;
    } else {
      low = mid;
      f_low = f_mid;
      if (kept == -1) f_high /= 2;
      kept = -1;
    }
  }
  at(low, 1 / low);
  step.energy = energy_at_clock(power, work, step.clock, step.seconds, tp, chips);
  return step;
}

StepCost StepCostModel::cost(const BatchSummary& whole) const {
  StepCost step;
  step.tokens = whole.tokens;
  // With attention data parallelism a chip runs its share of the sequences.
  std::optional<BatchSummary> share;  // built only under attention data parallelism
  const BatchSummary& batch =
      dp_ranks_ > 1 ? share.emplace(share_of_batch(whole, dp_ranks_)) : whole;
  RankLoad load;
  const std::vector<Op> ops =
      build_parallel_step_ops(model_, batch, parallel_.plan, rank_load(whole, load));
  const double tp = tp_chips_;
  // One op's row at a clock (1 is nominal, and slowdown is 1 / clock).
  const auto fill_row = [&](OpCost& row, const Op& op, const KernelTime& t, const OpEnergy& energy,
                            double clock, double slowdown) {
    const double count = static_cast<double>(op.count);
    const bool network = op.kind == OpKind::kCollective;
    row.seconds =
        (network ? t.seconds() : t.memory_s + (t.compute_s + t.fixed_s) * slowdown) * count;
    if (chip_.power) row.joules = op_joules(op, t, energy, clock, slowdown, row.seconds);
  };
  // Summed as timing() sums them (the memoised part, then attention), so
  // that both give the same numbers; rows at the nominal clock.
  StepWork tokens, rows, attention;  // linear_parts()' split, and attention
  step.ops.reserve(ops.size());
  for (const Op& op : ops) {
    const KernelTime t = op_time(op, batch);
    const OpEnergy energy = op_energy(op);
    add_op_work(op, t, energy, is_attention(op.kind) ? attention : op.per_sequence ? rows : tokens);
    const double count = static_cast<double>(op.count);
    OpCost& row = step.ops.emplace_back();
    row.name = op.name;
    row.kind = op.kind;
    row.count = op.count;
    row.kernels = op_kernels(op) * count;
    fill_row(row, op, t, energy, 1, 1);
    const bool network = op.kind == OpKind::kCollective;
    row.flops = op.flops * count;
    row.bytes = (network ? op.comm_bytes : op.bytes()) * count;
    row.bound = (row.kernels == 0 && row.seconds == 0) ? Bound::kFused
                : network                              ? Bound::kNetwork
                                                       : t.bound();
    row.calibrated = t.calibrated;
    step.kernels += row.kernels;
    step.flops += row.flops;
    step.weight_bytes += op.weight_bytes * count;
    step.kv_read_bytes += op.kv_read_bytes * count;
    step.kv_write_bytes += op.kv_write_bytes * count;
  }
  rows.linear_core_s += engine_.per_step_kernels * chip_.kernel_fixed_s;
  rows.kernels += engine_.per_step_kernels;
  StepWork work = (LinearWork::of(tokens) + LinearWork::of(rows)).work();
  work += attention;
  work.hbm_bytes = (tokens.hbm_bytes + rows.hbm_bytes) + attention.hbm_bytes;
  work.link_bytes = (tokens.link_bytes + rows.link_bytes) + attention.link_bytes;
  const Finished finished = finish(work, batch);
  const double clock = finished.clock;
  if (clock != 1) {
    // A power-limited step (rare): its rows again at the clock it ran at.
    for (size_t i = 0; i < ops.size(); ++i) {
      fill_row(step.ops[i], ops[i], op_time(ops[i], batch), op_energy(ops[i]), clock, 1 / clock);
    }
  }
  step.kernels += engine_.per_step_kernels;
  step.gpu_seconds = finished.gpu_seconds;
  step.comm_seconds = work.comm_s;
  step.host_step_seconds = finished.host_step_seconds;
  step.host_seconds = finished.launch_seconds + finished.host_step_seconds;
  step.seconds = finished.seconds;
  step.stage_seconds = step.seconds / static_cast<double>(parallel_.plan.pp);
  if (finished.energy) {
    StepEnergy energy;
    energy.parts = *finished.energy;
    // The same total as timing(); HBM and link energy apart again (the memo
    // keeps their sum).
    energy.joules = energy.parts.total();
    energy.parts.hbm_J = ((tokens.hbm_J + rows.hbm_J) + attention.hbm_J) * tp;
    energy.parts.link_J = ((tokens.link_J + rows.link_J) + attention.link_J) * tp;
    energy.hbm_bytes = work.hbm_bytes;
    energy.link_bytes = work.link_bytes;
    energy.power_W = step.seconds > 0 ? energy.joules / step.seconds : 0;
    energy.chip_power_W =
        step.seconds > 0 ? chip_.power->idle_W + energy.parts.dynamic() / tp / step.seconds : 0;
    energy.clock = clock;
    step.energy = energy;
  }
  return step;
}

[[gnu::always_inline]] inline bool StepCostModel::nominal_timing(const LinearWork& linear,
                                                                 const AttentionSums& attention,
                                                                 const BatchSummary& batch,
                                                                 StepTiming& timing) const {
  // finish() at the nominal clock for the work linear.work() + attention
  // (StepCostModel::combined), inline for the serving loop: the same
  // formulas in the same order, so the same numbers (0 + x and x * 1 are x).
  const double kernels = linear.kernels + attention.kernels;
  const double launch_s = graphs(batch) ? 0 : kernels * engine_.host_overhead_s;
  const double gpu_s = combine(linear.memory_s + linear.core_s, linear.comm_s,
                               attention.memory_s + attention.core_s);
  timing.seconds = step_seconds(gpu_s, launch_s, host_step_s(batch));
  if (!chip_.power) return true;
  const PowerSpec& power = *chip_.power;
  const double busy_s =
      (linear.memory_s + attention.memory_s) + (linear.busy_core_s + attention.busy_core_s);
  const double dynamic_J = power.busy_W * busy_s + (linear.switching_J + attention.switching_J) +
                           (linear.unclocked_J + attention.hbm_J);
  if (timing.seconds > 0 && dynamic_J > (chip_.tdp_W - power.idle_W) * timing.seconds) {
    return false;
  }
  timing.dynamic_joules = dynamic_J * tp_chips_;
  timing.joules = power.idle_W * timing.seconds * replica_chips_ + timing.dynamic_joules;
  return true;
}

StepWork StepCostModel::combined(const LinearWork& linear, const AttentionSums& attention) {
  StepWork work = linear.work();
  work.attention_core_s += attention.core_s;
  work.attention_memory_s += attention.memory_s;
  work.prefill_attention_s += attention.prefill_s;
  work.busy_core_s += attention.busy_core_s;
  work.busy_memory_s += attention.memory_s;
  work.switching_J += attention.switching_J;
  work.hbm_bytes += attention.bytes;
  work.hbm_J += attention.hbm_J;
  work.kernels += attention.kernels;
  return work;
}

StepTiming StepCostModel::shared_timing(const BatchSummary& whole) {
  return timing(whole, share_of_batch(whole, dp_ranks_));
}

const StepCostModel::LinearWork& StepCostModel::LinearTable::put(const LinearKey& k,
                                                                 const LinearWork& w) {
  if (size() >= kMemoLimit) {  // bounded memory on any workload
    for (auto& v : dense_) v.clear();
    dense_count_ = 0;
    sparse_.clear();
  }
  const int64_t index = dense_index(k);
  if (index < 0) return sparse_.emplace(k, w).first->second;
  auto& v = dense_[k.prefills];
  const auto i = static_cast<size_t>(index);
  if (i >= v.size()) v.resize(i + 1);
  if (!v[i].known) ++dense_count_;
  v[i] = {w, true};
  return v[i].work;
}

void StepCostModel::linear_parts(const std::vector<Op>& ops, const BatchSummary& batch,
                                 StepWork& tokens, StepWork& rows) const {
  for (const Op& op : ops) {
    if (is_attention(op.kind)) continue;
    add_op_work(op, op_time(op, batch), op.per_sequence ? rows : tokens);
  }
  rows.linear_core_s += engine_.per_step_kernels * chip_.kernel_fixed_s;
  rows.kernels += engine_.per_step_kernels;
}

StepTiming StepCostModel::timing(const BatchSummary& whole, const BatchSummary& batch) {
  const LinearKey token_k = token_key(whole), row_k = row_key(whole);
  const LinearWork* by_tokens = memo_.find(token_k);
  const LinearWork* by_rows = row_memo_.find(row_k);
  if (by_tokens == nullptr || by_rows == nullptr) {
    StepWork tokens, rows;
    RankLoad load;
    linear_parts(build_parallel_step_ops(model_, batch, parallel_.plan, rank_load(whole, load)),
                 batch, tokens, rows);
    if (by_tokens == nullptr) by_tokens = &memo_.put(token_k, LinearWork::of(tokens));
    if (by_rows == nullptr) by_rows = &row_memo_.put(row_k, LinearWork::of(rows));
  }
  const LinearWork linear = *by_tokens + *by_rows;
  // Attention summed apart, then added, as cost() sums it (StepWork's +=):
  // the same numbers.
  AttentionSums a;
  const auto add = [&](const Op& op) {
    // add_op_work for an attention op, without its dispatch on the kind.
    const KernelTime t = op_time(op, batch);
    const double count = static_cast<double>(op.count);
    const double op_core_s = (t.compute_s + t.fixed_s) * count;
    const double op_memory_s = t.memory_s * count;
    const bool prefill = op.kind == OpKind::kAttentionPrefill;
    a.kernels +=
        (prefill ? engine_.prefill_attention_kernels : engine_.decode_attention_kernels) * count;
    a.core_s += op_core_s;
    a.memory_s += op_memory_s;
    if (prefill) a.prefill_s += op_core_s + op_memory_s;
    a.busy_core_s += t.compute_s * count;
    a.switching_J += op.flops * matrix_flop_J_ * count;
    const double op_bytes = op.bytes() * count;
    a.bytes += op_bytes;
    a.hbm_J += op_bytes * kv_byte_J_;
  };
  // for_each_attention_op, with the decode ops' shapes computed once.
  check_attention_window(model_, batch);
  if (batch.decode_sequences > 0) {
    if (full_decode_.layers > 0) {
      add(decode_attention_op(full_decode_, batch.decode_kv_positions, batch.decode_kv_blocks,
                              batch.decode_sequences));
    }
    if (window_decode_.layers > 0) {
      add(decode_attention_op(window_decode_, batch.decode_window_positions,
                              batch.decode_window_blocks, batch.decode_sequences));
    }
  }
  if (batch.prefill_sequences > 0) {
    if (full_decode_.layers > 0) add(attention_prefill_op(model_, batch));
    if (window_decode_.layers > 0) add(attention_prefill_window_op(model_, batch));
  }
  StepTiming timing;
  timing.comm_seconds = linear.comm_s;
  if (!nominal_timing(linear, a, batch, timing)) {
    // Above the power limit at the nominal clock: solve for the clock.
    const Finished finished = finish(combined(linear, a), batch);
    timing.seconds = finished.seconds;
    timing.clock = finished.clock;
    timing.joules = finished.energy->total();
    timing.dynamic_joules = finished.energy->dynamic();
  }
  if (batch.prefill_tokens > 0) {
    const double linear_s = linear.core_s + linear.memory_s + linear.comm_s;
    const double all_s = linear_s + (a.core_s + a.memory_s);
    if (all_s > 0) {
      const double prompt_tokens = static_cast<double>(batch.prefill_tokens);
      timing.input_share =
          (linear_s * prompt_tokens / static_cast<double>(batch.tokens) + a.prefill_s) / all_s;
    }
  }
  return timing;
}

}  // namespace jalapeno
