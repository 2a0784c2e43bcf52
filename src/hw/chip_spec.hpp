#pragma once
// An accelerator chip: what its datasheet says, plus the few achievable-
// efficiency figures the cost model needs. Read from data/chips/<name>.yaml.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/spec_reader.hpp"
#include "hw/calibration.hpp"
#include "hw/cost_spec.hpp"
#include "hw/die_model.hpp"
#include "hw/power_spec.hpp"

namespace jalapeno {

// A GEMM output tile the chip's matrix library can choose, and the fraction of
// the chip's achievable matrix rate a kernel with that tile reaches.
struct GemmTile {
  int64_t m = 0;
  int64_t n = 0;
  double efficiency = 1;
};

// The matrix units as an architect describes them: `count` arrays of rows x
// cols multiply-accumulate cells at a clock. A pass consumes `rows` elements
// of the reduction (K) and produces `cols` output columns (N), so a GEMM's K
// is padded up to a multiple of rows: tile quantisation that a narrow head
// dimension pays on a deep systolic array.
struct MatrixEngines {
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  double clock_Hz = 0;
  std::map<std::string, double> macs_per_cycle;  // by matrix key
  double flops(const std::string& key) const {
    return static_cast<double>(count * rows * cols) * 2.0 * clock_Hz * macs_per_cycle.at(key);
  }
};

// Chip-to-chip I/O: SerDes lanes per direction at a data rate, and the share
// the protocol (framing, FEC, headers) leaves for payload.
struct ChipIo {
  int64_t lanes = 0;
  double lane_Bps = 0;
  double efficiency = 0;
  double raw_Bps() const { return static_cast<double>(lanes) * lane_Bps; }
};

// What the package has room for: SerDes lanes at its edge and HBM sites.
struct ChipPackage {
  int64_t serdes_lanes = 0;
  int64_t hbm_sites = 0;
};

// A level of the memory hierarchy that operands can stream from.
enum class MemoryLevelKind { kHbm, kSram };
const char* to_string(MemoryLevelKind kind);  // "hbm" or "sram"
std::optional<MemoryLevelKind> parse_memory_level(std::string_view name);
struct MemoryLevel {
  MemoryLevelKind kind = MemoryLevelKind::kHbm;
  double bytes = 0;
  double Bps = 0;
  double read_efficiency = 0;  // streaming reads
  double copy_efficiency = 0;  // read-and-write streams
  double byte_J = 0;           // energy per byte (0 without a power model)
};

struct ChipSpec {
  std::string name;
  std::string source_file;  // the file it was read from
  std::string source;
  // Datasheet figures (dense, no sparsity).
  std::map<std::string, double> matrix_flops;  // FLOP/s by dtype: bf16, fp16, fp8, ...
  double vector_flops = 0;                     // FLOP/s, fp32 non-matrix
  int64_t compute_units = 0;                   // SMs
  // Device memory (key hbm); zero on a chip without it (Groq, Cerebras),
  // which then holds everything in SRAM.
  double hbm_bytes = 0;
  double hbm_Bps = 0;
  int64_t hbm_stacks = 0;  // 0: not stated
  double sram_bytes = 0;   // last-level on-chip cache or SRAM
  // Aggregate on-chip SRAM bandwidth (key sram.bandwidth); 0 when not stated,
  // and then weights cannot be placed there.
  double sram_Bps = 0;
  double sram_read_efficiency = 0;
  std::optional<MatrixEngines> matrix_engines;
  std::optional<ChipIo> io;
  std::optional<ChipPackage> package;
  // What is on the die, for its area and built cost (key die).
  std::optional<ChipDie> die;
  double tdp_W = 0;  // board power limit: above it the clocks drop
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
  bool has_hbm() const { return hbm_bytes > 0; }
  // The levels weights or the KV cache can live in: HBM when the chip has
  // it, SRAM when its bandwidth is stated.
  std::optional<MemoryLevel> level(MemoryLevelKind kind) const;
  // Where everything lives unless a plan says otherwise: HBM, or SRAM on a
  // chip without HBM.
  MemoryLevelKind main_memory() const {
    return has_hbm() ? MemoryLevelKind::kHbm : MemoryLevelKind::kSram;
  }
  // The chip as a kernel sees it when its operands stream from `level`: the
  // device-memory figures (hbm_*, efficiencies, energy per byte) are that
  // level's. The step cost model costs weight and KV streams on such views.
  ChipSpec streaming_from(const MemoryLevel& level) const;
  // A GEMM's K as the matrix arrays consume it (padded to their depth).
  int64_t padded_k(int64_t k) const {
    if (!matrix_engines) return k;
    const int64_t rows = matrix_engines->rows;
    return (k + rows - 1) / rows * rows;
  }
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
