// raftio-sim --model kv|bank: run_system (raftio/sim/system.h) from the command line, over the
// key-value store as a StateMachine (raftio/sim/kv_system.h) or the bank of docs/examples/bank.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace raftio::sim {

struct SystemCliOptions {
  std::string model = "kv";  // "kv" or "bank"
  std::uint64_t first_seed = 1;
  std::uint64_t last_seed = 1;
  bool sweep = false;  // --seeds: a summary line; otherwise one run's report
  std::size_t nodes = 3;
  std::uint64_t ticks = 0;    // 0: SystemOptions' default
  std::size_t clients = 0;    // 0: SystemOptions' default
  bool faults = true;         // --faults none turns every fault off
  std::string plant_bug = "none";  // a bug of the model's machine (planted_bugs(model))
  bool until_violation = false;
  std::string trace_file;  // one run: every line of SystemOptions::trace, "time node line"
};

// The bugs --plant-bug can plant in a model's machine, besides "none".
std::vector<std::string> planted_bugs(const std::string& model);

// Runs the seeds; 0 when every one passed, 1 otherwise (2: a bad model or bug, or the trace file
// cannot be written).
int run_system_model(const SystemCliOptions& options);

}  // namespace raftio::sim
