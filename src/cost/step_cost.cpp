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
  KernelTime best;
  double best_s = std::numeric_limits<double>::infinity();
  for (const GemmTile& tile : chip.gemm_tiles) {
    // Unaligned GEMMs run without split-K.
    const int64_t max_split = unaligned ? 1 : chip.max_split_k;
    for (int64_t split = 1; split <= max_split; split *= 2) {
      if (split > 1 && k / split < kMinSplitSlice) break;
      const int64_t tiles = ceil_div(m, tile.m) * ceil_div(n, tile.n) * split * batch;
      const int64_t waves = ceil_div(tiles, chip.compute_units);
      const double tile_flops = 2.0 * static_cast<double>(tile.m * tile.n) *
                                static_cast<double>(k) / static_cast<double>(split);
      const double compute_s =
          static_cast<double>(waves) * tile_flops / (unit_rate * tile.efficiency);
      const double busy_units = static_cast<double>(std::min(tiles, chip.compute_units));
      double bandwidth = std::min(read_Bps, busy_units * chip.unit_Bps);
      if (unaligned) {
        // Each problem streams with scalar loads at a bounded rate until the
        // whole chip's (reduced) ceiling is reached; the harmonic sum of the
        // two limits is the smooth saturation a latency-bound stream shows.
        const double ceiling =
            std::min(read_Bps, static_cast<double>(chip.compute_units) * engine.unaligned_unit_Bps);
        const double streams = static_cast<double>(batch) * engine.unaligned_problem_Bps;
        bandwidth = 1.0 / (1.0 / ceiling + 1.0 / streams);
      }
      // Split-K partial sums go out and back in fp32.
      const double reduction = static_cast<double>((split - 1) * m * n * batch) * 4.0 * 2.0;
      const double memory_s = (bytes + reduction) / bandwidth;
      const KernelTime candidate = roofline(compute_s, memory_s, fixed_s);
      if (candidate.seconds() < best_s) {
        best_s = candidate.seconds();
        best = candidate;
      }
    }
  }
  return best;
}

double StepCostModel::weight_bytes_per_chip() const {
  return model_.weight_bytes() / static_cast<double>(parallel_.plan.pp);
}

double StepCostModel::kv_bytes_per_token_per_chip() const {
  return model_.kv_bytes_per_token() / static_cast<double>(parallel_.plan.pp);
}

void StepCostModel::check_fits(const BatchSummary& batch) const {
  const double weights = weight_bytes_per_chip();
  const double positions =
      static_cast<double>(batch.decode_kv_positions + batch.prefill_kv_positions);
  const double kv = positions * kv_bytes_per_token_per_chip();
  if (weights + kv > chip_.hbm_bytes) {
    const std::string per_chip = parallel_.plan.chips_per_replica() > 1
                                     ? fmt::format(" per chip ({})", parallel_.plan.describe())
                                     : std::string();
    throw InfeasibleError(fmt::format(
        "the batch does not fit in memory: {} needs {:.2f} GB{} ({:.2f} GB of weights + {:.2f} "
        "GB of KV cache for {} cached positions) but {} has {:.2f} GB of HBM",
        full_model_.name, (weights + kv) / 1e9, per_chip, weights / 1e9, kv / 1e9,
        static_cast<int64_t>(positions), chip_.name, chip_.hbm_bytes / 1e9));
  }
}

StepCostModel::StepCostModel(ModelSpec model, ChipSpec chip, EngineProfile engine,
                             ParallelContext parallel)
    : full_model_(std::move(model)),
      chip_(std::move(chip)),
      engine_(std::move(engine)),
      parallel_(std::move(parallel)) {
  const ParallelPlan& plan = parallel_.plan;
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
  model_ = shard_model(full_model_, plan.tp);
  const Precision& precision = model_.precision;
  const std::string hidden_key(info(precision.hidden).matrix_key);
  matrix_rate_ = chip_.matrix_flops_for(hidden_key) * chip_.matrix_efficiency_for(hidden_key);
  const std::string gemm_key(precision.gemm_matrix_key());
  gemm_rate_ =
      chip_.matrix_flops_for(gemm_key, fmt::format("{} for {} ({})", precision.describe(),
                                                   full_model_.name, full_model_.source_file)) *
      chip_.matrix_efficiency_for(gemm_key);
  if (chip_.power) {
    matrix_flop_J_ = chip_.power->matrix_flop_J_for(hidden_key);
    gemm_flop_J_ = chip_.power->matrix_flop_J_for(gemm_key);
    link_byte_J_ = chip_.power->link_byte_J +
                   (parallel_.network ? parallel_.network->spec().switch_byte_J : 0);
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
  const double memory_s = bytes / (chip_.hbm_Bps * chip_.copy_efficiency);
  const double compute_s = op.flops * plan.traffic / chip_.vector_flops;
  return roofline(compute_s, memory_s, plan.kernels * chip_.kernel_fixed_s);
}

KernelTime StepCostModel::decode_attention_time(const Op& op, const BatchSummary& batch) const {
  const int64_t sequences = batch.decode_sequences;
  const int64_t group = model_.num_heads / model_.num_kv_heads;
  if (engine_.decode_attention == DecodeAttention::kFlash) {
    // One kernel splits every sequence's cache into blocks over the units.
    const double ctas = static_cast<double>(op.attention_blocks * model_.num_kv_heads);
    const double bandwidth =
        std::min(chip_.matrix_Bps_read(),
                 std::min(ctas, static_cast<double>(chip_.compute_units)) * chip_.unit_Bps);
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
    if (auto measured = chip_.calibration->attention_seconds(
            group, model_.num_kv_heads, model_.head_dim, static_cast<double>(sequences),
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
  const int64_t group = model_.num_heads / model_.num_kv_heads;
  const int64_t length = ceil_div(op.attended, sequences);
  const bool unaligned = batch.decode_unaligned > 0;
  const int64_t problems = sequences * model_.num_kv_heads;
  KernelTime t = gemm_time(chip_, engine_, matrix_rate_, group, model_.head_dim, length, problems,
                           operands, chip_.kernel_fixed_s, unaligned);
  t += gemm_time(chip_, engine_, matrix_rate_, group, length, model_.head_dim, problems, operands,
                 chip_.kernel_fixed_s, unaligned);
  const double chain_kernels = std::max(0.0, engine_.decode_attention_kernels - 2);
  t += roofline(0, op.elements * engine_.score_bytes / (chip_.hbm_Bps * chip_.copy_efficiency),
                chain_kernels * chip_.kernel_fixed_s);
  return t;
}

KernelTime StepCostModel::prefill_attention_time(const Op& op) const {
  const double compute_s = op.flops / (matrix_rate_ * engine_.prefill_attention_efficiency);
  const double memory_s =
      (op.activation_bytes * engine_.prefill_attention_traffic + op.kv_read_bytes) /
      (chip_.hbm_Bps * chip_.copy_efficiency);
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
      const KernelTime analytical =
          gemm_time(chip_, engine_, rate, op.m, op.k, op.n, 1, operands, chip_.gemm_fixed_s, false);
      // The measured table is of hidden-dtype GEMMs; a quantised one keeps
      // the analytical time.
      const bool table_format = !op.quantised || !model_.precision.quantised();
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

StepWork StepCostModel::op_work(const Op& op, const KernelTime& time) const {
  const double count = static_cast<double>(op.count);
  StepWork work;
  work.kernels = op_kernels(op) * count;
  if (op.kind == OpKind::kCollective) {
    work.comm_s = time.seconds() * count;
    work.link_bytes = op.comm_bytes * count;
    return work;
  }
  const double core_s = (time.compute_s + time.fixed_s) * count;
  const double memory_s = time.memory_s * count;
  if (is_attention(op.kind)) {
    work.attention_core_s = core_s;
    work.attention_memory_s = memory_s;
    if (op.kind == OpKind::kAttentionPrefill) work.prefill_attention_s = core_s + memory_s;
  } else {
    work.linear_core_s = core_s;
    work.linear_memory_s = memory_s;
  }
  work.busy_core_s = time.compute_s * count;
  work.busy_memory_s = memory_s;
  work.switching_J = flop_joules(op) * count;
  work.hbm_bytes = hbm_bytes(op) * count;
  return work;
}

double StepCostModel::gpu_seconds_at(const StepWork& work, double clock) const {
  return combine(work.linear_memory_s + work.linear_core_s / clock, work.comm_s,
                 work.attention_memory_s + work.attention_core_s / clock);
}

StepCostModel::Finished StepCostModel::finish(const StepWork& work,
                                              const BatchSummary& batch) const {
  Finished step;
  step.launch_seconds = graphs(batch) ? 0 : work.kernels * engine_.host_overhead_s;
  step.host_step_seconds = host_step_s(batch);
  const auto at = [&](double clock) {
    step.clock = clock;
    step.gpu_seconds = gpu_seconds_at(work, clock);
    step.seconds = step_seconds(step.gpu_seconds, step.launch_seconds, step.host_step_seconds);
  };
  at(1);
  if (!chip_.power) return step;
  const PowerSpec& power = *chip_.power;
  const auto tp = static_cast<double>(parallel_.plan.tp);
  const auto chips = static_cast<double>(parallel_.plan.chips_per_replica());
  // A working chip's power over the step: each of the tp chips of a stage
  // does 1/tp of the work (stages take turns, so pp does not divide it).
  const auto chip_power = [&](double clock) {
    return energy_at_clock(power, work, clock, step.seconds, 1, 0, link_byte_J_).dynamic() /
               step.seconds +
           power.idle_W;
  };
  if (step.seconds > 0 && chip_power(1) > chip_.tdp_W) {
    // Power rises with the clock: bisect for the fastest clock under the
    // limit. Near zero clock the power tends to idle power, which the reader
    // keeps below the limit, so a solution exists.
    double low = 1e-3, high = 1;
    for (int i = 0; i < 60; ++i) {
      const double mid = 0.5 * (low + high);
      at(mid);
      (chip_power(mid) > chip_.tdp_W ? high : low) = mid;
    }
    at(low);
  }
  step.energy = energy_at_clock(power, work, step.clock, step.seconds, tp, chips, link_byte_J_);
  return step;
}

StepCost StepCostModel::cost(const BatchSummary& batch) const {
  StepCost step;
  step.tokens = batch.tokens;
  const std::vector<Op> ops = build_parallel_step_ops(model_, batch, parallel_.plan);
  std::vector<KernelTime> times;
  times.reserve(ops.size());
  // Summed as timing() sums them, so that both give the same number.
  StepWork work;
  for (const Op& op : ops) {
    times.push_back(op_time(op, batch));
    work += op_work(op, times.back());
  }
  work.linear_core_s += engine_.per_step_kernels * chip_.kernel_fixed_s;
  work.kernels += engine_.per_step_kernels;
  const Finished finished = finish(work, batch);
  const double clock = finished.clock;
  const auto tp = static_cast<double>(parallel_.plan.tp);
  const auto chips = static_cast<double>(parallel_.plan.chips_per_replica());
  step.ops.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    const KernelTime& t = times[i];
    const double count = static_cast<double>(op.count);
    OpCost row;
    row.name = op.name;
    row.kind = op.kind;
    row.count = op.count;
    row.kernels = op_kernels(op) * count;
    const bool network = op.kind == OpKind::kCollective;
    row.seconds = (network ? t.seconds() : t.memory_s + (t.compute_s + t.fixed_s) / clock) * count;
    row.flops = op.flops * count;
    row.bytes = (network ? op.comm_bytes : op.bytes()) * count;
    row.bound = (row.kernels == 0 && row.seconds == 0) ? Bound::kFused
                : network                              ? Bound::kNetwork
                                                       : t.bound();
    row.calibrated = t.calibrated;
    if (chip_.power) {
      row.joules =
          energy_at_clock(*chip_.power, op_work(op, t), clock, row.seconds, tp, chips, link_byte_J_)
              .total();
    }
    step.kernels += row.kernels;
    step.flops += row.flops;
    step.weight_bytes += op.weight_bytes * count;
    step.kv_read_bytes += op.kv_read_bytes * count;
    step.kv_write_bytes += op.kv_write_bytes * count;
    step.ops.push_back(row);
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
    energy.joules = energy.parts.total();
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

StepTiming StepCostModel::timing(const BatchSummary& batch) {
  const LinearKey key = linear_key(batch);
  auto it = memo_.find(key);
  if (it == memo_.end()) {
    if (memo_.size() >= kMemoLimit) memo_.clear();  // bounded memory on any workload
    StepWork linear;
    for (const Op& op : build_parallel_step_ops(model_, batch, parallel_.plan)) {
      if (is_attention(op.kind)) continue;
      linear += op_work(op, op_time(op, batch));
    }
    linear.linear_core_s += engine_.per_step_kernels * chip_.kernel_fixed_s;
    linear.kernels += engine_.per_step_kernels;
    it = memo_.emplace(key, linear).first;
  }
  StepWork work = it->second;
  for_each_attention_op(model_, batch,
                        [&](const Op& op) { work += op_work(op, op_time(op, batch)); });
  const Finished finished = finish(work, batch);
  StepTiming timing;
  timing.seconds = finished.seconds;
  timing.comm_seconds = work.comm_s;
  timing.clock = finished.clock;
  if (finished.energy) {
    timing.joules = finished.energy->total();
    timing.dynamic_joules = finished.energy->dynamic();
  }
  const double linear_s = work.linear_core_s + work.linear_memory_s + work.comm_s;
  const double attention_s = work.attention_core_s + work.attention_memory_s;
  const double all_s = linear_s + attention_s;
  if (all_s > 0 && batch.tokens > 0) {
    const double prompt_tokens = static_cast<double>(batch.prefill_tokens);
    timing.input_share =
        (linear_s * prompt_tokens / static_cast<double>(batch.tokens) + work.prefill_attention_s) /
        all_s;
  }
  return timing;
}

double StepCostModel::seconds(const BatchSummary& batch, double* comm_seconds) {
  const StepTiming t = timing(batch);
  if (comm_seconds != nullptr) *comm_seconds = t.comm_seconds;
  return t.seconds;
}

}  // namespace jalapeno
