#pragma once
// An accelerator chip: what its datasheet says, plus the few achievable-
// efficiency figures the cost model needs. Read from data/chips/<name>.yaml.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/spec_reader.hpp"
#include "hw/calibration.hpp"
#include "hw/cost_spec.hpp"
#include "hw/power_spec.hpp"

namespace jalapeno {

// A GEMM output tile the chip's matrix library can choose, and the fraction of
// the chip's achievable matrix rate a kernel with that tile reaches.
struct GemmTile {
  int64_t m = 0;
  int64_t n = 0;
  double efficiency = 1;
};

struct ChipSpec {
  std::string name;
  std::string source_file;  // the file it was read from
  std::string source;
  // Datasheet figures (dense, no sparsity).
  std::map<std::string, double> matrix_flops;  // FLOP/s by dtype: bf16, fp16, fp8, ...
  double vector_flops = 0;                     // FLOP/s, fp32 non-matrix
  int64_t compute_units = 0;                   // SMs
  double hbm_bytes = 0;
  double hbm_Bps = 0;
  double sram_bytes = 0;  // last-level on-chip cache or SRAM
  double tdp_W = 0;       // board power limit: above it the clocks drop
  // What the board draws (key power); absent, results carry no energy.
  std::optional<PowerSpec> power;
  // What it costs to own (key cost); absent, results carry no money.
  std::optional<ChipCost> cost;
  // Achievable rates, as fractions of the datasheet figures.
  double matrix_efficiency = 0;  // large GEMMs
  // Formats whose large GEMMs reach another fraction of their own datasheet
  // rate (key efficiency.matrix_by_format; fp8 on Hopper runs into the power
  // limit sooner), by matrix key.
  std::map<std::string, double> matrix_efficiency_by_format;
  double matrix_efficiency_for(const std::string& key) const {
    const auto it = matrix_efficiency_by_format.find(key);
    return it == matrix_efficiency_by_format.end() ? matrix_efficiency : it->second;
  }
  double read_efficiency = 0;  // streaming reads (weights, KV cache)
  double copy_efficiency = 0;  // read-and-write streams (elementwise kernels)
  double unit_Bps = 0;         // bandwidth one compute unit can draw alone
  // Fixed cost of a kernel beyond its bytes and FLOPs, launched from a graph.
  double kernel_fixed_s = 0;
  double gemm_fixed_s = 0;
  std::vector<GemmTile> gemm_tiles;
  int64_t max_split_k = 1;
  // Measured kernel times that refine the analytical model where they apply.
  std::optional<CalibrationTable> calibration;
  std::string calibration_file;

  double matrix_Bps_read() const { return hbm_Bps * read_efficiency; }
  // The matrix rate of a dtype key (bf16, fp16, tf32, fp8, fp4, int8, int4;
  // torch names such as bfloat16 are mapped). A chip without that rate
  // refuses it: `purpose` says what needed it, for the message.
  double matrix_flops_for(const std::string& dtype, const std::string& purpose = "") const;
};

ChipSpec read_chip_spec(const std::string& path);
// From a parsed document (a file's, or a mapping inline in a scenario, whose
// keys are then named under key_prefix). A top-level `extends: PRESET` lays
// the document over that preset's (resolve_extends).
ChipSpec read_chip_spec(const Document& doc, const std::string& key_prefix = "");
// A preset name or a path to a chip YAML.
ChipSpec load_chip(const std::string& name_or_path);
std::vector<std::string> chip_preset_names();

}  // namespace jalapeno
