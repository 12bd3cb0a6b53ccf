// SimOptions for the simulator's own tests: a seed, a length, a fault profile, a storage and a
// cluster size, everything else at its default.
#pragma once

#include "raftio/sim/simulation.h"

namespace raftio::sim {

inline SimOptions options(std::uint64_t seed, std::uint64_t ticks, FaultProfile faults = FaultProfile::All,
                          Storage storage = Storage::Wal, std::size_t nodes = 5) {
  SimOptions o;
  o.seed = seed;
  o.ticks = ticks;
  o.faults = faults;
  o.storage = storage;
  o.nodes = nodes;
  return o;
}

}  // namespace raftio::sim
