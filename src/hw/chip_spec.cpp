#include "hw/chip_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "core/params.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "core/units.hpp"

namespace jalapeno {

namespace {
// How far a rate derived from matrix_engines may stand from the datasheet's
// (clock and rounding in published figures).
constexpr double kMatrixRateTolerance = 0.02;
}  // namespace

double ChipSpec::matrix_flops_for(const std::string& dtype, const std::string& purpose) const {
  const std::string key = dtype == "bfloat16"  ? "bf16"
                          : dtype == "float16" ? "fp16"
                          : dtype == "float32" ? "tf32"
                                               : dtype;
  auto it = matrix_flops.find(key);
  if (it == matrix_flops.end()) {
    std::string listed;
    for (const auto& [name, rate] : matrix_flops) listed += (listed.empty() ? "" : ", ") + name;
    // Refused, not emulated: a chip without the unit does not run the GEMM
    // at another rate silently. Weight-only formats (narrow weights, wider
    // activations) run at the activations' rate and need no such unit.
    throw ConfigError(fmt::format(
        "chip '{}' has no {} matrix rate (key 'matrix.{}' in {}; it lists {}){}", name, key, key,
        source_file.empty() ? "its file" : source_file, listed,
        purpose.empty() ? ""
                        : fmt::format(": {} needs it; narrower weights run weight-only with "
                                      "--activations bf16 or another listed format",
                                      purpose)));
  }
  return it->second;
}

const char* to_string(MemoryLevelKind kind) {
  return kind == MemoryLevelKind::kHbm ? "hbm" : "sram";
}

std::optional<MemoryLevelKind> parse_memory_level(std::string_view name) {
  if (name == "hbm") return MemoryLevelKind::kHbm;
  if (name == "sram") return MemoryLevelKind::kSram;
  return std::nullopt;
}

std::optional<MemoryLevel> ChipSpec::level(MemoryLevelKind kind) const {
  MemoryLevel l;
  l.kind = kind;
  if (kind == MemoryLevelKind::kHbm) {
    if (!has_hbm()) return std::nullopt;
    l.bytes = hbm_bytes;
    l.Bps = hbm_Bps;
    l.read_efficiency = read_efficiency;
    l.copy_efficiency = copy_efficiency;
    l.byte_J = power ? power->hbm_byte_J : 0;
  } else {
    if (!(sram_Bps > 0)) return std::nullopt;
    l.bytes = sram_bytes;
    l.Bps = sram_Bps;
    // On-chip SRAM has no read-write turnaround: a copy streams as a read.
    l.read_efficiency = sram_read_efficiency;
    l.copy_efficiency = sram_read_efficiency;
    l.byte_J = power ? power->sram_byte_J : 0;
  }
  return l;
}

ChipSpec ChipSpec::streaming_from(const MemoryLevel& l) const {
  ChipSpec view = *this;
  view.hbm_bytes = l.bytes;
  view.hbm_Bps = l.Bps;
  view.read_efficiency = l.read_efficiency;
  view.copy_efficiency = l.copy_efficiency;
  if (view.power) view.power->hbm_byte_J = l.byte_J;
  // One unit's share is bounded by the level: SRAM feeds its units directly.
  if (l.kind == MemoryLevelKind::kSram) {
    view.unit_Bps = std::max(unit_Bps, l.Bps / static_cast<double>(compute_units));
  }
  return view;
}

namespace {

// Checks the engines against the stated rates (or derives the rates when
// none are stated): a datasheet and an architect's description must agree.
MatrixEngines read_matrix_engines(SpecReader& reader, std::map<std::string, double>& rates) {
  MatrixEngines e;
  e.count = reader.integer_in("count", 1, 100000000);
  e.rows = reader.integer_in("rows", 1, 65536);
  e.cols = reader.integer_in("cols", 1, 65536);
  e.clock_Hz = reader.positive_quantity("clock", Dimension::kFrequency);
  SpecReader macs = reader.child("macs_per_cycle");
  for (const auto& key : reader.child_keys("macs_per_cycle")) {
    const double per_cycle = macs.number_in(key, 0, 1024);
    if (!(per_cycle > 0)) macs.fail(key, "a positive number of MACs per cell per cycle");
    e.macs_per_cycle[key] = per_cycle;
  }
  const bool stated = !rates.empty();
  for (const auto& [key, per_cycle] : e.macs_per_cycle) {
    const double derived = e.flops(key);
    if (!stated) {
      rates[key] = derived;
      continue;
    }
    const auto it = rates.find(key);
    if (it == rates.end()) {
      macs.fail(key, "a format the chip has a matrix rate for (key matrix)");
    }
    if (std::abs(derived / it->second - 1) > kMatrixRateTolerance) {
      macs.fail(key, fmt::format("a figure that with count, rows, cols and clock gives matrix.{} "
                                 "({}) within {:.0f}%: it gives {}",
                                 key, format_quantity(it->second, Dimension::kFlopRate),
                                 100 * kMatrixRateTolerance,
                                 format_quantity(derived, Dimension::kFlopRate)));
    }
  }
  for (const auto& [key, rate] : rates) {
    if (e.macs_per_cycle.count(key) == 0) {
      macs.fail(key, fmt::format("MACs per cell per cycle for every format in matrix ({} has "
                                 "none)",
                                 key));
    }
  }
  macs.finish();
  return e;
}

}  // namespace

ChipSpec read_chip_spec(const std::string& path) {
  return read_chip_spec(load_document(path));
}

ChipSpec read_chip_spec(const Document& document, const std::string& key_prefix) {
  const Document doc = resolve_extends(document, "chips", ".yaml", "chip", {"calibration"});
  SpecReader reader = SpecReader::mapping(doc, key_prefix, &chip_param_kind());
  const std::string path = doc.file;
  ChipSpec chip;
  chip.name = reader.string("name");
  chip.source_file = path;
  chip.source = reader.string("source");
  if (reader.has("matrix") || !reader.has("matrix_engines")) {
    SpecReader matrix = reader.child("matrix");
    for (const auto& dtype : reader.child_keys("matrix")) {
      chip.matrix_flops[dtype] = matrix.positive_quantity(dtype, Dimension::kFlopRate);
    }
    matrix.finish();
  } else {
    reader.ignore("matrix");
  }
  chip.vector_flops = reader.positive_quantity("vector", Dimension::kFlopRate);
  chip.compute_units = reader.integer("compute_units", 1);
  if (chip.compute_units > 1000000) reader.fail("compute_units", "1 to 1000000 compute units");
  if (reader.has("hbm")) {
    SpecReader hbm = reader.child("hbm");
    chip.hbm_bytes = hbm.positive_quantity("capacity", Dimension::kBytes);
    chip.hbm_Bps = hbm.positive_quantity("bandwidth", Dimension::kBandwidth);
    chip.hbm_stacks = hbm.has("stacks") ? hbm.integer_in("stacks", 1, 64) : 0;
    hbm.ignore("stacks");
    hbm.finish();
  } else {
    reader.ignore("hbm");
  }
  {
    SpecReader sram = reader.child("sram");
    chip.sram_bytes = sram.positive_quantity("capacity", Dimension::kBytes);
    if (sram.has("bandwidth")) {
      chip.sram_Bps = sram.positive_quantity("bandwidth", Dimension::kBandwidth);
    } else if (!chip.has_hbm()) {
      sram.fail("bandwidth", "the SRAM bandwidth: a chip without hbm streams everything from SRAM");
    }
    sram.ignore("bandwidth");
    sram.finish();
  }
  if (reader.has("matrix_engines")) {
    SpecReader engines = reader.child("matrix_engines");
    chip.matrix_engines = read_matrix_engines(engines, chip.matrix_flops);
    engines.finish();
  } else {
    reader.ignore("matrix_engines");
  }
  if (chip.matrix_flops.empty()) {
    reader.fail("matrix", "a matrix rate per format, or matrix_engines to derive them from");
  }
  if (reader.has("package")) {
    SpecReader package = reader.child("package");
    ChipPackage p;
    p.serdes_lanes = package.integer_in("serdes_lanes", 0, 1000000);
    p.hbm_sites = package.integer_in("hbm_sites", 0, 64);
    if (chip.hbm_stacks > p.hbm_sites) {
      package.fail("hbm_sites", fmt::format("at least the chip's {} HBM stacks (key hbm.stacks)",
                                            chip.hbm_stacks));
    }
    package.finish();
    chip.package = p;
  } else {
    reader.ignore("package");
  }
  if (reader.has("io")) {
    SpecReader io = reader.child("io");
    ChipIo c;
    c.lanes = io.integer_in("lanes", 1, 1000000);
    c.lane_Bps = io.positive_quantity("lane_rate", Dimension::kBandwidth);
    c.efficiency = io.fraction("efficiency");
    if (chip.package && c.lanes > chip.package->serdes_lanes) {
      io.fail("lanes", fmt::format("at most the {} SerDes lanes the package has (key "
                                   "package.serdes_lanes)",
                                   chip.package->serdes_lanes));
    }
    io.finish();
    chip.io = c;
  } else {
    reader.ignore("io");
  }
  chip.tdp_W = reader.positive_quantity("tdp", Dimension::kPower);
  if (reader.has("power")) {
    SpecReader power = reader.child("power");
    chip.power = read_power_spec(power, chip.tdp_W, chip.matrix_flops);
    power.finish();
  } else {
    reader.ignore("power");
  }
  if (reader.has("die")) {
    SpecReader die = reader.child("die");
    chip.die = read_chip_die(die, chip);
    die.finish();
  } else {
    reader.ignore("die");
  }
  if (reader.has("cost")) {
    SpecReader cost = reader.child("cost");
    std::optional<double> built_price;
    if (cost.has("margin")) {
      // The price from what the chip costs to build, at the vendor's gross
      // margin: price = built cost / (1 - margin).
      const double margin = cost.number_in("margin", 0, 0.99);
      if (cost.has("price")) cost.fail("margin", "either price or margin, not both");
      if (!chip.die) cost.fail("margin", "a die block to build the price from (key die)");
      built_price = estimate_die(chip).build_usd / (1 - margin);
    } else {
      cost.ignore("margin");
    }
    chip.cost = read_chip_cost(cost, built_price);
    cost.finish();
  } else {
    reader.ignore("cost");
  }
  {
    SpecReader eff = reader.child("efficiency");
    chip.matrix_efficiency = eff.fraction("matrix");
    if (eff.has("matrix_by_format")) {
      SpecReader by_format = eff.child("matrix_by_format");
      for (const auto& key : eff.child_keys("matrix_by_format")) {
        if (chip.matrix_flops.count(key) == 0) {
          by_format.fail(key, "a format this chip has a matrix rate for (key matrix)");
        }
        chip.matrix_efficiency_by_format[key] = by_format.fraction(key);
      }
      by_format.finish();
    }
    if (chip.has_hbm()) {
      chip.read_efficiency = eff.fraction("hbm_read");
      chip.copy_efficiency = eff.fraction("hbm_copy");
    } else {
      for (const char* key : {"hbm_read", "hbm_copy"}) {
        if (eff.has(key)) eff.fail(key, "no HBM efficiency: the chip has no hbm");
        eff.ignore(key);
      }
    }
    if (chip.sram_Bps > 0) {
      chip.sram_read_efficiency = eff.fraction("sram_read");
    } else {
      if (eff.has("sram_read")) eff.fail("sram_read", "no SRAM efficiency: sram has no bandwidth");
      eff.ignore("sram_read");
    }
    chip.unit_Bps = eff.positive_quantity("unit_bandwidth", Dimension::kBandwidth);
    eff.finish();
  }
  chip.kernel_fixed_s = reader.positive_quantity("kernel_fixed_cost", Dimension::kTime);
  chip.gemm_fixed_s = reader.positive_quantity("gemm_fixed_cost", Dimension::kTime);
  {
    YAML::Node tiles = reader.raw("gemm_tiles");
    if (!tiles.IsSequence() || tiles.size() == 0) {
      reader.fail("gemm_tiles", "a list of tiles such as {m: 128, n: 256, efficiency: 1.0}");
    }
    for (size_t i = 0; i < tiles.size(); ++i) {
      SpecReader tile = reader.element(tiles, "gemm_tiles", i);
      if (!tiles[i].IsMap()) reader.fail("gemm_tiles", "each tile a mapping {m, n, efficiency}");
      const int64_t m = tile.integer("m", 1), n = tile.integer("n", 1);
      if (m > 65536 || n > 65536) tile.fail(m > 65536 ? "m" : "n", "a tile side of 1 to 65536");
      // An output tile spans whole arrays across N; its rows (M) stream
      // through the arrays, so M is not quantised (K is: padded_k).
      if (const auto& e = chip.matrix_engines; e && n % e->cols != 0) {
        tile.fail("n", fmt::format("a tile the {}-wide matrix arrays divide (matrix_engines.cols): "
                                   "n a multiple of {}",
                                   e->cols, e->cols));
      }
      chip.gemm_tiles.push_back({m, n, tile.fraction("efficiency")});
      tile.finish();
    }
  }
  // The GEMM model tries every split-K factor up to this; libraries use a few.
  chip.max_split_k = reader.has("max_split_k") ? reader.integer_in("max_split_k", 1, 256) : 1;
  reader.ignore("max_split_k");
  if (reader.has("calibration")) {
    // Relative to the chip file, as presets ship them.
    std::filesystem::path file = reader.string("calibration");
    if (file.is_relative()) file = std::filesystem::path(path).parent_path() / file;
    chip.calibration_file = file.lexically_normal().string();
    chip.calibration = read_calibration(chip.calibration_file);
  } else {
    reader.ignore("calibration");
  }
  reader.finish();
  return chip;
}

ChipSpec load_chip(const std::string& name_or_path) {
  return read_chip_spec(resolve_preset("chips", name_or_path, ".yaml", "chip"));
}

std::vector<std::string> chip_preset_names() {
  return preset_names("chips", ".yaml");
}

}  // namespace jalapeno
