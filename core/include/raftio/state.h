// Persistent state: the hard state a node must make durable before replying, and snapshots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "raftio/membership.h"
#include "raftio/payload.h"
#include "raftio/types.h"

namespace raftio {

// Persisted before any message that depends on it leaves the node (Raft Figure 2).
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;  // a hint: recovery clamps it to the last index held

  friend bool operator==(const HardState&, const HardState&) = default;
};

// What the log keeps of a snapshot: the position it replaces and the membership at that point.
struct SnapshotMeta {
  Index last_index = 0;
  Term last_term = 0;
  Membership membership;

  friend bool operator==(const SnapshotMeta&, const SnapshotMeta&) = default;
};

// An application-made snapshot: the state machine as of last_index.
struct Snapshot {
  Index last_index = 0;
  Term last_term = 0;
  Membership membership;
  Payload data;

  SnapshotMeta meta() const { return SnapshotMeta{last_index, last_term, membership}; }
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// The checksum InstallSnapshot carries for a snapshot's data: XXH3-64 (seed 0) of the bytes.
std::uint64_t snapshot_checksum(std::span<const std::byte> data) noexcept;

}  // namespace raftio
