#pragma once
// What a chip costs to own and run: its price and its share of the system
// around it (`cost:` in a chip file, overridable in a scenario), and the
// facility's figures (a scenario's `facility:`). README "Energy and cost"
// gives every default and its source; each is an assumption to override.
#include <optional>
#include <string>

namespace jalapeno {

class SpecReader;

struct ChipCost {
  double price_usd = 0;         // the chip (board) itself: with its HBM unless hbm_usd_per_GB
  double system_share_usd = 0;  // its share of server, switches, optics and rack
  double system_power_W = 0;    // its share of host CPUs, memory, NICs, switches, fans
  // The HBM priced apart, per GB of the chip's capacity (`hbm: 15USD/GB`),
  // for what-ifs on capacity; 0 when `price` includes it (the presets).
  double hbm_usd_per_GB = 0;
  // What one chip's place in the system costs to buy: the chip, its HBM
  // when priced apart, its share of the system.
  double capex_usd(double hbm_bytes) const {
    return price_usd + hbm_usd_per_GB * hbm_bytes / 1e9 + system_share_usd;
  }
};

struct FacilitySpec {
  double pue = 1.3;                     // assumed: between hyperscalers (~1.1) and the 1.56 average
  double conversion_efficiency = 0.94;  // 80 PLUS Titanium at 20% load
  double usd_per_kWh = 0.08;            // EIA US industrial average, 2023 (8.06 cents)
  double life_s = 5 * 31557600.0;       // 5 years (Amazon's server life; Microsoft, Google 6)
  double utilisation = 1.0;             // share of that life in paid service
};

// Some or all of a ChipCost: a scenario's `cost:` over the chip file's.
struct ChipCostOverride {
  std::optional<double> price_usd, system_share_usd, system_power_W, hbm_usd_per_GB;
  bool complete() const { return price_usd && system_share_usd && system_power_W; }
  ChipCost over(const ChipCost& base) const {
    return {price_usd.value_or(base.price_usd), system_share_usd.value_or(base.system_share_usd),
            system_power_W.value_or(base.system_power_W),
            hbm_usd_per_GB.value_or(base.hbm_usd_per_GB)};
  }
};

// Reads `cost: {price, system_share, system_power, hbm}` (prices as
// '30000USD', HBM as '15USD/GB'), any of the keys.
ChipCostOverride read_chip_cost_override(SpecReader& reader);
// The same with every key required (a chip file's); price may instead come
// from the chip's built cost (cost.margin), given here.
ChipCost read_chip_cost(SpecReader& reader, std::optional<double> built_price = std::nullopt);
// Reads `facility: {pue, conversion_efficiency, electricity, life,
// utilisation}`; absent keys keep the defaults above.
FacilitySpec read_facility(SpecReader& reader);

// "30000USD" -> 30000; "0.08USD/kWh" with per "/kWh" -> 0.08. Nothing when
// the text is not such a price (no currency, another period).
bool parse_price(const std::string& text, const std::string& per, double& usd);
// A price read from `key` (parse_price's forms); a bad one fails naming the
// key and showing `example`.
double read_price(SpecReader& reader, const std::string& key, const std::string& per,
                  const std::string& example);

}  // namespace jalapeno
