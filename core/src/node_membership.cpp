// Membership changes, one server at a time (thesis §4.1, §4.2).
//
// Why single-server changes rather than joint consensus: when the voter sets of two
// configurations differ by one server, every majority of the old set and every majority of the
// new set share a server, so the two can never elect two leaders or commit conflicting entries,
// and no intermediate joint configuration (with its double quorums and its extra failure modes)
// is needed. Each configuration is a Config entry holding the whole membership; it takes effect
// on a node as soon as the entry is in its log (committed or not), and is undone if the entry is
// truncated. Two rules keep this safe (thesis §4.1 and the 2015 erratum on raft-dev):
//   - a leader proposes a change only once the previous one has committed, and
//   - only once it has committed an entry of its own term (otherwise a change proposed by an
//     earlier leader and one of its own could be decided by disjoint majorities).
// Learners change no quorum, so adding, removing, promoting (a voter added) or demoting (a voter
// removed) a learner are all single-server changes too.
#include <algorithm>

#include "node_core.h"

namespace raftio::detail {

void NodeCore::on_change_membership(const ChangeMembership& request) {
  const auto reject = [&](RejectReason reason, NodeId hint) {
    emit(Reject{RequestKind::ChangeMembership, reason, hint, request.id});
  };
  auto* leader = std::get_if<LeaderState>(&role_state_);
  if (leader == nullptr) return reject(RejectReason::NotLeader, leader_);
  if (leader->transfer_target != kNoNode) return reject(RejectReason::TransferInProgress, leader->transfer_target);
  if (last_config_index() > commit_ || term_at(commit_) != term_) return reject(RejectReason::ChangeInProgress, config_.id);
  if (last_index() >= kMaxLogIndex) return reject(RejectReason::LogFull, config_.id);
  const NodeId node = request.node;
  Membership target = membership_;
  const auto erase = [](std::vector<NodeId>& ids, NodeId id) { ids.erase(std::find(ids.begin(), ids.end(), id)); };
  const auto insert = [](std::vector<NodeId>& ids, NodeId id) { ids.insert(std::lower_bound(ids.begin(), ids.end(), id), id); };
  switch (request.change) {
    case MembershipChange::AddVoter:
      if (node == kNoNode || membership_.is_voter(node)) return reject(RejectReason::InvalidTarget, config_.id);
      if (membership_.is_learner(node)) {
        // Thesis §4.2.1: a server that votes before it holds the log can stall commitment.
        const PeerProgress* peer = find_peer(node);
        if (peer == nullptr || peer->match + config_.max_entries_per_msg < last_index()) {
          return reject(RejectReason::NotCaughtUp, config_.id);
        }
        erase(target.learners, node);
      }
      insert(target.voters, node);
      break;
    case MembershipChange::AddLearner:
      if (node == kNoNode || membership_.is_learner(node)) return reject(RejectReason::InvalidTarget, config_.id);
      if (membership_.is_voter(node)) {
        if (membership_.voters.size() == 1) return reject(RejectReason::InvalidTarget, config_.id);  // the last voter
        erase(target.voters, node);
      }
      insert(target.learners, node);
      break;
    case MembershipChange::Remove:
      if (node == kNoNode || !membership_.contains(node)) return reject(RejectReason::InvalidTarget, config_.id);
      if (membership_.is_voter(node)) {
        if (membership_.voters.size() == 1) return reject(RejectReason::InvalidTarget, config_.id);
        erase(target.voters, node);
      } else {
        erase(target.learners, node);
      }
      break;
    default:
      return reject(RejectReason::InvalidTarget, config_.id);
  }
  const Index index = last_index() + 1;
  append_local(LogEntry{term_, index, EntryKind::Config, encode_membership(target)});
  emit(ProposalAccepted{request.id, index, term_});
  for (PeerProgress& peer : leader->peers) peer.needs_send = true;
  leader->send_dirty = true;
}

void NodeCore::note_appended(const LogEntry& entry) {
  // A malformed configuration (only a forged leader writes one) changes nothing, the same way on
  // every node, so the logs still agree on what is in effect.
  std::optional<Membership> membership = decode_membership(entry.data);
  if (!membership) return;
  configs_.push_back(ConfigPoint{entry.index, std::move(*membership)});
  set_membership(configs_.back().membership);
}

void NodeCore::configs_truncated(Index from) {
  if (configs_.empty() || configs_.back().index < from) return;
  while (!configs_.empty() && configs_.back().index >= from) configs_.pop_back();
  set_membership(configs_.empty() ? base_membership_ : configs_.back().membership);
}

void NodeCore::configs_compacted(Index upto, const Membership& at_snapshot) {
  base_membership_ = at_snapshot;
  configs_.erase(configs_.begin(), std::find_if(configs_.begin(), configs_.end(),
                                                [upto](const ConfigPoint& point) { return point.index > upto; }));
}

// From the base configuration and the Config entries in the log (start-up, snapshot install).
void NodeCore::rebuild_configs() {
  configs_.clear();
  for (Index i = first_index(); i <= last_index(); ++i) {
    const LogEntry& entry = entries_.at(i);
    if (entry.kind != EntryKind::Config) continue;
    if (std::optional<Membership> membership = decode_membership(entry.data)) {
      configs_.push_back(ConfigPoint{i, std::move(*membership)});
    }
  }
  set_membership(configs_.empty() ? base_membership_ : configs_.back().membership);
}

Membership NodeCore::membership_at(Index index) const {
  const Membership* result = &base_membership_;
  for (const ConfigPoint& point : configs_) {
    if (point.index > index) break;
    result = &point.membership;
  }
  return *result;
}

void NodeCore::set_membership(const Membership& membership) {
  if (membership == membership_) return;
  membership_ = membership;
  sync_peers_with_membership();
}

// The leader tracks a progress for every member but itself: new members start probing at the end
// of the log, removed ones are forgotten, and a promoted or demoted one changes its vote.
void NodeCore::sync_peers_with_membership() {
  auto* leader = std::get_if<LeaderState>(&role_state_);
  if (leader == nullptr) return;
  std::vector<PeerProgress> peers;
  const auto keep = [&](NodeId id, bool voter) {
    if (id == config_.id) return;
    if (PeerProgress* existing = find_peer(id)) {
      peers.push_back(std::move(*existing));
      peers.back().is_voter = voter;
    } else {
      peers.emplace_back(id, voter, last_index() + 1, config_.max_inflight_msgs);
      peers.back().needs_send = true;
    }
  };
  for (NodeId id : membership_.voters) keep(id, true);
  for (NodeId id : membership_.learners) keep(id, false);
  std::sort(peers.begin(), peers.end(), [](const PeerProgress& a, const PeerProgress& b) { return a.id < b.id; });
  leader->peers = std::move(peers);
  leader->commit_dirty = true;  // the quorum changed
  leader->send_dirty = true;
  if (leader->transfer_target != kNoNode && !membership_.is_voter(leader->transfer_target)) {
    leader->transfer_target = kNoNode;  // its target left the voters: nothing to wait for
  }
}

// Thesis §4.2.2: a leader that is not part of the configuration it committed steps down (it led
// only to get that entry committed). It is no voter, so it will not campaign again. Rather than
// leave the others to wait out an election timeout, it hands over (§3.10) to a voter that holds
// its whole log, when there is one.
void NodeCore::maybe_step_down_after_removal() {
  if (role_ != Role::Leader || membership_.is_voter(config_.id) || commit_ < last_config_index()) return;
  const auto& leader = std::get<LeaderState>(role_state_);
  for (const PeerProgress& peer : leader.peers) {
    if (peer.is_voter && peer.match == last_index()) {
      send(TimeoutNow{config_.id, peer.id, term_});  // the log is durable: this runs after persist()
      break;
    }
  }
  become_follower(term_, kNoNode);
}

}  // namespace raftio::detail
