#pragma once
// An inference engine as the cost model sees it: which kernels it launches
// for each operator of the model, how much memory traffic its unfused chains
// add, which attention kernels it uses, and whether steps replay from a CUDA
// graph. Read from data/engines/<name>.yaml.
#include <array>
#include <string>
#include <vector>

#include "core/spec_reader.hpp"
#include "model/op_graph.hpp"
#include "model/precision.hpp"

namespace jalapeno {

// How an engine runs one elementwise-class operator.
struct KernelPlan {
  double kernels = 1;  // launches per instance (0 when fused into a neighbour)
  double traffic = 1;  // bytes moved, as a multiple of the op's minimal traffic
};

enum class DecodeAttention {
  kBatchedMatmul,  // two batched GEMMs around a materialised softmax
  kFlash,          // one flash-decoding kernel over the (paged) cache
};

struct EngineProfile {
  // The formats its KV cache may take (key kv_cache_dtypes); bf16 and fp16
  // unless the profile lists more.
  std::vector<DType> kv_cache_dtypes{DType::kBf16, DType::kFp16};
  std::string name;
  std::string source_file;  // the file it was read from
  std::string description;
  std::string version;         // of the engine the figures describe; "" for generic ones
  bool graphs_decode = true;   // decode steps replay as a CUDA graph
  bool graphs_prefill = true;  // prefill steps too
  double host_overhead_s = 0;  // host time per kernel when not graph-replayed
  // Host work of a step beyond kernel launches (key host_step): scheduling,
  // input preparation, sampler bookkeeping (fixed) and output processing and
  // detokenisation (per running sequence). An engine with asynchronous
  // scheduling runs it while the GPU executes (overlapped); otherwise the GPU
  // waits for it every step.
  double host_step_fixed_s = 0;
  double host_step_per_sequence_s = 0;
  bool host_step_overlapped = false;
  // Indexed by OpKind; GEMMs and attention are costed by their own models.
  std::array<KernelPlan, kOpKindCount> ops{};  // one per OpKind
  // ops.routing is optional: only MoE models need it (the step model says so).
  bool has_routing = false;
  // ops.conv and ops.scan likewise: only models with recurrent layers.
  bool has_recurrent = false;
  double per_step_kernels = 0;

  DecodeAttention decode_attention = DecodeAttention::kFlash;
  double decode_attention_kernels = 1;
  double score_bytes = 0;  // bytes moved per attention score between the matmuls
  // Fixed cost of one decode-attention call beyond its bytes (flash kernels:
  // split scheduling, the query and output tiles, the merge of the splits);
  // < 0 when the profile leaves it to the chip's per-kernel fixed cost.
  double decode_attention_fixed_s = -1;

  double prefill_attention_kernels = 1;
  double prefill_attention_traffic = 1;
  double prefill_attention_efficiency = 0;  // of the chip's achievable matrix rate
  double prefill_attention_fixed_s = -1;    // as decode_attention_fixed_s

  // Launch and synchronisation cost of one collective call in this engine,
  // replacing the system's (which is what an eager NCCL call costs): as an
  // eager call, and replayed inside a captured CUDA graph (steps with
  // graphs), where the host's launch and stream synchronisation are gone.
  double collective_launch_s = 0;
  double collective_launch_graph_s = 0;

  // cuBLAS's path for a batched GEMM whose leading dimension is not 16-byte
  // aligned: without vectorised loads a kernel is bound by the loads each
  // compute unit keeps in flight, not by the memory's peak, so its ceiling is
  // a rate per unit (it carries to chips with other HBM), and each problem
  // streams at a bounded rate of its own.
  double unaligned_unit_Bps = 0;
  double unaligned_problem_Bps = 0;

  const KernelPlan& plan(OpKind kind) const { return ops[static_cast<size_t>(kind)]; }
};

EngineProfile read_engine_profile(const std::string& path);
// From a parsed document (a file's, or a mapping inline in a scenario, whose
// keys are then named under key_prefix). A top-level `extends: PRESET` lays
// the document over that preset's (resolve_extends).
EngineProfile read_engine_profile(const Document& doc, const std::string& key_prefix = "");
EngineProfile load_engine(const std::string& name_or_path);
std::vector<std::string> engine_preset_names();

}  // namespace jalapeno
