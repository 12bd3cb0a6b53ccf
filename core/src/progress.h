// PeerProgress: what a leader knows about one follower's log (etcd's Progress).
//
// Probe: the leader does not know where the follower's log matches; it sends one AppendEntries at
//   a time and waits for the reply (or the next heartbeat reply) before sending another.
// Replicate: the follower matches up to `match`; the leader streams entries optimistically,
//   advancing `next` as it sends, bounded by the inflight window.
// Snapshot: the follower needs entries the leader has compacted away; the leader sends its
//   snapshot in chunks, one at a time, from the offset the follower last asked for.
//
// Invariant: match < next.
#pragma once

#include <cstdint>

#include "inflights.h"
#include "raftio/types.h"

namespace raftio::detail {

struct PeerProgress {
  enum class State : std::uint8_t { Probe, Replicate, Snapshot };

  PeerProgress(NodeId peer_id, bool voter, Index next_index, std::uint32_t max_inflight)
      : id(peer_id), is_voter(voter), next(next_index), inflights(max_inflight) {}

  NodeId id;
  bool is_voter;
  State state = State::Probe;
  Index match = 0;
  Index next;
  bool probe_sent = false;     // Probe: a probe is outstanding, wait before sending another
  bool recent_active = false;  // heard from in this check-quorum interval
  bool needs_send = false;     // something may be sendable: look at it when the step ends
  std::uint32_t stall_ticks = 0;  // Replicate: ticks with messages outstanding and no progress
  std::uint64_t round_sent = 0;   // the highest read round sent to this follower
  std::uint64_t round_acked = 0;  // the highest read round it echoed back
  std::uint64_t seq_sent = 0;     // the seq of the last AppendEntries sent to this follower (LeaderState::seq)
  // seq_sent when the newest acknowledgement arrived: a message with a higher seq left after it,
  // so the follower handled it after it held everything it acknowledged (see on_append_reply).
  std::uint64_t seq_at_ack = 0;
  Index snapshot_index = 0;          // Snapshot: the snapshot being sent
  std::uint64_t snapshot_offset = 0; // Snapshot: the byte the follower expects next
  Inflights inflights;

  void become_probe() noexcept {
    state = State::Probe;
    next = match + 1;
    probe_sent = false;
    stall_ticks = 0;
    inflights.reset();
  }

  void become_snapshot(Index index) noexcept {
    state = State::Snapshot;
    snapshot_index = index;
    snapshot_offset = 0;
    probe_sent = false;  // here: a chunk is outstanding
    stall_ticks = 0;
    inflights.reset();
  }

  void become_replicate() noexcept {
    state = State::Replicate;
    next = match + 1;
    probe_sent = false;
    stall_ticks = 0;
    inflights.reset();
  }
};

}  // namespace raftio::detail
