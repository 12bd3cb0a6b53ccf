// Snapshots (Raft §7, thesis chapter 5): the application snapshots its state machine and the node
// compacts its log up to it; a follower that needs entries the leader compacted away receives the
// snapshot through InstallSnapshot, in chunks, and restores it.
//
// Crash safety: the snapshot's data is saved durably (RaftLog::save_snapshot) before the log
// records the compaction, so a log compacted to i always has a snapshot at or after i. A crash
// between the two leaves a saved snapshot newer than the log's mark; recovery finishes the
// compaction (recover_snapshot).
#include <algorithm>
#include <limits>

#include "node_core.h"

namespace raftio::detail {

// Runs before the entries are loaded. Returns with error_ set when the log cannot be trusted.
void NodeCore::recover_snapshot(const HardState& hard_state) {
  auto loaded = log_->load_snapshot();
  if (!loaded) return fail(std::move(loaded).error());
  std::optional<Snapshot> snapshot = std::move(loaded).value();
  const SnapshotMeta mark = log_->snapshot_meta();
  if (mark.last_index > 0 && (!snapshot || snapshot->last_index < mark.last_index)) {
    return fail(recovery_corruption("the log is compacted up to " + std::to_string(mark.last_index) +
                                    " but no snapshot at or after it is stored"));
  }
  if (snapshot && snapshot->last_term > hard_state.term) {
    return fail(recovery_corruption("the snapshot's term " + std::to_string(snapshot->last_term) +
                                    " is above the persisted term " + std::to_string(hard_state.term)));
  }
  if (snapshot && snapshot->last_index > mark.last_index) {
    // A crash came between save_snapshot and compact: finish the compaction now. As when it was
    // installed, entries after the snapshot survive only if the log agrees with it at its index.
    const Index at = snapshot->last_index;
    if (at < log_->last_index()) {
      std::vector<LogEntry> entry;
      if (at >= log_->first_index()) {
        auto status = log_->read(at, at, entry);
        if (!status) return fail(std::move(status).error());
      }
      if (entry.empty() || entry.front().term != snapshot->last_term) {
        auto status = log_->truncate_suffix(std::max(at + 1, log_->first_index()));
        if (!status) return fail(std::move(status).error());
      }
    }
    auto status = log_->compact(snapshot->meta());
    if (status) status = log_->sync();
    if (!status) return fail(std::move(status).error());
  }
  snapshot_data_ = std::move(snapshot);
}

void NodeCore::on_snapshot_taken(SnapshotTaken&& taken) {
  const Index index = taken.index;
  const std::optional<Term> term = term_at(index);
  // Only what the state machine has applied can be in its snapshot, and only a newer snapshot
  // compacts anything.
  if (index > applied_ || index <= snapshot_.last_index || !term) {
    emit(Reject{RequestKind::SnapshotTaken, RejectReason::InvalidSnapshot, leader_, taken.id});
    return;
  }
  // Followers refuse a snapshot past this size: one kept here could never be sent.
  if (taken.data.size() > config_.max_snapshot_bytes) {
    emit(Reject{RequestKind::SnapshotTaken, RejectReason::SnapshotTooLarge, leader_, taken.id});
    return;
  }
  compact_log(Snapshot{index, *term, membership_at(index), std::move(taken.data)});
}

// Saves the snapshot, then compacts the log (and the node's own entries) up to it. In
// async_storage mode both go out in a Persist with whatever else is not yet handed out (entries
// below the snapshot are dropped from it: the compaction would remove them anyway).
bool NodeCore::compact_log(const Snapshot& snapshot) {
  if (!config_.async_storage) {
    auto status = log_->save_snapshot(snapshot);
    if (status) status = log_->compact(snapshot.meta());
    if (!status) {
      fail(std::move(status).error());
      return false;
    }
    needs_sync_ = true;
  }
  entries_.compact(snapshot.last_index);
  unwritten_from_ = std::max(unwritten_from_, snapshot.last_index + 1);
  snapshot_ = snapshot.meta();
  snapshot_data_ = snapshot;  // shares the data: no copy
  snapshot_suggested_ = false;
  configs_compacted(snapshot.last_index, snapshot.membership);
  if (config_.async_storage) hand_off(snapshot);
  return true;
}

void NodeCore::maybe_suggest_snapshot() {
  if (config_.snapshot_threshold == 0 || snapshot_suggested_) return;
  const std::uint64_t entries = applied_ - snapshot_.last_index;
  if (entries < config_.snapshot_threshold) return;
  snapshot_suggested_ = true;
  emit(SnapshotSuggested{applied_, entries});
}

// One chunk at a time, from the offset the follower asked for: a lost chunk is resent after a
// stall (tick_leader), a follower that lost its partial snapshot asks for offset 0 again.
void NodeCore::send_snapshot_chunk(PeerProgress& peer) {
  if (!snapshot_data_ || peer.probe_sent) return;
  if (peer.snapshot_index != snapshot_data_->last_index) {
    peer.snapshot_index = snapshot_data_->last_index;  // a newer snapshot replaced the one in flight
    peer.snapshot_offset = 0;
  }
  const Payload& data = snapshot_data_->data;
  const std::size_t offset = static_cast<std::size_t>(std::min<std::uint64_t>(peer.snapshot_offset, data.size()));
  Payload chunk = data.slice(offset, config_.snapshot_chunk_bytes);
  const bool done = offset + chunk.size() >= data.size();
  send(InstallSnapshot{config_.id, peer.id, term_, snapshot_data_->meta(), offset, std::move(chunk), done, data.size(),
                       snapshot_data_checksum()});
  peer.probe_sent = true;
}

// Computed once per snapshot, when it is first sent (a snapshot is replaced only by a newer one,
// so its index identifies it).
std::uint64_t NodeCore::snapshot_data_checksum() {
  if (checksum_of_ != snapshot_data_->last_index) {
    snapshot_checksum_value_ = snapshot_checksum(snapshot_data_->data.bytes());
    checksum_of_ = snapshot_data_->last_index;
  }
  return snapshot_checksum_value_;
}

void NodeCore::on_install_snapshot_reply(const InstallSnapshotReply& m) {
  PeerProgress* peer = find_peer(m.from);
  if (peer == nullptr) return;
  auto& leader = std::get<LeaderState>(role_state_);
  peer->recent_active = true;
  if (m.done) {
    // The follower holds everything up to last_index. A position past our log is forged.
    if (m.last_index > last_index()) return;
    // Like an append acknowledgement: what we send from now on reaches a follower that holds the
    // snapshot, so a refusal at or below it of a message sent before now is stale.
    peer->seq_at_ack = peer->seq_sent;
    if (m.last_index > peer->match) {
      peer->match = m.last_index;
      if (peer->is_voter) leader.commit_dirty = true;
    }
    if (peer->state == PeerProgress::State::Snapshot && peer->match >= peer->snapshot_index) {
      peer->become_probe();  // from match + 1 on, entries (or another snapshot) follow
    }
    if (peer->state != PeerProgress::State::Snapshot) maybe_send_timeout_now(*peer);
  } else {
    // A request for more of the snapshot in flight; anything else is stale.
    if (peer->state != PeerProgress::State::Snapshot || m.last_index != peer->snapshot_index) return;
    // A repeat of the request the chunk in flight answers (a duplicated reply, or the answer to a
    // duplicated chunk): that chunk will answer it too, and a lost one is resent after a stall.
    // Sending it again would start a second stream of chunks, each reply then feeding its own, so
    // every duplication would add a stream that never ends and the traffic would grow without bound.
    if (peer->probe_sent && m.next_offset == peer->snapshot_offset) return;
    peer->snapshot_offset = m.next_offset;  // send_snapshot_chunk clamps it to the data
    peer->probe_sent = false;
    peer->stall_ticks = 0;
  }
  peer->needs_send = true;
  leader.send_dirty = true;
}

// Figure 13 (InstallSnapshot RPC), chunked: chunks must arrive in order; a chunk at another
// offset (duplicated, reordered, or after a restart lost our partial copy) is answered with the
// offset we expect, and the leader resumes from there.
void NodeCore::on_install_snapshot(InstallSnapshot&& m) {
  if (role_ == Role::Leader) return;  // two leaders in one term cannot happen: forged
  if (role_ != Role::Follower) become_follower(term_, m.from);
  set_leader(m.from);
  election_elapsed_ = 0;
  const SnapshotMeta& meta = m.meta;
  const bool same_snapshot = incoming_ && incoming_->meta == meta && incoming_->total_bytes == m.total_bytes &&
                             incoming_->checksum == m.checksum;
  // No correct leader sends these. A snapshot without its size and checksum (an older sender) is
  // not installed either: its bytes could not be verified. The size bound keeps what a follower
  // holds for an unfinished snapshot below max_snapshot_bytes, whatever the chunks claim.
  if (meta.last_index == 0 || meta.last_term == 0 || meta.last_term > m.term || meta.membership.voters.empty() ||
      (m.total_bytes == 0 && m.checksum == 0) || m.total_bytes > config_.max_snapshot_bytes ||
      m.offset > m.total_bytes || m.chunk.size() > m.total_bytes - m.offset ||
      m.done != (m.offset + m.chunk.size() == m.total_bytes)) {
    if (same_snapshot) incoming_.reset();
    return;
  }
  const auto reply = [&](std::uint64_t next_offset) {
    send(InstallSnapshotReply{config_.id, m.from, term_, meta.last_index, next_offset, false});
  };
  if (meta.last_index <= commit_) {
    // Everything it covers is committed here already (a duplicate, or a stale leader view). "Done"
    // tells the leader we hold it all, so (durable before visible) it waits for the Persists still
    // in flight: with async storage the commit index can run ahead of what is on disk.
    send_after_persist(InstallSnapshotReply{config_.id, m.from, term_, meta.last_index, 0, true});
    return;
  }
  if (!same_snapshot) {
    // Another snapshot, or the same position serialized differently (another leader's): its chunks
    // never splice into the one we hold.
    if (m.offset != 0) return reply(0);  // start from the beginning
    incoming_ = IncomingSnapshot{meta, m.total_bytes, m.checksum, {}};
  }
  IncomingSnapshot& incoming = *incoming_;
  if (m.offset != incoming.data.size()) return reply(incoming.data.size());
  incoming.data.insert(incoming.data.end(), m.chunk.data(), m.chunk.data() + m.chunk.size());
  if (!m.done) return reply(incoming.data.size());
  // Verified before anything is saved: a snapshot the state machine cannot read must never reach
  // the log, where every restart would restore it again.
  if (snapshot_checksum(incoming.data) != incoming.checksum) {
    incoming_.reset();
    return reply(0);
  }
  Snapshot snapshot{meta.last_index, meta.last_term, meta.membership, Payload::copy_of(incoming.data)};
  incoming_.reset();
  install_snapshot(std::move(snapshot), m.from);
}

void NodeCore::install_snapshot(Snapshot snapshot, NodeId leader) {
  // Our term must be durable before the snapshot is: recovery refuses a snapshot of a term the
  // hard state never reached. (A Persist writes its hard state first.)
  if (!config_.async_storage && !persist()) return;
  const Index index = snapshot.last_index;
  // Figure 13 step 6-7: keep the entries after the snapshot only if our log agrees with it at its
  // last index; otherwise the whole log goes. Truncating first keeps a crash in between harmless
  // (the log is then a shorter log; the saved snapshot is installed by recovery).
  const bool agrees = term_at(index) == snapshot.last_term;
  if (!agrees && index < last_index()) {
    truncate_local(std::max(index + 1, first_index()));
    if (error_) return;
  }
  const Index last_before = last_index();
  if (!compact_log(snapshot)) return;
  // The log is now empty after the snapshot (in async_storage mode: once its Persist is reported).
  if (!config_.async_storage && last_before < index) durable_ = index;
  commit_ = std::max(commit_, index);
  applied_ = index;  // the state machine is replaced
  // The snapshot's configuration, then any configuration entries in the log kept after it.
  base_membership_ = snapshot.membership;
  rebuild_configs();
  const std::uint64_t size = snapshot.data.size();
  if (config_.async_storage) {
    // The state machine must not run ahead of what would survive a crash here.
    ++restores_in_flight_;
    defer_until_durable(RestoreSnapshot{std::move(snapshot)});
  } else {
    emit(RestoreSnapshot{std::move(snapshot)});
  }
  send_after_persist(InstallSnapshotReply{config_.id, leader, term_, index, size, true});
}

}  // namespace raftio::detail
