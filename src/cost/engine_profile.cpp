#include "cost/engine_profile.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"

namespace jalapeno {
namespace {

constexpr OpKind kElementwiseKinds[] = {OpKind::kEmbedding, OpKind::kNorm,     OpKind::kRope,
                                        OpKind::kKvWrite,   OpKind::kResidual, OpKind::kActivation,
                                        OpKind::kSampling};

KernelPlan read_plan(SpecReader& ops, const std::string& key) {
  SpecReader entry = ops.child(key);
  KernelPlan plan;
  plan.kernels = static_cast<double>(entry.integer("kernels", 0));
  plan.traffic = entry.number("traffic");
  if (plan.traffic < 0) entry.fail("traffic", "a multiple of the minimal traffic, 0 or more");
  entry.finish();
  return plan;
}

}  // namespace

EngineProfile read_engine_profile(const std::string& path) {
  SpecReader reader = SpecReader::mapping(load_document(path));
  EngineProfile engine;
  engine.name = reader.string("name");
  engine.description = reader.string("description");
  {
    SpecReader graphs = reader.child("cuda_graphs");
    engine.graphs_decode = graphs.boolean("decode");
    engine.graphs_prefill = graphs.boolean("prefill");
    graphs.finish();
  }
  engine.host_overhead_s = reader.positive_quantity("host_overhead_per_kernel", Dimension::kTime);
  {
    SpecReader ops = reader.child("ops");
    for (OpKind kind : kElementwiseKinds) {
      engine.ops[static_cast<size_t>(kind)] = read_plan(ops, std::string(to_string(kind)));
    }
    ops.finish();
  }
  engine.per_step_kernels = static_cast<double>(reader.integer("per_step_kernels", 0));
  engine.collective_launch_s = reader.quantity("collective_launch", Dimension::kTime);
  if (engine.collective_launch_s < 0) reader.fail("collective_launch", "a time of 0 or more");
  {
    SpecReader decode = reader.child("attention_decode");
    const std::string impl = decode.string("impl");
    if (impl == "bmm") {
      engine.decode_attention = DecodeAttention::kBatchedMatmul;
      engine.decode_attention_kernels = static_cast<double>(decode.integer("kernels", 2));
      engine.score_bytes = decode.number("score_bytes");
      if (!(engine.score_bytes >= 0)) decode.fail("score_bytes", "bytes per score, 0 or more");
    } else if (impl == "flash") {
      engine.decode_attention = DecodeAttention::kFlash;
      engine.decode_attention_kernels = static_cast<double>(decode.integer("kernels", 1));
    } else {
      decode.fail("impl", fmt::format("'bmm' or 'flash', got '{}'", impl));
    }
    decode.finish();
  }
  {
    SpecReader prefill = reader.child("attention_prefill");
    const std::string impl = prefill.string("impl");
    if (impl != "flash") prefill.fail("impl", fmt::format("'flash', got '{}'", impl));
    engine.prefill_attention_kernels = static_cast<double>(prefill.integer("kernels", 1));
    engine.prefill_attention_traffic = prefill.number("traffic");
    if (!(engine.prefill_attention_traffic >= 0)) {
      prefill.fail("traffic", "a multiple of the minimal traffic, 0 or more");
    }
    engine.prefill_attention_efficiency = prefill.fraction("efficiency");
    prefill.finish();
  }
  {
    SpecReader unaligned = reader.child("unaligned_gemm");
    engine.unaligned_bandwidth_fraction = unaligned.fraction("bandwidth_fraction");
    engine.unaligned_problem_Bps =
        unaligned.positive_quantity("per_problem_bandwidth", Dimension::kBandwidth);
    unaligned.finish();
  }
  reader.finish();
  return engine;
}

EngineProfile load_engine(const std::string& name_or_path) {
  return read_engine_profile(resolve_preset("engines", name_or_path, ".yaml", "engine"));
}

std::vector<std::string> engine_preset_names() {
  return preset_names("engines", ".yaml");
}

}  // namespace jalapeno
