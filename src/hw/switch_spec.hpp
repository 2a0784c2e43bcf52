#pragma once
// Network switches (data/switches/*.yaml): the boxes a system's tiers are
// built from. A tier names one (topology.switch.model, or a scale-out
// tier's) and the system then takes its latency, radix, in-network
// reduction, power and price from the switch instead of restating them.
#include <cstdint>
#include <string>
#include <vector>

namespace jalapeno {

struct SwitchSpec {
  std::string name;
  std::string source;
  std::string source_file;
  int64_t ports = 0;
  double port_Bps = 0;   // one port's line rate, per direction
  double latency_s = 0;  // port to port
  bool in_network_collectives = false;
  double idle_W = 0;     // the box at no traffic, without pluggable optics
  double byte_J = 0;     // beyond idle, per byte forwarded
  double price_usd = 0;  // one box
  double capacity_Bps() const { return static_cast<double>(ports) * port_Bps; }
};

// A preset name (data/switches/NAME.yaml) or a file. Throws ConfigError
// naming the file and key for bad input.
SwitchSpec load_switch(const std::string& name_or_path);
std::vector<std::string> switch_preset_names();

}  // namespace jalapeno
