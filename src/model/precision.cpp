#include "model/precision.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace jalapeno {
namespace {

// Formats and their exact storage. Sources: OCP Microscaling Formats (MX)
// v1.0 (mxfp4: 32 elements share an E8M0 scale); NVIDIA, "Introducing NVFP4
// for efficient and accurate low-precision inference" (2025: 16 elements
// share an FP8 E4M3 scale, plus one FP32 scale per tensor, negligible);
// AWQ and GPTQ checkpoints (int4 packed, an fp16 scale and a 4-bit zero
// point per group, group 128 by default); DeepSeek-V3's fp8 (one fp32 scale
// per 128 x 128 weight block, i.e. a group of 16384).
const std::vector<DTypeInfo> kRegistry{
    {DType::kFp32, "fp32", 32, "tf32", 0, false, 0, true, "IEEE single (tensor cores run TF32)"},
    {DType::kBf16, "bf16", 16, "bf16", 0, false, 0, true, "bfloat16"},
    {DType::kFp16, "fp16", 16, "fp16", 0, false, 0, true, "IEEE half"},
    {DType::kFp8E4M3, "fp8_e4m3", 8, "fp8", 0, false, 4, true,
     "OCP fp8 E4M3; per-tensor scale, or an fp32 scale per group"},
    {DType::kFp8E5M2, "fp8_e5m2", 8, "fp8", 0, false, 4, true, "OCP fp8 E5M2"},
    {DType::kNvFp4, "nvfp4", 4, "fp4", 16, true, 1, false,
     "NVIDIA fp4 E2M1, an E4M3 scale per 16 elements"},
    {DType::kMxFp4, "mxfp4", 4, "fp4", 32, true, 1, false,
     "OCP MX fp4 E2M1, an E8M0 scale per 32 elements"},
    {DType::kInt8, "int8", 8, "int8", 0, false, 2, true,
     "int8; per-channel scales, or an fp16 scale per group"},
    {DType::kInt4, "int4", 4, "int4", 128, false, 2.5, false,
     "int4 packed; an fp16 scale and a 4-bit zero point per group (128 by default)"},
};

struct Alias {
  std::string_view text;
  DType dtype;
};
// Spellings found in configs, torch dtypes and engine flags.
constexpr Alias kAliases[] = {
    {"float32", DType::kFp32},        {"float", DType::kFp32},
    {"bfloat16", DType::kBf16},       {"float16", DType::kFp16},
    {"half", DType::kFp16},           {"fp8", DType::kFp8E4M3},
    {"e4m3", DType::kFp8E4M3},        {"float8_e4m3fn", DType::kFp8E4M3},
    {"fp8_e4m3fn", DType::kFp8E4M3},  {"e5m2", DType::kFp8E5M2},
    {"float8_e5m2", DType::kFp8E5M2}, {"fp4", DType::kNvFp4},
    {"w4a16", DType::kInt4},
};

}  // namespace

const std::vector<DTypeInfo>& dtype_registry() {
  return kRegistry;
}

const DTypeInfo& info(DType dtype) {
  // The registry lists the enumerators in their order, so a format's entry
  // is at its index (the cost model asks on every op); the search is a guard.
  const auto index = static_cast<size_t>(dtype);
  if (index < kDTypeCount && kRegistry[index].dtype == dtype) return kRegistry[index];
  for (const DTypeInfo& entry : kRegistry) {
    if (entry.dtype == dtype) return entry;
  }
  return kRegistry.front();  // unreachable: every enumerator is registered
}

std::string_view to_string(DType dtype) {
  return info(dtype).name;
}

std::optional<DType> parse_dtype(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const DTypeInfo& entry : kRegistry) {
    if (entry.name == lower) return entry.dtype;
  }
  for (const Alias& alias : kAliases) {
    if (alias.text == lower) return alias.dtype;
  }
  return std::nullopt;
}

std::string dtype_names() {
  std::string names;
  for (const DTypeInfo& entry : kRegistry)
    names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

namespace {
// A weight's bytes in a format with its scales, one per `group` elements
// (0: the format's own block; kPerChannel: negligible).
double bytes_per_weight(DType format, int64_t group) {
  const DTypeInfo& w = info(format);
  const int64_t block = group > 0 ? group : group == kPerChannel ? 0 : w.block;
  const double scales = block > 0 ? w.scale_bytes / static_cast<double>(block) : 0.0;
  return w.bits / 8.0 + scales;
}
}  // namespace

double Precision::weight_bytes_per_param() const {
  return bytes_per_weight(weights, weight_group);
}

double Precision::expert_weight_bytes_per_param() const {
  return expert_weights ? bytes_per_weight(*expert_weights, 0) : weight_bytes_per_param();
}

double Precision::activation_bytes() const {
  return info(activations).bits / 8.0;
}

double Precision::kv_bytes() const {
  return info(kv).bits / 8.0;
}

double Precision::hidden_bytes() const {
  return info(hidden).bits / 8.0;
}

std::string_view Precision::gemm_matrix_key() const {
  return info(activations).matrix_key;
}

std::string Precision::describe() const {
  std::string weights_text(to_string(weights));
  if (weight_group > 0) weights_text += fmt::format(" (group {})", weight_group);
  if (expert_weights) weights_text += fmt::format(" ({} experts)", to_string(*expert_weights));
  return fmt::format("{} weights, {} activations, {} KV", weights_text, to_string(activations),
                     to_string(kv));
}

void check_precision(const Precision& p, int64_t smallest_gemm_k, const std::string& where) {
  const DTypeInfo& w = info(p.weights);
  const DTypeInfo& a = info(p.activations);
  if (p.expert_weights && info(*p.expert_weights).bits > a.bits) {
    throw ConfigError(fmt::format(
        "{}: {} activations are narrower than the experts' {} weights (use activations of at "
        "least {} bits)",
        where, a.name, info(*p.expert_weights).name, info(*p.expert_weights).bits));
  }
  if (w.bits > a.bits) {
    throw ConfigError(fmt::format(
        "{}: {} activations are narrower than {} weights: GEMMs run at the activations' "
        "precision and dequantise narrower weights, never the reverse (use activations of at "
        "least {} bits)",
        where, a.name, w.name, w.bits));
  }
  if (!info(p.kv).kv_capable) {
    throw ConfigError(
        fmt::format("{}: {} is not a KV-cache format here (KV caches: bf16, fp16, "
                    "fp32, fp8_e4m3, fp8_e5m2, int8)",
                    where, to_string(p.kv)));
  }
  if (p.weight_group < kPerChannel || (p.weight_group == kPerChannel && w.block_is_fixed)) {
    throw ConfigError(fmt::format("{}: a weight group size of at least 1{}, got {}", where,
                                  w.block_is_fixed ? "" : " (or per channel)", p.weight_group));
  }
  if (p.weight_group > 0) {
    if (w.block_is_fixed && p.weight_group != w.block) {
      throw ConfigError(fmt::format("{}: {} has a fixed block of {} elements, got a group of {}",
                                    where, w.name, w.block, p.weight_group));
    }
    if (w.bits >= 16) {
      throw ConfigError(fmt::format("{}: {} weights have no scales to group", where, w.name));
    }
    // A 2D block (fp8 128 x 128) divides the weight matrix, not each row.
    const bool square_block = p.weights == DType::kFp8E4M3 || p.weights == DType::kFp8E5M2;
    if (!square_block && smallest_gemm_k % p.weight_group != 0) {
      throw ConfigError(fmt::format(
          "{}: a weight group of {} does not divide the GEMM input width {} of this model", where,
          p.weight_group, smallest_gemm_k));
    }
  }
}

}  // namespace jalapeno
