// Reads a switch preset; its keys are declared in hw/system_params.cpp
// (kind "switch") and described in data/switches/README.md.
#include "hw/switch_spec.hpp"

#include "core/params.hpp"
#include "core/presets.hpp"
#include "core/spec_reader.hpp"
#include "core/units.hpp"
#include "hw/cost_spec.hpp"

namespace jalapeno {

SwitchSpec load_switch(const std::string& name_or_path) {
  const Document doc = load_document(resolve_preset("switches", name_or_path, ".yaml", "switch"));
  SpecReader reader = SpecReader::mapping(doc, "", &switch_param_kind());
  SwitchSpec s;
  s.source_file = doc.file;
  s.name = reader.string("name");
  s.source = reader.string("source");
  // The largest switch ASICs have 512 SerDes lanes; a box of many ASICs may
  // present a few thousand ports.
  s.ports = reader.integer_in("ports", 1, 100000);
  s.port_Bps = reader.positive_quantity("port_speed", Dimension::kBandwidth);
  s.latency_s = reader.quantity("latency", Dimension::kTime);
  if (!(s.latency_s >= 0)) reader.fail("latency", "a time of zero or more such as '250ns'");
  s.in_network_collectives = reader.boolean("in_network_collectives");
  {
    SpecReader power = reader.child("power");
    s.idle_W = power.quantity("idle", Dimension::kPower);
    if (!(s.idle_W >= 0)) power.fail("idle", "a power of zero or more such as '400W'");
    s.byte_J = power.quantity("per_byte", Dimension::kEnergy);
    if (!(s.byte_J >= 0)) power.fail("per_byte", "an energy of zero or more such as '10pJ'");
    power.finish();
  }
  s.price_usd = read_price(reader, "price", "", "25000USD");
  if (!(s.price_usd >= 0)) reader.fail("price", "a price of zero or more");
  reader.finish();
  return s;
}

std::vector<std::string> switch_preset_names() {
  return preset_names("switches", ".yaml");
}

}  // namespace jalapeno
