// SplitMix64: the simulator's streams of choices. Pure integer arithmetic, so a seed draws the same
// numbers on every platform, and a run replays from its seed.
#pragma once

#include <cstdint>

namespace raftio::sim {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed = 0) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t bound) noexcept { return bound == 0 ? 0 : next() % bound; }
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept { return lo + below(hi - lo + 1); }
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) noexcept { return unit() < p; }

 private:
  std::uint64_t state_;
};

}  // namespace raftio::sim
