// SplitMix64: the generator of the Monte Carlo percolation indicator. Tiny, fast and fully
// specified, so a seed gives the same draws with any compiler and standard library (std::
// distributions are implementation-defined); anything that must reproduce those draws exactly
// (e.g. a faster evaluation of the same indicator) uses this class.
#pragma once

#include <cstdint>

namespace gridrl::metrics {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace gridrl::metrics
