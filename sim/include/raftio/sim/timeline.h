// Timeline: what happened in a simulation, over virtual time, and a writer that renders it as one
// self-contained HTML page (inline SVG and script, no external resources, readable offline).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "raftio/types.h"

namespace raftio::sim {

struct Timeline {
  struct RoleSpan {  // node `node` had `role` in `term` from `start` to `end` (virtual microseconds)
    NodeId node = 0;
    Role role = Role::Follower;
    Term term = 0;
    std::uint64_t start = 0;
    std::uint64_t end = 0;
  };
  struct Outage {  // node down (crashed or paused) from start to end
    NodeId node = 0;
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::string kind;  // "crash", "pause"
  };
  struct Fault {  // a network fault active from start to end, e.g. "partition {1,2} | {3,4,5}"
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::string description;
  };
  struct Commit {  // node's commit index reached `index` at `time`
    NodeId node = 0;
    std::uint64_t time = 0;
    std::uint64_t index = 0;
  };
  struct Marker {  // anything else worth a label: a violation, "faults stop", ...
    std::uint64_t time = 0;
    std::string label;
  };

  std::string title;           // e.g. "raftio-sim seed 42, 5 nodes, faults=all"
  std::vector<NodeId> nodes;
  std::uint64_t end_time = 0;
  std::vector<RoleSpan> roles;
  std::vector<Outage> outages;
  std::vector<Fault> faults;
  std::vector<Commit> commits;  // may be many: the writer thins them to keep the page small
  std::vector<Marker> markers;
};

// Writes the whole page. Times are shown in milliseconds of virtual time.
void write_html_timeline(std::ostream& out, const Timeline& timeline);

}  // namespace raftio::sim
