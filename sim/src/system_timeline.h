// Fills a Timeline (timeline.h) from a run of the system simulator (system_engine.cpp), for
// SystemOptions::timeline and raftio-sim --model M --html: each node's roles and terms, its commit
// index, crashes and pauses, partitions, and the sequence diagram of the last messages and local
// events before the first failure (or the end). One engine time unit is a millisecond of virtual
// time (a tick is 10), so times are multiplied by 1,000 into the Timeline's microseconds.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "raftio/sim/timeline.h"
#include "raftio/types.h"

namespace raftio::sim::detail {

class SystemTimelineRecorder {
 public:
  static constexpr std::uint64_t kMicrosPerUnit = 1000;

  SystemTimelineRecorder(Timeline& out, std::size_t nodes, std::string title);

  // After every step of `node`: a new span when its role or term changed, a point when its commit
  // index moved.
  void step(NodeId node, Role role, Term term, Index commit, std::uint64_t time);
  void down(NodeId node, std::uint64_t time, const std::string& kind);  // "crash", "pause"
  void up(NodeId node, std::uint64_t time);
  void partition(std::uint64_t time, const std::string& description);
  void heal(std::uint64_t time);
  void marker(std::uint64_t time, const std::string& label);
  void message(NodeId from, NodeId to, std::uint64_t sent, std::uint64_t received, std::string label, std::string detail);
  void note(NodeId node, std::uint64_t time, std::string label);
  // The first failure: the sequence diagram stops here.
  void freeze(std::uint64_t time, const std::string& label);
  // Closes what is still open at `end` and hands the sequence diagram over.
  void finish(std::uint64_t end);

 private:
  struct Open {
    bool role_open = false;
    Role role = Role::Follower;
    Term term = 0;
    std::uint64_t role_start = 0;
    Index commit = 0;
    std::optional<std::uint64_t> outage_start;
    std::string outage_kind;
  };
  void close_role(NodeId node, std::uint64_t time);
  void close_outage(NodeId node, std::uint64_t time);

  Timeline& out_;
  std::vector<Open> open_;
  std::optional<std::uint64_t> partition_start_;
  std::string partition_description_;
  std::deque<Timeline::Message> messages_;
  std::deque<Timeline::Note> notes_;
  bool frozen_ = false;
};

}  // namespace raftio::sim::detail
