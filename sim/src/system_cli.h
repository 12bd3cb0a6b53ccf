// raftio-sim --model bank: run_system (raftio/sim/system.h) over the bank of
// docs/examples/bank.h, from the command line.
#pragma once

#include <cstdint>
#include <string>

namespace raftio::sim {

struct SystemCliOptions {
  std::uint64_t first_seed = 1;
  std::uint64_t last_seed = 1;
  bool sweep = false;  // --seeds: a summary line; otherwise one run's report
  std::size_t nodes = 3;
  std::uint64_t ticks = 0;    // 0: SystemOptions' default
  std::size_t clients = 0;    // 0: SystemOptions' default
  bool faults = true;         // --faults none turns every fault off
  bool planted = false;       // --plant-bug forget-last-account
  bool until_violation = false;
  std::string trace_file;  // one run: every line of SystemOptions::trace, "time node line"
};

// Runs the seeds; 0 when every one passed, 1 otherwise (2: the trace file cannot be written).
int run_bank(const SystemCliOptions& options);

}  // namespace raftio::sim
