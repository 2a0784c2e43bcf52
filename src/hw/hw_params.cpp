// The declared parameters of chip files and of the power, cost and facility
// blocks read beside them (src/hw/chip_spec.cpp, power_spec.cpp,
// cost_spec.cpp; `extends` in src/core/presets.cpp).
#include "core/params.hpp"

namespace jalapeno {

const ParamKind& chip_param_kind() {
  static const ParamKind kind{
      "chip",
      "An accelerator: its rates, memory, power limit, efficiencies, fixed costs, power and price.",
      {
          {"extends", ParamType::kString, std::nullopt, std::string("(none)"),
           "A chip preset name or file this one is laid over; keys given here replace the "
           "parent's, nested mappings are merged."},
          {"name", ParamType::kString, std::nullopt, std::nullopt,
           "Display name, used in reports and messages."},
          {"source", ParamType::kString, std::nullopt, std::nullopt,
           "Where the figures come from (datasheets, measurements)."},
          {"matrix", ParamType::kNames, std::nullopt, std::string("(derived from matrix_engines)"),
           "Dense matrix (tensor-core) peak rate per format (bf16, fp16, tf32, fp8, fp4, int8); "
           "a format not listed is refused, not emulated."},
          {"matrix.*", ParamType::kQuantity, Dimension::kFlopRate, std::nullopt,
           "Dense peak matrix rate of this format."},
          {"vector", ParamType::kQuantity, Dimension::kFlopRate, std::nullopt,
           "Peak rate of non-matrix (vector, FP32) arithmetic."},
          {"compute_units", ParamType::kInteger, std::nullopt, std::nullopt,
           "Number of compute units (SMs); 1 to 1000000."},
          {"matrix_engines", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "The matrix arrays: count x rows x cols cells at a clock. Checked against matrix "
           "(within 2%), or the rates derived from it when matrix is absent; GEMMs' K is padded "
           "to rows."},
          {"matrix_engines.count", ParamType::kInteger, std::nullopt, std::nullopt,
           "Matrix arrays on the chip (tensor cores, MXUs, PE arrays)."},
          {"matrix_engines.rows", ParamType::kInteger, std::nullopt, std::nullopt,
           "Array depth: reduction (K) elements one pass consumes; a GEMM's K is padded to it."},
          {"matrix_engines.cols", ParamType::kInteger, std::nullopt, std::nullopt,
           "Array width: output columns (N) one pass produces; divides every gemm tile's n."},
          {"matrix_engines.clock", ParamType::kQuantity, Dimension::kFrequency, std::nullopt,
           "The clock the matrix rates are quoted at."},
          {"matrix_engines.macs_per_cycle", ParamType::kNames, std::nullopt, std::nullopt,
           "Multiply-accumulates per cell per cycle, for every matrix format."},
          {"matrix_engines.macs_per_cycle.*", ParamType::kNumber, std::nullopt, std::nullopt,
           "MACs per cell per cycle in this format; above 0, at most 1024."},
          {"hbm", ParamType::kMapping, std::nullopt, std::string("(none: everything in SRAM)"),
           "The device memory; a chip without it needs sram.bandwidth."},
          {"hbm.capacity", ParamType::kQuantity, Dimension::kBytes, std::nullopt,
           "Device memory capacity."},
          {"hbm.bandwidth", ParamType::kQuantity, Dimension::kBandwidth, std::nullopt,
           "Peak device memory bandwidth."},
          {"hbm.stacks", ParamType::kInteger, std::nullopt, std::string("(not stated)"),
           "HBM stacks; 1 to 64, at most package.hbm_sites."},
          {"sram", ParamType::kMapping, std::nullopt, std::nullopt, "The on-chip SRAM or cache."},
          {"sram.capacity", ParamType::kQuantity, Dimension::kBytes, std::nullopt,
           "On-chip SRAM (or L2) capacity."},
          {"sram.bandwidth", ParamType::kQuantity, Dimension::kBandwidth,
           std::string("(none: weights cannot live in SRAM)"),
           "Aggregate on-chip SRAM read bandwidth; required without hbm. With it, plans may "
           "place weights in SRAM (weights_in: sram)."},
          {"io", ParamType::kMapping, std::nullopt, std::string("(not stated)"),
           "Chip-to-chip SerDes: a system's links must fit within lanes x lane_rate."},
          {"io.lanes", ParamType::kInteger, std::nullopt, std::nullopt,
           "SerDes lanes per direction; at most package.serdes_lanes."},
          {"io.lane_rate", ParamType::kQuantity, Dimension::kBandwidth, std::nullopt,
           "Data rate of one lane per direction, such as '200Gb/s'."},
          {"io.efficiency", ParamType::kFraction, std::nullopt, std::nullopt,
           "Share of the line rate the protocol leaves for payload."},
          {"package", ParamType::kMapping, std::nullopt, std::string("(not stated)"),
           "What the package has room for."},
          {"package.serdes_lanes", ParamType::kInteger, std::nullopt, std::nullopt,
           "SerDes lanes the package edge carries."},
          {"package.hbm_sites", ParamType::kInteger, std::nullopt, std::nullopt,
           "HBM stacks the package can hold; 0 to 64."},
          {"die", ParamType::kMapping, std::nullopt, std::string("(none: no area or built cost)"),
           "What each die holds physically (disabled units and spare SRAM included), for its "
           "area, yield and built cost (README \"Die area and cost\")."},
          {"die.process", ParamType::kString, std::nullopt, std::nullopt,
           "The process node: a preset of data/processes (tsmc-n5...) or a file."},
          {"die.count", ParamType::kInteger, std::nullopt, std::string("1"),
           "Dies in the package (1 to 64); the figures below are per die."},
          {"die.compute_units", ParamType::kInteger, std::nullopt,
           std::string("(compute_units / count)"),
           "Compute units on each die, disabled ones included."},
          {"die.macs_per_unit", ParamType::kNumber, std::nullopt,
           std::string("(from matrix_engines)"),
           "bf16 multiply-accumulates per cycle of one compute unit's matrix engines."},
          {"die.vector_lanes_per_unit", ParamType::kNumber, std::nullopt,
           std::string("(from vector and matrix_engines.clock)"),
           "fp32 lanes of one compute unit (CUDA cores per SM)."},
          {"die.sram", ParamType::kQuantity, Dimension::kBytes,
           std::string("(sram.capacity / count)"),
           "SRAM on each die: caches, scratchpads and register files, spares included."},
          {"die.hbm_phys", ParamType::kInteger, std::nullopt,
           std::string("(hbm.stacks or package.hbm_sites, / count)"),
           "HBM PHYs on each die; 0 to 64."},
          {"die.serdes_lanes", ParamType::kInteger, std::nullopt, std::string("(io.lanes / count)"),
           "SerDes lanes on each die (NVLink, Ethernet, PCIe)."},
          {"die.other", ParamType::kQuantity, Dimension::kArea, std::string("0mm2"),
           "Further blocks on each die stated by their area."},
          {"die.wafer_scale", ParamType::kBoolean, std::nullopt, std::string("false"),
           "One die per wafer (Cerebras): beyond the reticle, its yield stated."},
          {"die.yield", ParamType::kFraction, std::nullopt,
           std::string("(negative binomial; required with wafer_scale)"),
           "The share of dies that work, replacing the defect-density model."},
          {"tdp", ParamType::kQuantity, Dimension::kPower, std::nullopt,
           "Board power limit; the power model's idle floor must stay below it."},
          {"power", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "Power model; without it energy and power are not reported.", "chip-power"},
          {"cost", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "Price and system share; without it cost is not reported.", "chip-cost"},
          {"efficiency", ParamType::kMapping, std::nullopt, std::nullopt,
           "Achievable shares of the peak rates."},
          {"efficiency.matrix", ParamType::kFraction, std::nullopt, std::nullopt,
           "Share of the peak matrix rate large GEMMs reach."},
          {"efficiency.matrix_by_format", ParamType::kNames, std::nullopt,
           std::string("(efficiency.matrix for every format)"),
           "Per-format matrix efficiency replacing efficiency.matrix; each format needs a "
           "matrix rate."},
          {"efficiency.matrix_by_format.*", ParamType::kFraction, std::nullopt, std::nullopt,
           "Share of this format's peak matrix rate large GEMMs reach."},
          {"efficiency.hbm_read", ParamType::kFraction, std::nullopt,
           std::string("(only with hbm, then required)"),
           "Share of peak memory bandwidth a streaming read reaches."},
          {"efficiency.hbm_copy", ParamType::kFraction, std::nullopt,
           std::string("(only with hbm, then required)"),
           "Share of peak memory bandwidth a device copy (read plus write) reaches."},
          {"efficiency.sram_read", ParamType::kFraction, std::nullopt,
           std::string("(only with sram.bandwidth, then required)"),
           "Share of the SRAM bandwidth a streaming read (or copy) reaches."},
          {"efficiency.unit_bandwidth", ParamType::kQuantity, Dimension::kBandwidth, std::nullopt,
           "Memory bandwidth one compute unit reaches alone; bounds kernels using few units."},
          {"kernel_fixed_cost", ParamType::kQuantity, Dimension::kTime, std::nullopt,
           "Fixed time of launching any kernel (as replayed from a graph)."},
          {"gemm_fixed_cost", ParamType::kQuantity, Dimension::kTime, std::nullopt,
           "Fixed time a GEMM adds: prologue, epilogue and tail."},
          {"gemm_tiles", ParamType::kList, std::nullopt, std::nullopt,
           "The GEMM output tiles the libraries choose from, each with its efficiency; at "
           "least one."},
          {"gemm_tiles[].m", ParamType::kInteger, std::nullopt, std::nullopt,
           "Tile rows; 1 to 65536."},
          {"gemm_tiles[].n", ParamType::kInteger, std::nullopt, std::nullopt,
           "Tile columns; 1 to 65536."},
          {"gemm_tiles[].efficiency", ParamType::kFraction, std::nullopt, std::nullopt,
           "Efficiency of this tile relative to the best."},
          {"max_split_k", ParamType::kInteger, std::nullopt, std::string("(1: no split-K)"),
           "Largest split-K factor the GEMM model tries; 1 to 256."},
          {"calibration", ParamType::kString, std::nullopt, std::string("(none)"),
           "Calibration file, relative to this chip file; without it the figures above are "
           "used as written."},
      }};
  return kind;
}

const ParamKind& chip_power_param_kind() {
  static const ParamKind kind{
      "chip-power",
      "A chip's power model (its `power:`): static floor, busy power and energy per unit of "
      "work.",
      {
          {"idle", ParamType::kQuantity, Dimension::kPower, std::nullopt,
           "Board power with nothing running; below the chip's tdp."},
          {"busy", ParamType::kQuantity, Dimension::kPower, std::nullopt,
           "Power added while kernels keep the units busy; zero or more."},
          {"per_hbm_byte", ParamType::kQuantity, Dimension::kEnergy, std::nullopt,
           "Energy per byte read or written in device memory; zero or more."},
          {"per_sram_byte", ParamType::kQuantity, Dimension::kEnergy,
           std::string("(0: in busy power)"),
           "Energy per byte streamed from on-chip SRAM when weights live there; zero or more."},
          {"per_link_byte", ParamType::kQuantity, Dimension::kEnergy, std::nullopt,
           "Energy per byte sent over the scale-up links; zero or more."},
          {"per_vector_flop", ParamType::kQuantity, Dimension::kEnergy, std::nullopt,
           "Energy per non-matrix FLOP; zero or more."},
          {"per_matrix_flop", ParamType::kNames, std::nullopt, std::nullopt,
           "Energy per matrix FLOP by format: exactly the formats in the chip's matrix."},
          {"per_matrix_flop.*", ParamType::kQuantity, Dimension::kEnergy, std::nullopt,
           "Energy per matrix FLOP of this format; zero or more."},
      }};
  return kind;
}

const ParamKind& power_override_param_kind() {
  static const ParamKind kind{
      "power-override",
      "A scenario's `power:`: any of the chip's power figures replaced, for what-ifs; the chip "
      "needs a power model.",
      {
          {"tdp", ParamType::kQuantity, Dimension::kPower, std::string("(the chip's tdp)"),
           "Board power limit replacing the chip's."},
          {"idle", ParamType::kQuantity, Dimension::kPower, std::string("(the chip's)"),
           "Idle board power replacing the chip's; below the power limit."},
          {"busy", ParamType::kQuantity, Dimension::kPower, std::string("(the chip's)"),
           "Busy power replacing the chip's; zero or more."},
          {"per_hbm_byte", ParamType::kQuantity, Dimension::kEnergy, std::string("(the chip's)"),
           "Energy per device memory byte replacing the chip's."},
          {"per_link_byte", ParamType::kQuantity, Dimension::kEnergy, std::string("(the chip's)"),
           "Energy per scale-up link byte replacing the chip's."},
          {"per_vector_flop", ParamType::kQuantity, Dimension::kEnergy, std::string("(the chip's)"),
           "Energy per non-matrix FLOP replacing the chip's."},
          {"per_matrix_flop", ParamType::kNames, std::nullopt, std::string("(the chip's)"),
           "Energy per matrix FLOP by format, replacing the chip's for the formats given."},
          {"per_matrix_flop.*", ParamType::kQuantity, Dimension::kEnergy, std::nullopt,
           "Energy per matrix FLOP of this format; the chip must have its matrix rate."},
      }};
  return kind;
}

const ParamKind& chip_cost_param_kind() {
  static const ParamKind kind{
      "chip-cost",
      "A chip's `cost:`: its price and its share of the system around it.",
      {
          {"price", ParamType::kString, std::nullopt, std::nullopt,
           "Price of the chip (board), in US dollars such as '30000USD'; includes its memory "
           "unless hbm is given."},
          {"system_share", ParamType::kString, std::nullopt, std::nullopt,
           "Its share of server, switches, optics and rack, in US dollars such as '5000USD'."},
          {"system_power", ParamType::kQuantity, Dimension::kPower, std::nullopt,
           "Its share of host, NIC, switch and fan power; zero or more."},
          {"hbm", ParamType::kString, std::nullopt, std::string("(0: included in price)"),
           "Device memory priced apart, per GB of capacity, such as '15USD/GB'."},
          {"margin", ParamType::kNumber, std::nullopt, std::string("(none: price is given)"),
           "Instead of price: the vendor's gross margin over the chip's built cost (its die "
           "block), 0 to 0.99; price = built cost / (1 - margin)."},
      }};
  return kind;
}

const ParamKind& process_param_kind() {
  static const ParamKind kind{
      "process",
      "A process node (data/processes): densities, PHY sizes, wafer cost and defect density.",
      {
          {"name", ParamType::kString, std::nullopt, std::nullopt, "Display name."},
          {"source", ParamType::kString, std::nullopt, std::nullopt,
           "Where the figures come from."},
          {"logic_density", ParamType::kNumber, std::nullopt, std::nullopt,
           "High-density logic, in millions of transistors per mm²; 1 to 100000."},
          {"sram_bitcell", ParamType::kQuantity, Dimension::kArea, std::nullopt,
           "Area of one high-density 6T SRAM bit cell, such as '0.021um2'."},
          {"sram_array_efficiency", ParamType::kFraction, std::nullopt, std::nullopt,
           "Share of an SRAM macro's area that is bit cells."},
          {"hbm_phy", ParamType::kQuantity, Dimension::kArea, std::nullopt,
           "Area of one HBM stack's PHY on the logic die."},
          {"serdes_lane", ParamType::kQuantity, Dimension::kArea, std::nullopt,
           "Area of one SerDes lane (transmit and receive, its share of PLLs)."},
          {"wafer_cost", ParamType::kString, std::nullopt, std::nullopt,
           "A processed 300 mm wafer, in US dollars such as '17000USD'."},
          {"defect_density", ParamType::kNumber, std::nullopt, std::nullopt,
           "Defects per cm²; 0 to 100."},
          {"defect_clustering", ParamType::kNumber, std::nullopt, std::nullopt,
           "Negative-binomial clustering parameter (alpha); 0.01 to 100."},
          {"reticle_limit", ParamType::kQuantity, Dimension::kArea, std::nullopt,
           "The largest die the lithography exposes, such as '858mm2'."},
      }};
  return kind;
}

const ParamKind& die_model_param_kind() {
  static const ParamKind kind{
      "die-model",
      "The die model's node-independent figures (data/die_model.yaml).",
      {
          {"name", ParamType::kString, std::nullopt, std::nullopt, "Display name."},
          {"source", ParamType::kString, std::nullopt, std::nullopt,
           "Where the figures come from."},
          {"transistors_per_mac", ParamType::kNumber, std::nullopt, std::nullopt,
           "Logic transistors of one bf16 MAC with fp32 accumulation in a matrix array."},
          {"hbm_cost", ParamType::kString, std::nullopt, std::nullopt,
           "HBM per GB, such as '15USD/GB'."},
          {"package_cost", ParamType::kString, std::nullopt, std::nullopt,
           "Advanced packaging, assembly and test per package, such as '1000USD'."},
          {"board_cost", ParamType::kString, std::nullopt, std::nullopt,
           "Board, regulators and connectors per accelerator, such as '500USD'."},
          {"calibration", ParamType::kMapping, std::nullopt, std::nullopt,
           "The published die the compute units' per-lane logic is solved from."},
          {"calibration.chip", ParamType::kString, std::nullopt, std::nullopt,
           "A chip preset with a die block."},
          {"calibration.area", ParamType::kQuantity, Dimension::kArea, std::nullopt,
           "Its published die area."},
      }};
  return kind;
}

const ParamKind& cost_override_param_kind() {
  static const ParamKind kind{
      "cost-override",
      "A scenario's `cost:`: any of the chip's cost figures replaced.",
      {
          {"price", ParamType::kString, std::nullopt, std::string("(the chip's)"),
           "Chip price replacing the chip file's, such as '30000USD'."},
          {"system_share", ParamType::kString, std::nullopt, std::string("(the chip's)"),
           "System share replacing the chip file's, such as '5000USD'."},
          {"system_power", ParamType::kQuantity, Dimension::kPower, std::string("(the chip's)"),
           "System power share replacing the chip file's; zero or more."},
          {"hbm", ParamType::kString, std::nullopt, std::string("(the chip's)"),
           "Device memory price per GB replacing the chip file's, such as '15USD/GB'."},
      }};
  return kind;
}

const ParamKind& facility_param_kind() {
  static const ParamKind kind{
      "facility",
      "A scenario's `facility:`: the datacentre figures that turn power and price into cost.",
      {
          {"pue", ParamType::kNumber, std::nullopt, std::string("(1.3)"),
           "Power usage effectiveness: facility power over IT power; 1 to 10."},
          {"conversion_efficiency", ParamType::kFraction, std::nullopt, std::string("(0.94)"),
           "Efficiency of the power supplies between facility and boards."},
          {"electricity", ParamType::kString, std::nullopt, std::string("(0.08USD/kWh)"),
           "Electricity price, such as '0.08USD/kWh'."},
          {"life", ParamType::kQuantity, Dimension::kTime, std::string("(5y)"),
           "Service life the purchase price is spread over."},
          {"utilisation", ParamType::kFraction, std::nullopt, std::string("(1: all of it)"),
           "Share of the service life in paid use."},
      }};
  return kind;
}

}  // namespace jalapeno
