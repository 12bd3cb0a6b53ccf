// Timeline: what happened in a simulation, over virtual time, and a writer that renders it as one
// self-contained HTML page (inline SVG and script, no external resources, readable offline).
#pragma once

#include <cstdint>
#include <optional>
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

  struct Message {  // delivered: sent by `from` at `sent`, received by `to` at `received`
    NodeId from = 0;
    NodeId to = 0;
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::string label;   // short, e.g. "AppendEntries t7 prev 8281/7 +3 commit 8281"
    std::string detail;  // every field (the tooltip)
  };
  struct Note {  // something that happened on one node, e.g. "leader t7", "crash"
    NodeId node = 0;
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
  // The sequence diagram: the last messages delivered (in order of delivery) and the notes of the
  // same stretch of time, up to the first violation (`focus`, with its label), or up to the end
  // of the run when nothing was violated.
  std::vector<Message> messages;
  std::vector<Note> notes;
  std::optional<std::uint64_t> focus;
  std::string focus_label;
};

// Writes the whole page. Times are shown in milliseconds of virtual time. The page lets one zoom
// into a time window (drag across the timeline, or type the window) and draws the sequence
// diagram of `messages` below the timeline.
void write_html_timeline(std::ostream& out, const Timeline& timeline);

}  // namespace raftio::sim
