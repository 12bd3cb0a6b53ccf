// RaftNode: a deterministic, sans-I/O Raft state machine. It owns no clock, socket or thread:
// time arrives as Tick events, messages as Receive events, and everything the node wants done
// comes back as actions. Same config (including seed), same events → same actions, byte for byte.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "raftio/actions.h"
#include "raftio/config.h"
#include "raftio/events.h"
#include "raftio/follower_progress.h"
#include "raftio/memory_log.h"
#include "raftio/raft_log.h"

namespace raftio {

namespace detail {
class NodeCore;
}

class RaftNode {
 public:
  // Recovers term, vote, commit, snapshot metadata and entries from `log`. Throws
  // std::invalid_argument with ConfigError::describe() if `config` is invalid (use
  // RaftConfig::builder to get a validated one). A log that cannot be read leaves the node failed:
  // every step then returns StorageFailed.
  explicit RaftNode(RaftConfig config, std::unique_ptr<RaftLog> log = std::make_unique<MemoryLog>());
  ~RaftNode();
  RaftNode(RaftNode&&) noexcept;
  RaftNode& operator=(RaftNode&&) noexcept;
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  // Handles one event and returns what to do.
  std::vector<Action> step(Event event);
  // Allocation-free hot path: appends this step's actions to `out` (the caller clears and reuses
  // it; the node never reads it).
  void step(Event event, std::vector<Action>& out);
  // Handles several events as one step: one sync for all of them (group commit) and one batched
  // AppendEntries per follower. Events are moved from.
  void step(std::span<Event> events, std::vector<Action>& out);

  NodeId id() const noexcept;
  Role role() const noexcept;
  bool is_leader() const noexcept { return role() == Role::Leader; }
  NodeId leader() const noexcept;  // kNoNode when unknown
  Term term() const noexcept;
  NodeId voted_for() const noexcept;
  Index commit_index() const noexcept;
  Index applied_index() const noexcept;   // the last index returned in an Apply action
  Index first_index() const noexcept;     // first entry held in memory (snapshot index + 1)
  Index last_index() const noexcept;
  Index durable_index() const noexcept;   // last index the RaftLog has synced
  const Membership& membership() const noexcept;
  const RaftConfig& config() const noexcept;
  // The leader's view of every other member (voters and learners, sorted by id); empty unless
  // this node leads.
  std::vector<FollowerProgress> progress() const;
  // Bytes of a snapshot being received from the leader and not yet complete (at most
  // RaftConfig::max_snapshot_bytes).
  std::uint64_t incoming_snapshot_bytes() const noexcept;

  // Read-only view of the in-memory log, for inspection (tests, simulator checkers, tools).
  std::optional<Term> term_at(Index index) const noexcept;  // also the snapshot's last index
  const LogEntry* entry_at(Index index) const noexcept;     // nullptr when not held

  // Set once a storage call failed; the node then refuses every further step.
  const std::optional<StorageError>& storage_error() const noexcept;
  const RaftLog& log() const noexcept;
  // In async_storage mode the node reads its log only in the constructor (which may also finish
  // a compaction a crash interrupted); after that the log is the embedder's to write Persist
  // actions to (write_persist), from any one thread.
  RaftLog& log() noexcept;

 private:
  std::unique_ptr<detail::NodeCore> core_;
};

}  // namespace raftio
