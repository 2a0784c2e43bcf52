#pragma once
// Die area, yield and cost from blocks (README "Die area and cost").
//
// A die is its compute units (matrix MACs and the rest of each unit's logic),
// its SRAM, its HBM PHYs and SerDes lanes, at a process node's densities
// (data/processes/*.yaml, cited there). One figure is fitted: the logic
// transistors a compute unit spends per vector lane beyond its MACs, solved
// from one published die (data/die_model.yaml names it: the H100's 814 mm²)
// and carried to every other chip and node. Yield is negative binomial in the
// node's defect density; a die's cost is the wafer's over its good dies; a
// chip's is its dies, HBM, package and board.
#include <optional>
#include <string>
#include <vector>

namespace jalapeno {

class SpecReader;
struct ChipSpec;

struct ProcessNode {
  std::string name;
  std::string source;
  std::string source_file;
  double logic_transistors_per_m2 = 0;  // key logic_density, in MTr/mm²
  double sram_bitcell_m2 = 0;
  double sram_array_efficiency = 0;  // share of a macro that is bit cells
  double hbm_phy_m2 = 0;             // one stack's PHY
  double serdes_lane_m2 = 0;         // one lane, TX and RX
  double wafer_usd = 0;              // a processed 300 mm wafer
  double defects_per_cm2 = 0;
  double defect_clustering = 0;  // negative-binomial alpha
  double reticle_m2 = 0;
  double sram_m2_per_byte() const { return 8 * sram_bitcell_m2 / sram_array_efficiency; }
};
ProcessNode load_process(const std::string& name_or_path);
std::vector<std::string> process_preset_names();

// The node-independent figures (data/die_model.yaml).
struct DieModelConstants {
  std::string source_file;
  double transistors_per_mac = 0;  // one bf16 MAC with fp32 accumulation
  double hbm_usd_per_GB = 0;
  double package_usd = 0;          // advanced packaging, assembly and test per package
  double board_usd = 0;            // board, VRMs, connectors
  std::string calibration_chip;    // the published die the per-lane logic is solved from
  double calibration_area_m2 = 0;  // its published area
};
DieModelConstants die_model_constants();

// A chip file's `die:` block: what is on each die, physically (disabled
// units and spare SRAM included), and how many dies the package holds.
struct ChipDie {
  ProcessNode process;
  int64_t count = 1;                 // dies in the package
  int64_t compute_units = 0;         // per die
  double macs_per_unit = 0;          // bf16 MACs per cycle
  double vector_lanes_per_unit = 0;  // fp32 lanes
  double sram_bytes = 0;             // per die: caches, scratchpads, register files
  int64_t hbm_phys = 0;              // per die
  int64_t serdes_lanes = 0;          // per die
  double other_m2 = 0;               // further blocks stated by area
  bool wafer_scale = false;          // one die per wafer (Cerebras): yield is stated
  std::optional<double> stated_yield;
};
// Reads `die:`; its defaults come from the chip's other keys (read first).
ChipDie read_chip_die(SpecReader& reader, const ChipSpec& chip);

struct DieEstimate {
  // One die's area by block (m²).
  double matrix_m2 = 0;
  double unit_logic_m2 = 0;  // the compute units' logic beyond their MACs
  double sram_m2 = 0;
  double hbm_phy_m2 = 0;
  double serdes_m2 = 0;
  double other_m2 = 0;
  double area_m2 = 0;
  double dies_per_wafer = 0;  // whole candidate dies on a 300 mm wafer
  double yield = 0;
  double die_usd = 0;  // a good die
  // The package: its dies, HBM, packaging and board.
  int64_t dies = 0;
  double silicon_usd = 0;
  double hbm_usd = 0;
  double package_usd = 0;
  double board_usd = 0;
  double build_usd = 0;             // the sum of the four above
  double transistors_per_lane = 0;  // the fitted figure used
};

// The estimate for a chip with a die block. Throws ConfigError naming the
// chip file and key die when the die exceeds the reticle (and is not wafer
// scale) or when nothing is left for the units' logic on the calibration die.
DieEstimate estimate_die(const ChipSpec& chip);
// Without the fitted figure: what the calibration solves against.
DieEstimate estimate_die(const ChipSpec& chip, double transistors_per_lane);

}  // namespace jalapeno
