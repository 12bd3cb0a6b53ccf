// A system simulation's schedule as a text file (raftio-sim --model M --shrink writes one,
// raftio-sim --schedule FILE replays it): the model, the options the run needs, the check it
// fails, and the schedule. One item per line, so a shrunk failure reads at a glance and a hand
// edit (dropping a line) is a new experiment:
//
//   raftio-sim system schedule 1
//   model bank
//   plant-bug forget-last-account
//   seed 1
//   nodes 3
//   ticks 1500
//   clients 3
//   snapshot-threshold 24
//   faults crashes=1 pauses=1 partitions=1 message-faults=1 oversized-proposals=1 transfers=1 crash-points=1
//   storage mixed
//   check replica agreement
//   crash at=1234 node=2 down=400 keep=1 tear=0
//   pause at=2000 node=1 for=120
//   partition at=2500 minority=1,3 for=300
//   oversized at=3100 node=2 bytes=4190209
//   transfer at=3300 node=3
//   crash-point at=3500 point=after-vote down=300 keep=0 tear=1
//   client 1: 1 2 5
//   client 2:
//
// docs/SIMULATION.md, "Shrinking a failure of your system".
#pragma once

#include <string>
#include <string_view>

#include "raftio/sim/system.h"

namespace raftio::sim {

struct SystemScheduleFile {
  std::string model;        // the raftio-sim --model that ran it
  std::string planted_bug;  // its --plant-bug ("none": none)
  SystemOptions options;    // seed, nodes, ticks, clients, snapshot threshold, fault switches
  std::string check;        // the check the schedule fails (to_string(SystemCheck)); empty: none
  SystemSchedule schedule;
};

std::string format_system_schedule(const SystemScheduleFile& file);
// Parses what format_system_schedule wrote; false with `error` naming the line otherwise.
bool parse_system_schedule(std::string_view text, SystemScheduleFile& file, std::string& error);
// Whether `text` starts like a system schedule (rather than a schedule of the key-value simulator).
bool is_system_schedule(std::string_view text) noexcept;

}  // namespace raftio::sim
