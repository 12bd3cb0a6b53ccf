// Receiving a message: one term prelude for every kind (etcd's Step), then the role's handler.
#include <limits>
#include <type_traits>

#include "node_core.h"

namespace raftio::detail {

void NodeCore::on_receive(Message&& message) {
  if (!term_prelude(message)) return;
  std::visit(
      [this](auto&& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, RequestVote>) {
          on_request_vote(m);
        } else if constexpr (std::is_same_v<M, PreVote>) {
          on_pre_vote(m);
        } else if constexpr (std::is_same_v<M, RequestVoteReply>) {
          if (role_ == Role::Candidate) on_vote_reply(m.from, m.granted, false);
        } else if constexpr (std::is_same_v<M, PreVoteReply>) {
          if (role_ == Role::PreCandidate) on_vote_reply(m.from, m.granted && m.term == term_ + 1, true);
        } else if constexpr (std::is_same_v<M, AppendEntries>) {
          on_append_entries(std::move(m));
        } else if constexpr (std::is_same_v<M, AppendEntriesReply>) {
          if (role_ == Role::Leader) on_append_reply(m);
        } else if constexpr (std::is_same_v<M, InstallSnapshot>) {
          on_install_snapshot(std::move(m));
        } else if constexpr (std::is_same_v<M, InstallSnapshotReply>) {
          if (role_ == Role::Leader) on_install_snapshot_reply(m);
        } else if constexpr (std::is_same_v<M, TimeoutNow>) {
          on_timeout_now(m);
        } else if constexpr (std::is_same_v<M, ReadIndexRequest>) {
          on_read_index_request(m);
        } else if constexpr (std::is_same_v<M, ReadIndexReply>) {
          on_read_index_reply(m);
        }
      },
      std::move(message));
}

// Returns true when the message should reach its role handler. Handles the term comparison that
// every message shares (§5.1: a higher term makes us a follower; a lower term marks the sender as
// stale) and drops what is not for us.
bool NodeCore::term_prelude(const Message& message) {
  const NodeId from = sender_of(message);
  if (receiver_of(message) != config_.id || from == config_.id || from == kNoNode) return false;
  const MessageKind kind = kind_of(message);
  // Thesis §4.1: servers answer RPCs without consulting their configuration (a re-added server
  // with an old configuration must still accept its new leader; a leader that removed itself
  // leads until the removal commits). The exception is campaigning: a removed server that never
  // learned of its removal would otherwise disrupt the cluster with elections (§4.2.3).
  if ((kind == MessageKind::RequestVote || kind == MessageKind::PreVote) && !membership_.contains(from)) return false;
  const Term term = term_of(message);
  // No honest cluster reaches the last term, and adopting it would make the next campaign's
  // term + 1 wrap to zero.
  if (term == std::numeric_limits<Term>::max()) return false;
  if (term > term_) {
    const bool campaign_request =
        kind == MessageKind::PreVote ||
        (kind == MessageKind::RequestVote && !std::get<RequestVote>(message).leadership_transfer);
    if (campaign_request && in_leader_lease()) {
      // Thesis §4.2.3: we heard from a leader within the election timeout, so this candidate is
      // disruptive (e.g. partitioned and rejoining); ignore it without adopting its term.
      return false;
    }
    if (kind == MessageKind::PreVote) return true;  // pre-votes never change anyone's term
    if (kind == MessageKind::PreVoteReply && std::get<PreVoteReply>(message).granted) {
      return term == term_ + 1;  // a grant for the term we would campaign in
    }
    const bool from_leader = kind == MessageKind::AppendEntries || kind == MessageKind::InstallSnapshot ||
                             kind == MessageKind::TimeoutNow;
    become_follower(term, from_leader ? from : kNoNode);
    return true;
  }
  if (term < term_) {
    // A stale leader must learn our term or, with pre-vote/check-quorum keeping terms from rising
    // on the majority side, it could stay leader of a minority forever.
    if (kind == MessageKind::AppendEntries) {
      send(AppendEntriesReply{config_.id, from, term_, false, 0, 0, 0, 0});
    } else if (kind == MessageKind::InstallSnapshot) {
      send(InstallSnapshotReply{config_.id, from, term_, 0, 0, false});
    } else if (kind == MessageKind::PreVote) {
      send(PreVoteReply{config_.id, from, term_, false});
    } else if (kind == MessageKind::ReadIndexRequest) {
      send(ReadIndexReply{config_.id, from, term_, std::get<ReadIndexRequest>(message).id, 0, false});
    }
    return false;
  }
  return true;
}

}  // namespace raftio::detail
