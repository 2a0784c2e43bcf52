#include "cost/engine_profile.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/params.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"

namespace jalapeno {
namespace {

// Bounds far beyond any engine (today's launch at most a handful of kernels per
// op and move a few times the minimal traffic), so that a typo cannot turn a
// step into years.
constexpr int64_t kMaxKernelsPerOp = 1000;
constexpr double kMaxTrafficMultiple = 1000;
constexpr int64_t kMaxKernelsPerStep = 1000000;
constexpr double kMaxScoreBytes = 64;

constexpr OpKind kElementwiseKinds[] = {OpKind::kEmbedding, OpKind::kNorm,     OpKind::kRope,
                                        OpKind::kKvWrite,   OpKind::kResidual, OpKind::kActivation,
                                        OpKind::kSampling};

KernelPlan read_plan(SpecReader& ops, const std::string& key) {
  SpecReader entry = ops.child(key);
  KernelPlan plan;
  plan.kernels = static_cast<double>(entry.integer_in("kernels", 0, kMaxKernelsPerOp));
  plan.traffic = entry.number_in("traffic", 0, kMaxTrafficMultiple);
  entry.finish();
  return plan;
}

double non_negative_time(SpecReader& reader, const std::string& key) {
  const double seconds = reader.quantity(key, Dimension::kTime);
  if (seconds < 0) reader.fail(key, "a time of 0 or more");
  return seconds;
}

// An attention kernel's own fixed cost, or -1 (the chip's per-kernel cost).
double optional_fixed_cost(SpecReader& attention) {
  return attention.has("fixed_cost") ? non_negative_time(attention, "fixed_cost") : -1;
}

}  // namespace

EngineProfile read_engine_profile(const std::string& path) {
  return read_engine_profile(load_document(path));
}

EngineProfile read_engine_profile(const Document& document, const std::string& key_prefix) {
  const Document doc = resolve_extends(document, "engines", ".yaml", "engine");
  SpecReader reader = SpecReader::mapping(doc, key_prefix, &engine_param_kind());
  const std::string path = doc.file;
  EngineProfile engine;
  engine.name = reader.string("name");
  engine.source_file = path;
  engine.description = reader.string("description");
  engine.version = reader.string_or("version", "");
  {
    SpecReader graphs = reader.child("cuda_graphs");
    engine.graphs_decode = graphs.boolean("decode");
    engine.graphs_prefill = graphs.boolean("prefill");
    graphs.finish();
  }
  engine.host_overhead_s = reader.positive_quantity("host_overhead_per_kernel", Dimension::kTime);
  if (reader.has("host_step")) {
    SpecReader host = reader.child("host_step");
    engine.host_step_fixed_s = non_negative_time(host, "fixed");
    engine.host_step_per_sequence_s = non_negative_time(host, "per_sequence");
    engine.host_step_overlapped = host.boolean("overlapped");
    host.finish();
  }
  {
    SpecReader ops = reader.child("ops");
    for (OpKind kind : kElementwiseKinds) {
      engine.ops[static_cast<size_t>(kind)] = read_plan(ops, std::string(to_string(kind)));
    }
    // Optional kinds: what only some models need (the step model says which).
    const auto optional_plan = [&](OpKind kind) {
      const std::string key(to_string(kind));
      if (!ops.has(key)) return false;
      engine.ops[static_cast<size_t>(kind)] = read_plan(ops, key);
      return true;
    };
    engine.has_routing = optional_plan(OpKind::kRouting);
    const bool conv = optional_plan(OpKind::kConv);
    const bool scan = optional_plan(OpKind::kScan);
    if (conv != scan) {
      ops.fail(conv ? "scan" : "conv",
               "given with the other: a recurrent layer's convolution and scan (or neither)");
    }
    engine.has_recurrent = conv && scan;
    ops.finish();
  }
  engine.per_step_kernels =
      static_cast<double>(reader.integer_in("per_step_kernels", 0, kMaxKernelsPerStep));
  engine.collective_launch_s = non_negative_time(reader, "collective_launch");
  engine.collective_launch_graph_s = non_negative_time(reader, "collective_launch_in_graph");
  {
    SpecReader decode = reader.child("attention_decode");
    const std::string impl = decode.string("impl");
    if (impl == "bmm") {
      engine.decode_attention = DecodeAttention::kBatchedMatmul;
      engine.decode_attention_kernels =
          static_cast<double>(decode.integer_in("kernels", 2, kMaxKernelsPerOp));
      engine.score_bytes = decode.number_in("score_bytes", 0, kMaxScoreBytes);
    } else if (impl == "flash") {
      engine.decode_attention = DecodeAttention::kFlash;
      engine.decode_attention_kernels =
          static_cast<double>(decode.integer_in("kernels", 1, kMaxKernelsPerOp));
      engine.decode_attention_fixed_s = optional_fixed_cost(decode);
    } else {
      decode.fail("impl", fmt::format("'bmm' or 'flash', got '{}'", impl));
    }
    decode.finish();
  }
  {
    SpecReader prefill = reader.child("attention_prefill");
    const std::string impl = prefill.string("impl");
    if (impl != "flash") prefill.fail("impl", fmt::format("'flash', got '{}'", impl));
    engine.prefill_attention_kernels =
        static_cast<double>(prefill.integer_in("kernels", 1, kMaxKernelsPerOp));
    engine.prefill_attention_traffic = prefill.number_in("traffic", 0, kMaxTrafficMultiple);
    engine.prefill_attention_efficiency = prefill.fraction("efficiency");
    engine.prefill_attention_fixed_s = optional_fixed_cost(prefill);
    prefill.finish();
  }
  {
    SpecReader unaligned = reader.child("unaligned_gemm");
    engine.unaligned_unit_Bps =
        unaligned.positive_quantity("unit_bandwidth", Dimension::kBandwidth);
    engine.unaligned_problem_Bps =
        unaligned.positive_quantity("per_problem_bandwidth", Dimension::kBandwidth);
    unaligned.finish();
  }
  if (reader.has("kv_cache_dtypes")) {
    const YAML::Node list = reader.raw("kv_cache_dtypes");
    if (!list.IsSequence() || list.size() == 0 || list.size() > 16) {
      reader.fail("kv_cache_dtypes", "a list of KV-cache formats such as [bf16, fp16, fp8_e4m3]");
    }
    engine.kv_cache_dtypes.clear();
    for (const auto& item : list) {
      const auto dtype = item.IsScalar() ? parse_dtype(item.Scalar()) : std::nullopt;
      if (!dtype || !info(*dtype).kv_capable) {
        reader.fail("kv_cache_dtypes",
                    fmt::format("KV-cache formats among bf16, fp16, fp32, fp8_e4m3, fp8_e5m2, "
                                "int8, got '{}'",
                                item.IsScalar() ? item.Scalar() : "a list or mapping"));
      }
      engine.kv_cache_dtypes.push_back(*dtype);
    }
  } else {
    reader.ignore("kv_cache_dtypes");
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
