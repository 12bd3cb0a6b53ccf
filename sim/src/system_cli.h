// raftio-sim --model kv|bank: run_system (raftio/sim/system.h) from the command line, over the
// key-value store as a StateMachine (raftio/sim/kv_system.h) or the bank of docs/examples/bank.h:
// sweeps, one run with its trace, timeline and history, shrinking a failure to a schedule file,
// and replaying one.
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
  // One run only:
  std::string trace_file;    // every line of SystemOptions::trace, "time node line"
  std::string html_file;     // the timeline (write_html_timeline)
  std::string history_file;  // the client history (write_system_history)
  bool shrink = false;       // shrink the seed's failure (shrink_system) to a schedule file
  std::size_t shrink_budget = 1000;
  std::string shrink_out;  // default raftio-sim-<model>-<seed>.schedule
};

// The bugs --plant-bug can plant in a model's machine, besides "none".
std::vector<std::string> planted_bugs(const std::string& model);

// Runs the seeds (or, with shrink, shrinks the one seed's failure); 0 when every run passed, 1
// otherwise (2: a bad model or bug, or an output file that cannot be written).
int run_system_model(const SystemCliOptions& options);

// Replays a schedule file written by --shrink (system_schedule_io.h): its model, planted bug,
// options and schedule. `outputs` gives only trace_file, html_file and history_file. 0 when the
// replay passes, 1 when it fails (saying whether with the check the file records), 2 when the
// file cannot be read or names an unknown model or bug.
int replay_system_schedule(const std::string& path, const std::string& text, const SystemCliOptions& outputs);

}  // namespace raftio::sim
