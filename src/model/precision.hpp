#pragma once
// Numeric precisions of a model as served: the weights' storage format, the
// dtype GEMM inputs are quantised to (activations), and the KV cache's.
// Each format's bytes are exact, block scales included, and each names the
// matrix rate a chip must list to run it (`matrix.fp8` ...).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jalapeno {

enum class DType { kFp32, kBf16, kFp16, kFp8E4M3, kFp8E5M2, kNvFp4, kMxFp4, kInt8, kInt4 };
inline constexpr size_t kDTypeCount = static_cast<size_t>(DType::kInt4) + 1;

// One format, as the registry below declares it.
struct DTypeInfo {
  DType dtype;
  std::string_view name;        // as written in flags and scenarios
  double bits;                  // per element, before scales
  std::string_view matrix_key;  // the chip's matrix rate that runs it: bf16, fp8, fp4, int8
  // Block scales: elements per scale and bytes per scale. A fixed block is
  // part of the format (nvfp4: an e4m3 scale per 16; mxfp4: an e8m0 scale
  // per 32); a default one can be overridden by a group size (int4: an fp16
  // scale and a packed 4-bit zero point per group of 128, as AWQ and GPTQ).
  int64_t block;
  bool block_is_fixed;
  double scale_bytes;
  bool kv_capable;  // may be a KV cache format
  std::string_view description;
};

// Every format, in a fixed order (the registry).
const std::vector<DTypeInfo>& dtype_registry();
const DTypeInfo& info(DType dtype);
std::string_view to_string(DType dtype);
// Accepts the registry names and the common spellings of each (bfloat16,
// fp8, e4m3, float8_e4m3fn, ...). Nothing when the name is unknown.
std::optional<DType> parse_dtype(std::string_view text);
// "bf16, fp16, fp8_e4m3, ..." for messages.
std::string dtype_names();

inline constexpr int64_t kPerChannel = -1;

struct Precision {
  DType weights = DType::kBf16;      // the projection GEMMs' weights
  DType activations = DType::kBf16;  // the projection GEMMs' inputs (their outputs stay hidden)
  DType kv = DType::kBf16;           // the KV cache
  // Elements per weight scale: 0 for the format's default, kPerChannel for
  // per-tensor or per-channel scales (negligible bytes).
  int64_t weight_group = 0;
  // The checkpoint's own dtype: embeddings, norms, lm_head and everything
  // between GEMMs (quantised checkpoints keep these unquantised).
  DType hidden = DType::kBf16;
  // The routed experts' weights where the checkpoint stores them in another
  // format than the other projections (gpt-oss: mxfp4 experts, bf16
  // attention), with the format's own block; unset: `weights`.
  std::optional<DType> expert_weights;

  // Bytes per weight of a projection GEMM, block scales included.
  double weight_bytes_per_param() const;
  double expert_weight_bytes_per_param() const;
  double activation_bytes() const;  // a GEMM input element
  double kv_bytes() const;          // one K or V element in the cache
  double hidden_bytes() const;
  // The chip matrix rate the projection GEMMs run at: the activations' (a
  // narrower weight is dequantised in the kernel, as weight-only kernels do).
  std::string_view gemm_matrix_key() const;
  bool quantised() const {
    return weights != hidden || activations != hidden || weight_group != 0 ||
           expert_weights.has_value();
  }
  // "fp8_e4m3 weights, fp8_e4m3 activations, bf16 KV".
  std::string describe() const;
};

// Throws ConfigError, naming where, for a combination no engine runs:
// activations wider than... (see precision.cpp), a group that does not
// divide a GEMM's input width, a KV format that cannot hold a cache.
void check_precision(const Precision& precision, int64_t smallest_gemm_k, const std::string& where);

}  // namespace jalapeno
