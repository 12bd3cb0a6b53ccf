// Elections: randomized timeouts, pre-vote, campaigns, voting and role changes (§5.2, §5.4.1,
// thesis §9.6 pre-vote, §4.2.3 disruptive servers).
#include <algorithm>
#include <limits>

#include "node_core.h"

namespace raftio::detail {

void NodeCore::on_tick() {
  ++ticks_;
  if (!forwarded_reads_.empty() || role_ == Role::Leader) expire_reads();
  if (role_ == Role::Leader) {
    tick_leader();
  } else {
    tick_election();
  }
}

void NodeCore::tick_election() {
  ++election_elapsed_;
  // Learners never campaign; they only count ticks for the leader lease.
  if (election_elapsed_ >= randomized_timeout_ && may_campaign()) campaign(config_.pre_vote, false);
}

// A voter campaigns; so does a server whose own removal is not committed yet, as a removed
// leader keeps leading until then (thesis §4.2.2). Otherwise a leader deposed right after
// appending its removal holds the longest log, refuses every other candidate and never runs
// itself: no leader ever again (found by the simulator, seed 78 with async storage). It counts
// votes in its newest configuration, as every candidate does, so election safety is unchanged;
// once the removal commits, it stays quiet.
bool NodeCore::may_campaign() const {
  if (membership_.is_voter(config_.id)) return true;
  return last_config_index() > commit_ && membership_at(commit_).is_voter(config_.id);
}

// §5.2: a follower that hears nothing for its election timeout campaigns. With pre-vote it first
// asks whether it could win, without touching its term, so a node that was partitioned away
// cannot force the healthy majority into a new term when it returns.
void NodeCore::campaign(bool pre_vote, bool leadership_transfer) {
  if (term_ == std::numeric_limits<Term>::max()) {
    // The term space is exhausted (only a log from before the term rule can hold this term): the
    // next term would wrap to 0, and a term never goes backwards. Stay a follower.
    reset_election_timer();
    return;
  }
  Term campaign_term = term_ + 1;
  if (pre_vote) {
    role_ = Role::PreCandidate;
    set_leader(kNoNode);
  } else {
    term_ = campaign_term;
    vote_ = config_.id;  // persisted before the RequestVotes leave (they wait for persist())
    role_ = Role::Candidate;
    set_leader(kNoNode);
  }
  role_state_ = CandidateState{pre_vote, {}};
  reset_election_timer();
  if (!pre_vote && config_.async_storage) {
    // Our own vote counts once the new term and the vote are durable, like anyone's. Counted at
    // once, a lone voter would lead (and send entries of) a term that a crash can undo, then
    // lead that term again with a different log (found by the simulator: seed 180, 3 nodes).
    self_vote_pending_ = term_;
  } else {
    on_vote_reply(config_.id, true, pre_vote);
  }
  if (role_ == Role::Leader || (pre_vote && role_ != Role::PreCandidate)) return;  // won alone
  const Index last_log_index = last_index();
  const Term last_log_term = last_term();
  for (NodeId voter : membership_.voters) {
    if (voter == config_.id) continue;
    if (pre_vote) {
      send(PreVote{config_.id, voter, campaign_term, last_log_index, last_log_term});
    } else {
      send_after_persist(
          RequestVote{config_.id, voter, campaign_term, last_log_index, last_log_term, leadership_transfer});
    }
  }
}

void NodeCore::on_vote_reply(NodeId from, bool granted, bool pre_vote) {
  auto* candidate = std::get_if<CandidateState>(&role_state_);
  if (candidate == nullptr || candidate->pre_vote != pre_vote || !membership_.is_voter(from)) return;
  candidate->tally.record(from, granted);
  switch (candidate->tally.outcome(membership_.voters.size(), membership_.quorum())) {
    case VoteTally::Outcome::Won:
      if (pre_vote) {
        campaign(false, false);
      } else {
        become_leader();
      }
      break;
    case VoteTally::Outcome::Lost:
      become_follower(term_, kNoNode);
      break;
    case VoteTally::Outcome::Pending:
      break;
  }
}

// §5.2 and §5.4.1: one vote per term, and only for a candidate whose log is at least as
// up-to-date as ours.
void NodeCore::on_request_vote(const RequestVote& m) {
  // The prelude raised our term to m.term if it was higher, so here m.term == term_.
  const bool can_vote = vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode);
  const bool granted = can_vote && log_up_to_date(m.last_log_index, m.last_log_term);
  if (granted) {
    vote_ = m.from;
    election_elapsed_ = 0;  // §5.2: granting a vote resets the election timer
  }
  send_after_persist(granted ? RequestVoteReply::grant(m) : RequestVoteReply::refuse(m, term_));
}

// Thesis §9.6: grant a pre-vote when we would grant the real vote in m.term. The prelude already
// dropped requests arriving within the leader lease.
void NodeCore::on_pre_vote(const PreVote& m) {
  const bool can_vote = vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || m.term > term_;
  const bool granted = can_vote && log_up_to_date(m.last_log_index, m.last_log_term);
  send(granted ? PreVoteReply::grant(m, term_) : PreVoteReply::refuse(m, term_));
}

// Thesis §3.10: the leader hands over; campaign now, skipping pre-vote and the voters' lease.
void NodeCore::on_timeout_now(const TimeoutNow& m) {
  if (role_ == Role::Leader || m.from != leader_ || !membership_.is_voter(config_.id)) return;
  campaign(false, true);
}

bool NodeCore::log_up_to_date(Index last_log_index, Term last_log_term) const noexcept {
  const Term our_last_term = last_term();
  return last_log_term > our_last_term || (last_log_term == our_last_term && last_log_index >= last_index());
}

bool NodeCore::in_leader_lease() const noexcept {
  return config_.check_quorum && leader_ != kNoNode && election_elapsed_ < config_.election_ticks;
}

void NodeCore::become_follower(Term term, NodeId leader) {
  if (term > term_) {
    term_ = term;
    vote_ = kNoNode;
  }
  abandon_leader_reads(leader);
  role_ = Role::Follower;
  role_state_ = FollowerState{};
  set_leader(leader);
  reset_election_timer();
}

// §5.2 and §5.4.2: a new leader appends a no-op of its own term, the only way it can commit the
// entries of earlier terms (Figure 8).
void NodeCore::become_leader() {
  role_ = Role::Leader;
  LeaderState state;
  const Index next = last_index() + 1;
  auto add_peers = [&](const std::vector<NodeId>& ids, bool voter) {
    for (NodeId id : ids) {
      if (id != config_.id) state.peers.emplace_back(id, voter, next, config_.max_inflight_msgs);
    }
  };
  add_peers(membership_.voters, true);
  add_peers(membership_.learners, false);
  std::sort(state.peers.begin(), state.peers.end(),
            [](const PeerProgress& a, const PeerProgress& b) { return a.id < b.id; });
  for (PeerProgress& peer : state.peers) peer.needs_send = true;
  state.send_dirty = true;
  role_state_ = std::move(state);
  election_elapsed_ = 0;
  set_leader(config_.id);
  append_local(LogEntry{term_, last_index() + 1, EntryKind::Noop, Payload()});
}

void NodeCore::set_leader(NodeId leader) {
  if (leader == leader_) return;
  if (!forwarded_reads_.empty()) fail_forwarded_reads(leader);
  leader_ = leader;
  emit(LeaderChanged{term_, leader_});
}

void NodeCore::reset_election_timer() {
  election_elapsed_ = 0;
  randomized_timeout_ = config_.election_ticks + static_cast<std::uint32_t>(prng_.below(config_.election_ticks));
}

}  // namespace raftio::detail
