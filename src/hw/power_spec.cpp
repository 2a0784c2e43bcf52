#include "hw/power_spec.hpp"

#include <fmt/format.h>

#include <stdexcept>

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
