// Systems (data/systems/*.yaml) and the network model that times phases of
// point-to-point flows on them.
//
// A system file:
//
//   name: hgx-h100
//   source: <citations>
//   chip: h100-sxm              # a chip preset, or a path (relative to this file)
//   topology:
//     kind: switched            # switched | leaf_spine | ring | torus
//     chips: 8
//     link: {bandwidth: 25GB/s, count: 18, efficiency: 0.82, latency: 0.25us}
//     switch_latency: 0.5us
//     message_overhead: 1us
//     collective_launch: 25us
//     in_network_reduction: true        # optional, default false (switched, leaf_spine)
//     in_network_bandwidth: 275GB/s     # optional, needs in_network_reduction
//     chips_per_leaf: 32                # leaf_spine only
//     uplink: {bandwidth: ..., efficiency: ..., latency: ...}   # leaf_spine only
//     dims: [4, 4, 4]                   # torus only (product = chips)
//
// link: one chip's connection to the network, per direction; for switched and
//   leaf_spine all of a chip's ports together, for ring and torus each link
//   to one neighbour. bandwidth is the datasheet rate of one link and count
//   (optional, default 1) how many such links there are (18 NVLink 4 links of
//   25 GB/s, or 8 Ethernet ports of 100 GB/s); efficiency (optional,
//   in (0, 1], default 1) the fraction a collective library achieves on it;
//   LinkSpec::Bps holds their product. latency: wire and port, one hop.
// switch_latency: per switch traversed (required for switched and leaf_spine;
//   for ring and torus, optional, the forwarding latency of each intermediate
//   chip, default 0).
// message_overhead: once per phase (protocol and synchronisation).
// collective_launch: once per collective call.
// uplink: a whole leaf's links to the spine layer, per direction, shared by
//   every flow that leaves (or enters) that leaf.
//
// Routing and path latency (L: link latency, W: switch latency):
//   switched    src up-link, dst down-link;                        2L + W
//   leaf_spine  within a leaf as switched; between leaves also the src leaf's
//               uplink and the dst leaf's downlink;                2L + 2L_up + 3W
//               (leaf, spine and leaf switches)
//   ring        the shorter way round (an exact tie splits the bytes evenly
//               between both ways); h hops:                        hL + (h-1)W
//   torus       dimension order (dimension 0 first), the shorter way in each
//               dimension with wraparound (ties split as on a ring); hL + (h-1)W
// phase_seconds = max over directed links (bytes / Bps) + max over flows of
//   path latency + message_overhead; 0 for a phase with no flow between two
//   different chips.
#include "hw/topology.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "core/error.hpp"
#include "core/params.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "core/units.hpp"
#include "hw/chip_spec.hpp"

namespace jalapeno {
namespace fs = std::filesystem;
namespace {

std::string kind_name(TopologyKind kind) {
  switch (kind) {
    case TopologyKind::kSwitched:
      return "switched";
    case TopologyKind::kLeafSpine:
      return "leaf_spine";
    case TopologyKind::kRing:
      return "ring";
    case TopologyKind::kTorus:
      return "torus";
  }
  return "unknown";
}

double non_negative_time(SpecReader& reader, const std::string& key) {
  const double value = reader.quantity(key, Dimension::kTime);
  if (!(value >= 0)) reader.fail(key, "a time of zero or more such as '0.5us'");
  return value;
}

LinkSpec read_link(SpecReader& parent, const std::string& key) {
  SpecReader link = parent.child(key);
  LinkSpec spec;
  const double datasheet_Bps = link.positive_quantity("bandwidth", Dimension::kBandwidth);
  const double efficiency = link.has("efficiency") ? link.fraction("efficiency") : 1.0;
  link.ignore("efficiency");
  // Several physical links of one chip in the same direction act as one.
  const int64_t count = link.has("count") ? link.integer_in("count", 1, 4096) : 1;
  link.ignore("count");
  spec.raw_Bps = datasheet_Bps * static_cast<double>(count);
  spec.Bps = spec.raw_Bps * efficiency;
  spec.latency_s = non_negative_time(link, "latency");
  link.finish();
  return spec;
}

// Checks a topology; throws ConfigError naming what does not hold.
// Tori built have 2 or 3 dimensions (TPU v4/v5p: 3); 6 leaves room for what-ifs.
constexpr size_t kMaxTorusDims = 6;

void validate(const TopologySpec& spec) {
  const std::string kind = kind_name(spec.kind);
  auto fail = [&](const std::string& what) {
    throw ConfigError(fmt::format("{} topology of {} chips: {}", kind, spec.chips, what));
  };
  if (spec.chips < 1) fail("needs at least one chip");
  if (spec.chips > kMaxChips) fail(fmt::format("at most {} chips are accepted", kMaxChips));
  if (!(spec.link.Bps > 0) || !std::isfinite(spec.link.Bps)) {
    fail(fmt::format("link bandwidth must be above zero, got {} B/s", spec.link.Bps));
  }
  if (!(spec.link.latency_s >= 0) || !(spec.switch_latency_s >= 0) ||
      !(spec.message_overhead_s >= 0) || !(spec.collective_launch_s >= 0)) {
    fail("latencies, overheads and the launch cost must be zero or more");
  }
  if (spec.in_network_Bps < 0 || !std::isfinite(spec.in_network_Bps)) {
    fail("in-network reduction bandwidth must be zero (the link rate) or above");
  }
  if (spec.in_network_reduction &&
      (spec.kind == TopologyKind::kRing || spec.kind == TopologyKind::kTorus)) {
    fail("in-network reduction needs a switch; a ring or torus has none");
  }
  if (spec.kind == TopologyKind::kLeafSpine) {
    if (spec.chips_per_leaf < 1 || spec.chips % spec.chips_per_leaf != 0) {
      fail(fmt::format("chips_per_leaf {} does not divide the chips into whole leaves",
                       spec.chips_per_leaf));
    }
    if (!(spec.uplink.Bps > 0) || !std::isfinite(spec.uplink.Bps) ||
        !(spec.uplink.latency_s >= 0)) {
      fail("the leaves' uplink needs a bandwidth above zero and a latency of zero or more");
    }
  } else if (spec.chips_per_leaf != 0) {
    fail("chips_per_leaf applies to leaf_spine only");
  }
  if (spec.kind == TopologyKind::kTorus) {
    if (spec.dims.empty()) fail("a torus needs dims, the extent of each dimension");
    if (spec.dims.size() > kMaxTorusDims) {
      fail(fmt::format("a torus has at most {} dimensions, got {}", kMaxTorusDims,
                       spec.dims.size()));
    }
    int64_t product = 1;
    bool overflow = false;
    for (int64_t d : spec.dims) {
      if (d < 1) fail(fmt::format("torus dimensions must be at least 1, got {}", d));
      overflow = __builtin_mul_overflow(product, d, &product);
      if (overflow || product > spec.chips) break;
    }
    if (overflow || product != spec.chips) {
      std::string dims;
      for (int64_t d : spec.dims) dims += (dims.empty() ? "" : " x ") + std::to_string(d);
      fail(fmt::format("dims {} do not hold exactly {} chips: chips beyond them are unreachable",
                       dims, spec.chips));
    }
  } else if (spec.kind == TopologyKind::kRing) {
    if (!spec.dims.empty() && !(spec.dims.size() == 1 && spec.dims[0] == spec.chips)) {
      fail("a ring's dims, where given, must be [chips]");
    }
  } else if (!spec.dims.empty()) {
    fail("dims apply to torus (and ring) only");
  }
}

}  // namespace

SystemSpec read_system_spec(const std::string& path) {
  return read_system_spec(load_document(path));
}

SystemSpec read_system_spec(const Document& document, const std::string& key_prefix) {
  const Document doc = resolve_extends(document, "systems", ".yaml", "system", {"chip"});
  SpecReader reader = SpecReader::mapping(doc, key_prefix, &system_param_kind());
  const std::string path = doc.file;
  SystemSpec system;
  system.name = reader.string("name");
  system.source = reader.string("source");
  {
    const std::string chip = reader.string("chip");
    const fs::path preset = fs::path(data_dir()) / "chips" / (chip + ".yaml");
    const fs::path beside = fs::path(path).parent_path() / chip;
    std::error_code ec;  // a name too long for a path is not a file, not a throw
    if (fs::is_regular_file(preset, ec)) {
      system.chip = chip;
    } else if (fs::path(chip).is_relative() && fs::is_regular_file(beside, ec)) {
      system.chip = beside.lexically_normal().string();
    } else if (fs::is_regular_file(chip, ec)) {
      system.chip = chip;
    } else {
      std::string names;
      for (const auto& name : chip_preset_names()) names += (names.empty() ? "" : ", ") + name;
      reader.fail("chip", fmt::format("a chip preset ({}) or a chip file, got '{}'", names, chip));
    }
  }
  SpecReader topo = reader.child("topology");
  TopologySpec& t = system.topology;
  {
    const std::string kind = topo.string("kind");
    if (kind == "switched") {
      t.kind = TopologyKind::kSwitched;
    } else if (kind == "leaf_spine") {
      t.kind = TopologyKind::kLeafSpine;
    } else if (kind == "ring") {
      t.kind = TopologyKind::kRing;
    } else if (kind == "torus") {
      t.kind = TopologyKind::kTorus;
    } else {
      topo.fail("kind", fmt::format("one of switched, leaf_spine, ring, torus, got '{}'", kind));
    }
  }
  const bool has_switch = t.kind == TopologyKind::kSwitched || t.kind == TopologyKind::kLeafSpine;
  t.chips = topo.integer("chips", 1);
  if (t.chips > kMaxChips) {
    topo.fail("chips", fmt::format("at most {} chips in one system (the largest clusters "
                                   "built hold a few hundred thousand), got {}",
                                   kMaxChips, t.chips));
  }
  t.link = read_link(topo, "link");
  if (has_switch || topo.has("switch_latency")) {
    t.switch_latency_s = non_negative_time(topo, "switch_latency");
  } else {
    topo.ignore("switch_latency");
  }
  t.message_overhead_s = non_negative_time(topo, "message_overhead");
  t.collective_launch_s = non_negative_time(topo, "collective_launch");
  t.in_network_reduction = topo.boolean_or("in_network_reduction", false);
  if (t.in_network_reduction && !has_switch) {
    topo.fail("in_network_reduction", "false: a ring or torus has no switch to reduce in");
  }
  if (topo.has("in_network_bandwidth")) {
    if (!t.in_network_reduction) {
      topo.fail("in_network_bandwidth", "no value unless in_network_reduction is true");
    }
    t.in_network_Bps = topo.positive_quantity("in_network_bandwidth", Dimension::kBandwidth);
  } else {
    topo.ignore("in_network_bandwidth");
  }
  if (t.kind == TopologyKind::kLeafSpine) {
    t.chips_per_leaf = topo.integer("chips_per_leaf", 1);
    if (t.chips % t.chips_per_leaf != 0) {
      topo.fail("chips_per_leaf",
                fmt::format("a divisor of chips ({}), got {}", t.chips, t.chips_per_leaf));
    }
    t.uplink = read_link(topo, "uplink");
  } else {
    for (const char* key : {"chips_per_leaf", "uplink"}) {
      if (topo.has(key)) topo.fail(key, "no value: it applies to kind leaf_spine only");
    }
  }
  if (t.kind == TopologyKind::kTorus) {
    const YAML::Node dims = topo.raw("dims");
    const std::string expected = "a list of whole numbers of at least 1 such as [4, 4, 4]";
    if (!dims.IsSequence() || dims.size() == 0) topo.fail("dims", expected);
    if (dims.size() > kMaxTorusDims) {
      topo.fail("dims", fmt::format("at most {} dimensions, got {}", kMaxTorusDims, dims.size()));
    }
    int64_t product = 1;
    bool beyond = false;  // the product passed chips (and might overflow)
    for (const auto& d : dims) {
      int64_t value = 0;
      try {
        value = d.as<int64_t>();
      } catch (const YAML::Exception&) {
        topo.fail("dims", expected);
      }
      if (value < 1) topo.fail("dims", expected);
      t.dims.push_back(value);
      // Checked: extents of 2^61 and 2^62 must not wrap to a small product.
      if (!beyond) beyond = __builtin_mul_overflow(product, value, &product);
      beyond = beyond || product > t.chips;
    }
    if (beyond || product != t.chips) {
      topo.fail("dims", fmt::format("extents whose product is chips ({}), got a product of {}",
                                    t.chips, beyond ? "more than that" : std::to_string(product)));
    }
  } else if (topo.has("dims")) {
    topo.fail("dims", "no value: it applies to kind torus only");
  }
  const ChipSpec chip = load_chip(system.chip);
  {
    // The links leave the chip through its SerDes: a chip that states them
    // (key io) carries no more than its lanes do. A ring or torus chip
    // drives a link to each neighbour.
    const double neighbours = t.kind == TopologyKind::kTorus
                                  ? 2.0 * static_cast<double>(t.dims.size())
                              : t.kind == TopologyKind::kRing ? 2.0
                                                              : 1.0;
    if (chip.io && t.link.raw_Bps * neighbours > chip.io->raw_Bps() * (1 + 1e-9)) {
      topo.fail(
          "link.bandwidth",
          fmt::format("links within what {}'s SerDes carry: {} lanes x {} = {} per direction, "
                      "against {} x {} link(s) here",
                      chip.name, chip.io->lanes,
                      format_quantity(chip.io->lane_Bps, Dimension::kBandwidth),
                      format_quantity(chip.io->raw_Bps(), Dimension::kBandwidth), neighbours,
                      format_quantity(t.link.raw_Bps, Dimension::kBandwidth)));
    }
  }
  topo.finish();
  if (reader.has("power")) {
    SpecReader power = reader.child("power");
    SystemPower sp;
    const auto counted = [&power](const char* key, int64_t& count, double& watts) {
      SpecReader item = power.child(key);
      count = item.integer_in("count", 0, 10000000);
      watts = item.quantity("each", Dimension::kPower);
      if (watts < 0) item.fail("each", "a power of zero or more, such as '25W'");
      item.finish();
    };
    counted("hosts", sp.hosts, sp.host_W);
    counted("nics", sp.nics, sp.nic_W);
    {
      SpecReader sw = power.child("switches");
      sp.switches = sw.integer_in("count", 0, 10000000);
      sp.switch_ports = sw.integer_in("ports", 0, 100000);
      sp.switch_port_W = sw.quantity("per_port", Dimension::kPower);
      if (sp.switch_port_W < 0) sw.fail("per_port", "a power of zero or more, such as '5W'");
      t.switch_byte_J = sw.quantity("per_byte", Dimension::kEnergy);
      if (t.switch_byte_J < 0) sw.fail("per_byte", "an energy of zero or more, such as '70pJ'");
      if (sp.switches > 0 && !has_switch) {
        sw.fail("count", "0: a ring or torus has no switches");
      }
      sw.finish();
    }
    power.finish();
    system.power = sp;
  } else {
    reader.ignore("power");
  }
  if (reader.has("rack")) {
    SpecReader rack = reader.child("rack");
    RackSpec r;
    r.chips_per_rack = rack.integer_in("chips_per_rack", 1, t.chips);
    r.power_budget_W = rack.positive_quantity("power_budget", Dimension::kPower);
    // Every chip at its board limit, with its share of hosts, NICs and
    // switches (or the chip file's system_power): what the rack must feed
    // and cool at full load.
    const double beyond_per_chip = system.power
                                       ? system.power->total_W() / static_cast<double>(t.chips)
                                   : chip.cost ? chip.cost->system_power_W
                                               : 0.0;
    r.draw_W = static_cast<double>(r.chips_per_rack) * (chip.tdp_W + beyond_per_chip);
    if (r.draw_W > r.power_budget_W) {
      rack.fail("power_budget",
                fmt::format("at least what a rack draws at full load: {} chips x ({} board limit "
                            "+ {} of the rest) = {}",
                            r.chips_per_rack, format_quantity(chip.tdp_W, Dimension::kPower),
                            format_quantity(beyond_per_chip, Dimension::kPower),
                            format_quantity(r.draw_W, Dimension::kPower)));
    }
    rack.finish();
    system.rack = r;
  } else {
    reader.ignore("rack");
  }
  reader.finish();
  try {
    validate(t);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", path, e.what()));
  }
  return system;
}

SystemSpec load_system(const std::string& name_or_path) {
  return read_system_spec(resolve_preset("systems", name_or_path, ".yaml", "system"));
}

std::vector<std::string> system_preset_names() {
  return preset_names("systems", ".yaml");
}

// --- the network --------------------------------------------------------------

// Directed links are numbered:
//   switched, leaf_spine: chip c's up-link c, its down-link chips + c; then
//     (leaf_spine) leaf l's uplink 2 chips + l, its downlink 2 chips + leaves + l.
//   ring, torus: chip c's link in dimension d, direction s (0 forward, 1
//     backward): (c * dims + d) * 2 + s.
Network::Network(TopologySpec spec) : spec_(std::move(spec)) {
  validate(spec_);
  const int64_t n = spec_.chips;
  switch (spec_.kind) {
    case TopologyKind::kSwitched:
      capacity_.assign(2 * n, spec_.link.Bps);
      break;
    case TopologyKind::kLeafSpine: {
      const int64_t leaves = n / spec_.chips_per_leaf;
      capacity_.assign(2 * n, spec_.link.Bps);
      capacity_.resize(2 * n + 2 * leaves, spec_.uplink.Bps);
      break;
    }
    case TopologyKind::kRing:
    case TopologyKind::kTorus: {
      dims_ = spec_.kind == TopologyKind::kRing ? std::vector<int64_t>{n} : spec_.dims;
      int64_t stride = 1;
      for (int64_t d : dims_) {
        strides_.push_back(stride);
        stride *= d;
      }
      capacity_.assign(n * static_cast<int64_t>(dims_.size()) * 2, spec_.link.Bps);
      break;
    }
  }
}

void Network::check_chip(int64_t chip) const {
  if (chip < 0 || chip >= spec_.chips) {
    throw std::out_of_range(
        fmt::format("chip {} is not on this network (chips 0 to {})", chip, spec_.chips - 1));
  }
}

double Network::route(int64_t src, int64_t dst, double bytes, std::vector<double>* loads) const {
  const double link_s = spec_.link.latency_s;
  const double switch_s = spec_.switch_latency_s;
  const int64_t n = spec_.chips;
  switch (spec_.kind) {
    case TopologyKind::kSwitched:
      if (loads) {
        (*loads)[src] += bytes;
        (*loads)[n + dst] += bytes;
      }
      return 2 * link_s + switch_s;
    case TopologyKind::kLeafSpine: {
      if (loads) {
        (*loads)[src] += bytes;
        (*loads)[n + dst] += bytes;
      }
      const int64_t src_leaf = src / spec_.chips_per_leaf;
      const int64_t dst_leaf = dst / spec_.chips_per_leaf;
      if (src_leaf == dst_leaf) return 2 * link_s + switch_s;
      if (loads) {
        const int64_t leaves = n / spec_.chips_per_leaf;
        (*loads)[2 * n + src_leaf] += bytes;
        (*loads)[2 * n + leaves + dst_leaf] += bytes;
      }
      return 2 * link_s + 2 * spec_.uplink.latency_s + 3 * switch_s;
    }
    case TopologyKind::kRing:
    case TopologyKind::kTorus: {
      const int64_t ndims = static_cast<int64_t>(dims_.size());
      int64_t here = src;
      int64_t hops = 0;
      // Walks steps links from chip `from` along dimension d in direction dir.
      auto walk = [&](int64_t from, int64_t d, int dir, int64_t steps, double share) {
        const int64_t extent = dims_[d];
        const int64_t stride = strides_[d];
        int64_t chip = from;
        for (int64_t s = 0; s < steps; ++s) {
          (*loads)[(chip * ndims + d) * 2 + dir] += share;
          const int64_t x = (chip / stride) % extent;
          const int64_t next = dir == 0 ? (x + 1) % extent : (x + extent - 1) % extent;
          chip += (next - x) * stride;
        }
      };
      for (int64_t d = 0; d < ndims; ++d) {
        const int64_t extent = dims_[d];
        const int64_t stride = strides_[d];
        const int64_t a = (here / stride) % extent;
        const int64_t b = (dst / stride) % extent;
        const int64_t forward = ((b - a) % extent + extent) % extent;
        if (forward == 0) continue;
        const int64_t backward = extent - forward;
        if (loads) {
          if (forward < backward) {
            walk(here, d, 0, forward, bytes);
          } else if (backward < forward) {
            walk(here, d, 1, backward, bytes);
          } else {
            walk(here, d, 0, forward, bytes / 2);
            walk(here, d, 1, backward, bytes / 2);
          }
        }
        hops += std::min(forward, backward);
        here += (b - a) * stride;
      }
      return static_cast<double>(hops) * link_s +
             static_cast<double>(std::max<int64_t>(hops - 1, 0)) * switch_s;
    }
  }
  return 0;
}

int64_t Network::hops(int64_t a, int64_t b) const {
  check_chip(a);
  check_chip(b);
  if (a == b) return 0;
  switch (spec_.kind) {
    case TopologyKind::kSwitched:
      return 2;
    case TopologyKind::kLeafSpine:
      return a / spec_.chips_per_leaf == b / spec_.chips_per_leaf ? 2 : 4;
    case TopologyKind::kRing:
    case TopologyKind::kTorus: {
      int64_t total = 0;
      for (size_t d = 0; d < dims_.size(); ++d) {
        const int64_t x = (a / strides_[d]) % dims_[d];
        const int64_t y = (b / strides_[d]) % dims_[d];
        const int64_t forward = ((y - x) % dims_[d] + dims_[d]) % dims_[d];
        total += std::min(forward, dims_[d] - forward);
      }
      return total;
    }
  }
  return 0;
}

double Network::phase_seconds(const std::vector<Flow>& flows) const {
  std::vector<double> loads(capacity_.size(), 0.0);
  double latency_s = 0;
  bool any = false;
  for (const Flow& flow : flows) {
    check_chip(flow.src);
    check_chip(flow.dst);
    if (!(flow.bytes >= 0) || !std::isfinite(flow.bytes)) {
      throw std::invalid_argument(
          fmt::format("flow {} -> {}: bytes must be finite and not negative, got {}", flow.src,
                      flow.dst, flow.bytes));
    }
    if (flow.src == flow.dst) continue;  // stays on the chip
    any = true;
    latency_s = std::max(latency_s, route(flow.src, flow.dst, flow.bytes, &loads));
  }
  if (!any) return 0;
  double transfer_s = 0;
  for (size_t i = 0; i < loads.size(); ++i) {
    if (loads[i] > 0) transfer_s = std::max(transfer_s, loads[i] / capacity_[i]);
  }
  return transfer_s + latency_s + spec_.message_overhead_s;
}

}  // namespace jalapeno
