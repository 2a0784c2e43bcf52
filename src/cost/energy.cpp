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
  hbm_J += other.hbm_J;
  link_J += other.link_J;
  kernels += other.kernels;
  return *this;
}

}  // namespace jalapeno
