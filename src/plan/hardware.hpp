#pragma once
// What `--hw` and `--topology` name: a chip alone, or a system (chips of one
// kind on a network). A system's chips run a plan's replicas; a plan that
// spans chips needs the network.
#include <memory>
#include <optional>
#include <string>

#include "hw/chip_spec.hpp"
#include "hw/cost_spec.hpp"
#include "hw/topology.hpp"

namespace jalapeno {

struct Hardware {
  ChipSpec chip;
  std::shared_ptr<const Network> network;  // absent for a lone chip
  std::string system_name;                 // empty for a lone chip
  int64_t chips = 1;                       // chips available
  // What the system draws beyond its chips (absent for a lone chip, or a
  // system file without `power:`).
  std::optional<SystemPower> system_power;
  // What the system's parts beyond its chips cost per chip (a system file
  // with `cost:`), replacing the chip file's cost.system_share.
  std::optional<double> system_share_usd;
  std::optional<RackSpec> rack;
  // Power drawn beyond each chip: the system's hosts, NICs, switches and
  // optics where it states them, else the chip file's cost.system_power (0
  // without either).
  double system_W_per_chip() const;
  // The chip's cost (none without a `cost:`) with the system's own figures
  // for its share of power and price where the system states them.
  std::optional<ChipCost> chip_cost() const;
};

// hw: a system preset or file (a YAML with a `topology` key), or a chip
// preset or file. topology, when given, is a system preset or file whose
// network (not its chip) joins copies of hw's chip.
Hardware load_hardware(const std::string& hw, const std::optional<std::string>& topology);
// A chip already read (a lone chip, or copies of it on topology's network).
Hardware load_hardware(const ChipSpec& chip, const std::optional<std::string>& topology);

}  // namespace jalapeno
