// The node's only source of randomness: SplitMix64, seeded from the config. Pure integer
// arithmetic, so the same seed draws the same numbers on every platform.
#pragma once

#include <cstdint>

namespace raftio::detail {

class Prng {
 public:
  explicit Prng(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound); bound > 0. The modulo bias is below 2^-40 for the bounds used here.
  std::uint64_t below(std::uint64_t bound) noexcept { return next() % bound; }

 private:
  std::uint64_t state_;
};

}  // namespace raftio::detail
