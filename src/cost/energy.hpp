#pragma once
// Energy of a step, from the work its ops do and the chip's power model, and
// the clock the board's power limit lets it run at.
//
// Per chip, at a clock s (a fraction of nominal):
//   E = idle * t  +  busy * s^3 * t_busy(s)  +  s^2 * (E_matrix + E_vector)
//       +  e_hbm * hbm_bytes  +  e_link * link_bytes
// Dynamic power of CMOS logic goes as f * V^2 and, over the range DVFS uses,
// V roughly as f: switching energy per operation as s^2, clocked power as
// s^3. Compute and fixed (latency) time stretch as 1/s; HBM streams and the
// network run on their own clocks and do not. Power therefore falls faster
// than speed as the clock drops, and a step above the limit is slowed just
// enough to stay under it.
#include <algorithm>

#include "hw/power_spec.hpp"

namespace jalapeno {

// The work of a step (or of some of its ops), summed, at the nominal clock.
struct StepWork {
  // GPU time by whether the SM clock stretches it.
  double linear_core_s = 0;  // compute and fixed parts of the non-attention ops
  double linear_memory_s = 0;
  double attention_core_s = 0;
  double attention_memory_s = 0;
  double prefill_attention_s = 0;  // of attention_*: the prefill ops
  double comm_s = 0;               // collectives: the network's clock
  // Of the above, time the units are kept busy (compute- or memory-limited).
  double busy_core_s = 0;
  double busy_memory_s = 0;
  double switching_J = 0;  // FLOPs (matrix and vector) at the nominal clock
  double hbm_bytes = 0;
  double link_bytes = 0;
  double hbm_J = 0;   // hbm_bytes at the chip's energy per byte
  double link_J = 0;  // link_bytes at the links' and switches' energy per byte
  double kernels = 0;

  StepWork& operator+=(const StepWork& other);
};

// A step's energy by where it goes, for all chips of the replica.
struct EnergyParts {
  double idle_J = 0;
  double busy_J = 0;
  double compute_J = 0;  // switching energy of FLOPs
  double hbm_J = 0;
  double link_J = 0;
  double total() const { return idle_J + busy_J + compute_J + hbm_J + link_J; }
  double dynamic() const { return busy_J + compute_J + hbm_J + link_J; }
};

// Energy of `work` done by each of `chips_in_parallel` chips at clock s over
// `seconds` (the step as the user sees it) with `chips` drawing idle power.
inline EnergyParts energy_at_clock(const PowerSpec& power, const StepWork& work, double clock,
                                   double seconds, double chips_in_parallel, double chips) {
  EnergyParts parts;
  const double busy_s = work.busy_memory_s + work.busy_core_s / clock;
  parts.idle_J = power.idle_W * seconds * chips;
  parts.busy_J = power.busy_W * clock * clock * clock * busy_s * chips_in_parallel;
  parts.compute_J = work.switching_J * clock * clock * chips_in_parallel;
  parts.hbm_J = work.hbm_J * chips_in_parallel;
  parts.link_J = work.link_J * chips_in_parallel;
  return parts;
}

}  // namespace jalapeno
