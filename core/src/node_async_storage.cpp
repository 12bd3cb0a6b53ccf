// async_storage mode (thesis §10.2.1): the node hands its writes out as Persist actions and
// carries on; the embedder reports each one with Persisted, in order. What a write promises waits
// for that report: replies that promise durable state (votes, append acknowledgements, installed
// snapshots), a candidate's own vote, the leader's own vote toward commitment (durable_), Apply
// and RestoreSnapshot.
// Messages that promise nothing about this node's disk (AppendEntries to followers, heartbeats,
// pre-votes, reads) leave at once, so a leader replicates while its own write is in flight.
#include <limits>
#include <string>

#include "node_core.h"

namespace raftio::detail {

// Packs everything not yet handed out into one Persist: the hard state when it changed, a
// truncation, `snapshot`, and the entries from unwritten_from_ on. A change of commit index alone
// does not make a Persist (it rides along with the next one, as it skips the sync in synchronous
// mode: recovery clamps a commit index that is ahead of the surviving entries).
void NodeCore::hand_off(std::optional<Snapshot> snapshot) {
  const HardState hard_state{term_, vote_, commit_};
  const bool promise = hard_state.term != persisted_hard_state_.term || hard_state.vote != persisted_hard_state_.vote;
  const Index last = last_index();
  if (!promise && unwritten_from_ > last && truncate_from_ == 0 && !snapshot) return;
  Persist persist;
  if (hard_state != persisted_hard_state_) {
    persist.hard_state = hard_state;
    persisted_hard_state_ = hard_state;
  }
  persist.truncate_from = truncate_from_;
  truncate_from_ = 0;
  persist.snapshot = std::move(snapshot);
  for (Index i = unwritten_from_; i <= last;) {
    EntryBatch run = entries_.slice(i, std::numeric_limits<std::size_t>::max());
    i += run.size();
    persist.entries.push_back(std::move(run));
  }
  unwritten_from_ = last + 1;
  persist.index = last;
  persist.term = last_term();
  in_flight_.push_back(InFlightPersist{persist.index, persist.term, last, {}});
  emit(std::move(persist));
}

// The replies this step queued promise everything handed out so far: in synchronous mode that is
// on disk now; otherwise they wait for the newest Persist in flight.
void NodeCore::release_after_persist() {
  if (self_vote_pending_ != 0) {
    // The campaign's term and vote went out in this step's Persist (they changed).
    if (!in_flight_.empty()) in_flight_.back().self_vote = self_vote_pending_;
    self_vote_pending_ = 0;
  }
  for (Message& message : after_persist_) {
    if (in_flight_.empty()) {
      send(std::move(message));
    } else {
      in_flight_.back().deferred.emplace_back(std::in_place_type<Send>, std::move(message));
    }
  }
  after_persist_.clear();
}

void NodeCore::defer_until_durable(Action action) {
  if (in_flight_.empty()) {
    out_->push_back(std::move(action));
  } else {
    in_flight_.back().deferred.push_back(std::move(action));
  }
}

void NodeCore::on_persisted(const Persisted& persisted) {
  const auto misuse = [&](std::string what) {
    fail(StorageError{StorageError::Code::Misuse, "Persisted{index " + std::to_string(persisted.index) + ", term " +
                                                      std::to_string(persisted.term) + "}: " + std::move(what)});
  };
  if (!config_.async_storage) return misuse("the node is not in async_storage mode");
  if (in_flight_.empty()) return misuse("no Persist is waiting for it");
  InFlightPersist done = std::move(in_flight_.front());
  if (done.index != persisted.index || done.term != persisted.term) {
    return misuse("the oldest unreported Persist is {index " + std::to_string(done.index) + ", term " +
                  std::to_string(done.term) + "}: report each Persist once, in order");
  }
  in_flight_.pop_front();
  const Index durable = std::min(done.durable_upto, last_index());
  if (durable > durable_) {
    durable_ = durable;
    if (auto* leader = std::get_if<LeaderState>(&role_state_)) leader->commit_dirty = true;
  }
  for (Action& action : done.deferred) {
    if (std::holds_alternative<RestoreSnapshot>(action)) --restores_in_flight_;
    out_->push_back(std::move(action));
  }
  if (done.self_vote != 0 && done.self_vote == term_ && role_ == Role::Candidate) {
    on_vote_reply(config_.id, true, false);  // may win the election now (a lone voter)
  }
}

}  // namespace raftio::detail
