#pragma once
// The physical network joining the chips of a system: links, switches and
// how they connect. Collective algorithms (cost/collective.hpp) are written
// over logical ranks and never see this; they hand it phases of simultaneous
// point-to-point flows, and the network says how long each phase takes on
// its links, with flows that share a link sharing its bandwidth.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/spec_reader.hpp"

namespace jalapeno {
struct ChipSpec;
}

namespace jalapeno {

// The most chips one system may have (2^20): beyond the largest clusters
// built, and small enough that per-link state stays in megabytes.
inline constexpr int64_t kMaxChips = int64_t{1} << 20;

struct LinkSpec {
  double Bps = 0;        // per direction, achievable: datasheet rate x the file's link efficiency
  double latency_s = 0;  // wire and port latency, one hop
  double raw_Bps = 0;    // per direction, datasheet rate x count (what the chip's SerDes carry)
  int64_t count = 1;     // links acting together
  double one_Bps = 0;    // one link's datasheet rate
};

enum class TopologyKind {
  kSwitched,   // one tier: every chip to one (logical) switch: NVSwitch, one Ethernet switch
  kLeafSpine,  // two tiers: chips to leaf switches, leaves to spine switches
  kRing,       // chips in a ring, links to both neighbours
  kTorus,      // 2D or 3D torus, links to both neighbours in every dimension
  // Two networks: switched scale-up domains (NVLink, scale-up Ethernet) and
  // a scale-out fabric every chip reaches through ports of its own.
  kScaleUpOut,
};

// "switched", "leaf_spine", "ring", "torus", "scale_up_out": as a file names it.
std::string topology_kind_name(TopologyKind kind);

enum class LinkMedium { kUnstated, kCopper, kOptics };
std::string medium_name(LinkMedium medium);  // "copper", "optics", "unstated"

// One tier of a switched network built from a switch preset: what its
// boxes, optics and ports add to the system's power and cost.
struct SwitchTier {
  std::string name;          // "scale_up" (a switched topology's one tier) or "scale_out"
  std::string switch_model;  // the switch preset
  int64_t switches = 0;      // boxes, in the whole system
  int64_t levels = 1;        // switch levels between two chips' ports: 1, or a fat tree's 2 or 3
  int64_t chip_ports = 0;    // chip-side links, in the whole system
  double switch_idle_W = 0;  // each box
  double switch_byte_J = 0;
  double switch_usd = 0;
  LinkMedium medium = LinkMedium::kUnstated;
  int64_t transceivers = 0;  // optics: one at each end of every link
  double transceiver_W = 0;
  double transceiver_usd = 0;
  double idle_W() const {
    return static_cast<double>(switches) * switch_idle_W +
           static_cast<double>(transceivers) * transceiver_W;
  }
  double switches_usd() const { return static_cast<double>(switches) * switch_usd; }
  double optics_usd() const { return static_cast<double>(transceivers) * transceiver_usd; }
};

struct TopologySpec {
  TopologyKind kind = TopologyKind::kSwitched;
  int64_t chips = 1;
  LinkSpec link;                  // a chip's link (for switched: to the switch, all ports together)
  double switch_latency_s = 0;    // per switch traversed
  double message_overhead_s = 0;  // per message: protocol and synchronisation
  bool in_network_reduction = false;  // the switch reduces (NVLink SHARP, Ethernet INC)
  // Per-chip rate an in-network all-reduce reaches (its algorithm bandwidth:
  // buffer bytes over time); 0 means the link rate. NVLink SHARP runs below
  // the link rate (NCCL: ~275 GB/s on 8 H100s against 370 GB/s for a ring).
  double in_network_Bps = 0;
  // Leaf-spine only.
  int64_t chips_per_leaf = 0;
  LinkSpec uplink;  // a leaf's uplinks to the spine, all together
  // Torus only: the extent of each dimension (product = chips).
  std::vector<int64_t> dims;
  // scale_up_out only: chips per scale-up domain (link, switch_latency and
  // in-network reduction are that tier's), and each chip's own scale-out
  // ports into a non-blocking fabric of out_levels switch levels.
  int64_t chips_per_domain = 0;
  LinkSpec out_link;
  double out_switch_latency_s = 0;
  int64_t out_levels = 1;
  // The tiers that name a switch preset (for power and cost).
  std::vector<SwitchTier> tiers;
  // Fixed cost of one collective call beyond its messages: kernel launch and
  // the ranks' synchronisation.
  double collective_launch_s = 0;
  // Energy per byte a switch forwards (a system's power.switches.per_byte);
  // the chips' own link energy is in their power model.
  double switch_byte_J = 0;
};

// What a system draws beyond its chips (a system file's `power:`), README
// "Energy and cost". Counts and per-item figures, each an assumption the
// preset cites or marks.
struct SystemPower {
  int64_t hosts = 0;
  double host_W = 0;  // each: CPUs, memory, fans, storage
  int64_t nics = 0;
  double nic_W = 0;
  int64_t switches = 0;
  int64_t switch_ports = 0;  // each switch's
  double switch_port_W = 0;  // per port, at any load (SerDes, buffers)
  double tiers_W = 0;        // switch presets' boxes and optics (TopologySpec::tiers)
  double switches_W() const {
    return static_cast<double>(switches * switch_ports) * switch_port_W + tiers_W;
  }
  double total_W() const {
    return static_cast<double>(hosts) * host_W + static_cast<double>(nics) * nic_W + switches_W();
  }
};

// What the system's parts beyond its chips cost (a system file's `cost:`,
// with the switches and optics of its tiers).
struct SystemCost {
  double host_usd = 0;    // each host (power.hosts.count of them)
  double rack_usd = 0;    // each rack: enclosure, power shelves, cooling, cabling
  double switch_usd = 0;  // each of power.switches (a tier's preset carries its own)
};

// How the system's chips sit in racks, and what a rack may draw (key rack).
struct RackSpec {
  int64_t chips_per_rack = 0;
  double power_budget_W = 0;  // what the rack's power and cooling deliver
  double draw_W = 0;          // its chips at their limit plus their share of the rest
  int64_t racks(int64_t chips) const { return (chips + chips_per_rack - 1) / chips_per_rack; }
};

// A system: chips of one kind joined by a topology. Read from
// data/systems/<name>.yaml.
struct SystemSpec {
  std::string name;
  std::string source;
  std::string chip;  // a chip preset name or path
  TopologySpec topology;
  std::optional<SystemPower> power;
  std::optional<RackSpec> rack;
  std::optional<SystemCost> cost;
};

// A system's price, part by part; total() is their sum and every share is
// the total spread evenly over the chips (or racks).
struct SystemBill {
  int64_t chips = 0;
  int64_t racks = 0;        // 0 without a rack
  double chips_usd = 0;     // chips x (price + HBM priced apart)
  double switches_usd = 0;  // the tiers' switch boxes
  double optics_usd = 0;    // the tiers' transceivers
  double hosts_usd = 0;
  double racks_usd = 0;
  double total_usd() const { return chips_usd + switches_usd + optics_usd + hosts_usd + racks_usd; }
  // Everything but the chips, per chip: a chip file's cost.system_share.
  double system_share_usd() const { return (total_usd() - chips_usd) / static_cast<double>(chips); }
  double per_rack_usd() const { return racks > 0 ? total_usd() / static_cast<double>(racks) : 0; }
};

// What each chip's rack holds beyond the chip: its share of hosts, NICs and
// the scale-up tier, and its own end of the scale-out optics; the fabric's
// switches sit in racks of their own. Zero without `power:` (the chip file's
// system_power is used then).
double rack_share_W(const SystemSpec& system);
// The same, or the chip file's cost.system_power for a system without
// `power:` (the figure the rack's budget is checked against).
double rack_share_W(const SystemSpec& system, const ChipSpec& chip);

// The bill of a system with a `cost:` (nothing without one, or when its chip
// has no price).
std::optional<SystemBill> system_bill(const SystemSpec& system, const ChipSpec& chip);

SystemSpec read_system_spec(const std::string& path);
// From a parsed document (a file's, or a mapping inline in a scenario, whose
// keys are then named under key_prefix). A top-level `extends: PRESET` lays
// the document over that preset's (resolve_extends).
SystemSpec read_system_spec(const Document& doc, const std::string& key_prefix = "");
SystemSpec load_system(const std::string& name_or_path);
std::vector<std::string> system_preset_names();

// One message of a phase: src sends bytes to dst.
struct Flow {
  int64_t src = 0;
  int64_t dst = 0;
  double bytes = 0;
};

class Network {
 public:
  // Throws ConfigError for a topology that does not hold together (dims
  // whose product is not the chip count, chips_per_leaf not dividing chips,
  // zero bandwidth, unreachable chips).
  explicit Network(TopologySpec spec);

  const TopologySpec& spec() const { return spec_; }
  int64_t chips() const { return spec_.chips; }
  // Hops (links traversed) from a to b on the routed path.
  int64_t hops(int64_t a, int64_t b) const;
  // a and b sit under one switch tier that can reduce in the network: a
  // switched topology, or one scale-up domain.
  bool same_domain(int64_t a, int64_t b) const;
  // Time for simultaneous flows: the busiest directed link's bytes over its
  // bandwidth, plus the longest path's latency (links and switches) and one
  // message overhead. Flows are routed (dimension order on a torus, the
  // shorter way round a ring, up to the spine only between leaves).
  double phase_seconds(const std::vector<Flow>& flows) const;

 private:
  // Adds bytes to every directed link on the routed path from src to dst
  // (loads may be null: latency only) and returns the path's latency.
  double route(int64_t src, int64_t dst, double bytes, std::vector<double>* loads) const;
  void check_chip(int64_t chip) const;

  TopologySpec spec_;
  std::vector<int64_t> dims_;     // ring and torus: extents (a ring is one dimension)
  std::vector<int64_t> strides_;  // ring and torus: chip index step per dimension
  std::vector<double> capacity_;  // bytes/s of each directed link, by link index
};

}  // namespace jalapeno
