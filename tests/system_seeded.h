// The default SystemOptions of one seed, for the tests of run_system (raftio/sim/system.h).
#pragma once

#include <cstdint>

#include "raftio/sim/system.h"

namespace raftio::sim {

inline SystemOptions seeded(std::uint64_t seed) {
  SystemOptions options;
  options.seed = seed;
  return options;
}

}  // namespace raftio::sim
