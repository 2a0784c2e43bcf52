#include "plan/hardware.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "core/units.hpp"

namespace jalapeno {
namespace {

// A system preset, or a system file: one with a topology or a chip of its
// own, or one that extends a system (a chip file has neither).
bool names_system(const std::string& name, const std::filesystem::path& from = {}, int depth = 0) {
  const auto systems = system_preset_names();
  if (std::find(systems.begin(), systems.end(), name) != systems.end()) return true;
  std::error_code ec;  // a name too long for a path is not a file
  const std::filesystem::path beside = from / name;
  const std::string file =
      !from.empty() && std::filesystem::is_regular_file(beside, ec) ? beside.string() : name;
  if (!std::filesystem::is_regular_file(file, ec)) return false;
  const Document doc = load_document(file);
  if (!doc.root.IsMap()) return false;
  if (doc.root["topology"].IsDefined() || doc.root["chip"].IsDefined()) return true;
  const YAML::Node parent = doc.root["extends"];
  return depth < 8 && parent.IsDefined() && parent.IsScalar() &&
         names_system(parent.Scalar(), std::filesystem::path(file).parent_path(), depth + 1);
}

// The network of `topology` (a system), when given, joining copies of out's
// chip in place of any network out had. What the system has beyond its chips
// (hosts, NICs, switches, optics, racks, and their prices) comes with it: a
// what-if on the chip keeps the system around it.
void add_topology(Hardware& out, const std::optional<std::string>& topology) {
  if (!topology) return;
  const SystemSpec system = load_system(*topology);
  out.network = std::make_shared<const Network>(system.topology);
  out.system_name = system.name + " network";
  out.chips = system.topology.chips;
  out.system_power = system.power;
  out.rack = system.rack;
  if (system.rack) {
    // The rack must still feed and cool these chips (the system file checked
    // its own).
    const double beyond = rack_share_W(system, out.chip);
    const double draw =
        static_cast<double>(system.rack->chips_per_rack) * (out.chip.tdp_W + beyond);
    if (draw > system.rack->power_budget_W) {
      throw ConfigError(fmt::format(
          "{}: key rack.power_budget: expected at least what a rack of {} draws at full load: {} "
          "chips x ({} + {} of the rest) = {}, against {}",
          *topology, out.chip.name, system.rack->chips_per_rack,
          format_quantity(out.chip.tdp_W, Dimension::kPower),
          format_quantity(beyond, Dimension::kPower), format_quantity(draw, Dimension::kPower),
          format_quantity(system.rack->power_budget_W, Dimension::kPower)));
    }
  }
  out.system_share_usd.reset();
  if (const auto bill = system_bill(system, load_chip(system.chip))) {
    out.system_share_usd = bill->system_share_usd();
  }
}

}  // namespace

double Hardware::system_W_per_chip() const {
  if (system_power) return system_power->total_W() / static_cast<double>(chips);
  return chip.cost ? chip.cost->system_power_W : 0.0;
}

std::optional<ChipCost> Hardware::chip_cost() const {
  if (!chip.cost) return std::nullopt;
  ChipCost cost = *chip.cost;
  cost.system_power_W = system_W_per_chip();
  if (system_share_usd) cost.system_share_usd = *system_share_usd;
  return cost;
}

Hardware load_hardware(const std::string& hw, const std::optional<std::string>& topology) {
  Hardware out;
  if (names_system(hw)) {
    const SystemSpec system = load_system(hw);
    out.chip = load_chip(system.chip);
    out.network = std::make_shared<const Network>(system.topology);
    out.system_name = system.name;
    out.chips = system.topology.chips;
    out.system_power = system.power;
    out.rack = system.rack;
    if (const auto bill = system_bill(system, out.chip)) {
      out.system_share_usd = bill->system_share_usd();
    }
  } else {
    out.chip = load_chip(hw);
  }
  add_topology(out, topology);
  return out;
}

Hardware load_hardware(const ChipSpec& chip, const std::optional<std::string>& topology) {
  Hardware out;
  out.chip = chip;
  add_topology(out, topology);
  return out;
}

}  // namespace jalapeno
