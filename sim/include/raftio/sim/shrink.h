// Shrinking a failing run: what came after the first violation goes, then delta debugging
// (Zeller's ddmin) over the faults the run applied, over whole clients and over the client
// operations they invoked, keeping a smaller schedule only while its replay still violates the
// same property first. The result is a Schedule that replays the failure with as few
// faults and operations as the budget of runs found. See docs/SIMULATION.md.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "raftio/sim/simulation.h"

namespace raftio::sim {

struct ShrinkOptions {
  std::size_t budget = 300;  // simulation runs at most (the first run of the seed included)
  std::function<void(const std::string&)> progress;  // a line after each pass, when set
};

struct ShrinkResult {
  bool failed = false;          // the seed's run violated a property: false, nothing to shrink
  bool reproduced = false;      // replaying the recorded schedule violated the same property
  std::string property;         // the first property the seed's run violated
  Schedule original;            // what the seed's run applied and invoked
  Schedule shrunk;              // the smallest schedule found (options and property included)
  std::uint64_t shrunk_trace_hash = 0;  // of the shrunk schedule's replay
  std::size_t runs = 0;         // simulation runs used
  bool budget_exhausted = false;
};

// Runs `options` (its schedule, if any, is where the shrinking starts) and shrinks its failure.
ShrinkResult shrink(SimOptions options, const ShrinkOptions& shrink_options = {});

// Replays `schedule` (with its options) and returns the report.
SimReport replay(const Schedule& schedule);

}  // namespace raftio::sim
