#include "hw/die_model.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <numbers>

#include "core/error.hpp"
#include "core/params.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "hw/chip_spec.hpp"
#include "hw/cost_spec.hpp"

namespace jalapeno {

namespace {

constexpr double kMm2 = 1e-6;
constexpr double kWaferDiameterMm = 300;

}  // namespace

ProcessNode load_process(const std::string& name_or_path) {
  const Document doc = load_document(resolve_preset("processes", name_or_path, ".yaml", "process"));
  SpecReader reader = SpecReader::mapping(doc, "", &process_param_kind());
  ProcessNode node;
  node.source_file = doc.file;
  node.name = reader.string("name");
  node.source = reader.string("source");
  node.logic_transistors_per_m2 = reader.number_in("logic_density", 1, 1e5) * 1e6 / kMm2;
  node.sram_bitcell_m2 = reader.positive_quantity("sram_bitcell", Dimension::kArea);
  node.sram_array_efficiency = reader.fraction("sram_array_efficiency");
  node.hbm_phy_m2 = reader.positive_quantity("hbm_phy", Dimension::kArea);
  node.serdes_lane_m2 = reader.positive_quantity("serdes_lane", Dimension::kArea);
  node.wafer_usd = read_price(reader, "wafer_cost", "", "17000USD");
  if (!(node.wafer_usd > 0)) reader.fail("wafer_cost", "a price above zero");
  node.defects_per_cm2 = reader.number_in("defect_density", 0, 100);
  node.defect_clustering = reader.number_in("defect_clustering", 0.01, 100);
  node.reticle_m2 = reader.positive_quantity("reticle_limit", Dimension::kArea);
  reader.finish();
  return node;
}

std::vector<std::string> process_preset_names() {
  return preset_names("processes", ".yaml");
}

DieModelConstants die_model_constants() {
  // Read each time (the document is cached): the file ships with the presets.
  const std::string path = data_dir() + "/die_model.yaml";
  const Document doc = load_document(path);
  SpecReader reader = SpecReader::mapping(doc, "", &die_model_param_kind());
  DieModelConstants c;
  c.source_file = path;
  reader.string("name");
  reader.string("source");
  c.transistors_per_mac = reader.number_in("transistors_per_mac", 1, 1e9);
  c.hbm_usd_per_GB = read_price(reader, "hbm_cost", "/GB", "15USD/GB");
  c.package_usd = read_price(reader, "package_cost", "", "1000USD");
  c.board_usd = read_price(reader, "board_cost", "", "500USD");
  SpecReader calibration = reader.child("calibration");
  c.calibration_chip = calibration.string("chip");
  c.calibration_area_m2 = calibration.positive_quantity("area", Dimension::kArea);
  calibration.finish();
  reader.finish();
  return c;
}

ChipDie read_chip_die(SpecReader& reader, const ChipSpec& chip) {
  ChipDie die;
  die.process = load_process(reader.string("process"));
  die.count = reader.integer_or("count", 1, 1);
  if (die.count > 64) reader.fail("count", "1 to 64 dies in a package");
  const auto per_die = [&](double total) { return total / static_cast<double>(die.count); };
  die.compute_units = reader.has("compute_units")
                          ? reader.integer_in("compute_units", 1, 10000000)
                          : static_cast<int64_t>(std::ceil(per_die(chip.compute_units)));
  const MatrixEngines* engines = chip.matrix_engines ? &*chip.matrix_engines : nullptr;
  const double units_total = static_cast<double>(die.compute_units * die.count);
  if (reader.has("macs_per_unit")) {
    die.macs_per_unit = reader.number_in("macs_per_unit", 0, 1e9);
  } else if (engines) {
    // Cells of the arrays, in bf16 MACs (the first format when bf16 has none).
    const auto it = engines->macs_per_cycle.count("bf16") ? engines->macs_per_cycle.find("bf16")
                                                          : engines->macs_per_cycle.begin();
    die.macs_per_unit = static_cast<double>(engines->count * engines->rows * engines->cols) *
                        it->second / units_total;
  } else {
    reader.fail("macs_per_unit",
                "bf16 MACs per cycle per compute unit (or matrix_engines to derive them from)");
  }
  if (reader.has("vector_lanes_per_unit")) {
    die.vector_lanes_per_unit = reader.number_in("vector_lanes_per_unit", 0, 1e9);
  } else if (engines) {
    die.vector_lanes_per_unit = chip.vector_flops / (2 * engines->clock_Hz) / units_total;
  } else {
    reader.fail("vector_lanes_per_unit",
                "fp32 lanes per compute unit (or matrix_engines, whose clock derives them from "
                "vector)");
  }
  die.sram_bytes = reader.has("sram") ? reader.positive_quantity("sram", Dimension::kBytes)
                                      : per_die(chip.sram_bytes);
  const int64_t stacks = chip.hbm_stacks > 0 ? chip.hbm_stacks
                         : chip.package      ? chip.package->hbm_sites
                                             : 0;
  if (reader.has("hbm_phys")) {
    die.hbm_phys = reader.integer_in("hbm_phys", 0, 64);
  } else if (chip.has_hbm() && stacks == 0) {
    reader.fail("hbm_phys", "the HBM PHYs on each die (or hbm.stacks to derive them from)");
  } else {
    die.hbm_phys = static_cast<int64_t>(std::ceil(per_die(static_cast<double>(stacks))));
  }
  die.serdes_lanes = reader.has("serdes_lanes")
                         ? reader.integer_in("serdes_lanes", 0, 1000000)
                         : static_cast<int64_t>(std::ceil(
                               per_die(chip.io ? static_cast<double>(chip.io->lanes) : 0.0)));
  if (reader.has("other")) die.other_m2 = reader.quantity("other", Dimension::kArea);
  if (die.other_m2 < 0) reader.fail("other", "an area of zero or more");
  die.wafer_scale = reader.boolean_or("wafer_scale", false);
  if (reader.has("yield")) die.stated_yield = reader.fraction("yield");
  if (die.wafer_scale && !die.stated_yield) {
    reader.fail("yield", "the yield a wafer-scale die's redundancy leaves (a fraction)");
  }
  return die;
}

DieEstimate estimate_die(const ChipSpec& chip, double transistors_per_lane) {
  if (!chip.die) throw ConfigError(fmt::format("{}: no die block to estimate", chip.source_file));
  const ChipDie& die = *chip.die;
  const ProcessNode& node = die.process;
  const DieModelConstants model = die_model_constants();
  DieEstimate e;
  e.transistors_per_lane = transistors_per_lane;
  const auto units = static_cast<double>(die.compute_units);
  e.matrix_m2 =
      units * die.macs_per_unit * model.transistors_per_mac / node.logic_transistors_per_m2;
  e.unit_logic_m2 =
      units * die.vector_lanes_per_unit * transistors_per_lane / node.logic_transistors_per_m2;
  e.sram_m2 = die.sram_bytes * node.sram_m2_per_byte();
  e.hbm_phy_m2 = static_cast<double>(die.hbm_phys) * node.hbm_phy_m2;
  e.serdes_m2 = static_cast<double>(die.serdes_lanes) * node.serdes_lane_m2;
  e.other_m2 = die.other_m2;
  e.area_m2 = e.matrix_m2 + e.unit_logic_m2 + e.sram_m2 + e.hbm_phy_m2 + e.serdes_m2 + e.other_m2;
  const double area_mm2 = e.area_m2 / kMm2;
  if (die.wafer_scale) {
    // The largest square inside the wafer.
    const double square_mm2 = kWaferDiameterMm * kWaferDiameterMm / 2;
    if (area_mm2 > square_mm2) {
      throw ConfigError(fmt::format(
          "{}: key die: the wafer-scale die's blocks come to {:.0f} mm², more than the {:.0f} mm² "
          "square a 300 mm wafer holds",
          chip.source_file, area_mm2, square_mm2));
    }
    e.dies_per_wafer = 1;
    e.yield = *die.stated_yield;
  } else {
    if (e.area_m2 > node.reticle_m2) {
      throw ConfigError(fmt::format(
          "{}: key die: the die's blocks come to {:.0f} mm², over the {:.0f} mm² reticle of {}; "
          "split them over more dies (die.count) or shrink them",
          chip.source_file, area_mm2, node.reticle_m2 / kMm2, node.name));
    }
    // Whole dies on the wafer: its area over the die's, less the partial
    // dies along the edge.
    const double radius = kWaferDiameterMm / 2;
    e.dies_per_wafer = std::floor(std::numbers::pi * radius * radius / area_mm2 -
                                  std::numbers::pi * kWaferDiameterMm / std::sqrt(2 * area_mm2));
    if (e.dies_per_wafer < 1) e.dies_per_wafer = 1;
    // Negative binomial: defects cluster, so large dies lose less than a
    // Poisson model says.
    e.yield = die.stated_yield.value_or(
        std::pow(1 + e.area_m2 / 1e-4 * node.defects_per_cm2 / node.defect_clustering,
                 -node.defect_clustering));
  }
  e.die_usd = node.wafer_usd / (e.dies_per_wafer * e.yield);
  e.dies = die.count;
  e.silicon_usd = static_cast<double>(die.count) * e.die_usd;
  e.hbm_usd = chip.hbm_bytes / 1e9 * model.hbm_usd_per_GB;
  e.package_usd = model.package_usd;
  e.board_usd = model.board_usd;
  e.build_usd = e.silicon_usd + e.hbm_usd + e.package_usd + e.board_usd;
  return e;
}

namespace {
// The per-lane logic that makes the calibration chip's blocks add up to its
// published area (the estimate is linear in it).
double calibrated_transistors_per_lane() {
  // A calibration chip whose price is derived from its die would need the
  // figure being solved for.
  thread_local bool calibrating = false;
  if (calibrating) {
    throw ConfigError(
        fmt::format("{}: key calibration.chip: that chip must state its price, not "
                    "derive it from its die (cost.margin)",
                    die_model_constants().source_file));
  }
  static const double per_lane = [] {
    calibrating = true;
    struct Reset {
      ~Reset() { calibrating = false; }
    } reset;
    const DieModelConstants model = die_model_constants();
    const ChipSpec chip = load_chip(model.calibration_chip);
    if (!chip.die) {
      throw ConfigError(fmt::format("{}: key calibration.chip: {} has no die block",
                                    model.source_file, model.calibration_chip));
    }
    const DieEstimate without = estimate_die(chip, 0);
    const double lanes =
        static_cast<double>(chip.die->compute_units) * chip.die->vector_lanes_per_unit;
    const double left_m2 = model.calibration_area_m2 - without.area_m2;
    if (!(lanes > 0) || !(left_m2 > 0)) {
      throw ConfigError(fmt::format(
          "{}: key calibration: {}'s other blocks already come to {:.0f} mm² of its {:.0f} mm²",
          model.source_file, model.calibration_chip, without.area_m2 / kMm2,
          model.calibration_area_m2 / kMm2));
    }
    return left_m2 * chip.die->process.logic_transistors_per_m2 / lanes;
  }();
  return per_lane;
}
}  // namespace

DieEstimate estimate_die(const ChipSpec& chip) {
  return estimate_die(chip, calibrated_transistors_per_lane());
}

}  // namespace jalapeno
