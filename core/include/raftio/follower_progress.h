// FollowerProgress: what a leader knows about one follower's log (read-only; RaftNode::progress).
#pragma once

#include <cstdint>
#include <string_view>

#include "raftio/types.h"

namespace raftio {

struct FollowerProgress {
  // Probe: the leader does not know where the follower's log matches; it sends one AppendEntries
  //   at a time and waits for the answer.
  // Replicate: the follower matches up to `match`; entries stream, bounded by the inflight window.
  // Snapshot: the follower needs entries compacted away; the snapshot is sent in chunks.
  enum class State : std::uint8_t { Probe, Replicate, Snapshot };

  NodeId id = kNoNode;
  bool voter = false;
  State state = State::Probe;
  Index match = 0;            // the follower's log is known to match up to here (Figure 2 matchIndex)
  Index next = 0;             // the next index to send (Figure 2 nextIndex)
  std::uint32_t inflight = 0; // pipelined AppendEntries not yet acknowledged
  bool recent_active = false; // heard from within the current check-quorum interval
  Index snapshot_index = 0;           // Snapshot: the snapshot being sent
  std::uint64_t snapshot_offset = 0;  // Snapshot: the byte the follower expects next

  friend bool operator==(const FollowerProgress&, const FollowerProgress&) = default;
};

std::string_view to_string(FollowerProgress::State state) noexcept;

}  // namespace raftio
