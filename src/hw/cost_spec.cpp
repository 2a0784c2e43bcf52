#include "hw/cost_spec.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string_view>

#include "core/spec_reader.hpp"
#include "core/units.hpp"

namespace jalapeno {

bool parse_price(const std::string& text, const std::string& per, double& usd) {
  const std::string suffix = "USD" + per;
  if (text.size() <= suffix.size() ||
      text.compare(text.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  const auto value = parse_number(text.substr(0, text.size() - suffix.size()));
  if (!value || !std::isfinite(*value) || *value < 0 || *value > 1e15) return false;
  usd = *value;
  return true;
}

double read_price(SpecReader& reader, const std::string& key, const std::string& per,
                  const std::string& example) {
  double usd = 0;
  if (!parse_price(reader.string(key), per, usd)) {
    reader.fail(key,
                fmt::format("a price in US dollars such as '{}' (0 to 1e15, the currency{} "
                            "written out), got '{}'",
                            example, per.empty() ? "" : " and its period", reader.string(key)));
  }
  return usd;
}

ChipCostOverride read_chip_cost_override(SpecReader& reader) {
  ChipCostOverride cost;
  if (reader.has("price")) cost.price_usd = read_price(reader, "price", "", "30000USD");
  if (reader.has("system_share")) {
    cost.system_share_usd = read_price(reader, "system_share", "", "5000USD");
  }
  if (reader.has("system_power")) {
    cost.system_power_W = reader.quantity("system_power", Dimension::kPower);
    if (*cost.system_power_W < 0) reader.fail("system_power", "a power of zero or more");
  }
  if (reader.has("hbm")) cost.hbm_usd_per_GB = read_price(reader, "hbm", "/GB", "15USD/GB");
  return cost;
}

ChipCost read_chip_cost(SpecReader& reader, std::optional<double> built_price) {
  for (const char* key : {"price", "system_share", "system_power"}) {
    if (!reader.has(key) && !(built_price && std::string_view(key) == "price")) {
      reader.fail(key, "each of price (or margin, with a die), system_share and system_power");
    }
  }
  ChipCostOverride cost = read_chip_cost_override(reader);
  if (built_price) cost.price_usd = built_price;
  return cost.over({});
}

FacilitySpec read_facility(SpecReader& reader) {
  FacilitySpec f;
  if (reader.has("pue")) {
    f.pue = reader.number_in("pue", 1, 10);
  }
  if (reader.has("conversion_efficiency")) {
    f.conversion_efficiency = reader.fraction("conversion_efficiency");
  }
  if (reader.has("electricity"))
    f.usd_per_kWh = read_price(reader, "electricity", "/kWh", "0.08USD/kWh");
  if (reader.has("life")) f.life_s = reader.positive_quantity("life", Dimension::kTime);
  if (reader.has("utilisation")) f.utilisation = reader.fraction("utilisation");
  return f;
}

}  // namespace jalapeno
