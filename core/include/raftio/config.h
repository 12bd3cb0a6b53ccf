// RaftConfig in three tiers:
//   1. RaftConfig::single(id)                      — a one-node cluster, every default.
//   2. RaftConfig::builder(id).voters({...})...build() — validated, returns a ConfigError naming
//      the field when something is wrong.
//   3. Your own RaftLog and RaftTransport (see raft_log.h, transport.h).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "raftio/membership.h"
#include "raftio/result.h"
#include "raftio/types.h"

namespace raftio {

struct ConfigError {
  std::string field;    // the builder method / struct field at fault, e.g. "heartbeat_ticks"
  std::string message;  // what is wrong, with the offending values
  std::string describe() const { return "invalid raftio config: " + field + ": " + message; }
  friend bool operator==(const ConfigError&, const ConfigError&) = default;
};

struct RaftConfig {
  NodeId id = kNoNode;
  Membership membership;  // initial configuration (used when the log holds none)

  // A follower campaigns after a randomized timeout in [election_ticks, 2 * election_ticks).
  std::uint32_t election_ticks = 10;
  // The leader sends heartbeats every heartbeat_ticks; must be shorter than election_ticks.
  std::uint32_t heartbeat_ticks = 1;
  // Thesis §9.6: ask for pre-votes before bumping the term, so a rejoining node cannot disrupt.
  bool pre_vote = true;
  // A leader that has not heard from a quorum within election_ticks steps down, and voters that
  // heard from a leader within election_ticks refuse to vote (thesis §4.2.3, §6.2).
  bool check_quorum = true;
  // Limits per AppendEntries (a single entry larger than max_bytes_per_msg is still sent alone).
  std::uint32_t max_entries_per_msg = 64;
  std::uint64_t max_bytes_per_msg = 1u << 20;
  // Pipelined AppendEntries in flight to one follower before the leader waits for replies.
  std::uint32_t max_inflight_msgs = 256;
  // Seeds the PRNG behind randomized election timeouts (mixed with `id`, so every node of a
  // cluster may share one seed and still draw different timeouts).
  std::uint64_t seed = 0;
  // A number that differs on every start of this node: a boot counter the embedder keeps, or the
  // wall-clock time or a random number drawn at start (raftio::runtime::Node draws one). A
  // follower numbers the reads it forwards to the leader from a base derived from it, so that an
  // answer to a read sent before a restart, still in flight, can never answer a read sent after
  // it in the same term (a stale read). 0, the default, numbers from 1 on every start: safe only
  // if no ReadIndexReply outlives a restart.
  std::uint64_t incarnation = 0;
  // Lease reads (thesis §6.4.1): a leader that a quorum acknowledged within the last
  // election_ticks - lease_drift_ticks ticks answers ReadIndex at once, without a round. Safe only
  // with check_quorum (followers then refuse to elect anyone else for election_ticks after
  // hearing from the leader) and only if no node's clock runs more than lease_drift_ticks ticks
  // fast over an election timeout, and no process pauses longer than that: otherwise use the
  // default (a heartbeat round per read).
  bool lease_reads = false;
  std::uint32_t lease_drift_ticks = 2;
  // Suggest a snapshot (SnapshotSuggested) once this many applied entries follow the last one;
  // 0 turns the suggestion off.
  std::uint64_t snapshot_threshold = 8192;
  // InstallSnapshot sends snapshot data in chunks of at most this many bytes (one in flight per
  // follower; a lost chunk is resent). Must fit a wire frame: 1 byte to 2 MiB.
  std::uint32_t snapshot_chunk_bytes = 256 * 1024;
  // The largest snapshot a node takes (SnapshotTaken past it is rejected with SnapshotTooLarge)
  // or receives: a follower refuses an InstallSnapshot declaring more, so what it holds for an
  // unfinished snapshot stays below this whatever the network sends. Give every node the same
  // value, larger than your state machine will ever serialize to.
  std::uint64_t max_snapshot_bytes = std::uint64_t{1} << 30;  // 1 GiB
  // Asynchronous storage (thesis §10.2.1): instead of writing through its RaftLog inside step, the
  // node returns Persist actions and carries on; the embedder writes them (in order, off the hot
  // path) and reports each with a Persisted event. See docs/API.md, "Asynchronous storage".
  bool async_storage = false;
  // The highest index the application has already applied (it persisted its state machine, as of
  // an Apply or RestoreSnapshot the node emitted); the node does not emit Apply for entries at or
  // below it after a restart. The node trusts it as committed (Apply is only ever emitted for
  // committed entries), even where the log recovered a lower commit index: a commit index that
  // only moved is made durable lazily. A value past the log's last index means the log lost
  // entries the state machine applied: the node then refuses to run (StorageError Corruption).
  Index applied = 0;

  // Tier 1: a single-voter cluster of `id`.
  static RaftConfig single(NodeId id);

  class Builder;
  // Tier 2.
  static Builder builder(NodeId id);

  // Checks every rule below; the first broken one is returned.
  std::optional<ConfigError> validate() const;
};

class RaftConfig::Builder {
 public:
  explicit Builder(NodeId id);
  Builder& voters(std::vector<NodeId> ids);
  Builder& voters(std::initializer_list<NodeId> ids) { return voters(std::vector<NodeId>(ids)); }
  Builder& learners(std::vector<NodeId> ids);
  Builder& learners(std::initializer_list<NodeId> ids) { return learners(std::vector<NodeId>(ids)); }
  Builder& election_ticks(std::uint32_t ticks);
  Builder& heartbeat_ticks(std::uint32_t ticks);
  Builder& pre_vote(bool enabled);
  Builder& check_quorum(bool enabled);
  Builder& max_entries_per_msg(std::uint32_t count);
  Builder& max_bytes_per_msg(std::uint64_t bytes);
  Builder& max_inflight_msgs(std::uint32_t count);
  Builder& seed(std::uint64_t value);
  Builder& incarnation(std::uint64_t value);
  Builder& applied(Index index);
  Builder& snapshot_threshold(std::uint64_t entries);
  Builder& lease_reads(bool enabled);
  Builder& lease_drift_ticks(std::uint32_t ticks);
  Builder& snapshot_chunk_bytes(std::uint32_t bytes);
  Builder& max_snapshot_bytes(std::uint64_t bytes);
  Builder& async_storage(bool enabled);

  // Sorts the member lists and validates. Duplicates are reported, not silently merged.
  Result<RaftConfig, ConfigError> build() const;

 private:
  RaftConfig config_;
  std::vector<NodeId> voters_;
  std::vector<NodeId> learners_;
};

}  // namespace raftio
