// The leader: proposals, replication with pipelining and fast backtracking (§5.3), commitment
// (§5.4.2), heartbeats and check-quorum.
#include <algorithm>
#include <functional>

#include "node_core.h"

namespace raftio::detail {

namespace {

// Ticks a pipelined follower may go without acknowledging anything before the leader assumes the
// messages were lost and probes again. Half an election timeout: long enough for a slow round trip,
// short enough to repair a lost tail well before anyone would time out.
std::uint32_t stall_limit_ticks(const RaftConfig& config) {
  return std::max(2 * config.heartbeat_ticks, config.election_ticks / 2);
}

}  // namespace

void NodeCore::on_propose(Propose&& propose) {
  auto* leader = std::get_if<LeaderState>(&role_state_);
  if (leader == nullptr) {
    emit(Reject{RequestKind::Propose, RejectReason::NotLeader, leader_, propose.id});
    return;
  }
  if (leader->transfer_target != kNoNode) {
    // Thesis §3.10: no new entries while handing over, or the target might never catch up.
    emit(Reject{RequestKind::Propose, RejectReason::TransferInProgress, leader->transfer_target, propose.id});
    return;
  }
  if (last_index() >= kMaxLogIndex) {
    emit(Reject{RequestKind::Propose, RejectReason::LogFull, config_.id, propose.id});
    return;
  }
  const Index index = last_index() + 1;
  append_local(LogEntry{term_, index, EntryKind::Normal, std::move(propose.data)});
  emit(ProposalAccepted{propose.id, index, term_});
  // Sent when the step ends, so a batch of proposals goes out as one AppendEntries per follower.
  for (PeerProgress& peer : leader->peers) peer.needs_send = true;
  leader->send_dirty = true;
}

void NodeCore::tick_leader() {
  auto& leader = std::get<LeaderState>(role_state_);
  tick_transfer(leader);
  if (++election_elapsed_ >= config_.election_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum && !quorum_active()) {
      become_follower(term_, kNoNode);  // we cannot reach a majority: stop claiming leadership
      return;
    }
    for (PeerProgress& peer : leader.peers) peer.recent_active = false;
  }
  if (++leader.heartbeat_elapsed < config_.heartbeat_ticks) return;
  leader.heartbeat_elapsed = 0;
  if (config_.lease_reads) start_lease_round(leader);
  const std::uint32_t stall_limit = stall_limit_ticks(config_);
  for (PeerProgress& peer : leader.peers) {
    if (peer.state == PeerProgress::State::Snapshot) {
      // The chunk in flight (or its reply) was lost: send it again. The chunks are also what
      // keeps the follower from timing out, so the limit is a heartbeat-sized one.
      if (++peer.stall_ticks >= stall_limit) {
        peer.stall_ticks = 0;
        peer.probe_sent = false;
        peer.needs_send = true;
        leader.send_dirty = true;
      }
      continue;
    }
    send_heartbeat(peer);
    if (peer.state == PeerProgress::State::Replicate && peer.next - 1 > peer.match) {
      if (++peer.stall_ticks >= stall_limit) {
        peer.become_probe();  // the pipeline stalled (lost messages): resend from the match point
        peer.needs_send = true;
        leader.send_dirty = true;
      }
    } else {
      peer.stall_ticks = 0;
    }
  }
}

bool NodeCore::quorum_active() const noexcept {
  const auto& leader = std::get<LeaderState>(role_state_);
  std::size_t active = membership_.is_voter(config_.id) ? 1 : 0;
  for (const PeerProgress& peer : leader.peers) {
    if (peer.is_voter && peer.recent_active) ++active;
  }
  return active >= membership_.quorum();
}

std::vector<FollowerProgress> NodeCore::progress() const {
  std::vector<FollowerProgress> view;
  const auto* leader = std::get_if<LeaderState>(&role_state_);
  if (leader == nullptr) return view;
  view.reserve(leader->peers.size());
  for (const PeerProgress& peer : leader->peers) {
    view.push_back(FollowerProgress{peer.id, peer.is_voter, static_cast<FollowerProgress::State>(peer.state),
                                    peer.match, peer.next, peer.inflights.count(), peer.recent_active,
                                    peer.snapshot_index, peer.snapshot_offset});
  }
  return view;
}

PeerProgress* NodeCore::find_peer(NodeId id) noexcept {
  auto& peers = std::get<LeaderState>(role_state_).peers;
  auto it = std::lower_bound(peers.begin(), peers.end(), id,
                             [](const PeerProgress& peer, NodeId value) { return peer.id < value; });
  return it != peers.end() && it->id == id ? &*it : nullptr;
}

void NodeCore::on_append_reply(const AppendEntriesReply& m) {
  PeerProgress* peer = find_peer(m.from);
  if (peer == nullptr) return;
  auto& leader = std::get<LeaderState>(role_state_);
  peer->recent_active = true;
  // Any reply of our term shows the follower still followed us when it answered; the round it
  // echoes confirms the reads of that round (a round we never sent is forged and ignored).
  if (m.read_round > peer->round_acked && m.read_round <= leader.read_round) peer->round_acked = m.read_round;
  if (peer->state == PeerProgress::State::Snapshot) {
    // Only the snapshot's own replies move it on; a success that shows the follower already
    // holds the snapshot's position (e.g. it caught up another way) ends it early.
    if (!m.success || m.match_index > last_index() || m.match_index < peer->snapshot_index) return;
    peer->seq_at_ack = peer->seq_sent;
    peer->match = std::max(peer->match, m.match_index);
    if (peer->is_voter) leader.commit_dirty = true;
    peer->become_probe();
    peer->needs_send = true;
    leader.send_dirty = true;
    return;
  }
  if (m.success) {
    // In our term the follower only ever acknowledges entries we sent, so a match past our log is
    // forged; drop it rather than let it count towards a commit.
    if (m.match_index > last_index()) return;
    peer->seq_at_ack = peer->seq_sent;
    if (m.match_index > peer->match) {
      peer->match = m.match_index;
      peer->stall_ticks = 0;
      if (peer->is_voter) leader.commit_dirty = true;
    }
    peer->inflights.free_to(peer->match);
    if (peer->next <= peer->match) peer->next = peer->match + 1;
    if (peer->state == PeerProgress::State::Probe) {
      if (m.match_index + 1 >= peer->next) {
        peer->become_replicate();  // the probe landed: stream from here
      } else if (m.seq >= peer->seq_sent) {
        peer->probe_sent = false;  // a reply to our latest message: the follower is alive, probe again
      }
      // An older reply (delayed, duplicated, or released by a congested link) does not: each would
      // send another probe, whose reply, if also behind, sends another, so every stale reply would
      // add a stream of probes for as long as the probing lasts. A lost probe is resent after a
      // stall, or when the reply to a later heartbeat arrives.
    }
    maybe_send_timeout_now(*peer);
  } else {
    if (m.reject_index <= peer->match) {
      // Figure 2: matchIndex only increases. A refusal at or below it is stale (reordered or
      // duplicated: the follower may even handle a newer message before an older one) unless it
      // answers a message we sent after an acknowledgement arrived. The follower handled that
      // message after it held everything it acknowledged, and within a term its log agrees with
      // ours up to there: only a follower that lost acknowledged entries (its storage broke a
      // promise) refuses it. Then forget the match and rebuild it from below.
      if (m.seq <= peer->seq_at_ack) return;
      peer->match = 0;
    } else if (peer->state == PeerProgress::State::Probe && m.reject_index + 1 != peer->next) {
      return;  // a refusal of something other than our latest probe is stale
    }
    // Fast backtracking: skip every entry of a term the follower cannot match, on both sides.
    const Index hint = last_index_with_term_at_most(m.conflict_index, m.conflict_term);
    const Index lowest = peer->match + 1;
    const Index highest = std::max(lowest, m.reject_index);
    peer->become_probe();
    peer->next = std::clamp(hint + 1, lowest, highest);
  }
  peer->needs_send = true;
  leader.send_dirty = true;
}

// §5.4.2 (Figure 8): the commit index advances to the highest index replicated on a majority, but
// only when that entry is of the current term; earlier entries commit along with it.
void NodeCore::maybe_commit() {
  auto& leader = std::get<LeaderState>(role_state_);
  leader.commit_dirty = false;
  match_scratch_.clear();
  if (membership_.is_voter(config_.id)) match_scratch_.push_back(durable_);
  for (const PeerProgress& peer : leader.peers) {
    if (peer.is_voter) match_scratch_.push_back(peer.match);
  }
  const std::size_t quorum = membership_.quorum();
  if (match_scratch_.size() < quorum) return;
  std::nth_element(match_scratch_.begin(), match_scratch_.begin() + static_cast<std::ptrdiff_t>(quorum - 1),
                   match_scratch_.end(), std::greater<Index>());
  const Index candidate = match_scratch_[quorum - 1];
  // Followers learn the new commit index from the next AppendEntries or heartbeat, not from an
  // extra message: under load that is the next batch, and idle it is one heartbeat interval.
  if (candidate > commit_ && term_at(candidate) == term_) commit_ = candidate;
}

// Runs once at the end of a step, so the proposals and acknowledgements of one step go out as few
// messages as possible.
void NodeCore::replicate_pending() {
  auto& leader = std::get<LeaderState>(role_state_);
  if (!leader.send_dirty) return;
  leader.send_dirty = false;
  for (PeerProgress& peer : leader.peers) {
    if (peer.needs_send) {
      peer.needs_send = false;
      send_append(peer);
    }
  }
}

// Sends what the follower's state allows: one probe, or as many pipelined batches as the window
// holds. Each batch is a view of the leader's log blocks: no entry or payload is copied.
void NodeCore::send_append(PeerProgress& peer) {
  if (peer.state == PeerProgress::State::Snapshot) return send_snapshot_chunk(peer);
  for (;;) {
    if (peer.state == PeerProgress::State::Probe ? peer.probe_sent : peer.inflights.full()) return;
    if (peer.state == PeerProgress::State::Replicate && peer.next > last_index()) return;
    const Index prev = peer.next - 1;
    const std::optional<Term> prev_term = term_at(prev);
    if (!prev_term) {
      // Compacted away (§7): only the snapshot can bring this follower up to date.
      if (!snapshot_data_) return;
      peer.become_snapshot(snapshot_data_->last_index);
      return send_snapshot_chunk(peer);
    }
    EntryBatch batch;
    if (peer.next <= last_index()) {
      std::size_t count = std::min<std::size_t>(config_.max_entries_per_msg, entries_.run_length(peer.next));
      std::uint64_t bytes = entries_.at(peer.next).data.size();
      for (std::size_t k = 1; k < count; ++k) {
        bytes += entries_.at(peer.next + k).data.size();
        if (bytes > config_.max_bytes_per_msg) {
          count = k;
          break;
        }
      }
      batch = entries_.slice(peer.next, count);
    }
    const Index last_sent = prev + batch.size();
    auto& leader = std::get<LeaderState>(role_state_);
    const std::uint64_t round = leader.read_round;
    peer.round_sent = round;
    peer.seq_sent = ++leader.seq;
    send(AppendEntries{config_.id, peer.id, term_, prev, *prev_term, commit_, std::move(batch), round, peer.seq_sent});
    if (peer.state == PeerProgress::State::Probe) {
      peer.probe_sent = true;
      return;
    }
    peer.next = last_sent + 1;
    peer.inflights.add(last_sent);
  }
}

// A heartbeat checks the log at the follower's known match point, which cannot be refused by a
// follower that merely has not received the pipelined messages yet, and carries the commit index
// (the follower applies it only up to that point).
void NodeCore::send_heartbeat(PeerProgress& peer) {
  // Index 0 (nothing known yet) always matches, even after the log was compacted.
  const std::optional<Term> match_term = peer.match == 0 ? Term{0} : term_at(peer.match);
  if (!match_term) {
    // The follower's known position was compacted away: only a snapshot can reach it, and the
    // probe path gets there (send_append switches the follower to Snapshot).
    if (peer.state != PeerProgress::State::Snapshot) {
      peer.become_probe();
      peer.needs_send = true;
      std::get<LeaderState>(role_state_).send_dirty = true;
    }
    return;
  }
  auto& leader = std::get<LeaderState>(role_state_);
  const std::uint64_t round = leader.read_round;
  peer.round_sent = round;
  peer.seq_sent = ++leader.seq;
  send(AppendEntries{config_.id, peer.id, term_, peer.match, *match_term, commit_, EntryBatch(), round, peer.seq_sent});
}

}  // namespace raftio::detail
