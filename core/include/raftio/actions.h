// Actions: everything a node asks its embedder to do after a step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "raftio/entry.h"
#include "raftio/messages.h"
#include "raftio/state.h"
#include "raftio/types.h"

namespace raftio {

// Deliver `message` to receiver_of(message). Already durable: the node synced before returning it.
struct Send {
  Send() = default;
  Send(Message m) : message(std::move(m)) {}  // NOLINT: implicit, so Send{message} reads naturally
  // Builds the message in place (one move of the alternative, none of the variant).
  template <class M, class... Args>
  explicit Send(std::in_place_type_t<M> kind, Args&&... args) : message(kind, std::forward<Args>(args)...) {}

  Message message;
};

// Apply a committed entry to the state machine. Emitted once per entry, in index order, for every
// entry kind (a Noop advances the applied index too).
struct Apply {
  LogEntry entry;
};

// The node learned of a new leader (or lost it: leader == kNoNode).
struct LeaderChanged {
  Term term = 0;
  NodeId leader = kNoNode;
};

// The leader appended a proposal. It is committed when Apply arrives for `index` with `term`; an
// Apply of a different term at that index means the proposal was lost to a leader change.
struct ProposalAccepted {
  std::uint64_t id = 0;
  Index index = 0;
  Term term = 0;
};

enum class RequestKind : std::uint8_t { Propose, ReadIndex, TransferLeadership, SnapshotTaken, ChangeMembership };

enum class RejectReason : std::uint8_t {
  NotLeader,           // ask leader_hint instead (kNoNode when unknown)
  StorageFailed,       // the node stopped after a storage error
  TransferInProgress,  // the leader is handing over to leader_hint: retry there shortly
  InvalidTarget,       // a transfer to this node itself, a learner or a non-member
  TimedOut,            // no answer within the time limit (a transfer that did not complete, a read
                       // the leader could not confirm); the request may be retried
  InvalidSnapshot,     // SnapshotTaken beyond the applied index, or not newer than the last snapshot
  ChangeInProgress,    // a configuration change is not committed yet (or the leader has not yet
                       // committed an entry of its term): one change at a time
  NotCaughtUp,         // a learner cannot be promoted before its log has nearly caught up
  SnapshotTooLarge,    // SnapshotTaken with more than RaftConfig::max_snapshot_bytes of data
  LogFull,             // the log reached kMaxLogIndex: no entry can be appended
};

// A request the node cannot serve.
struct Reject {
  RequestKind what = RequestKind::Propose;
  RejectReason reason = RejectReason::NotLeader;
  NodeId leader_hint = kNoNode;
  std::uint64_t id = 0;
};

// A storage call failed. The node keeps no half-written state visible: the step that failed
// returns only this action, and every later step returns it again.
struct StorageError {
  enum class Code : std::uint8_t { Io, NoSpace, Corruption, Misuse };
  Code code = Code::Io;
  std::string context;  // what failed, where (file, offset, operation)
  friend bool operator==(const StorageError&, const StorageError&) = default;
};

struct StorageFailed {
  StorageError error;
};

// The read with this id may be served once the application has applied `index` (the leader's
// commit index when the read arrived, confirmed by a quorum).
struct ReadReady {
  std::uint64_t id = 0;
  Index index = 0;
};

// Replace the state machine with `snapshot` (installed from the leader, or found at start-up when
// RaftConfig::applied is below the log's snapshot). Apply resumes at snapshot.last_index + 1.
struct RestoreSnapshot {
  Snapshot snapshot;
};

// The log holds `entries` entries applied since the last snapshot, past the configured
// threshold: a good time to take a snapshot (SnapshotTaken) at `applied`. Emitted once per
// threshold crossing.
struct SnapshotSuggested {
  Index applied = 0;
  std::uint64_t entries = 0;
};

// async_storage mode only: write this to stable storage, then report Persisted{index, term}. The
// parts apply in this order (raftio::write_persist does it on any RaftLog):
//   1. truncate_from, when nonzero: delete every entry with index >= truncate_from;
//   2. hard_state, when set: store it;
//   3. snapshot, when set: store it durably (RaftLog::save_snapshot), then compact the log up to
//      snapshot->last_index (RaftLog::compact with its metadata);
//   4. entries: append each run, in order (the first follows the log's last entry);
//   5. make all of it durable (one fsync), then step Persisted{index, term}.
// The node keeps going meanwhile: a leader replicates to its followers while its own write is in
// flight, but counts itself toward a commit quorum, grants votes, acknowledges appends and emits
// Apply only for what a Persisted has confirmed.
struct Persist {
  std::optional<HardState> hard_state;
  Index truncate_from = 0;
  std::optional<Snapshot> snapshot;
  std::vector<EntryBatch> entries;  // shared views of the node's entries: no payload copies
  Index index = 0;  // the log's last entry once this is written (the snapshot's when it holds none)
  Term term = 0;
};

using Action = std::variant<Send, Apply, LeaderChanged, ProposalAccepted, Reject, StorageFailed, ReadReady,
                            RestoreSnapshot, SnapshotSuggested, Persist>;

std::string_view to_string(RequestKind kind) noexcept;
std::string_view to_string(RejectReason reason) noexcept;
std::string_view to_string(StorageError::Code code) noexcept;

}  // namespace raftio
