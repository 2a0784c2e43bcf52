#include "hw/power_spec.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "core/error.hpp"
#include "core/spec_reader.hpp"
#include "core/units.hpp"

namespace jalapeno {

double PowerSpec::matrix_flop_J_for(const std::string& key) const {
  const auto it = matrix_flop_J.find(key);
  // The reader checked that every matrix key has an entry.
  if (it == matrix_flop_J.end()) {
    throw std::logic_error(fmt::format("no energy per FLOP for matrix format '{}'", key));
  }
  return it->second;
}

namespace {
// A non-negative energy: zero is a modelling choice (a link that is not
// there), negative or non-finite is an error the quantity parser reports.
double energy_or_zero(SpecReader& reader, const std::string& key) {
  if (!reader.has(key)) reader.fail(key, describe(Dimension::kEnergy) + ", per unit of work");
  const double joules = reader.quantity(key, Dimension::kEnergy);
  if (joules < 0) reader.fail(key, "an energy of zero or more, such as '5pJ'");
  return joules;
}
}  // namespace

PowerOverride read_power_override(SpecReader& reader) {
  PowerOverride o;
  const auto power = [&](const char* key, std::optional<double>& out, bool positive) {
    if (!reader.has(key)) {
      reader.ignore(key);
      return;
    }
    out = positive ? reader.positive_quantity(key, Dimension::kPower)
                   : reader.quantity(key, Dimension::kPower);
    if (*out < 0) reader.fail(key, "a power of zero or more, such as '280W'");
    o.where[key] = reader.where(key);
  };
  const auto energy = [&](const char* key, std::optional<double>& out) {
    if (!reader.has(key)) {
      reader.ignore(key);
      return;
    }
    out = energy_or_zero(reader, key);
    o.where[key] = reader.where(key);
  };
  power("tdp", o.tdp_W, true);
  power("idle", o.idle_W, true);
  power("busy", o.busy_W, false);
  energy("per_hbm_byte", o.hbm_byte_J);
  energy("per_link_byte", o.link_byte_J);
  energy("per_vector_flop", o.vector_flop_J);
  if (reader.has("per_matrix_flop")) {
    SpecReader per_flop = reader.child("per_matrix_flop");
    for (const auto& key : reader.child_keys("per_matrix_flop")) {
      o.matrix_flop_J[key] = energy_or_zero(per_flop, key);
      o.where["per_matrix_flop." + key] = per_flop.where(key);
    }
    per_flop.finish();
  } else {
    reader.ignore("per_matrix_flop");
  }
  return o;
}

void apply_power_override(const PowerOverride& o, const std::string& chip_name, double& tdp_W,
                          std::optional<PowerSpec>& power) {
  if (!o.any()) return;
  const auto fail = [&](const std::string& key, const std::string& what) {
    throw ConfigError(fmt::format("{}: {}", o.where.at(key), what));
  };
  if (!power) {
    fail(o.where.begin()->first,
         fmt::format("chip '{}' has no power model (its file's `power:` block) to override",
                     chip_name));
  }
  if (o.tdp_W) tdp_W = *o.tdp_W;
  if (o.idle_W) power->idle_W = *o.idle_W;
  if (o.busy_W) power->busy_W = *o.busy_W;
  if (o.hbm_byte_J) power->hbm_byte_J = *o.hbm_byte_J;
  if (o.link_byte_J) power->link_byte_J = *o.link_byte_J;
  if (o.vector_flop_J) power->vector_flop_J = *o.vector_flop_J;
  for (const auto& [key, joules] : o.matrix_flop_J) {
    if (power->matrix_flop_J.count(key) == 0) {
      fail("per_matrix_flop." + key,
           fmt::format("expected a format chip '{}' has a matrix rate for", chip_name));
    }
    power->matrix_flop_J[key] = joules;
  }
  if (power->idle_W >= tdp_W) {
    fail(o.idle_W ? "idle" : "tdp",
         fmt::format("expected an idle power ({}) below the power limit ({})",
                     format_quantity(power->idle_W, Dimension::kPower),
                     format_quantity(tdp_W, Dimension::kPower)));
  }
}

PowerSpec read_power_spec(SpecReader& reader, double tdp_W,
                          const std::map<std::string, double>& matrix_keys) {
  PowerSpec power;
  power.idle_W = reader.positive_quantity("idle", Dimension::kPower);
  if (power.idle_W >= tdp_W) {
    reader.fail("idle", fmt::format("an idle power below the chip's limit (tdp: {})",
                                    format_quantity(tdp_W, Dimension::kPower)));
  }
  power.busy_W = reader.quantity("busy", Dimension::kPower);
  if (power.busy_W < 0) reader.fail("busy", "a power of zero or more, such as '280W'");
  power.hbm_byte_J = energy_or_zero(reader, "per_hbm_byte");
  // Absent, SRAM traffic is taken as part of busy power (declared default).
  power.sram_byte_J = reader.has("per_sram_byte") ? energy_or_zero(reader, "per_sram_byte") : 0;
  reader.ignore("per_sram_byte");
  power.link_byte_J = energy_or_zero(reader, "per_link_byte");
  power.vector_flop_J = energy_or_zero(reader, "per_vector_flop");
  SpecReader per_flop = reader.child("per_matrix_flop");
  for (const auto& key : reader.child_keys("per_matrix_flop")) {
    if (matrix_keys.count(key) == 0) {
      per_flop.fail(key, "a format this chip has a matrix rate for (key matrix)");
    }
    power.matrix_flop_J[key] = energy_or_zero(per_flop, key);
  }
  for (const auto& [key, rate] : matrix_keys) {
    if (power.matrix_flop_J.count(key) == 0) {
      per_flop.fail(key, "an energy per FLOP for every format in `matrix`, such as '0.4pJ'");
    }
  }
  per_flop.finish();
  return power;
}

}  // namespace jalapeno
