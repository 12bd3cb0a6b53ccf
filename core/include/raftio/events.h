// Events: everything that can happen to a node. The embedder feeds them to RaftNode::step.
#pragma once

#include <cstdint>
#include <utility>
#include <variant>

#include "raftio/actions.h"
#include "raftio/messages.h"
#include "raftio/payload.h"
#include "raftio/types.h"

namespace raftio {

// One unit of logical time. Election and heartbeat timeouts are counted in ticks.
struct Tick {};

// A message arrived from the network.
struct Receive {
  Receive() = default;
  Receive(Message m) : message(std::move(m)) {}  // NOLINT: implicit, so Receive{message} reads naturally
  Message message;
};

// Ask the leader to append a command. `id` is the embedder's correlation id, echoed back in
// ProposalAccepted or Reject.
struct Propose {
  Payload data;
  std::uint64_t id = 0;
};

// Ask the leader for a linearizable read (§6.4, thesis §6.4). Answered by ReadReady{id, index}
// once the leader has confirmed it still leads; the application then serves the read after it
// has applied `index`. On a follower the request is forwarded to the leader.
struct ReadIndex {
  std::uint64_t id = 0;
};

// Ask the leader to hand leadership to the voter `to` (thesis §3.10). Proposals are refused while
// the transfer runs; it ends when `to` wins an election (LeaderChanged) or, after an election
// timeout, with Reject{TransferLeadership, TimedOut}.
struct TransferLeadership {
  NodeId to = kNoNode;
  std::uint64_t id = 0;  // the embedder's correlation id, echoed in a Reject
};

// The application serialized its state machine as of `index` (at most the applied index) into
// `data`: the node keeps the snapshot (to send to followers that fall behind, with the term and
// membership at `index` from its log) and compacts its log up to it.
struct SnapshotTaken {
  Index index = 0;
  Payload data;
  std::uint64_t id = 0;  // the embedder's correlation id, echoed in a Reject
};

// Ask the leader to change the configuration by one server (see docs/PROTOCOL.md, Membership):
//   AddVoter    a new voter, or promote a learner (once it has caught up);
//   AddLearner  a new learner, or demote a voter;
//   Remove      a voter or learner leaves.
// Answered like a proposal: ProposalAccepted{id, index, term}, then the Config entry's Apply; or
// Reject. The new configuration takes effect on each node when its entry is appended.
enum class MembershipChange : std::uint8_t { AddVoter, AddLearner, Remove };
struct ChangeMembership {
  MembershipChange change = MembershipChange::AddLearner;
  NodeId node = kNoNode;
  std::uint64_t id = 0;
};

// async_storage mode only: the embedder finished the oldest Persist action it had not yet
// reported, and everything in it is durable. `index` and `term` echo that Persist's fields. Report
// every Persist exactly once and in the order the node returned them (writes may be batched and
// synced together, as long as each one is then reported); a Persisted that does not match the
// oldest unreported Persist stops the node with StorageError::Code::Misuse.
struct Persisted {
  Index index = 0;
  Term term = 0;
};

// async_storage mode only: writing a Persist failed. The node stops as it does after a storage
// error in synchronous mode (every later step returns StorageFailed); restart it from the log.
struct PersistFailed {
  StorageError error;
};

using Event = std::variant<Tick, Receive, Propose, ReadIndex, TransferLeadership, SnapshotTaken, ChangeMembership,
                           Persisted, PersistFailed>;

}  // namespace raftio
