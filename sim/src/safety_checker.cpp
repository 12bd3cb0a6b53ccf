#include "raftio/sim/safety_checker.h"

#include <algorithm>
#include <map>
#include <string>

#include <xxhash.h>

namespace raftio::sim {

namespace {

std::uint64_t chain_hash(std::uint64_t previous, const LogEntry& entry) {
  const std::uint64_t seed = previous * 0x9e3779b97f4a7c15ULL ^ entry.term * 0xc2b2ae3d27d4eb4fULL ^
                             static_cast<std::uint64_t>(entry.kind) ^ entry.index * 0x165667b19e3779f9ULL;
  return XXH3_64bits_withSeed(entry.data.data(), entry.data.size(), seed);
}

std::string at(Index index) { return "index " + std::to_string(index); }

}  // namespace

// A broken property tends to be seen again on every later step: each distinct violation is
// recorded once.
void SafetyChecker::violate(std::string property, std::vector<NodeId> nodes, std::string detail) {
  if (!reported_.insert(property + '\n' + detail).second) return;
  violations_.push_back(Violation{std::move(property), std::move(nodes), std::move(detail)});
}

void SafetyChecker::on_append(NodeId node, std::span<const LogEntry> entries) {
  Mirror& mirror = mirrors_[node];
  for (const LogEntry& entry : entries) {
    if (!extend_chain(node, mirror, entry)) return;
    if (entry.kind == EntryKind::Config) mirror.config_indices.push_back(entry.index);
    const std::uint64_t chain = mirror.chain.back();
    auto [it, inserted] = chain_at_.emplace(std::make_pair(entry.index, entry.term), chain);
    if (!inserted && it->second != chain) {
      violate("Log Matching", {node},
              "node " + std::to_string(node) + " holds an entry at " + at(entry.index) + " term " +
                  std::to_string(entry.term) + " whose log prefix differs from another node's entry at the same "
                  "index and term");
    }
  }
}

// Appends `entry` to a mirror's hash chain; false (and a violation) when it does not follow it.
bool SafetyChecker::extend_chain(NodeId node, Mirror& mirror, const LogEntry& entry) {
  if (entry.index != mirror.chain.size()) {
    violate("Log Append Order", {node},
            "appended " + at(entry.index) + " after last index " + std::to_string(mirror.chain.size() - 1));
    return false;
  }
  mirror.chain.push_back(chain_hash(mirror.chain.back(), entry));
  return true;
}

void SafetyChecker::on_truncate(NodeId node, Index from) {
  Mirror& mirror = mirrors_[node];
  if (from <= mirror.commit) {
    violate("Committed Durability", {node},
            "node " + std::to_string(node) + " truncated from " + at(from) + " below its commit index " +
                std::to_string(mirror.commit));
  }
  cut_chain(mirror, from);
  while (!mirror.config_indices.empty() && mirror.config_indices.back() >= from) mirror.config_indices.pop_back();
  mirror.truncated_in_step = true;
}

void SafetyChecker::cut_chain(Mirror& mirror, Index from) {
  if (from < mirror.chain.size()) {
    // Remember what the cut removed until a sync makes it final. Below an earlier unsynced cut the
    // chain is still the original one; at or above it, it is unsynced new data.
    const Index end = mirror.unsynced_cut ? std::min<Index>(*mirror.unsynced_cut, mirror.chain.size()) : mirror.chain.size();
    if (!mirror.unsynced_cut || from < *mirror.unsynced_cut) {
      std::vector<std::uint64_t> tail(mirror.chain.begin() + static_cast<std::ptrdiff_t>(from),
                                      mirror.chain.begin() + static_cast<std::ptrdiff_t>(std::max<Index>(end, from)));
      tail.insert(tail.end(), mirror.cut_tail.begin(), mirror.cut_tail.end());
      mirror.cut_tail = std::move(tail);
      mirror.unsynced_cut = from;
    }
    mirror.chain.resize(from);
  }
}

void SafetyChecker::on_sync(NodeId node) {
  Mirror& mirror = mirrors_[node];
  mirror.unsynced_cut.reset();
  mirror.cut_tail.clear();
}

void SafetyChecker::on_compact(NodeId node, Index index) {
  Mirror& mirror = mirrors_[node];
  if (index > committed_index()) {
    violate("Snapshot Beyond Commit", {node},
            "node " + std::to_string(node) + " compacted its log up to " + at(index) +
                ", above the highest index ever committed (" + std::to_string(committed_index()) + ")");
    return;
  }
  if (index + 1 < mirror.chain.size() && mirror.chain[index] != committed_chain_[index]) {
    violate("Log Matching", {node},
            "node " + std::to_string(node) + " kept entries after a snapshot at " + at(index) +
                " that its log disagrees with");
  }
  compact_chain(mirror, index);
  const auto kept = std::upper_bound(mirror.config_indices.begin(), mirror.config_indices.end(), index);
  mirror.config_indices.erase(mirror.config_indices.begin(), kept);
}

// The snapshot replaces the prefix: from here on the log continues the committed one.
void SafetyChecker::compact_chain(Mirror& mirror, Index index) {
  if (mirror.chain.size() <= index) mirror.chain.resize(index + 1);
  std::copy(committed_chain_.begin(), committed_chain_.begin() + static_cast<std::ptrdiff_t>(std::min(index + 1, committed_chain_.size())),
            mirror.chain.begin());
}

void SafetyChecker::on_disk_append(NodeId node, std::span<const LogEntry> entries) {
  Mirror& disk = disks_[node];
  for (const LogEntry& entry : entries) {
    if (!extend_chain(node, disk, entry)) return;
  }
}

void SafetyChecker::on_disk_truncate(NodeId node, Index from) { cut_chain(disks_[node], from); }

void SafetyChecker::on_disk_compact(NodeId node, Index index) {
  if (index <= committed_index()) compact_chain(disks_[node], index);  // on_compact reported it otherwise
}

void SafetyChecker::on_disk_sync(NodeId node) {
  Mirror& disk = disks_[node];
  disk.unsynced_cut.reset();
  disk.cut_tail.clear();
  disk.synced_last = static_cast<Index>(disk.chain.size()) - 1;
}

SafetyChecker::NodeView SafetyChecker::view_of(const RaftNode& node) {
  const RaftConfig& config = node.config();
  return NodeView{node.id(),          node.role(),         node.term(),
                  node.commit_index(), node.storage_error().has_value(), node.voted_for(),
                  &node.membership().voters, config.pre_vote, config.check_quorum,
                  config.election_ticks, node.term_at(node.commit_index()).value_or(0)};
}

void SafetyChecker::on_restart(const RaftNode& node, Index state_machine_applied) {
  std::vector<LogEntry> recovered;
  const Index snapshot_index = node.first_index() - 1;
  for (Index i = node.first_index(); i <= node.last_index(); ++i) {
    const LogEntry* entry = node.entry_at(i);
    if (entry == nullptr) break;
    recovered.push_back(*entry);
  }
  Mirror& mirror = mirrors_[node.id()];
  on_restart(view_of(node), recovered, snapshot_index);
  mirror.applied = std::max(node.applied_index(), state_machine_applied);
}

// A restarted node holds what its log recovered: a prefix of what it wrote, at least as long as
// its commit index was. Anything else lost or changed durable data.
void SafetyChecker::on_restart(const NodeView& node, std::span<const LogEntry> recovered_log, Index snapshot_index) {
  Mirror& mirror = mirrors_[node.id];
  if (snapshot_index > committed_index()) {
    violate("Snapshot Beyond Commit", {node.id},
            "node " + std::to_string(node.id) + " recovered a snapshot at " + at(snapshot_index) +
                ", above the highest index ever committed");
    snapshot_index = 0;
  }
  // Up to the snapshot the log is the committed one (on_compact checked it when it was taken).
  std::vector<std::uint64_t> recovered(committed_chain_.begin(),
                                       committed_chain_.begin() + static_cast<std::ptrdiff_t>(snapshot_index + 1));
  for (const LogEntry& entry : recovered_log) recovered.push_back(chain_hash(recovered.back(), entry));
  const Index last = static_cast<Index>(recovered.size()) - 1;
  // What the node wrote: its log in synchronous mode; its disk in async_storage mode, where the
  // log may run ahead of the disk (and its commit index too: committed entries are durable on a
  // quorum, not necessarily here), so what must survive is what was synced.
  const auto disk_it = disks_.find(node.id);
  Mirror* disk = disk_it != disks_.end() ? &disk_it->second : nullptr;
  Mirror& written = disk != nullptr ? *disk : mirror;
  // A crash may undo an unsynced truncation: the log written before it is then what counts.
  if (written.unsynced_cut && *written.unsynced_cut <= written.chain.size()) {
    std::vector<std::uint64_t> before_cut(written.chain.begin(),
                                          written.chain.begin() + static_cast<std::ptrdiff_t>(*written.unsynced_cut));
    before_cut.insert(before_cut.end(), written.cut_tail.begin(), written.cut_tail.end());
    const std::size_t common = std::min(recovered.size(), before_cut.size());
    const std::size_t common_now = std::min(recovered.size(), written.chain.size());
    const bool matches_now = recovered.size() <= written.chain.size() && recovered[common_now - 1] == written.chain[common_now - 1];
    if (!matches_now && recovered.size() <= before_cut.size() && recovered[common - 1] == before_cut[common - 1]) {
      written.chain = std::move(before_cut);
    }
  }
  // Synced entries survive, except where an unsynced truncation (which may or may not survive)
  // cut them.
  const Index must_survive =
      disk == nullptr ? 0 : (disk->unsynced_cut ? std::min(disk->synced_last, *disk->unsynced_cut - 1) : disk->synced_last);
  mirror.unsynced_cut.reset();
  mirror.cut_tail.clear();
  const std::size_t compared = std::min(recovered.size(), written.chain.size());
  if (compared > 0 && recovered[compared - 1] != written.chain[compared - 1]) {
    violate("Durability", {node.id},
            "node " + std::to_string(node.id) + " recovered a log that differs from what it wrote, at or below " +
                at(compared - 1));
  }
  if (disk == nullptr && last < mirror.commit) {
    violate("Durability", {node.id},
            "node " + std::to_string(node.id) + " recovered " + std::to_string(last) + " entries but had committed " +
                std::to_string(mirror.commit));
  }
  if (disk != nullptr && last < must_survive) {
    violate("Durability", {node.id},
            "node " + std::to_string(node.id) + " recovered " + std::to_string(last) + " entries but had synced " +
                std::to_string(must_survive));
  }
  if (recovered.size() > written.chain.size()) {
    violate("Durability", {node.id}, "node " + std::to_string(node.id) + " recovered entries it never wrote");
  }
  if (disk != nullptr) {
    disk->chain = recovered;
    disk->unsynced_cut.reset();
    disk->cut_tail.clear();
    disk->synced_last = last;
  }
  check_promises_kept(node, mirror);
  mirror.config_indices.clear();
  for (const LogEntry& entry : recovered_log) {
    if (entry.kind == EntryKind::Config && entry.index > snapshot_index) mirror.config_indices.push_back(entry.index);
  }
  mirror.pending_reads.clear();  // a restarted node has forgotten its reads
  mirror.heard_leader_term = 0;  // and its leader
  mirror.seen = true;
  highest_campaign_term_ = std::max(highest_campaign_term_, node.term);
  mirror.chain = std::move(recovered);
  mirror.role = node.role;
  mirror.term = node.term;
  mirror.commit = node.commit;
  mirror.applied = 0;
  mirror.truncated_in_step = false;
}

void SafetyChecker::on_handed_out(NodeId node, std::span<const Action> actions) {
  for (const Action& action : actions) {
    const auto* persist = std::get_if<Persist>(&action);
    if (persist == nullptr) continue;
    if (persist->truncate_from != 0) on_truncate(node, persist->truncate_from);
    if (persist->snapshot) on_compact(node, persist->snapshot->last_index);
    for (const EntryBatch& run : persist->entries) on_append(node, run.span());
  }
}

void SafetyChecker::after_step(const NodeView& node, std::span<const Action> actions) {
  // A step whose storage failed made nothing visible (it returned only StorageFailed): the node's
  // in-memory state may be ahead of its disk and is void until a restart recovers it.
  if (node.storage_failed) return;
  Mirror& mirror = mirrors_[node.id];
  const Role role_before = mirror.role;
  const Term term_before = mirror.term;
  if (node.role == Role::Leader) {
    auto [it, inserted] = leader_of_term_.emplace(node.term, node.id);
    if (!inserted && it->second != node.id) {
      violate("Election Safety", {it->second, node.id},
              "two leaders in term " + std::to_string(node.term) + ": " + std::to_string(it->second) + " and " +
                  std::to_string(node.id));
    }
    if (role_before == Role::Leader && term_before == node.term && mirror.truncated_in_step) {
      violate("Leader Append-Only", {node.id},
              "leader " + std::to_string(node.id) + " removed entries of its own log in term " + std::to_string(node.term));
    }
  }
  if (!mirror.seen) {
    // The first step of a node that may have started from a log: its term is recovered, not new.
    mirror.seen = true;
    highest_campaign_term_ = std::max(highest_campaign_term_, node.term);
  }
  if (node.commit > mirror.commit) check_commit_rules(node, mirror, role_before, term_before);
  check_commit(node, mirror);
  check_leader(node, mirror);
  check_applies(node, actions, mirror);
  record_promises(node, actions, mirror);
  if (!mirror.pending_reads.empty()) check_reads(node, actions, mirror);
  if (node.term != term_before || node.role != role_before) check_campaign(node, mirror, role_before, term_before);
  if (node.role == Role::Leader && mirror.config_indices.size() >= 2) check_config_changes(node, mirror);
  if (mirror.incoming_append_term != 0 && node.role == Role::Follower && node.term == mirror.incoming_append_term) {
    mirror.heard_leader_tick = mirror.ticks;
    mirror.heard_leader_term = node.term;
  }
  mirror.incoming_append_term = 0;
  mirror.role = node.role;
  mirror.term = node.term;
  mirror.truncated_in_step = false;
}

void SafetyChecker::before_step(NodeId node, const Event& event) {
  Mirror& mirror = mirrors_[node];
  mirror.incoming_append_term = 0;
  if (std::holds_alternative<Tick>(event)) {
    ++mirror.ticks;
  } else if (const auto* receive = std::get_if<Receive>(&event)) {
    if (const auto* append = std::get_if<AppendEntries>(&receive->message)) {
      mirror.incoming_append_term = append->term;
      mirror.incoming_last_new = append->prev_log_index + append->entries.size();
    }
  } else if (const auto* read = std::get_if<ReadIndex>(&event)) {
    // Reads a node never answers (it crashed, the client gave up) are forgotten eventually.
    if (mirror.pending_reads.size() >= 256) mirror.pending_reads.erase(mirror.pending_reads.begin());
    mirror.pending_reads.emplace_back(read->id, committed_index());
  }
}

// What a node's messages promise. A vote (a RequestVoteReply that grants, or a candidate's own
// RequestVote) binds the node for its term (§5.2: at most one vote per term, on stable storage
// before it is answered); a granted pre-vote is counted for Pre-Vote Quorum and must not be
// given within the leader lease (thesis §4.2.3).
void SafetyChecker::record_promises(const NodeView& node, std::span<const Action> actions, Mirror& mirror) {
  const auto promise = [&](Term term, NodeId candidate) {
    if (term > mirror.promised_term) {
      mirror.promised_term = term;
      mirror.promised_vote = candidate;
    } else if (term == mirror.promised_term && candidate != mirror.promised_vote) {
      violate("Vote Once", {node.id, mirror.promised_vote, candidate},
              "node " + std::to_string(node.id) + " voted for both " + std::to_string(mirror.promised_vote) + " and " +
                  std::to_string(candidate) + " in term " + std::to_string(term));
    }
  };
  const auto record = [](std::vector<NodeId>& voters, NodeId voter) {
    if (std::find(voters.begin(), voters.end(), voter) == voters.end()) voters.push_back(voter);
  };
  for (const Action& action : actions) {
    const auto* send = std::get_if<Send>(&action);
    if (send == nullptr) continue;
    const Message& message = send->message;
    if (const auto* reply = std::get_if<RequestVoteReply>(&message)) {
      if (!reply->granted) continue;
      record(votes_granted_[{reply->term, reply->to}], node.id);
      promise(reply->term, reply->to);
    } else if (const auto* request = std::get_if<RequestVote>(&message)) {
      promise(request->term, node.id);
    } else if (const auto* pre_reply = std::get_if<PreVoteReply>(&message)) {
      if (!pre_reply->granted) continue;
      record(pre_votes_granted_[{pre_reply->term, pre_reply->to}], node.id);
      // In the lease: a follower that accepted an AppendEntries of its term fewer than
      // election_ticks of its ticks ago (its election timer counts at most that since then).
      const bool in_lease = node.pre_vote && node.check_quorum && node.role == Role::Follower &&
                            mirror.role == Role::Follower && node.term > 0 && mirror.heard_leader_term == node.term &&
                            mirror.ticks - mirror.heard_leader_tick < node.election_ticks;
      if (in_lease && pre_reply->term > node.term) {
        violate("Pre-Vote Lease", {node.id, pre_reply->to},
                "node " + std::to_string(node.id) + " granted a pre-vote for term " + std::to_string(pre_reply->term) +
                    " to " + std::to_string(pre_reply->to) + " " + std::to_string(mirror.ticks - mirror.heard_leader_tick) +
                    " ticks after hearing from the leader of term " + std::to_string(node.term));
      }
    } else if (const auto* timeout_now = std::get_if<TimeoutNow>(&message)) {
      transfers_.insert({timeout_now->term + 1, timeout_now->to});
    }
  }
}

// Durable Vote: a restarted node recovered at least the term and vote it promised before it
// crashed; less, and it can vote again in that term for someone else (two leaders).
void SafetyChecker::check_promises_kept(const NodeView& node, const Mirror& mirror) {
  if (mirror.promised_term == 0) return;
  if (node.term < mirror.promised_term ||
      (node.term == mirror.promised_term && node.voted_for != mirror.promised_vote)) {
    violate("Durable Vote", {node.id},
            "node " + std::to_string(node.id) + " restarted in term " + std::to_string(node.term) + " having voted for " +
                std::to_string(node.voted_for) + ", but before the crash it had voted for " +
                std::to_string(mirror.promised_vote) + " in term " + std::to_string(mirror.promised_term));
  }
}

// Read Freshness (linearizable reads, thesis §6.4): a read served at index i must see every entry
// committed before it arrived.
void SafetyChecker::check_reads(const NodeView& node, std::span<const Action> actions, Mirror& mirror) {
  for (const Action& action : actions) {
    std::uint64_t id = 0;
    if (const auto* ready = std::get_if<ReadReady>(&action)) {
      id = ready->id;
    } else if (const auto* reject = std::get_if<Reject>(&action); reject != nullptr && reject->what == RequestKind::ReadIndex) {
      id = reject->id;
    } else {
      continue;
    }
    auto& pending = mirror.pending_reads;
    const auto it = std::find_if(pending.begin(), pending.end(), [&](const auto& read) { return read.first == id; });
    if (it == pending.end()) continue;
    const auto* ready = std::get_if<ReadReady>(&action);
    if (ready != nullptr && ready->index < it->second) {
      violate("Read Freshness", {node.id},
              "node " + std::to_string(node.id) + " answered read " + std::to_string(id) + " at index " +
                  std::to_string(ready->index) + ", but index " + std::to_string(it->second) +
                  " was committed before the read arrived");
    }
    pending.erase(it);
  }
}

// How many voters of the node's configuration granted it `grants` for its term, itself included.
std::size_t SafetyChecker::granted_by_quorum(const std::map<std::pair<Term, NodeId>, std::vector<NodeId>>& grants,
                                             const NodeView& node) const {
  const auto it = grants.find({node.term, node.id});
  std::size_t count = 0;
  for (NodeId voter : *node.voters) {
    if (voter == node.id || (it != grants.end() && std::find(it->second.begin(), it->second.end(), voter) != it->second.end())) {
      ++count;
    }
  }
  return count;
}

// A node whose term or role changed. Terms come from campaigns only: a node's term rises either
// because it campaigns in the next term, or because it adopts a term some node campaigned in.
// A campaign with pre-vote on follows a pre-vote majority (thesis §9.6) or a leadership transfer
// (§3.10); a leader holds a majority of distinct votes of its configuration (§5.2).
void SafetyChecker::check_campaign(const NodeView& node, const Mirror& mirror, Role role_before, Term term_before) {
  (void)mirror;
  const bool campaigned = node.term > term_before && (node.role == Role::Candidate || node.role == Role::Leader);
  if (node.voters != nullptr && campaigned && node.pre_vote && transfers_.count({node.term, node.id}) == 0) {
    const std::size_t granted = granted_by_quorum(pre_votes_granted_, node);
    if (granted < node.voters->size() / 2 + 1) {
      violate("Pre-Vote Quorum", {node.id},
              "node " + std::to_string(node.id) + " campaigned in term " + std::to_string(node.term) + " with " +
                  std::to_string(granted) + " of " + std::to_string(node.voters->size()) + " pre-votes");
    }
  }
  if (campaigned) {
    highest_campaign_term_ = std::max(highest_campaign_term_, node.term);
  } else if (node.voters != nullptr && node.term > highest_campaign_term_) {
    violate("Term Without Campaign", {node.id},
            "node " + std::to_string(node.id) + " moved to term " + std::to_string(node.term) +
                ", in which no node has campaigned (highest campaign: term " + std::to_string(highest_campaign_term_) + ")");
  }
  if (node.voters != nullptr && node.role == Role::Leader && (role_before != Role::Leader || term_before != node.term)) {
    const std::size_t granted = granted_by_quorum(votes_granted_, node);
    if (granted < node.voters->size() / 2 + 1) {
      violate("Leader Quorum", {node.id},
              "node " + std::to_string(node.id) + " became leader of term " + std::to_string(node.term) + " with votes of " +
                  std::to_string(granted) + " of its " + std::to_string(node.voters->size()) + " voters");
    }
  }
}

// The two ways a commit index moves. §5.4.2 (Figure 8): a leader counts replicas only of an entry
// of its own term; earlier entries commit with it, never by their own count. Figure 2
// (AppendEntries step 5): a follower commits min(leaderCommit, index of the last new entry), never
// entries past what this message proved it shares with the leader.
void SafetyChecker::check_commit_rules(const NodeView& node, const Mirror& mirror, Role role_before, Term term_before) {
  if (node.role == Role::Leader && role_before == Role::Leader && term_before == node.term && node.commit_term != 0 &&
      node.commit_term != node.term) {
    violate("Leader Commit Term", {node.id},
            "leader " + std::to_string(node.id) + " of term " + std::to_string(node.term) + " moved its commit index to " +
                at(node.commit) + ", an entry of term " + std::to_string(node.commit_term));
  }
  if (mirror.incoming_append_term != 0 && node.role == Role::Follower && node.commit > mirror.incoming_last_new) {
    violate("Follower Commit Bound", {node.id},
            "node " + std::to_string(node.id) + " moved its commit index to " + at(node.commit) +
                " on an AppendEntries whose last entry is " + at(mirror.incoming_last_new));
  }
}

// Single-server membership changes (thesis §4.1): a leader appends a configuration entry only
// when the previous one is committed, so its log never holds two uncommitted ones.
void SafetyChecker::check_config_changes(const NodeView& node, const Mirror& mirror) {
  const Index committed = committed_index();
  const auto& configs = mirror.config_indices;
  if (configs[configs.size() - 2] > committed) {
    violate("Single Config Change", {node.id},
            "leader " + std::to_string(node.id) + " of term " + std::to_string(node.term) +
                " holds uncommitted configuration entries at " + at(configs[configs.size() - 2]) + " and " +
                at(configs.back()) + " (committed: " + std::to_string(committed) + ")");
  }
}

// Figure 2: a leader's matchIndex for a follower never decreases within its term (while the
// follower stays a member: one removed and added again starts over). The disks here keep every
// promise, so a follower never loses what it acknowledged; a decrease is a stale reply believed.
void SafetyChecker::check_match_monotonic(const RaftNode& node) {
  if (!node.is_leader()) return;
  std::vector<FollowerProgress> now = node.progress();
  LeaderMatches& seen = leader_matches_[node.id()];
  if (seen.term == node.term()) {
    for (const FollowerProgress& peer : now) {
      const auto before = std::find_if(seen.peers.begin(), seen.peers.end(),
                                        [&](const FollowerProgress& p) { return p.id == peer.id; });
      if (before != seen.peers.end() && peer.match < before->match) {
        violate("Match Monotonicity", {node.id(), peer.id},
                "leader " + std::to_string(node.id()) + " moved its match index for " + std::to_string(peer.id) +
                    " back from " + std::to_string(before->match) + " to " + std::to_string(peer.match) + " in term " +
                    std::to_string(node.term()));
      }
    }
  }
  seen.term = node.term();
  seen.peers = std::move(now);
}

// A commit index is a claim that a majority holds the prefix: every node that claims index i
// must hold the same chain value there, and the value is recorded for Leader Completeness.
void SafetyChecker::check_commit(const NodeView& node, Mirror& mirror) {
  const Index commit = node.commit;
  if (commit <= mirror.commit) return;
  if (commit >= mirror.chain.size()) {
    violate("Commit Beyond Log", {node.id},
            "node " + std::to_string(node.id) + " committed " + at(commit) + " but holds only " +
                std::to_string(mirror.chain.size() - 1) + " entries");
    mirror.commit = commit;
    return;
  }
  const Index known = committed_index();
  const Index overlap = std::min(commit, known);
  if (overlap > 0 && mirror.chain[overlap] != committed_chain_[overlap]) {
    violate("State Machine Safety", {node.id},
            "node " + std::to_string(node.id) + " committed a log that differs from the committed log at or below " +
                at(overlap));
  }
  for (Index i = known + 1; i <= commit; ++i) {
    committed_chain_.push_back(mirror.chain[i]);
    committed_in_term_.push_back(node.term);
  }
  mirror.commit = commit;
}

// Leader Completeness: a leader of term T holds every entry that was committed in a term < T.
void SafetyChecker::check_leader(const NodeView& node, const Mirror& mirror) {
  if (node.role != Role::Leader) return;
  const auto first_not_older =
      std::lower_bound(committed_in_term_.begin() + 1, committed_in_term_.end(), node.term);
  const auto required = static_cast<Index>(first_not_older - committed_in_term_.begin()) - 1;
  if (required == 0) return;
  if (required >= mirror.chain.size() || mirror.chain[required] != committed_chain_[required]) {
    violate("Leader Completeness", {node.id},
            "leader " + std::to_string(node.id) + " of term " + std::to_string(node.term) +
                " lacks the entries committed up to " + at(required));
  }
}

// State Machine Safety: whatever index i applies as on one node, it applies as on every node.
void SafetyChecker::check_applies(const NodeView& node, std::span<const Action> actions, Mirror& mirror) {
  for (const Action& action : actions) {
    if (const auto* restore = std::get_if<RestoreSnapshot>(&action)) {
      // The state machine jumps to the snapshot: committed state, never behind what it applied.
      const Index index = restore->snapshot.last_index;
      if (index > node.commit || index >= mirror.chain.size() || index < mirror.applied) {
        violate("Apply Order", {node.id},
                "node " + std::to_string(node.id) + " restored a snapshot at " + at(index) + " after applying " +
                    std::to_string(mirror.applied) + " with commit " + std::to_string(node.commit));
        return;
      }
      mirror.applied = index;
      continue;
    }
    const auto* apply = std::get_if<Apply>(&action);
    if (apply == nullptr) continue;
    const Index index = apply->entry.index;
    if (index != mirror.applied + 1 || index > node.commit || index >= mirror.chain.size()) {
      violate("Apply Order", {node.id},
              "node " + std::to_string(node.id) + " applied " + at(index) + " after " +
                  std::to_string(mirror.applied) + " with commit " + std::to_string(node.commit));
      return;
    }
    mirror.applied = index;
    const std::uint64_t chain = mirror.chain[index];
    if (index < applied_chain_.size()) {
      if (applied_chain_[index] != chain) {
        violate("State Machine Safety", {applied_by_[index], node.id},
                "nodes " + std::to_string(applied_by_[index]) + " and " + std::to_string(node.id) +
                    " applied different entries at " + at(index));
      }
    } else if (index == applied_chain_.size()) {
      applied_chain_.push_back(chain);
      applied_by_.push_back(node.id);
    }
  }
}

// The first violation is the one to debug; a broken run can go on to break thousands of times,
// so the report shows the first few and counts the rest by property.
std::string SafetyChecker::report() const {
  if (violations_.empty()) return "no violation";
  constexpr std::size_t kShown = 20;
  std::string out;
  std::map<std::string, std::size_t> more;
  for (std::size_t i = 0; i < violations_.size(); ++i) {
    const Violation& v = violations_[i];
    if (i >= kShown) {
      ++more[v.property];
      continue;
    }
    out += v.property + " violated (nodes";
    for (NodeId n : v.nodes) out += " " + std::to_string(n);
    out += "): " + v.detail + "\n";
  }
  if (!more.empty()) {
    out += "... and " + std::to_string(violations_.size() - kShown) + " more:";
    for (const auto& [property, count] : more) out += " " + property + " " + std::to_string(count);
    out += "\n";
  }
  return out;
}

}  // namespace raftio::sim
