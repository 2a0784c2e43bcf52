#include "plan/hardware.hpp"

#include <filesystem>

#include "core/presets.hpp"
#include "core/spec_reader.hpp"

namespace jalapeno {
namespace {

bool names_system(const std::string& name) {
  const auto systems = system_preset_names();
  if (std::find(systems.begin(), systems.end(), name) != systems.end()) return true;
  std::error_code ec;  // a name too long for a path is not a file
  if (!std::filesystem::is_regular_file(name, ec)) return false;
  const Document doc = load_document(name);
  return doc.root.IsMap() && doc.root["topology"].IsDefined();
}

// The network of `topology` (a system), when given, joining copies of out's
// chip in place of any network out had.
void add_topology(Hardware& out, const std::optional<std::string>& topology) {
  if (!topology) return;
  const SystemSpec system = load_system(*topology);
  out.network = std::make_shared<const Network>(system.topology);
  out.system_name = system.name + " network";
  out.chips = system.topology.chips;
}

}  // namespace

std::optional<ChipCost> Hardware::chip_cost() const {
  if (!chip.cost) return std::nullopt;
  ChipCost cost = *chip.cost;
  if (system_power) cost.system_power_W = system_power->total_W() / static_cast<double>(chips);
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
