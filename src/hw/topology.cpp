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
#include "hw/cost_spec.hpp"
#include "hw/switch_spec.hpp"

namespace jalapeno {
namespace fs = std::filesystem;
namespace {

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
  spec.count = count;
  spec.one_Bps = datasheet_Bps;
  spec.raw_Bps = datasheet_Bps * static_cast<double>(count);
  spec.Bps = spec.raw_Bps * efficiency;
  spec.latency_s = non_negative_time(link, "latency");
  link.finish();
  return spec;
}

// The switch preset a tier names (`switch: {model: NAME}`: a preset, or a
// file beside the system file or from where jalapeno runs), failing at the
// key when it is none.
SwitchSpec read_switch_model(SpecReader& sw) {
  const std::string model = sw.string("model");
  const fs::path beside = fs::path(sw.file()).parent_path() / model;
  std::error_code ec;  // a name too long for a path is not a file
  const bool local =
      fs::path(model).is_relative() && !sw.file().empty() && fs::is_regular_file(beside, ec);
  try {
    return load_switch(local ? beside.lexically_normal().string() : model);
  } catch (const ConfigError& e) {
    sw.fail("model", fmt::format("a switch preset or file ({})", e.what()));
  }
}

// A tier's medium (`medium: copper|optics`) and, for optics, its
// transceivers (`transceiver: {power, price}`, each one).
void read_medium(SpecReader& tier, SwitchTier& out) {
  if (tier.has("medium")) {
    const std::string medium = tier.string("medium");
    if (medium == "copper") {
      out.medium = LinkMedium::kCopper;
    } else if (medium == "optics") {
      out.medium = LinkMedium::kOptics;
    } else {
      tier.fail("medium", fmt::format("copper or optics, got '{}'", medium));
    }
  } else {
    tier.ignore("medium");
  }
  if (out.medium == LinkMedium::kOptics) {
    SpecReader optics = tier.child("transceiver");
    out.transceiver_W = optics.quantity("power", Dimension::kPower);
    if (!(out.transceiver_W >= 0)) optics.fail("power", "a power of zero or more such as '15W'");
    out.transceiver_usd = read_price(optics, "price", "", "800USD");
    optics.finish();
  } else if (tier.has("transceiver")) {
    tier.fail("transceiver", "no value unless medium is optics (copper needs none)");
  } else {
    tier.ignore("transceiver");
  }
}

// Switch levels of a non-blocking folded-Clos fabric of radix-`radix`
// switches over `endpoints` ports, and the switches it takes (Al-Fares et
// al., SIGCOMM 2008: a k-ary fat tree reaches k^3/4 hosts with 5k^2/4
// switches). 0 levels: beyond three.
std::pair<int64_t, int64_t> fat_tree(int64_t endpoints, int64_t radix) {
  const auto ceil_div = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  const double r = static_cast<double>(radix);
  const double n = static_cast<double>(endpoints);
  if (endpoints <= radix) return {1, 1};
  if (n <= r * r / 2) return {2, ceil_div(2 * endpoints, radix) + ceil_div(endpoints, radix)};
  if (n <= r * r * r / 4) return {3, ceil_div(5 * endpoints, radix)};
  return {0, 0};
}

// Checks a topology; throws ConfigError naming what does not hold.
// Tori built have 2 or 3 dimensions (TPU v4/v5p: 3); 6 leaves room for what-ifs.
constexpr size_t kMaxTorusDims = 6;

void validate(const TopologySpec& spec) {
  const std::string kind = topology_kind_name(spec.kind);
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
  if (spec.kind == TopologyKind::kScaleUpOut) {
    if (spec.chips_per_domain < 1 || spec.chips % spec.chips_per_domain != 0) {
      fail(fmt::format("{} chips per scale-up domain do not divide the chips into whole domains",
                       spec.chips_per_domain));
    }
    if (!(spec.out_link.Bps > 0) || !std::isfinite(spec.out_link.Bps) ||
        !(spec.out_link.latency_s >= 0) || !(spec.out_switch_latency_s >= 0) ||
        spec.out_levels < 1 || spec.out_levels > 3) {
      fail(
          "the scale-out link needs a bandwidth above zero, latencies of zero or more and 1 to "
          "3 switch levels");
    }
  } else if (spec.chips_per_domain != 0) {
    fail("chips per scale-up domain apply to scale_up_out only");
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
    } else if (kind == "scale_up_out") {
      t.kind = TopologyKind::kScaleUpOut;
    } else {
      topo.fail(
          "kind",
          fmt::format("one of switched, leaf_spine, ring, torus, scale_up_out, got '{}'", kind));
    }
  }
  const bool has_switch = t.kind == TopologyKind::kSwitched || t.kind == TopologyKind::kLeafSpine ||
                          t.kind == TopologyKind::kScaleUpOut;
  const bool two_networks = t.kind == TopologyKind::kScaleUpOut;
  t.chips = topo.integer("chips", 1);
  if (t.chips > kMaxChips) {
    topo.fail("chips", fmt::format("at most {} chips in one system (the largest clusters "
                                   "built hold a few hundred thousand), got {}",
                                   kMaxChips, t.chips));
  }
  // The scale-up tier's keys: the topology's own, or under scale_up.
  std::optional<SpecReader> scale_up;
  if (two_networks) {
    scale_up = topo.child("scale_up");
    t.chips_per_domain = scale_up->integer_in("chips", 1, t.chips);
    if (t.chips % t.chips_per_domain != 0) {
      scale_up->fail("chips", fmt::format("a divisor of topology.chips ({}), got {}", t.chips,
                                          t.chips_per_domain));
    }
  } else {
    for (const char* key : {"scale_up", "scale_out"}) {
      if (topo.has(key)) topo.fail(key, "no value: it applies to kind scale_up_out only");
    }
  }
  SpecReader& up = scale_up ? *scale_up : topo;
  const int64_t domain_chips = two_networks ? t.chips_per_domain : t.chips;
  t.link = read_link(up, "link");
  std::vector<std::pair<SwitchTier, std::string>> tiers;  // with the key of each one's medium
  SwitchTier up_tier;
  up_tier.name = "scale_up";
  up_tier.chip_ports = t.chips * (t.link.count);
  std::optional<SwitchSpec> up_model;
  if (up.has("switch")) {
    if (t.kind != TopologyKind::kSwitched && !two_networks) {
      up.fail("switch",
              "no value: a switch preset names the switches of kind switched or "
              "scale_up_out");
    }
    SpecReader sw = up.child("switch");
    up_model = read_switch_model(sw);
    const int64_t per_domain = sw.integer_in("count", 1, 1000000);
    if (t.link.one_Bps > up_model->port_Bps * (1 + 1e-9)) {
      up.fail("link.bandwidth",
              fmt::format("at most the port speed of {} ({}) for each link", up_model->name,
                          format_quantity(up_model->port_Bps, Dimension::kBandwidth)));
    }
    const int64_t ports_needed = domain_chips * t.link.count;
    if (ports_needed > per_domain * up_model->ports) {
      sw.fail("count",
              fmt::format("switches enough for {} chips x {} links = {} ports; {} x {} has {}{}",
                          domain_chips, t.link.count, ports_needed, per_domain, up_model->name,
                          per_domain * up_model->ports, two_networks ? " (per domain)" : ""));
    }
    sw.finish();
    up_tier.switch_model = up_model->name;
    up_tier.switches = per_domain * (t.chips / domain_chips);
    up_tier.switch_idle_W = up_model->idle_W;
    up_tier.switch_byte_J = up_model->byte_J;
    up_tier.switch_usd = up_model->price_usd;
    if (up.has("switch_latency")) {
      up.fail("switch_latency",
              fmt::format("no value: switch {} gives it ({}); remove one", up_model->name,
                          format_quantity(up_model->latency_s, Dimension::kTime)));
    }
    up.ignore("switch_latency");
    t.switch_latency_s = up_model->latency_s;
  } else {
    up.ignore("switch");
    if (has_switch || up.has("switch_latency")) {
      t.switch_latency_s = non_negative_time(up, "switch_latency");
    } else {
      up.ignore("switch_latency");
    }
  }
  if (t.kind != TopologyKind::kSwitched && !two_networks) {
    for (const char* key : {"medium", "transceiver"}) {
      if (up.has(key)) {
        up.fail(key, "no value: media are counted on switched and scale_up_out tiers only");
      }
    }
  }
  read_medium(up, up_tier);
  if (up_model || up_tier.medium != LinkMedium::kUnstated) {
    if (up_tier.medium == LinkMedium::kOptics) up_tier.transceivers = 2 * up_tier.chip_ports;
    tiers.emplace_back(up_tier, up.key_path("medium"));
  }
  t.message_overhead_s = non_negative_time(topo, "message_overhead");
  t.collective_launch_s = non_negative_time(topo, "collective_launch");
  // A switch preset says whether it reduces in the network; a file may turn
  // that off, not on.
  if (topo.has("in_network_reduction")) {
    t.in_network_reduction = topo.boolean("in_network_reduction");
  } else {
    topo.ignore("in_network_reduction");
    t.in_network_reduction = up_model && up_model->in_network_collectives;
  }
  if (t.in_network_reduction && !has_switch) {
    topo.fail("in_network_reduction", "false: a ring or torus has no switch to reduce in");
  }
  if (t.in_network_reduction && up_model && !up_model->in_network_collectives) {
    topo.fail("in_network_reduction",
              fmt::format("false: switch {} has no in-network collectives", up_model->name));
  }
  if (topo.has("in_network_bandwidth")) {
    if (!t.in_network_reduction) {
      topo.fail("in_network_bandwidth", "no value unless in_network_reduction is true");
    }
    t.in_network_Bps = topo.positive_quantity("in_network_bandwidth", Dimension::kBandwidth);
  } else {
    topo.ignore("in_network_bandwidth");
  }
  bool out_named = false;
  if (two_networks) {
    SpecReader out = topo.child("scale_out");
    t.out_link = read_link(out, "link");
    SwitchTier out_tier;
    out_tier.name = "scale_out";
    out_tier.chip_ports = t.chips * t.out_link.count;
    if (out.has("switch")) {
      SpecReader sw = out.child("switch");
      const SwitchSpec model = read_switch_model(sw);
      if (sw.has("count")) {
        sw.fail("count", "no value: a scale-out fabric's switches follow from its radix");
      }
      sw.ignore("count");
      sw.finish();
      if (t.out_link.one_Bps > model.port_Bps * (1 + 1e-9)) {
        out.fail("link.bandwidth",
                 fmt::format("at most the port speed of {} ({}) for each link", model.name,
                             format_quantity(model.port_Bps, Dimension::kBandwidth)));
      }
      // One fabric (plane) per port of each chip, every plane over all chips.
      const auto [levels, per_plane] = fat_tree(t.chips, model.ports);
      if (levels == 0) {
        out.fail("switch.model",
                 fmt::format("a switch whose radix joins {} chips in three levels at most "
                             "({} has {} ports: {} chips)",
                             t.chips, model.name, model.ports,
                             model.ports * model.ports * model.ports / 4));
      }
      for (const char* key : {"switch_latency", "levels"}) {
        if (out.has(key)) {
          out.fail(key, fmt::format("no value: switch {} and the chip count give it", model.name));
        }
        out.ignore(key);
      }
      t.out_levels = levels;
      t.out_switch_latency_s = model.latency_s;
      out_tier.switch_model = model.name;
      out_named = true;
      out_tier.levels = levels;
      out_tier.switches = per_plane * t.out_link.count;
      out_tier.switch_idle_W = model.idle_W;
      out_tier.switch_byte_J = model.byte_J;
      out_tier.switch_usd = model.price_usd;
    } else {
      out.ignore("switch");
      t.out_switch_latency_s = non_negative_time(out, "switch_latency");
      t.out_levels = out.integer_in("levels", 1, 3);
      out_tier.levels = t.out_levels;
    }
    read_medium(out, out_tier);
    if (!out_tier.switch_model.empty() || out_tier.medium != LinkMedium::kUnstated) {
      if (out_tier.medium == LinkMedium::kOptics) {
        out_tier.transceivers = 2 * out_tier.chip_ports * out_tier.levels;
      }
      tiers.emplace_back(out_tier, out.key_path("medium"));
    }
    out.finish();
    scale_up->finish();
  }
  // A system's switches are counted one way: every tier from a preset, or
  // none (then power.switches counts them all).
  if (two_networks && up_model.has_value() != out_named) {
    scale_up->fail("switch", up_model ? "a scale_out switch preset as well (switch: {model: ...}), "
                                        "or none here: the switches are counted one way"
                                      : "a switch preset as well (switch: {model, count}), as "
                                        "scale_out names one: the switches are counted one way");
  }
  bool named_switches = false;
  for (const auto& [tier, where] : tiers) {
    t.tiers.push_back(tier);
    // Energy per byte is one figure per system: the first named switch's
    // (the scale-up tier's, which carries the tensor-parallel traffic).
    if (!named_switches && !tier.switch_model.empty()) t.switch_byte_J = tier.switch_byte_J;
    named_switches = named_switches || !tier.switch_model.empty();
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
    const double chip_Bps = t.link.raw_Bps * neighbours + (two_networks ? t.out_link.raw_Bps : 0);
    if (chip.io && chip_Bps > chip.io->raw_Bps() * (1 + 1e-9)) {
      topo.fail(
          two_networks ? "scale_up.link.bandwidth" : "link.bandwidth",
          fmt::format(
              "links within what {}'s SerDes carry: {} lanes x {} = {} per direction, "
              "against {} x {} link(s){} here",
              chip.name, chip.io->lanes, format_quantity(chip.io->lane_Bps, Dimension::kBandwidth),
              format_quantity(chip.io->raw_Bps(), Dimension::kBandwidth), neighbours,
              format_quantity(t.link.raw_Bps, Dimension::kBandwidth),
              two_networks ? " + " + format_quantity(t.out_link.raw_Bps, Dimension::kBandwidth) +
                                 " of scale-out"
                           : ""));
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
    for (const SwitchTier& tier : t.tiers) sp.tiers_W += tier.idle_W();
    if (named_switches) {
      if (power.has("switches")) {
        power.fail("switches", "no value: the topology's switch presets give their power");
      }
      power.ignore("switches");
    } else {
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
  } else if (std::any_of(t.tiers.begin(), t.tiers.end(), [](const SwitchTier& tier) {
               return !tier.switch_model.empty() || tier.transceivers > 0;
             })) {
    reader.fail("power",
                "the hosts and NICs: with switch presets or optics in the topology the "
                "system's power is counted part by part");
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
    const double beyond_per_chip = rack_share_W(system, chip);
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
    // Copper (passive or active cables) stays inside a rack.
    for (const auto& [tier, where] : tiers) {
      const int64_t span = tier.name == "scale_up" ? domain_chips : t.chips;
      if (tier.medium == LinkMedium::kCopper && span > r.chips_per_rack) {
        throw ConfigError(fmt::format(
            "{}: key {}: expected optics: copper reaches only within a rack (about 2 m at "
            "100-200 Gb/s per lane), and this tier joins {} chips over racks of {}",
            path, where, span, r.chips_per_rack));
      }
    }
  } else {
    reader.ignore("rack");
  }
  if (reader.has("cost")) {
    SpecReader cost = reader.child("cost");
    if (!system.power) cost.fail("host", "a system with power.hosts, whose count it prices");
    if (!system.rack) cost.fail("rack", "a system with a rack, whose count it prices");
    SystemCost c;
    c.host_usd = read_price(cost, "host", "", "30000USD");
    c.rack_usd = read_price(cost, "rack", "", "50000USD");
    // Switches counted under power.switches are priced here; a preset's
    // carry their own price.
    if (system.power->switches > 0) {
      c.switch_usd = read_price(cost, "switch", "", "25000USD");
      if (!(c.switch_usd >= 0)) cost.fail("switch", "a price of zero or more");
    } else if (cost.has("switch")) {
      cost.fail("switch", named_switches ? "no value: the switch presets carry their price"
                                         : "no value: the system has no switches (power.switches)");
    } else {
      cost.ignore("switch");
    }
    if (!(c.host_usd >= 0)) cost.fail("host", "a price of zero or more");
    if (!(c.rack_usd >= 0)) cost.fail("rack", "a price of zero or more");
    if (!chip.cost) {
      cost.fail("host", fmt::format("a chip with a price: {} has no cost", chip.name));
    }
    cost.finish();
    system.cost = c;
  } else {
    reader.ignore("cost");
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
    case TopologyKind::kScaleUpOut:
      capacity_.assign(2 * n, spec_.link.Bps);
      capacity_.resize(4 * n, spec_.out_link.Bps);
      break;
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
    case TopologyKind::kScaleUpOut: {
      if (same_domain(src, dst)) {
        if (loads) {
          (*loads)[src] += bytes;
          (*loads)[n + dst] += bytes;
        }
        return 2 * link_s + switch_s;
      }
      if (loads) {
        (*loads)[2 * n + src] += bytes;
        (*loads)[3 * n + dst] += bytes;
      }
      // Up through every level of the fat tree and down again.
      return 2 * spec_.out_link.latency_s +
             static_cast<double>(2 * spec_.out_levels - 1) * spec_.out_switch_latency_s;
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
    case TopologyKind::kScaleUpOut:
      return same_domain(a, b) ? 2 : 2 * spec_.out_levels;
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

std::string topology_kind_name(TopologyKind kind) {
  switch (kind) {
    case TopologyKind::kSwitched:
      return "switched";
    case TopologyKind::kLeafSpine:
      return "leaf_spine";
    case TopologyKind::kRing:
      return "ring";
    case TopologyKind::kTorus:
      return "torus";
    case TopologyKind::kScaleUpOut:
      return "scale_up_out";
  }
  return "unknown";
}

std::string medium_name(LinkMedium medium) {
  switch (medium) {
    case LinkMedium::kCopper:
      return "copper";
    case LinkMedium::kOptics:
      return "optics";
    case LinkMedium::kUnstated:
      break;
  }
  return "unstated";
}

bool Network::same_domain(int64_t a, int64_t b) const {
  switch (spec_.kind) {
    case TopologyKind::kSwitched:
      return true;
    case TopologyKind::kScaleUpOut:
      return a / spec_.chips_per_domain == b / spec_.chips_per_domain;
    default:
      return false;
  }
}

double rack_share_W(const SystemSpec& system) {
  if (!system.power) return 0;
  double in_racks = system.power->total_W();
  for (const SwitchTier& tier : system.topology.tiers) {
    if (tier.name != "scale_out") continue;
    in_racks -= tier.idle_W();
    in_racks +=
        static_cast<double>(tier.transceivers > 0 ? tier.chip_ports : 0) * tier.transceiver_W;
  }
  return in_racks / static_cast<double>(system.topology.chips);
}

double rack_share_W(const SystemSpec& system, const ChipSpec& chip) {
  if (system.power) return rack_share_W(system);
  return chip.cost ? chip.cost->system_power_W : 0.0;
}

std::optional<SystemBill> system_bill(const SystemSpec& system, const ChipSpec& chip) {
  if (!system.cost || !chip.cost || !system.power || !system.rack) return std::nullopt;
  SystemBill bill;
  bill.chips = system.topology.chips;
  bill.racks = system.rack->racks(bill.chips);
  bill.chips_usd = static_cast<double>(bill.chips) *
                   (chip.cost->price_usd + chip.cost->hbm_usd_per_GB * chip.hbm_bytes / 1e9);
  for (const SwitchTier& tier : system.topology.tiers) {
    bill.switches_usd += tier.switches_usd();
    bill.optics_usd += tier.optics_usd();
  }
  bill.switches_usd += static_cast<double>(system.power->switches) * system.cost->switch_usd;
  bill.hosts_usd = static_cast<double>(system.power->hosts) * system.cost->host_usd;
  bill.racks_usd = static_cast<double>(bill.racks) * system.cost->rack_usd;
  return bill;
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
