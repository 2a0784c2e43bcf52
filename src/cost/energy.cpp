#include "cost/energy.hpp"

namespace jalapeno {

StepWork& StepWork::operator+=(const StepWork& other) {
  linear_core_s += other.linear_core_s;
  linear_memory_s += other.linear_memory_s;
  attention_core_s += other.attention_core_s;
  attention_memory_s += other.attention_memory_s;
  prefill_attention_s += other.prefill_attention_s;
  comm_s += other.comm_s;
  busy_core_s += other.busy_core_s;
  busy_memory_s += other.busy_memory_s;
  switching_J += other.switching_J;
  hbm_bytes += other.hbm_bytes;
  link_bytes += other.link_bytes;
  kernels += other.kernels;
  return *this;
}

EnergyParts energy_at_clock(const PowerSpec& power, const StepWork& work, double clock,
                            double seconds, double chips_in_parallel, double chips,
                            double link_byte_J) {
  EnergyParts parts;
  const double busy_s = work.busy_memory_s + work.busy_core_s / clock;
  parts.idle_J = power.idle_W * seconds * chips;
  parts.busy_J = power.busy_W * clock * clock * clock * busy_s * chips_in_parallel;
  parts.compute_J = work.switching_J * clock * clock * chips_in_parallel;
  parts.hbm_J = work.hbm_bytes * power.hbm_byte_J * chips_in_parallel;
  parts.link_J = work.link_bytes * link_byte_J * chips_in_parallel;
  return parts;
}

}  // namespace jalapeno
