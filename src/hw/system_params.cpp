// The declared keys of a system file (data/systems/*.yaml), read by
// read_system_spec (hw/topology.cpp) and, for `extends`, resolve_extends
// (core/presets.cpp).
#include "core/params.hpp"

namespace jalapeno {

const ParamKind& system_param_kind() {
  static const ParamKind kind{
      "system",
      "Chips of one kind joined by a network: the topology, its links and switches, and the "
      "power drawn beyond the chips.",
      {
          {"extends", ParamType::kString, std::nullopt, std::string("(none)"),
           "A system preset or file (relative to this one) whose keys this file overrides."},
          {"name", ParamType::kString, std::nullopt, std::nullopt, "Display name."},
          {"source", ParamType::kString, std::nullopt, std::nullopt,
           "Where the figures come from: datasheets, measurements, or 'illustrative'."},
          {"chip", ParamType::kString, std::nullopt, std::nullopt,
           "The chips: a chip preset name, or a chip file (a relative path is taken beside this "
           "file)."},
          {"topology", ParamType::kMapping, std::nullopt, std::nullopt,
           "The network joining the chips."},
          {"topology.kind", ParamType::kString, std::nullopt, std::nullopt,
           "How the chips connect: switched, leaf_spine, ring or torus."},
          {"topology.chips", ParamType::kInteger, std::nullopt, std::nullopt,
           "Number of chips in the system."},
          {"topology.link", ParamType::kMapping, std::nullopt, std::nullopt,
           "One chip's connection to the network, per direction: all its ports for switched and "
           "leaf_spine, the link to each neighbour for ring and torus."},
          {"topology.link.bandwidth", ParamType::kQuantity, Dimension::kBandwidth, std::nullopt,
           "Datasheet rate of one link, per direction."},
          {"topology.link.count", ParamType::kInteger, std::nullopt, std::string("(1)"),
           "How many such links act together (1 to 4096); the rate is bandwidth x count x "
           "efficiency."},
          {"topology.link.efficiency", ParamType::kFraction, std::nullopt, std::string("(1)"),
           "Fraction of the datasheet rate a collective library achieves on the links."},
          {"topology.link.latency", ParamType::kQuantity, Dimension::kTime, std::nullopt,
           "Wire and port latency of one hop (zero or more)."},
          {"topology.switch_latency", ParamType::kQuantity, Dimension::kTime,
           std::string("(required for switched and leaf_spine; 0 for ring and torus)"),
           "Latency of each switch traversed; on a ring or torus, the forwarding latency of each "
           "intermediate chip."},
          {"topology.message_overhead", ParamType::kQuantity, Dimension::kTime, std::nullopt,
           "Protocol and synchronisation cost paid once per phase of a collective."},
          {"topology.collective_launch", ParamType::kQuantity, Dimension::kTime, std::nullopt,
           "Fixed cost of one collective call beyond its messages (launch and synchronisation); "
           "an engine profile's own figure replaces it."},
          {"topology.in_network_reduction", ParamType::kBoolean, std::nullopt, std::string("false"),
           "The switches reduce in the network (NVLink SHARP); switched and leaf_spine only."},
          {"topology.in_network_bandwidth", ParamType::kQuantity, Dimension::kBandwidth,
           std::string("(the link rate)"),
           "Per-chip rate an in-network all-reduce reaches; only with in_network_reduction."},
          {"topology.chips_per_leaf", ParamType::kInteger, std::nullopt,
           std::string("(required for leaf_spine)"),
           "Chips under each leaf switch; must divide chips. leaf_spine only."},
          {"topology.uplink", ParamType::kMapping, std::nullopt,
           std::string("(required for leaf_spine)"),
           "A whole leaf's links to the spine layer, per direction, shared by all traffic "
           "leaving or entering the leaf. leaf_spine only."},
          {"topology.uplink.bandwidth", ParamType::kQuantity, Dimension::kBandwidth, std::nullopt,
           "Datasheet rate of one uplink, per direction."},
          {"topology.uplink.count", ParamType::kInteger, std::nullopt, std::string("(1)"),
           "How many such uplinks act together (1 to 4096)."},
          {"topology.uplink.efficiency", ParamType::kFraction, std::nullopt, std::string("(1)"),
           "Fraction of the uplinks' datasheet rate achieved."},
          {"topology.uplink.latency", ParamType::kQuantity, Dimension::kTime, std::nullopt,
           "Wire and port latency of the leaf-to-spine hop (zero or more)."},
          {"topology.dims", ParamType::kList, std::nullopt, std::string("(required for torus)"),
           "Extent of each torus dimension, such as [4, 4, 4]; their product must equal chips "
           "(at most 6 dimensions). torus only."},
          {"power", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "Power drawn beyond the chips (hosts, adapters, switches); it replaces the chip "
           "file's cost.system_power. Without it that figure is used and switches cost no "
           "energy per byte."},
          {"power.hosts", ParamType::kMapping, std::nullopt, std::nullopt,
           "Host servers: CPUs, memory, fans and storage."},
          {"power.hosts.count", ParamType::kInteger, std::nullopt, std::nullopt,
           "Number of hosts in the system."},
          {"power.hosts.each", ParamType::kQuantity, Dimension::kPower, std::nullopt,
           "Power drawn by one host."},
          {"power.nics", ParamType::kMapping, std::nullopt, std::nullopt, "Network adapters."},
          {"power.nics.count", ParamType::kInteger, std::nullopt, std::nullopt,
           "Number of network adapters in the system."},
          {"power.nics.each", ParamType::kQuantity, Dimension::kPower, std::nullopt,
           "Power drawn by one network adapter."},
          {"power.switches", ParamType::kMapping, std::nullopt, std::nullopt,
           "The network's switches."},
          {"power.switches.count", ParamType::kInteger, std::nullopt, std::nullopt,
           "Number of switches (0 for a ring or torus)."},
          {"power.switches.ports", ParamType::kInteger, std::nullopt, std::nullopt,
           "Ports on each switch."},
          {"power.switches.per_port", ParamType::kQuantity, Dimension::kPower, std::nullopt,
           "Power of one switch port at any load (SerDes, buffers)."},
          {"power.switches.per_byte", ParamType::kQuantity, Dimension::kEnergy, std::nullopt,
           "Energy per byte a switch forwards, added to the chips' own link energy."},
          {"rack", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "How the chips sit in racks and what a rack's power and cooling deliver."},
          {"rack.chips_per_rack", ParamType::kInteger, std::nullopt, std::nullopt,
           "Chips in one rack; 1 to topology.chips."},
          {"rack.power_budget", ParamType::kQuantity, Dimension::kPower, std::nullopt,
           "Power a rack may draw: its chips at their board limit plus their share of hosts, "
           "NICs and switches must stay within it."},
      }};
  return kind;
}

}  // namespace jalapeno
