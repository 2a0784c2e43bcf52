#pragma once
// What a chip's board draws: a static floor, the power of keeping its units
// busy, and energy per unit of work (FLOPs by format, bytes from HBM and over
// links). Read from a chip file's `power:` block; DESIGN.md "a cost is a
// record" and README "Energy and power" say where each figure comes from.
#include <map>
#include <optional>
#include <string>

namespace jalapeno {

class SpecReader;

struct PowerSpec {
  double idle_W = 0;  // the board with nothing running, clocks idle
  // Added while kernels keep the units busy (compute- or memory-limited
  // time; not latency-bound fixed costs): clock tree, leakage at the boost
  // voltage, instruction issue. Scales as f*V^2 with the clock.
  double busy_W = 0;
  double hbm_byte_J = 0;     // per byte read or written in HBM (device, PHY, on-chip path)
  double sram_byte_J = 0;    // per byte streamed from on-chip SRAM (weights placed there)
  double link_byte_J = 0;    // per byte sent over the scale-up links
  double vector_flop_J = 0;  // per non-matrix FLOP
  // Per matrix FLOP, by matrix key (bf16, fp8, ...): every key the chip has a
  // rate for.
  std::map<std::string, double> matrix_flop_J;

  double matrix_flop_J_for(const std::string& key) const;
};

// A scenario's `power:` over the chip file's figures (what-ifs: a lower
// power cap, a cheaper HBM access), any of the keys; `where` names each for
// errors found when applied.
struct PowerOverride {
  std::optional<double> tdp_W, idle_W, busy_W, hbm_byte_J, link_byte_J, vector_flop_J;
  std::map<std::string, double> matrix_flop_J;
  std::map<std::string, std::string> where;  // key -> "file:line: key 'power.x'"
  bool any() const {
    return tdp_W || idle_W || busy_W || hbm_byte_J || link_byte_J || vector_flop_J ||
           !matrix_flop_J.empty();
  }
};
PowerOverride read_power_override(SpecReader& reader);
// Applies it to a chip's limit and power model; throws ConfigError (naming
// the key) for a chip without a power model, an idle power at or above the
// limit, or a matrix format the chip does not have.
void apply_power_override(const PowerOverride& o, const std::string& chip_name, double& tdp_W,
                          std::optional<PowerSpec>& power);

// Reads the `power:` mapping; `tdp_W` is the chip's board power limit, which
// the static floor must stay below. `matrix_keys` are the formats the chip
// has a rate for: each needs its energy per FLOP.
PowerSpec read_power_spec(SpecReader& reader, double tdp_W,
                          const std::map<std::string, double>& matrix_keys);

}  // namespace jalapeno
