#include "raftio/runtime/driver.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "raftio/events.h"

namespace raftio::runtime {

Driver::Driver(RaftConfig config, std::unique_ptr<RaftLog> log, StateMachine& machine, DriverOptions options)
    : node_(std::move(config), std::move(log)), machine_(machine), options_(options), applied_(node_.config().applied) {}

void Driver::tick() {
  ++ticks_;
  step(Tick{});
  expire_requests();
}

void Driver::receive(Message message) { step(Receive{std::move(message)}); }

RequestId Driver::propose(Payload command) {
  const RequestId id = next_id_++;
  if (stopped_) {
    complete(id, unexpected(*stopped_));
    return id;
  }
  writes_.emplace(id, PendingWrite{});
  if (options_.request_timeout_ticks != 0) deadlines_.emplace_back(ticks_ + options_.request_timeout_ticks, id);
  // The request id doubles as the core's correlation id: ProposalAccepted and Reject echo it.
  step(Propose{std::move(command), id});
  return id;
}

RequestId Driver::read(Payload query) {
  const RequestId id = next_id_++;
  if (stopped_) {
    complete(id, unexpected(*stopped_));
    return id;
  }
  reads_.emplace(id, std::move(query));
  if (options_.request_timeout_ticks != 0) deadlines_.emplace_back(ticks_ + options_.request_timeout_ticks, id);
  step(ReadIndex{id});
  return id;
}

void Driver::persisted(Persisted done) { step(done); }

void Driver::persist_failed(StorageError error) { step(PersistFailed{std::move(error)}); }

void Driver::shutdown() {
  if (!stopped_) stop(ShuttingDown{});
}

DriverOutput Driver::take_output() {
  DriverOutput taken = std::move(out_);
  out_ = DriverOutput{};
  return taken;
}

void Driver::step(Event event) {
  if (stopped_) return;
  actions_.clear();
  node_.step(std::move(event), actions_);
  for (Action& action : actions_) handle(action);
  // After the step, so the snapshot covers every entry the step applied.
  if (snapshot_wanted_ && !stopped_) take_snapshot();
}

void Driver::handle(Action& action) {
  if (stopped_) return;
  if (auto* send = std::get_if<Send>(&action)) {
    out_.messages.push_back(std::move(send->message));
  } else if (auto* apply = std::get_if<Apply>(&action)) {
    on_apply(apply->entry);
  } else if (auto* accepted = std::get_if<ProposalAccepted>(&action)) {
    on_accepted(*accepted);
  } else if (auto* ready = std::get_if<ReadReady>(&action)) {
    on_read_ready(*ready);
  } else if (auto* reject = std::get_if<Reject>(&action)) {
    on_reject(*reject);
  } else if (auto* restore = std::get_if<RestoreSnapshot>(&action)) {
    on_restore(restore->snapshot);
  } else if (std::holds_alternative<SnapshotSuggested>(action)) {
    snapshot_wanted_ = true;
  } else if (auto* persist = std::get_if<Persist>(&action)) {
    out_.persists.push_back(std::move(*persist));
  } else if (auto* failed = std::get_if<raftio::StorageFailed>(&action)) {
    stop(StorageFailed{failed->error.context});
  }
  // LeaderChanged needs nothing: leader_id() reads the node, and proposals pending on a leader
  // that lost office end at their index's Apply (ProposalLost) or their deadline.
}

void Driver::on_accepted(const ProposalAccepted& accepted) {
  const auto it = writes_.find(accepted.id);
  if (it == writes_.end()) return;
  it->second.index = accepted.index;
  it->second.term = accepted.term;
  const auto [slot, inserted] = writes_by_index_.try_emplace(accepted.index, accepted.id);
  if (!inserted) {
    // This node led before, appended an older proposal at this index and lost it to a leader
    // that overwrote the index (§5.3 log repair): that proposal can never commit.
    if (writes_.count(slot->second) != 0) complete(slot->second, unexpected(ProposalLost{}));
    slot->second = accepted.id;
  }
}

// Applies one committed entry and answers the proposal that created it. A proposal is ours only
// if the entry at its index carries its term: a different term there means a new leader replaced
// it before it committed (§5.3), so it was not applied.
void Driver::on_apply(const LogEntry& entry) {
  applied_ = entry.index;
  const bool command = entry.kind == EntryKind::Normal;
  Payload response;
  if (command) response = machine_.apply(entry);
  while (!writes_by_index_.empty() && writes_by_index_.begin()->first <= entry.index) {
    const auto [index, id] = *writes_by_index_.begin();
    writes_by_index_.erase(writes_by_index_.begin());
    const auto it = writes_.find(id);
    if (it == writes_.end()) continue;  // already ended (timed out)
    const bool ours = index == entry.index && it->second.term == entry.term && command;
    if (ours) {
      complete(id, response);
    } else {
      complete(id, unexpected(ProposalLost{}));
    }
  }
  serve_reads();
}

void Driver::on_restore(const Snapshot& snapshot) {
  if (!machine_.restore(snapshot.data)) {
    // The node has already kept this snapshot: running on would serve a state that differs from
    // every other replica's, so stop and say why.
    stop(StorageFailed{"the state machine could not restore the snapshot at index " +
                       std::to_string(snapshot.last_index)});
    return;
  }
  applied_ = snapshot.last_index;
  // Entries up to the snapshot were applied somewhere, but not one by one here: whether a pending
  // proposal among them took effect is not known.
  while (!writes_by_index_.empty() && writes_by_index_.begin()->first <= applied_) {
    const RequestId id = writes_by_index_.begin()->second;
    writes_by_index_.erase(writes_by_index_.begin());
    if (writes_.count(id) != 0) complete(id, unexpected(OutcomeUnknown{}));
  }
  serve_reads();
}

void Driver::on_reject(const Reject& reject) {
  if (reject.what == RequestKind::Propose && writes_.count(reject.id) != 0) {
    complete(reject.id, unexpected(error_from(reject)));
  } else if (reject.what == RequestKind::ReadIndex && reads_.count(reject.id) != 0) {
    complete(reject.id, unexpected(error_from(reject)));
  }
  // A refused SnapshotTaken (InvalidSnapshot, SnapshotTooLarge) leaves the log uncompacted; the
  // core suggests again at the next threshold crossing.
}

// Thesis §6.4 step 4: the read is served once the state machine has applied the read index.
void Driver::on_read_ready(const ReadReady& ready) {
  if (reads_.count(ready.id) == 0) return;
  reads_by_index_.emplace(ready.index, ready.id);
  serve_reads();
}

void Driver::serve_reads() {
  while (!reads_by_index_.empty() && reads_by_index_.begin()->first <= applied_) {
    const RequestId id = reads_by_index_.begin()->second;
    reads_by_index_.erase(reads_by_index_.begin());
    const auto it = reads_.find(id);
    if (it == reads_.end()) continue;
    Payload response = machine_.query(it->second);
    complete(id, std::move(response));
  }
}

void Driver::take_snapshot() {
  snapshot_wanted_ = false;
  step(SnapshotTaken{applied_, machine_.snapshot()});
}

void Driver::expire_requests() {
  while (!deadlines_.empty() && deadlines_.front().first <= ticks_) {
    const RequestId id = deadlines_.front().second;
    deadlines_.pop_front();
    if (writes_.count(id) != 0 || reads_.count(id) != 0) complete(id, unexpected(TimedOut{}));
  }
}

void Driver::stop(Error reason) {
  stopped_ = reason;
  std::vector<RequestId> pending;
  pending.reserve(pending_requests());
  for (const auto& [id, write] : writes_) pending.push_back(id);
  for (const auto& [id, query] : reads_) pending.push_back(id);
  std::sort(pending.begin(), pending.end());  // completions in request order, deterministically
  for (const RequestId id : pending) complete(id, unexpected(reason));
  writes_by_index_.clear();
  reads_by_index_.clear();
  deadlines_.clear();
}

void Driver::complete(RequestId id, Result<Payload, Error> result) {
  writes_.erase(id);
  reads_.erase(id);
  out_.completions.push_back(Completion{id, std::move(result)});
}

}  // namespace raftio::runtime
