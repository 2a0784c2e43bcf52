#include "report/system_report.hpp"

#include <fmt/format.h>

#include "core/units.hpp"

namespace jalapeno {
namespace {

std::string watts(double w) {
  return format_quantity(w, Dimension::kPower);
}

}  // namespace

nlohmann::ordered_json system_json(const SystemSpec& system, const ChipSpec& chip) {
  const TopologySpec& t = system.topology;
  nlohmann::ordered_json doc;
  doc["schema"] = "jalapeno.system/1";
  doc["name"] = system.name;
  doc["chip"] = chip.name;
  doc["chips"] = t.chips;
  doc["kind"] = topology_kind_name(t.kind);
  doc["link_Bps"] = t.link.Bps;
  if (t.kind == TopologyKind::kScaleUpOut) {
    doc["chips_per_domain"] = t.chips_per_domain;
    doc["scale_out_link_Bps"] = t.out_link.Bps;
    doc["scale_out_levels"] = t.out_levels;
  }
  doc["in_network_reduction"] = t.in_network_reduction;
  nlohmann::ordered_json tiers = nlohmann::ordered_json::array();
  for (const SwitchTier& tier : t.tiers) {
    tiers.push_back({{"tier", tier.name},
                     {"switch", tier.switch_model},
                     {"switches", tier.switches},
                     {"levels", tier.levels},
                     {"chip_ports", tier.chip_ports},
                     {"medium", medium_name(tier.medium)},
                     {"transceivers", tier.transceivers},
                     {"idle_W", tier.idle_W()},
                     {"switches_usd", tier.switches_usd()},
                     {"optics_usd", tier.optics_usd()}});
  }
  doc["tiers"] = tiers;
  if (system.power) {
    doc["power_beyond_chips_W"] = system.power->total_W();
    doc["chips_at_limit_W"] = static_cast<double>(t.chips) * chip.tdp_W;
  }
  if (system.rack) {
    doc["rack"] = {{"chips_per_rack", system.rack->chips_per_rack},
                   {"racks", system.rack->racks(t.chips)},
                   {"draw_W", system.rack->draw_W},
                   {"power_budget_W", system.rack->power_budget_W}};
  }
  if (const auto bill = system_bill(system, chip)) {
    doc["cost_usd"] = {
        {"chips", bill->chips_usd},         {"switches", bill->switches_usd},
        {"optics", bill->optics_usd},       {"hosts", bill->hosts_usd},
        {"racks", bill->racks_usd},         {"total", bill->total_usd()},
        {"per_rack", bill->per_rack_usd()}, {"share_per_chip", bill->system_share_usd()}};
  } else {
    doc["cost_usd"] = nullptr;
  }
  return doc;
}

std::string format_system_table(const SystemSpec& system, const ChipSpec& chip) {
  const TopologySpec& t = system.topology;
  std::string out = fmt::format("{}: {} x {} ({})\n", system.name, t.chips, chip.name,
                                topology_kind_name(t.kind));
  out += fmt::format("  link          {} per chip, per direction (achieved)\n",
                     format_quantity(t.link.Bps, Dimension::kBandwidth));
  if (t.kind == TopologyKind::kScaleUpOut) {
    out += fmt::format("  scale-up      domains of {} chips\n", t.chips_per_domain);
    out += fmt::format("  scale-out     {} per chip, {} switch level(s)\n",
                       format_quantity(t.out_link.Bps, Dimension::kBandwidth), t.out_levels);
  }
  out += fmt::format("  in-network    {}\n", t.in_network_reduction ? "reduction" : "none");
  for (const SwitchTier& tier : t.tiers) {
    out += fmt::format(
        "  {:<13} {} x {}{}, {} ports on {}{}, {}\n", tier.name, tier.switches,
        tier.switch_model.empty() ? "(unnamed switch)" : tier.switch_model,
        tier.levels > 1 ? fmt::format(" in {} levels", tier.levels) : "", tier.chip_ports,
        medium_name(tier.medium),
        tier.transceivers > 0 ? fmt::format(" ({} transceivers)", tier.transceivers) : "",
        watts(tier.idle_W()));
  }
  if (system.power) {
    out += fmt::format("  power         chips {} at their limit, {} beyond them\n",
                       watts(static_cast<double>(t.chips) * chip.tdp_W),
                       watts(system.power->total_W()));
  }
  if (system.rack) {
    out += fmt::format("  racks         {} of {} chips, each drawing {} of its {}\n",
                       system.rack->racks(t.chips), system.rack->chips_per_rack,
                       watts(system.rack->draw_W), watts(system.rack->power_budget_W));
  }
  if (const auto bill = system_bill(system, chip)) {
    out += fmt::format(
        "  cost          ${:.0f}: chips ${:.0f}, switches ${:.0f}, optics ${:.0f}, hosts ${:.0f}, "
        "racks ${:.0f}\n",
        bill->total_usd(), bill->chips_usd, bill->switches_usd, bill->optics_usd, bill->hosts_usd,
        bill->racks_usd);
    out += fmt::format("                ${:.0f} a rack, ${:.0f} a chip beyond the chip\n",
                       bill->per_rack_usd(), bill->system_share_usd());
  }
  return out;
}

}  // namespace jalapeno
