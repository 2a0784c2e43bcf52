#include "model/quantization_config.hpp"

#include <fmt/format.h>

#include <functional>

#include "core/error.hpp"

namespace jalapeno {
namespace {

DType dtype_from_bits(SpecReader& reader, const std::string& key, int64_t bits, bool is_float,
                      int64_t group) {
  if (is_float && bits == 8) return DType::kFp8E4M3;
  if (is_float && bits == 4) return group == 32 ? DType::kMxFp4 : DType::kNvFp4;
  if (!is_float && bits == 8) return DType::kInt8;
  if (!is_float && bits == 4) return DType::kInt4;
  if (bits == 16) return DType::kBf16;
  reader.fail(key, fmt::format("4, 8 or 16 bits of type int or float, got {} bits of {}", bits,
                               is_float ? "float" : "int"));
}

// HF transformers' FineGrainedFP8 (DeepSeek-V3, Qwen3-FP8): e4m3 weights
// with an fp32 scale per weight block, activations quantised dynamically.
void read_fp8(SpecReader& q, Precision& p) {
  const std::string fmt_name = q.string_or("fmt", "e4m3");
  if (fmt_name != "e4m3" && fmt_name != "e5m2") q.fail("fmt", "e4m3 or e5m2");
  p.weights = p.activations = fmt_name == "e4m3" ? DType::kFp8E4M3 : DType::kFp8E5M2;
  const std::string scheme = q.string_or("activation_scheme", "dynamic");
  if (scheme != "dynamic" && scheme != "static") q.fail("activation_scheme", "dynamic or static");
  if (q.has("weight_block_size")) {
    const YAML::Node block = q.raw("weight_block_size");
    if (!block.IsSequence() || block.size() != 2) {
      q.fail("weight_block_size", "a block of two sides such as [128, 128]");
    }
    int64_t sides[2] = {0, 0};
    for (size_t i = 0; i < 2; ++i) {
      sides[i] = 0;
      if (!block[i].IsScalar()) q.fail("weight_block_size", "whole numbers such as [128, 128]");
      try {
        sides[i] = block[i].as<int64_t>();
      } catch (const YAML::Exception&) {
        q.fail("weight_block_size", "whole numbers such as [128, 128]");
      }
      if (sides[i] < 1 || sides[i] > 65536) {
        q.fail("weight_block_size", "sides from 1 to 65536 elements");
      }
    }
    p.weight_group = sides[0] * sides[1];
  } else {
    q.ignore("weight_block_size");
  }
  q.ignore("modules_to_not_convert");
}

// compressed-tensors (llm-compressor, RedHatAI checkpoints): one scheme per
// config group; we read the group that targets Linear layers.
void read_scheme(SpecReader& scheme, const std::string& key, DType& dtype, int64_t* group_out) {
  const int64_t bits = scheme.integer_in("num_bits", 1, 64);
  const std::string type = scheme.string_or("type", "int");
  if (type != "int" && type != "float") scheme.fail("type", "int or float");
  const int64_t group = scheme.has("group_size") ? scheme.integer_in("group_size", 1, 1 << 20) : 0;
  scheme.ignore("group_size");
  scheme.string_or("strategy", "tensor");
  scheme.ignore_declared();
  dtype = dtype_from_bits(scheme, "num_bits", bits, type == "float", group);
  if (group_out != nullptr && group > 0 && dtype != DType::kNvFp4 && dtype != DType::kMxFp4) {
    *group_out = group;
  }
  (void)key;
  scheme.finish();
}

void read_compressed_tensors(SpecReader& q, Precision& p) {
  SpecReader groups = q.child("config_groups");
  const std::vector<std::string> names = q.child_keys("config_groups");
  if (names.empty()) q.fail("config_groups", "at least one group");
  // Mixed schemes per layer are not costed: every group must agree.
  bool first = true;
  for (const std::string& name : names) {
    SpecReader group = groups.child(name);
    Precision mine = p;
    {
      SpecReader weights = group.child("weights");
      read_scheme(weights, "weights", mine.weights, &mine.weight_group);
    }
    if (group.has("input_activations")) {
      SpecReader inputs = group.child("input_activations");
      read_scheme(inputs, "input_activations", mine.activations, nullptr);
    } else {
      group.ignore("input_activations");
      mine.activations = p.hidden;  // weight-only
    }
    group.ignore_declared();
    group.finish();
    if (!first && (mine.weights != p.weights || mine.activations != p.activations ||
                   mine.weight_group != p.weight_group)) {
      groups.fail(name, "the same scheme as the first group (mixed schemes are not modelled)");
    }
    p.weights = mine.weights;
    p.activations = mine.activations;
    p.weight_group = mine.weight_group;
    first = false;
  }
  groups.finish();
  if (q.has("kv_cache_scheme")) {
    SpecReader kv = q.child("kv_cache_scheme");
    read_scheme(kv, "kv_cache_scheme", p.kv, nullptr);
  } else {
    q.ignore("kv_cache_scheme");
  }
}

// NVIDIA TensorRT Model Optimizer checkpoints.
void read_modelopt(SpecReader& q, Precision& p) {
  const std::string algo = q.string("quant_algo");
  if (algo == "FP8" || algo == "FP8_PER_CHANNEL_PER_TOKEN") {
    p.weights = p.activations = DType::kFp8E4M3;
  } else if (algo == "NVFP4") {
    p.weights = p.activations = DType::kNvFp4;
  } else if (algo == "W4A8_AWQ") {
    p.weights = DType::kInt4;
    p.activations = DType::kFp8E4M3;
  } else if (algo == "W4A16_AWQ") {
    p.weights = DType::kInt4;
    p.activations = p.hidden;
  } else {
    q.fail("quant_algo", fmt::format("FP8, FP8_PER_CHANNEL_PER_TOKEN, NVFP4, W4A8_AWQ or "
                                     "W4A16_AWQ, got '{}'",
                                     algo));
  }
  if (q.has("group_size")) {
    const int64_t group = q.integer_in("group_size", 1, 1 << 20);
    if (p.weights == DType::kInt4) p.weight_group = group;
  } else {
    q.ignore("group_size");
  }
  if (q.has("kv_cache_quant_algo")) {
    const std::string kv = q.string("kv_cache_quant_algo");
    if (kv == "FP8") {
      p.kv = DType::kFp8E4M3;
    } else if (kv == "NVFP4") {
      q.fail("kv_cache_quant_algo", "FP8 (an nvfp4 KV cache is not modelled)");
    } else {
      q.fail("kv_cache_quant_algo", fmt::format("FP8, got '{}'", kv));
    }
  } else {
    q.ignore("kv_cache_quant_algo");
  }
  for (const char* key : {"config_groups", "kv_cache_scheme"}) q.ignore(key);
}

// gpt-oss: MoE expert weights in OCP mxfp4; modules_to_not_convert names
// what stays in the checkpoint's dtype (gpt-oss: the attention, the router,
// the embeddings, lm_head). Weights dequantised for bf16 GEMMs where the
// chip has no fp4 (Hopper).
void read_mxfp4(SpecReader& q, Precision& p) {
  bool attention_kept = false;
  if (q.has("modules_to_not_convert")) {
    const YAML::Node modules = q.raw("modules_to_not_convert");
    if (!modules.IsSequence()) q.fail("modules_to_not_convert", "a list of module name patterns");
    for (const auto& m : modules) {
      if (!m.IsScalar()) q.fail("modules_to_not_convert", "module name patterns as strings");
      attention_kept = attention_kept || m.Scalar().find("self_attn") != std::string::npos;
    }
  }
  q.ignore("modules_to_not_convert");
  if (attention_kept) {
    p.expert_weights = DType::kMxFp4;  // the other projections keep the checkpoint's dtype
  } else {
    p.weights = DType::kMxFp4;
  }
}

// AWQ and GPTQ: packed integer weights with a group size, bf16/fp16 GEMMs.
void read_awq_gptq(SpecReader& q, Precision& p) {
  const int64_t bits = q.integer("bits", 1);
  if (bits != 4 && bits != 8) q.fail("bits", fmt::format("4 or 8, got {}", bits));
  p.weights = bits == 4 ? DType::kInt4 : DType::kInt8;
  const int64_t group = q.has("group_size") ? q.integer("group_size", -1) : 128;
  q.ignore("group_size");
  if (group == 0 || group < -1) {
    q.fail("group_size", "a group size of at least 1, or -1 (per channel)");
  }
  p.weight_group = group == -1 ? kPerChannel : group;
  q.ignore("modules_to_not_convert");
}

struct QuantMethod {
  const char* name;
  void (*read)(SpecReader&, Precision&);
};

const QuantMethod kMethods[] = {
    {"fp8", read_fp8},           {"compressed-tensors", read_compressed_tensors},
    {"modelopt", read_modelopt}, {"mxfp4", read_mxfp4},
    {"awq", read_awq_gptq},      {"gptq", read_awq_gptq},
};

}  // namespace

std::vector<std::string> quantization_method_names() {
  std::vector<std::string> names;
  for (const QuantMethod& method : kMethods) names.emplace_back(method.name);
  return names;
}

void read_quantization_config(SpecReader& reader, Precision& precision) {
  const std::string method = reader.string("quant_method");
  for (const QuantMethod& m : kMethods) {
    if (method == m.name) {
      m.read(reader, precision);
      // What quantization tools write and nothing costs (calibration
      // settings, module lists, serialisation details): model_params.cpp
      // declares them, for every method at once.
      reader.ignore_declared();
      reader.finish();
      return;
    }
  }
  std::string names;
  for (const auto& name : quantization_method_names()) names += (names.empty() ? "" : ", ") + name;
  reader.fail("quant_method", fmt::format("one of {} (costing an unknown method as bf16 would be "
                                          "wrong), got '{}'",
                                          names, method));
}

}  // namespace jalapeno
