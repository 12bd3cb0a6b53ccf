// Leadership transfer (thesis §3.10): the leader stops taking proposals, brings the target's log
// up to date, then sends TimeoutNow so the target campaigns at once (without pre-vote, and past
// the voters' leader lease). If the target has not taken over within an election timeout, the
// leader abandons the transfer and accepts proposals again.
#include "node_core.h"

namespace raftio::detail {

void NodeCore::on_transfer_leadership(const TransferLeadership& request) {
  auto* leader = std::get_if<LeaderState>(&role_state_);
  if (leader == nullptr) {
    emit(Reject{RequestKind::TransferLeadership, RejectReason::NotLeader, leader_, request.id});
    return;
  }
  // Only another voter can win an election; a learner or a stranger never could.
  if (request.to == config_.id || !membership_.is_voter(request.to)) {
    emit(Reject{RequestKind::TransferLeadership, RejectReason::InvalidTarget, config_.id, request.id});
    return;
  }
  if (leader->transfer_target != kNoNode) {
    emit(Reject{RequestKind::TransferLeadership, RejectReason::TransferInProgress, leader->transfer_target, request.id});
    return;
  }
  leader->transfer_target = request.to;
  leader->transfer_id = request.id;
  leader->transfer_elapsed = 0;
  PeerProgress* target = find_peer(request.to);
  if (target == nullptr) return;  // unreachable: every voter but us has a progress entry
  // Up to date already: hand over now (once our own log is durable: TimeoutNow goes out after
  // persist, so the target cannot win with entries we have not stored). Otherwise replication
  // continues and the reply that shows it caught up triggers the TimeoutNow.
  if (target->match == last_index()) {
    maybe_send_timeout_now(*target);
  } else {
    target->needs_send = true;
    leader->send_dirty = true;
  }
}

// Called whenever the target's progress may have advanced. A lost TimeoutNow is repaired by the
// next heartbeat reply, which calls this again; a duplicate reaches a node already campaigning in
// a higher term and is dropped as stale.
void NodeCore::maybe_send_timeout_now(const PeerProgress& peer) {
  const auto& leader = std::get<LeaderState>(role_state_);
  if (leader.transfer_target != peer.id || peer.match != last_index()) return;
  send_after_persist(TimeoutNow{config_.id, peer.id, term_});
}

void NodeCore::tick_transfer(LeaderState& leader) {
  if (leader.transfer_target == kNoNode) return;
  if (++leader.transfer_elapsed < config_.election_ticks) return;
  const NodeId target = leader.transfer_target;
  leader.transfer_target = kNoNode;
  leader.transfer_elapsed = 0;
  emit(Reject{RequestKind::TransferLeadership, RejectReason::TimedOut, target, leader.transfer_id});
}

}  // namespace raftio::detail
