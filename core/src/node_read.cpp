// Linearizable reads without writing to the log (thesis §6.4, "ReadIndex"):
//   1. the leader must have committed an entry of its own term, so that its commit index is at
//      least every index committed by earlier leaders (reads arriving earlier wait for that);
//   2. it records its commit index as the read index;
//   3. it confirms that it is still the leader: a new confirmation round is carried by the next
//      AppendEntries (or heartbeat) to every voter and echoed in the replies; once a quorum has
//      echoed the round, no other leader can have been elected when the read arrived;
//   4. the application serves the read once it has applied the read index.
// A follower forwards its reads to the leader and relays the answer. Every read is answered:
// ReadReady, or a Reject when leadership is lost or the time limit passes.
#include <algorithm>
#include <functional>

#include "node_core.h"

namespace raftio::detail {

namespace {

// Bounds the memory a flood of reads (or a hostile follower) can pin; beyond it reads are refused.
constexpr std::size_t kMaxPendingReads = std::size_t{1} << 16;

// A read unanswered after two election timeouts is refused: by then a healthy leader confirmed
// it long ago, and a partitioned one should not keep the client waiting.
std::uint64_t read_time_limit(const RaftConfig& config) { return 2 * std::uint64_t{config.election_ticks}; }

}  // namespace

void NodeCore::on_read_index(const ReadIndex& request) {
  if (role_ == Role::Leader) return accept_read(config_.id, request.id);
  if (leader_ == kNoNode || role_ != Role::Follower || forwarded_reads_.size() >= kMaxPendingReads) {
    emit(Reject{RequestKind::ReadIndex, RejectReason::NotLeader, leader_, request.id});
    return;
  }
  const std::uint64_t forward_id = next_forward_id_++;
  forwarded_reads_.push_back(ForwardedRead{request.id, forward_id, ticks_});
  send(ReadIndexRequest{config_.id, leader_, term_, forward_id});
}

void NodeCore::accept_read(NodeId origin, std::uint64_t id) {
  auto& leader = std::get<LeaderState>(role_state_);
  PendingRead read{origin, id, 0, 0, ticks_};
  if (leader.reads.size() + leader.reads_before_commit.size() >= kMaxPendingReads) {
    return answer_read(read, false, RejectReason::TimedOut, config_.id);
  }
  // §6.4 step 1: until an entry of this term commits, our commit index may trail entries that an
  // earlier leader committed; the read index is fixed once it does (finish_reads).
  if (term_at(commit_) != term_) {
    leader.reads_before_commit.push_back(read);
    return;
  }
  // Thesis §6.4.1: inside the lease no other leader can exist, so the round is skipped. Not while
  // handing over: TimeoutNow lets the target win inside the lease.
  if (lease_valid(leader)) {
    read.index = commit_;
    return answer_read(read, true, RejectReason::NotLeader, config_.id);
  }
  register_read(leader, read);
}

// Every heartbeat starts a round in lease mode, so the lease is renewed without any read.
void NodeCore::start_lease_round(LeaderState& leader) {
  ++leader.read_round;
  leader.round_starts.emplace_back(leader.read_round, ticks_);
  // Rounds older than an election timeout can no longer extend the lease.
  const std::size_t keep = std::size_t{config_.election_ticks} + 1;
  if (leader.round_starts.size() > 2 * keep) {
    leader.round_starts.erase(leader.round_starts.begin(),
                              leader.round_starts.end() - static_cast<std::ptrdiff_t>(keep));
  }
}

void NodeCore::update_lease(LeaderState& leader) {
  const std::uint64_t confirmed = confirmed_round(leader);
  for (auto it = leader.round_starts.rbegin(); it != leader.round_starts.rend(); ++it) {
    if (it->first <= confirmed) {
      if (!leader.lease_from || it->second > *leader.lease_from) leader.lease_from = it->second;
      return;
    }
  }
}

bool NodeCore::lease_valid(const LeaderState& leader) const noexcept {
  return config_.lease_reads && leader.transfer_target == kNoNode && leader.lease_from &&
         ticks_ < *leader.lease_from + config_.election_ticks - config_.lease_drift_ticks;
}

// The highest round a quorum of voters (this node included, while it is one) has acknowledged.
std::uint64_t NodeCore::confirmed_round(const LeaderState& leader) {
  match_scratch_.clear();
  if (membership_.is_voter(config_.id)) match_scratch_.push_back(leader.read_round);
  for (const PeerProgress& peer : leader.peers) {
    if (peer.is_voter) match_scratch_.push_back(peer.round_acked);
  }
  const std::size_t quorum = membership_.quorum();
  if (match_scratch_.size() < quorum) return 0;
  std::nth_element(match_scratch_.begin(), match_scratch_.begin() + static_cast<std::ptrdiff_t>(quorum - 1),
                   match_scratch_.end(), std::greater<std::uint64_t>());
  return match_scratch_[quorum - 1];
}

// Reads registered in one step share one round, so a burst of reads costs one message per voter.
void NodeCore::register_read(LeaderState& leader, PendingRead read) {
  if (!leader.round_open) {
    ++leader.read_round;
    leader.round_open = true;
  }
  read.index = commit_;
  read.round = leader.read_round;
  leader.reads.push_back(read);
}

void NodeCore::answer_read(const PendingRead& read, bool ok, RejectReason reason, NodeId leader_hint) {
  if (read.origin == config_.id) {
    if (ok) {
      emit(ReadReady{read.id, read.index});
    } else {
      emit(Reject{RequestKind::ReadIndex, reason, leader_hint, read.id});
    }
    return;
  }
  send(ReadIndexReply{config_.id, read.origin, term_, read.id, ok ? read.index : 0, ok});
}

void NodeCore::on_read_index_request(const ReadIndexRequest& m) {
  if (role_ != Role::Leader) {
    send(ReadIndexReply{config_.id, m.from, term_, m.id, 0, false});
    return;
  }
  accept_read(m.from, m.id);
}

void NodeCore::on_read_index_reply(const ReadIndexReply& m) {
  if (m.from != leader_ || role_ != Role::Follower) return;  // not from the leader we asked
  auto it = std::find_if(forwarded_reads_.begin(), forwarded_reads_.end(),
                         [&m](const ForwardedRead& read) { return read.forward_id == m.id; });
  if (it == forwarded_reads_.end()) return;  // duplicated, or answered already (timed out)
  const std::uint64_t id = it->id;
  forwarded_reads_.erase(it);
  if (m.ok) {
    emit(ReadReady{id, m.index});
  } else {
    emit(Reject{RequestKind::ReadIndex, RejectReason::NotLeader, leader_, id});
  }
}

// End of a leader's step: fix the read index of reads that waited for a commit in this term,
// broadcast a round that started in this step to voters no message has carried it to, and answer
// every read whose round a quorum has acknowledged.
void NodeCore::finish_reads(LeaderState& leader) {
  if (!leader.reads_before_commit.empty() && term_at(commit_) == term_) {
    for (const PendingRead& read : leader.reads_before_commit) register_read(leader, read);
    leader.reads_before_commit.clear();
  }
  if (leader.round_open) {
    leader.round_open = false;
    for (PeerProgress& peer : leader.peers) {
      if (peer.is_voter && peer.round_sent < leader.read_round) send_heartbeat(peer);
    }
  }
  if (config_.lease_reads) update_lease(leader);
  if (leader.reads.empty()) return;
  const std::uint64_t confirmed = confirmed_round(leader);
  std::size_t answered = 0;
  while (answered < leader.reads.size() && leader.reads[answered].round <= confirmed) {
    answer_read(leader.reads[answered], true, RejectReason::NotLeader, config_.id);
    ++answered;
  }
  leader.reads.erase(leader.reads.begin(), leader.reads.begin() + static_cast<std::ptrdiff_t>(answered));
}

// On every tick: refuse reads that have waited too long (oldest first; arrival order is queue
// order, apart from reads_before_commit, which are checked separately).
void NodeCore::expire_reads() {
  const std::uint64_t limit = read_time_limit(config_);
  auto expired = [this, limit](std::uint64_t since) { return ticks_ - since >= limit; };
  if (auto* leader = std::get_if<LeaderState>(&role_state_)) {
    for (auto* queue : {&leader->reads_before_commit, &leader->reads}) {
      std::size_t count = 0;
      while (count < queue->size() && expired((*queue)[count].since)) {
        answer_read((*queue)[count], false, RejectReason::TimedOut, config_.id);
        ++count;
      }
      queue->erase(queue->begin(), queue->begin() + static_cast<std::ptrdiff_t>(count));
    }
  }
  std::size_t count = 0;
  while (count < forwarded_reads_.size() && expired(forwarded_reads_[count].since)) {
    emit(Reject{RequestKind::ReadIndex, RejectReason::TimedOut, leader_, forwarded_reads_[count].id});
    ++count;
  }
  forwarded_reads_.erase(forwarded_reads_.begin(), forwarded_reads_.begin() + static_cast<std::ptrdiff_t>(count));
}

// A leader stepping down answers every read it holds: it can no longer confirm any of them.
void NodeCore::abandon_leader_reads(NodeId new_leader) {
  auto* leader = std::get_if<LeaderState>(&role_state_);
  if (leader == nullptr) return;
  for (auto* queue : {&leader->reads_before_commit, &leader->reads}) {
    for (const PendingRead& read : *queue) answer_read(read, false, RejectReason::NotLeader, new_leader);
    queue->clear();
  }
}

// Reads forwarded to a leader we no longer follow would never be answered: refuse them now.
void NodeCore::fail_forwarded_reads(NodeId new_leader) {
  for (const ForwardedRead& read : forwarded_reads_) {
    emit(Reject{RequestKind::ReadIndex, RejectReason::NotLeader, new_leader, read.id});
  }
  forwarded_reads_.clear();
}

}  // namespace raftio::detail
