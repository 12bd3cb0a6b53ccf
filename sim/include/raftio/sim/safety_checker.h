// SafetyChecker: checks the five Raft safety properties (Raft Figure 3) plus durability of
// committed entries, incrementally, after every step of every node.
//
//   Election Safety       at most one leader per term
//   Leader Append-Only    a leader never deletes or overwrites entries of its own log
//   Log Matching          same index and term ⇒ identical logs up to that index
//   Leader Completeness   a leader of term T holds every entry committed in a term before T
//   State Machine Safety  no two nodes apply different entries at one index
//   Committed durability  no node ever removes an entry it knows to be committed
//
// and, directly rather than through their distant consequences, the rules those rest on:
//
//   Leader Quorum         a leader was granted votes by a majority of distinct voters of its
//                         configuration in its term (its own vote included)
//   Vote Once             no node votes for two candidates in one term
//   Durable Vote          after a restart a node's term and vote are at least what it promised
//   Read Freshness        a read's index is at least the highest index committed anywhere when
//                         the read arrived
//   Single Config Change  a leader's log never holds two uncommitted configuration entries
//   Leader Commit Term    a leader's commit index moves only onto an entry of its own term
//   Follower Commit Bound an AppendEntries moves a follower's commit index at most to its last entry
//   Pre-Vote Quorum, Pre-Vote Lease, Term Without Campaign   (pre-vote on; see campaign checks)
//
// Each log is mirrored as a chain of hashes (chain[i] covers entries 1..i), so comparing two
// whole prefixes is comparing two numbers. The checker learns about log writes from
// RecordingLog, which wraps each node's RaftLog, and about roles, terms, commits and applies from
// after_step.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "raftio/actions.h"
#include "raftio/events.h"
#include "raftio/node.h"

namespace raftio::sim {

struct Violation {
  std::string property;
  std::vector<NodeId> nodes;
  std::string detail;
};

class SafetyChecker {
 public:
  // --- log writes (from RecordingLog) ---
  void on_append(NodeId node, std::span<const LogEntry> entries);
  void on_truncate(NodeId node, Index from);
  // The node compacted its log up to `index` (its own snapshot, or one installed from the
  // leader): a snapshot holds committed entries only, and its prefix becomes the committed one.
  void on_compact(NodeId node, Index index);
  // Everything written so far is durable: a truncation before it can no longer be undone by a crash.
  void on_sync(NodeId node);

  // A node in async_storage mode: the hooks above then follow its log as handed out in Persist
  // actions (what the protocol properties are about), and these follow its disk (what a restart
  // must recover: everything synced, nothing never written).
  void set_async_storage(NodeId node) { disks_[node]; }
  // Feeds the hooks above from a step's Persist actions: the log as the core handed it out.
  void on_handed_out(NodeId node, std::span<const Action> actions);
  void on_disk_append(NodeId node, std::span<const LogEntry> entries);
  void on_disk_truncate(NodeId node, Index from);
  void on_disk_compact(NodeId node, Index index);
  void on_disk_sync(NodeId node);

  // What the checker reads of a node after a step (tests build these by hand to feed it broken
  // histories; the RaftNode overloads read a real node).
  struct NodeView {
    NodeId id = kNoNode;
    Role role = Role::Follower;
    Term term = 0;
    Index commit = 0;
    bool storage_failed = false;
    // Optional (tests leave them out; then the checks that need them are skipped).
    NodeId voted_for = kNoNode;
    const std::vector<NodeId>* voters = nullptr;  // the node's configuration: Leader Quorum
    bool pre_vote = false;                        // the campaign checks
    bool check_quorum = false;                    // Pre-Vote Lease
    std::uint32_t election_ticks = 0;
    Term commit_term = 0;  // the term of the entry at `commit` (0: unknown): Leader Commit Term
  };
  static NodeView view_of(const RaftNode& node);

  // --- before every step of `node`, with the event it is about to handle (ticks count time;
  // AppendEntries show who heard from a leader; ReadIndex requests mark when a read arrived) ---
  void before_step(NodeId node, const Event& event);

  // --- after every step of `node`, with the actions that step returned ---
  void after_step(const NodeView& node, std::span<const Action> actions);
  void after_step(const RaftNode& node, std::span<const Action> actions) {
    after_step(view_of(node), actions);
    check_match_monotonic(node);
  }
  // A node was rebuilt from its log (a crash and restart): `recovered` is its log from index
  // snapshot_index + 1 (the entries up to a snapshot are in the snapshot); its volatile state
  // starts over.
  void on_restart(const NodeView& node, std::span<const LogEntry> recovered, Index snapshot_index = 0);
  // `state_machine_applied`: what the application's state machine held across the restart (0 when
  // it starts over); the node must not apply anything at or below it again.
  void on_restart(const RaftNode& node, Index state_machine_applied = 0);

  // A violation found outside the checker (e.g. a log that failed to recover after a crash).
  void record_violation(std::string property, std::vector<NodeId> nodes, std::string detail) {
    violate(std::move(property), std::move(nodes), std::move(detail));
  }

  bool ok() const noexcept { return violations_.empty(); }
  const std::vector<Violation>& violations() const noexcept { return violations_; }
  std::string report() const;

  // Highest index known committed anywhere, and the hash chain value at an index.
  Index committed_index() const noexcept { return static_cast<Index>(committed_chain_.size()) - 1; }

 private:
  struct Mirror {
    std::vector<std::uint64_t> chain{0};  // chain[i]: hash of entries 1..i; chain[0] = 0
    Role role = Role::Follower;
    Term term = 0;
    Index commit = 0;
    Index applied = 0;
    bool truncated_in_step = false;
    // A truncation not yet synced can be undone by a crash (the log then still holds what it
    // cut): the chain values it removed, from `unsynced_cut` on.
    std::optional<Index> unsynced_cut;
    std::vector<std::uint64_t> cut_tail;
    Index synced_last = 0;  // disk mirrors: the last index as of the last sync
    std::vector<Index> config_indices;  // where the log holds configuration entries, ascending

    // Time and leader contact, for Pre-Vote Lease: ticks this node handled, and the tick and term
    // at which it last accepted an AppendEntries from a leader.
    std::uint64_t ticks = 0;
    std::uint64_t heard_leader_tick = 0;
    Term heard_leader_term = 0;
    Term incoming_append_term = 0;  // the AppendEntries being handled in this step, 0 if none
    Index incoming_last_new = 0;    // and the index of its last entry (prev_log_index + entries)

    // Durable Vote: the highest term of a vote this node handed out (a grant, or its own
    // RequestVote), and for whom.
    Term promised_term = 0;
    NodeId promised_vote = kNoNode;

    // Read Freshness: reads that arrived at this node and are not answered yet, with the highest
    // index committed anywhere when each arrived.
    std::vector<std::pair<std::uint64_t, Index>> pending_reads;
    bool seen = false;  // stepped or restarted at least once
  };

  void violate(std::string property, std::vector<NodeId> nodes, std::string detail);
  bool extend_chain(NodeId node, Mirror& mirror, const LogEntry& entry);
  void cut_chain(Mirror& mirror, Index from);
  void compact_chain(Mirror& mirror, Index index);
  void check_commit(const NodeView& node, Mirror& mirror);
  void check_match_monotonic(const RaftNode& node);
  void check_leader(const NodeView& node, const Mirror& mirror);
  void check_applies(const NodeView& node, std::span<const Action> actions, Mirror& mirror);
  void record_promises(const NodeView& node, std::span<const Action> actions, Mirror& mirror);
  void check_reads(const NodeView& node, std::span<const Action> actions, Mirror& mirror);
  void check_campaign(const NodeView& node, const Mirror& mirror, Role role_before, Term term_before);
  void check_config_changes(const NodeView& node, const Mirror& mirror);
  void check_commit_rules(const NodeView& node, const Mirror& mirror, Role role_before, Term term_before);
  void check_promises_kept(const NodeView& node, const Mirror& mirror);
  std::size_t granted_by_quorum(const std::map<std::pair<Term, NodeId>, std::vector<NodeId>>& grants,
                                const NodeView& node) const;

  std::map<NodeId, Mirror> mirrors_;
  std::map<NodeId, Mirror> disks_;  // the async_storage nodes' disks, as written
  std::map<Term, NodeId> leader_of_term_;
  struct PositionHash {
    std::size_t operator()(const std::pair<Index, Term>& p) const noexcept {
      return static_cast<std::size_t>(p.first * 0x9e3779b97f4a7c15ULL ^ p.second);
    }
  };
  // Log Matching witness. Only looked up, never iterated, so hash order cannot reach a result.
  std::unordered_map<std::pair<Index, Term>, std::uint64_t, PositionHash> chain_at_;
  std::vector<std::uint64_t> committed_chain_{0};  // chain value of each committed index
  std::vector<Term> committed_in_term_{0};         // term in which each index was first seen committed
  // Figure 2 (matchIndex only increases): each leader's view of its followers in its current term.
  struct LeaderMatches {
    Term term = 0;
    std::vector<FollowerProgress> peers;
  };
  std::map<NodeId, LeaderMatches> leader_matches_;
  // Votes and pre-votes granted (as sent), by (term, candidate); leadership transfers ordered
  // (TimeoutNow sent), by (term the target campaigns in, target).
  std::map<std::pair<Term, NodeId>, std::vector<NodeId>> votes_granted_;
  std::map<std::pair<Term, NodeId>, std::vector<NodeId>> pre_votes_granted_;
  std::set<std::pair<Term, NodeId>> transfers_;
  Term highest_campaign_term_ = 0;  // the highest term any node campaigned in (or recovered)
  std::vector<std::uint64_t> applied_chain_{0};    // State Machine Safety: what index i applied as
  std::vector<NodeId> applied_by_{0};              // the first node that applied index i
  std::vector<Violation> violations_;
  std::set<std::string> reported_;  // property + detail of each violation recorded
};

}  // namespace raftio::sim
