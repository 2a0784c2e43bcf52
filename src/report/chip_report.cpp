#include "report/chip_report.hpp"

#include <fmt/format.h>

#include "core/units.hpp"

namespace jalapeno {

namespace {
constexpr double kMm2 = 1e-6;

nlohmann::ordered_json die_json(const ChipSpec& chip, const DieEstimate& e) {
  const ChipDie& die = *chip.die;
  return {
      {"process", die.process.name},
      {"dies", e.dies},
      {"area_mm2", e.area_m2 / kMm2},
      {"area_by_block_mm2",
       {{"matrix", e.matrix_m2 / kMm2},
        {"unit_logic", e.unit_logic_m2 / kMm2},
        {"sram", e.sram_m2 / kMm2},
        {"hbm_phy", e.hbm_phy_m2 / kMm2},
        {"serdes", e.serdes_m2 / kMm2},
        {"other", e.other_m2 / kMm2}}},
      {"dies_per_wafer", e.dies_per_wafer},
      {"yield", e.yield},
      {"die_usd", e.die_usd},
      {"build_usd",
       {{"silicon", e.silicon_usd},
        {"hbm", e.hbm_usd},
        {"package", e.package_usd},
        {"board", e.board_usd},
        {"total", e.build_usd}}},
      {"transistors_per_lane", e.transistors_per_lane},
  };
}
}  // namespace

nlohmann::ordered_json chip_json(const ChipSpec& chip, const std::optional<DieEstimate>& die) {
  nlohmann::ordered_json matrix = nlohmann::ordered_json::object();
  for (const auto& [dtype, rate] : chip.matrix_flops) matrix[dtype] = rate;
  nlohmann::ordered_json levels = nlohmann::ordered_json::array();
  for (const MemoryLevelKind kind : {MemoryLevelKind::kHbm, MemoryLevelKind::kSram}) {
    if (const auto level = chip.level(kind)) {
      levels.push_back({{"level", to_string(kind)},
                        {"bytes", level->bytes},
                        {"bandwidth_Bps", level->Bps},
                        {"read_efficiency", level->read_efficiency}});
    }
  }
  nlohmann::ordered_json doc = {
      {"schema", "jalapeno.chip/1"},
      {"name", chip.name},
      {"file", chip.source_file},
      {"matrix_flops", matrix},
      {"vector_flops", chip.vector_flops},
      {"compute_units", chip.compute_units},
      {"memory_levels", levels},
      {"sram_bytes", chip.sram_bytes},
      {"tdp_W", chip.tdp_W},
  };
  if (chip.matrix_engines) {
    const MatrixEngines& m = *chip.matrix_engines;
    doc["matrix_engines"] = {
        {"count", m.count}, {"rows", m.rows}, {"cols", m.cols}, {"clock_Hz", m.clock_Hz}};
  }
  if (chip.io) {
    doc["io"] = {{"lanes", chip.io->lanes},
                 {"lane_Bps", chip.io->lane_Bps},
                 {"payload_Bps", chip.io->raw_Bps() * chip.io->efficiency}};
  }
  if (chip.cost) doc["price_usd"] = chip.cost->price_usd;
  doc["die"] = die ? die_json(chip, *die) : nlohmann::ordered_json(nullptr);
  return doc;
}

std::string format_chip_table(const ChipSpec& chip, const std::optional<DieEstimate>& die) {
  std::string out = fmt::format("{} ({})\n", chip.name, chip.source_file);
  for (const auto& [dtype, rate] : chip.matrix_flops) {
    out += fmt::format("  matrix {:<6} {}\n", dtype, format_quantity(rate, Dimension::kFlopRate));
  }
  out +=
      fmt::format("  vector        {}\n", format_quantity(chip.vector_flops, Dimension::kFlopRate));
  if (chip.matrix_engines) {
    const MatrixEngines& m = *chip.matrix_engines;
    out += fmt::format("  arrays        {} x {}x{} at {}\n", m.count, m.rows, m.cols,
                       format_quantity(m.clock_Hz, Dimension::kFrequency));
  }
  for (const MemoryLevelKind kind : {MemoryLevelKind::kHbm, MemoryLevelKind::kSram}) {
    if (const auto level = chip.level(kind)) {
      out += fmt::format("  {:<13} {} at {}\n", to_string(kind),
                         format_quantity(level->bytes, Dimension::kBytes),
                         format_quantity(level->Bps, Dimension::kBandwidth));
    }
  }
  if (chip.io) {
    out += fmt::format(
        "  io            {} lanes x {} ({} payload)\n", chip.io->lanes,
        format_quantity(chip.io->lane_Bps, Dimension::kBandwidth),
        format_quantity(chip.io->raw_Bps() * chip.io->efficiency, Dimension::kBandwidth));
  }
  out += fmt::format("  tdp           {}\n", format_quantity(chip.tdp_W, Dimension::kPower));
  if (die) {
    const DieEstimate& e = *die;
    out += fmt::format("\nDie ({} x {}, {})\n", e.dies, chip.die->process.name,
                       "README \"Die area and cost\"");
    const auto row = [&](const char* what, double m2) {
      out += fmt::format("  {:<13} {:>8.1f} mm2\n", what, m2 / kMm2);
    };
    row("matrix", e.matrix_m2);
    row("unit logic", e.unit_logic_m2);
    row("sram", e.sram_m2);
    row("hbm phy", e.hbm_phy_m2);
    row("serdes", e.serdes_m2);
    row("other", e.other_m2);
    row("area", e.area_m2);
    out += fmt::format("  dies/wafer    {:>8.0f}, yield {:.1f}%: ${:.0f} a good die\n",
                       e.dies_per_wafer, 100 * e.yield, e.die_usd);
    out += fmt::format(
        "  built cost    ${:.0f} (silicon ${:.0f}, HBM ${:.0f}, package ${:.0f}, board ${:.0f})\n",
        e.build_usd, e.silicon_usd, e.hbm_usd, e.package_usd, e.board_usd);
  }
  if (chip.cost) out += fmt::format("  price         ${:.0f}\n", chip.cost->price_usd);
  return out;
}

}  // namespace jalapeno
