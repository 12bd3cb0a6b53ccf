// A Schedule as a file: JSON lines, a header with the seed and the run's options, one line per
// fault and one per client's operations. `raftio-sim --shrink` writes it, `--schedule FILE`
// replays it. Format: docs/SIMULATION.md, "Shrinking and schedules".
#pragma once

#include <istream>
#include <ostream>
#include <string>

#include "raftio/sim/simulation.h"

namespace raftio::sim {

void write_schedule(std::ostream& out, const Schedule& schedule);

struct ScheduleReadResult {
  Schedule schedule;
  std::string error;  // "line N: why" when the input is malformed
  bool ok() const noexcept { return error.empty(); }
};

ScheduleReadResult read_schedule(std::istream& in);

}  // namespace raftio::sim
