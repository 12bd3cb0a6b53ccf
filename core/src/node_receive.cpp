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
          // Only answers about the term we probe count: a late one for an earlier probe is
          // not a vote in this one.
          if (role_ == Role::PreCandidate && m.term == term_ + 1) on_vote_reply(m.from, m.granted, true);
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

namespace {

// Every index a message carries is at most kMaxLogIndex (no log grows past it): a larger one is
// forged, and dropping the message before anything reads it keeps index arithmetic from wrapping.
bool indexes_in_bounds(const Message& message) noexcept {
  const auto ok = [](Index index) { return index <= kMaxLogIndex; };
  return std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, RequestVote> || std::is_same_v<M, PreVote>) {
          return ok(m.last_log_index);
        } else if constexpr (std::is_same_v<M, AppendEntries>) {
          return ok(m.prev_log_index) && ok(m.leader_commit) && m.entries.size() <= kMaxLogIndex - m.prev_log_index;
        } else if constexpr (std::is_same_v<M, AppendEntriesReply>) {
          return ok(m.match_index) && ok(m.reject_index) && ok(m.conflict_index);
        } else if constexpr (std::is_same_v<M, InstallSnapshot>) {
          return ok(m.meta.last_index);
        } else if constexpr (std::is_same_v<M, InstallSnapshotReply>) {
          return ok(m.last_index);
        } else if constexpr (std::is_same_v<M, ReadIndexReply>) {
          return ok(m.index);
        } else {
          return true;
        }
      },
      message);
}

}  // namespace

// The term rule (docs/PROTOCOL.md, "Bounds"): a higher term is adopted freely below kMaxFreeTerm,
// and past it only in steps of kMaxTermStep; the last term never, so that term + 1 cannot wrap.
// One forged message can then not exhaust the term space and leave the cluster leaderless.
bool NodeCore::term_admissible(Term term) const noexcept {
  if (term == std::numeric_limits<Term>::max()) return false;
  return term < kMaxFreeTerm || term - term_ <= kMaxTermStep;
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
  // learned of its removal would otherwise disrupt the cluster with elections when no leader
  // lease protects it (§4.2.3, check-quorum off). But a node outside its own configuration cannot
  // judge who is a member: it is one that missed its re-addition, and the new configuration may
  // need its vote (refusing left a cluster without a leader forever, simulator seed 350 sync:
  // node 1 re-added and promoted while cut off, leader 2 unknown to it, and 2 needing its vote).
  if ((kind == MessageKind::RequestVote || kind == MessageKind::PreVote) && !membership_.contains(from) &&
      membership_.contains(config_.id)) {
    return false;
  }
  if (!indexes_in_bounds(message)) return false;
  if (kind == MessageKind::PreVoteReply) return pre_vote_reply_prelude(std::get<PreVoteReply>(message));
  const Term term = term_of(message);
  if (term > term_) {
    if (!term_admissible(term)) return false;
    const bool campaign_request =
        kind == MessageKind::PreVote ||
        (kind == MessageKind::RequestVote && !std::get<RequestVote>(message).leadership_transfer);
    if (campaign_request && in_leader_lease()) {
      // Thesis §4.2.3: we heard from a leader within the election timeout, so this candidate is
      // disruptive (e.g. partitioned and rejoining); ignore it without adopting its term.
      return false;
    }
    if (kind == MessageKind::PreVote) return true;  // pre-votes never change anyone's term
    const bool from_leader = kind == MessageKind::AppendEntries || kind == MessageKind::InstallSnapshot ||
                             kind == MessageKind::TimeoutNow;
    become_follower(term, from_leader ? from : kNoNode);
    return true;
  }
  if (term < term_) {
    // A stale leader must learn our term or, with pre-vote/check-quorum keeping terms from rising
    // on the majority side, it could stay leader of a minority forever.
    if (kind == MessageKind::AppendEntries) {
      send(AppendEntriesReply::stale_term(std::get<AppendEntries>(message), term_));
    } else if (kind == MessageKind::InstallSnapshot) {
      send(InstallSnapshotReply{config_.id, from, term_, 0, 0, false});
    } else if (kind == MessageKind::PreVote) {
      send(PreVoteReply::refuse(std::get<PreVote>(message), term_));
    } else if (kind == MessageKind::ReadIndexRequest) {
      send(ReadIndexReply{config_.id, from, term_, std::get<ReadIndexRequest>(message).id, 0, false});
    }
    return false;
  }
  return true;
}

// A PreVoteReply's `term` is the pre-vote's, not the voter's: the term rules apply to its
// `voter_term`. A grant changes nobody's term (thesis §9.6), and an honest voter grants only a term
// at or above its own; a refusal from a voter ahead of us makes us catch up (§5.1).
bool NodeCore::pre_vote_reply_prelude(const PreVoteReply& m) {
  if (m.granted) return m.voter_term <= m.term;
  if (m.voter_term > term_) {
    if (!term_admissible(m.voter_term)) return false;
    become_follower(m.voter_term, kNoNode);
  }
  return true;
}

}  // namespace raftio::detail
