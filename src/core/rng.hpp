#pragma once
// Deterministic random numbers. Each component draws from its own stream,
// derived from the scenario seed and a stream name, so adding a component
// never shifts another's numbers. The generator (xoshiro256**) and the
// distributions are written here rather than taken from <random>, whose
// distributions differ between standard libraries: same seed, same output,
// everywhere.
#include <cstdint>
#include <string_view>

namespace jalapeno {

class Rng {
 public:
  // A stream for (seed, name): independent streams for different names.
  Rng(uint64_t seed, std::string_view stream);

  uint64_t next_u64();
  double uniform();  // [0, 1)
  double uniform(double lo, double hi);
  double exponential(double rate);  // mean 1/rate
  double normal(double mean, double sd);
  double lognormal(double mu, double sigma);  // exp(N(mu, sigma))
  double gamma(double shape, double scale);   // mean shape*scale

 private:
  uint64_t s_[4];
  bool has_spare_normal_ = false;
  double spare_normal_ = 0;
};

}  // namespace jalapeno
