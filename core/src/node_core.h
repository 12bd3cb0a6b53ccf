// NodeCore: the state and logic behind RaftNode. The implementation is split by concern:
//   node_core.cpp     construction, recovery, the step pipeline, persistence, apply
//   node_receive.cpp  the term prelude shared by every message, then dispatch by role
//   node_election.cpp ticks, pre-vote, campaigns, votes, role changes
//   node_leader.cpp   proposals, replication, replies, commitment, heartbeats, check-quorum
//   node_follower.cpp AppendEntries: consistency check, conflict truncation, commit
//   node_transfer.cpp leadership transfer (TransferLeadership, TimeoutNow)
//   node_read.cpp     linearizable reads (ReadIndex, forwarded reads, confirmation rounds)
//   node_snapshot.cpp snapshots: compaction, InstallSnapshot in chunks, restore
//   node_membership.cpp configuration changes (one server at a time), learners
//   node_async_storage.cpp async_storage mode: Persist actions out, Persisted events in
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "prng.h"
#include "progress.h"
#include "raftio/actions.h"
#include "raftio/config.h"
#include "raftio/detail/entry_store.h"
#include "raftio/events.h"
#include "raftio/follower_progress.h"
#include "raftio/raft_log.h"
#include "vote_tally.h"

namespace raftio::detail {

// A log that contradicts itself at start-up (recovery refuses to run on it).
inline StorageError recovery_corruption(std::string what) {
  return StorageError{StorageError::Code::Corruption, "recovering the log: " + std::move(what)};
}

struct FollowerState {};

struct CandidateState {
  bool pre_vote = false;
  VoteTally tally;
};

// A read the leader has accepted but not yet answered (thesis §6.4).
struct PendingRead {
  NodeId origin = kNoNode;    // this node, or the follower that forwarded the read
  std::uint64_t id = 0;       // the origin's request id
  Index index = 0;            // the commit index when the read was registered
  std::uint64_t round = 0;    // answered once a quorum has acknowledged this round
  std::uint64_t since = 0;    // tick count when it arrived (for the time limit)
};

struct LeaderState {
  std::vector<PeerProgress> peers;  // every member but this node, sorted by id
  // The seq of the last AppendEntries sent to any follower in this term. One counter for all, so
  // a follower removed and added back within the term never sees numbers its earlier progress
  // used: a late reply from before cannot pass for an answer to what we send now.
  std::uint64_t seq = 0;
  std::uint32_t heartbeat_elapsed = 0;
  bool commit_dirty = false;  // a voter's match advanced: recompute the commit index
  bool send_dirty = false;    // some peer has needs_send set
  // Leadership transfer in progress (thesis §3.10): the target, and ticks since it began.
  NodeId transfer_target = kNoNode;
  std::uint64_t transfer_id = 0;  // the request's correlation id (for its Reject on time-out)
  std::uint32_t transfer_elapsed = 0;
  // Reads: the latest confirmation round started, whether it still has to be broadcast, the
  // reads waiting for their round (rounds never decrease along the queue), and the reads that
  // arrived before an entry of this term committed (their read index is not known yet, §6.4).
  std::uint64_t read_round = 0;
  bool round_open = false;
  std::vector<PendingRead> reads;
  std::vector<PendingRead> reads_before_commit;
  // Lease reads: the tick at which each recent round began (oldest first), and the start of the
  // newest round a quorum acknowledged: the lease runs from there.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> round_starts;
  std::optional<std::uint64_t> lease_from;
};

class NodeCore {
 public:
  NodeCore(RaftConfig config, std::unique_ptr<RaftLog> log);

  void step(std::span<Event> events, std::vector<Action>& out);

  // --- inspection ---
  NodeId id() const noexcept { return config_.id; }
  Role role() const noexcept { return role_; }
  NodeId leader() const noexcept { return leader_; }
  Term term() const noexcept { return term_; }
  NodeId voted_for() const noexcept { return vote_; }
  Index commit_index() const noexcept { return commit_; }
  Index applied_index() const noexcept { return applied_; }
  Index first_index() const noexcept { return entries_.first_index(); }
  Index last_index() const noexcept { return entries_.last_index(); }
  Index durable_index() const noexcept { return durable_; }
  const Membership& membership() const noexcept { return membership_; }
  const RaftConfig& config() const noexcept { return config_; }
  std::vector<FollowerProgress> progress() const;
  std::uint64_t incoming_snapshot_bytes() const noexcept { return incoming_ ? incoming_->data.size() : 0; }
  std::optional<Term> term_at(Index index) const noexcept {
    if (entries_.contains(index)) return entries_.term_at(index);
    if (index == snapshot_.last_index) return snapshot_.last_term;
    return std::nullopt;
  }
  const LogEntry* entry_at(Index index) const noexcept;
  const std::optional<StorageError>& storage_error() const noexcept { return error_; }
  const RaftLog& log() const noexcept { return *log_; }
  RaftLog& log() noexcept { return *log_; }

 private:
  // node_core.cpp: the step pipeline
  void recover();
  void dispatch(Event&& event);
  void finish_step();
  bool persist();
  void fail(StorageError error);
  // Constructs the alternative in place: cheaper than a temporary Action, and it keeps GCC 12's
  // -Wmaybe-uninitialized false positives on moved variants away.
  template <class A>
  void emit(A&& action) {
    out_->emplace_back(std::in_place_type<std::decay_t<A>>, std::forward<A>(action));
  }
  template <class M>
  void send(M&& message) {
    out_->emplace_back(std::in_place_type<Send>, std::in_place_type<std::decay_t<M>>, std::forward<M>(message));
  }
  void send(Message&& message) { out_->emplace_back(std::in_place_type<Send>, std::move(message)); }
  // Replies that promise durable state (votes, append acknowledgements) wait for persist().
  void send_after_persist(Message message) { after_persist_.push_back(std::move(message)); }
  void emit_applies();
  void append_local(LogEntry entry);
  void truncate_local(Index from);
  Term last_term() const noexcept { return *term_at(last_index()); }
  // The largest index i <= at_most whose term is <= term (fast backtracking; terms never decrease
  // along a log, so this is a binary search).
  Index last_index_with_term_at_most(Index at_most, Term term) const noexcept;

  // node_async_storage.cpp
  void hand_off(std::optional<Snapshot> snapshot);
  void release_after_persist();
  void defer_until_durable(Action action);
  void on_persisted(const Persisted& persisted);

  // node_receive.cpp
  void on_receive(Message&& message);
  bool term_prelude(const Message& message);
  bool pre_vote_reply_prelude(const PreVoteReply& m);
  bool term_admissible(Term term) const noexcept;

  // node_election.cpp
  void on_tick();
  void tick_election();
  bool may_campaign() const;
  void campaign(bool pre_vote, bool leadership_transfer);
  void become_follower(Term term, NodeId leader);
  void become_leader();
  void set_leader(NodeId leader);
  void reset_election_timer();
  bool in_leader_lease() const noexcept;
  bool log_up_to_date(Index last_log_index, Term last_log_term) const noexcept;
  void on_request_vote(const RequestVote& m);
  void on_pre_vote(const PreVote& m);
  void on_vote_reply(NodeId from, bool granted, bool pre_vote);
  void on_timeout_now(const TimeoutNow& m);

  // node_leader.cpp
  void on_propose(Propose&& propose);
  void tick_leader();
  void on_append_reply(const AppendEntriesReply& m);
  PeerProgress* find_peer(NodeId id) noexcept;
  void maybe_commit();
  void replicate_pending();
  void send_append(PeerProgress& peer);
  void send_heartbeat(PeerProgress& peer);
  bool quorum_active() const noexcept;

  // node_transfer.cpp
  void on_transfer_leadership(const TransferLeadership& request);
  void maybe_send_timeout_now(const PeerProgress& peer);
  void tick_transfer(LeaderState& leader);

  // node_read.cpp
  void on_read_index(const ReadIndex& request);
  void accept_read(NodeId origin, std::uint64_t id);
  void register_read(LeaderState& leader, PendingRead read);
  void answer_read(const PendingRead& read, bool ok, RejectReason reason, NodeId leader_hint);
  void on_read_index_request(const ReadIndexRequest& m);
  void on_read_index_reply(const ReadIndexReply& m);
  void finish_reads(LeaderState& leader);
  void expire_reads();
  void abandon_leader_reads(NodeId new_leader);
  void fail_forwarded_reads(NodeId new_leader);
  void start_lease_round(LeaderState& leader);
  void update_lease(LeaderState& leader);
  bool lease_valid(const LeaderState& leader) const noexcept;
  std::uint64_t confirmed_round(const LeaderState& leader);

  // node_snapshot.cpp
  void recover_snapshot(const HardState& hard_state);
  void on_snapshot_taken(SnapshotTaken&& taken);
  bool compact_log(const Snapshot& snapshot);
  void maybe_suggest_snapshot();
  void send_snapshot_chunk(PeerProgress& peer);
  std::uint64_t snapshot_data_checksum();
  void on_install_snapshot(InstallSnapshot&& m);
  void install_snapshot(Snapshot snapshot, NodeId leader);
  void on_install_snapshot_reply(const InstallSnapshotReply& m);

  // node_membership.cpp
  void on_change_membership(const ChangeMembership& request);
  void note_appended(const LogEntry& entry);
  void configs_truncated(Index from);
  void configs_compacted(Index upto, const Membership& at_snapshot);
  void rebuild_configs();
  Membership membership_at(Index index) const;
  Index last_config_index() const noexcept { return configs_.empty() ? 0 : configs_.back().index; }
  void set_membership(const Membership& membership);
  void sync_peers_with_membership();
  void maybe_step_down_after_removal();

  // node_follower.cpp
  void on_append_entries(AppendEntries&& m);
  bool append_entries_well_formed(const AppendEntries& m) const noexcept;

  RaftConfig config_;
  std::unique_ptr<RaftLog> log_;
  EntryStore entries_;
  Membership membership_;  // in effect: the newest configuration in the log (§6, thesis §4.1)
  // Configuration entries held in the log (after the snapshot), oldest first, and the
  // configuration before them (the snapshot's, or the initial one from RaftConfig).
  struct ConfigPoint {
    Index index = 0;
    Membership membership;
  };
  std::vector<ConfigPoint> configs_;
  Membership base_membership_;
  SnapshotMeta snapshot_;               // the log's snapshot point (what compaction removed)
  std::optional<Snapshot> snapshot_data_;  // the newest snapshot with its data, to send followers
  bool restore_pending_ = false;        // emit RestoreSnapshot at the first step (see recover)
  bool snapshot_suggested_ = false;     // SnapshotSuggested sent since the last snapshot
  // A snapshot being received from the leader, chunk by chunk (thesis §5.3 / Figure 13).
  struct IncomingSnapshot {
    SnapshotMeta meta;
    std::uint64_t total_bytes = 0;
    std::uint64_t checksum = 0;
    std::vector<std::byte> data;
  };
  std::optional<IncomingSnapshot> incoming_;
  // The checksum of snapshot_data_, and the snapshot index it was computed for.
  std::uint64_t snapshot_checksum_value_ = 0;
  Index checksum_of_ = 0;
  Prng prng_;

  Term term_ = 0;
  NodeId vote_ = kNoNode;
  Index commit_ = 0;
  Index applied_ = 0;
  Index durable_ = 0;

  Role role_ = Role::Follower;
  NodeId leader_ = kNoNode;
  std::variant<FollowerState, CandidateState, LeaderState> role_state_;
  // Follower/candidate: ticks since the leader was last heard from (or the timer reset).
  // Leader: ticks into the current check-quorum interval.
  std::uint32_t election_elapsed_ = 0;
  std::uint32_t randomized_timeout_ = 0;
  std::uint64_t ticks_ = 0;  // ticks seen since start: the clock for request time limits

  // Reads this follower forwarded to the leader, waiting for its ReadIndexReply. Each travels
  // under a number of this node's (forward_id), not the application's id: an application may
  // reuse its ids, and a duplicated answer to an earlier read that carried the same id would
  // answer the new read with an old index (a stale read, found by fuzz_step). The numbers start
  // from a base derived from RaftConfig::incarnation, so that an answer to a read forwarded
  // before a restart cannot answer one forwarded after it either (found by fuzz_step in CI).
  struct ForwardedRead {
    std::uint64_t id = 0;          // the application's
    std::uint64_t forward_id = 0;  // in the ReadIndexRequest and its reply
    std::uint64_t since = 0;
  };
  std::vector<ForwardedRead> forwarded_reads_;
  std::uint64_t next_forward_id_ = 1;

  // --- persistence bookkeeping ---
  HardState persisted_hard_state_;
  Index unwritten_from_ = 1;  // entries from here on are in memory but not yet handed to log_
  bool needs_sync_ = false;
  std::optional<StorageError> error_;
  // async_storage: the Persist actions handed out and not yet reported, oldest first, each with
  // the actions that wait for it; a truncation not yet handed out; RestoreSnapshots held back
  // (Apply waits behind them).
  struct InFlightPersist {
    Index index = 0;  // as in the action: what its Persisted must echo
    Term term = 0;
    Index durable_upto = 0;  // durable once reported: index, lowered by later truncations
    std::vector<Action> deferred;
    Term self_vote = 0;  // a campaign in this term counts its own vote once this is reported
  };
  std::deque<InFlightPersist> in_flight_;
  Index truncate_from_ = 0;
  std::size_t restores_in_flight_ = 0;
  Term self_vote_pending_ = 0;  // a campaign's own vote, waiting for the Persist of its term

  // --- per-step scratch ---
  std::vector<Action>* out_ = nullptr;
  std::size_t step_start_ = 0;
  std::vector<Message> after_persist_;
  std::vector<Index> match_scratch_;
};

}  // namespace raftio::detail
