#pragma once
// `jalapeno system`: a system as its file describes it, and what it comes
// to: the network's tiers (switches, levels, optics), the power beyond the
// chips, each rack's draw against its budget, and the price part by part
// (hw/topology.hpp SystemBill), per system and per rack.
#include <nlohmann/json.hpp>
#include <string>

#include "hw/chip_spec.hpp"
#include "hw/topology.hpp"

namespace jalapeno {

nlohmann::ordered_json system_json(const SystemSpec& system,
                                   const ChipSpec& chip);  // jalapeno.system/1
std::string format_system_table(const SystemSpec& system, const ChipSpec& chip);

}  // namespace jalapeno
