#include "node_core.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace raftio::detail {

namespace {

std::uint64_t mix_seed(std::uint64_t seed, NodeId id) noexcept {
  // Different nodes sharing one seed must still draw different timeouts (or they split votes).
  return seed ^ (id * 0x9e3779b97f4a7c15ULL);
}

// Where a node's forwarded read numbers start: 1 for incarnation 0 (as before incarnations
// existed), else a SplitMix64 value of it, so two incarnations' ranges overlap only with
// probability about reads / 2^64.
std::uint64_t first_forward_id(std::uint64_t incarnation) noexcept {
  return incarnation == 0 ? 1 : Prng(incarnation).next();
}

const RaftConfig& validated(const RaftConfig& config) {
  if (auto error = config.validate()) throw std::invalid_argument(error->describe());
  return config;
}

}  // namespace

NodeCore::NodeCore(RaftConfig config, std::unique_ptr<RaftLog> log)
    : config_(validated(config)),
      log_(std::move(log)),
      membership_(config_.membership),
      prng_(mix_seed(config_.seed, config_.id)),
      next_forward_id_(first_forward_id(config_.incarnation)) {
  if (!log_) throw std::invalid_argument("raftio: RaftNode needs a RaftLog (got nullptr)");
  recover();
}

// Rebuilds the in-memory state from the log. Anything inconsistent is corruption: the node starts
// failed rather than run on a log it cannot trust.
void NodeCore::recover() {
  const HardState hard_state = log_->hard_state();
  recover_snapshot(hard_state);
  if (error_) return;
  snapshot_ = log_->snapshot_meta();
  const Index first = log_->first_index();
  const Index last = log_->last_index();
  entries_ = EntryStore(first);
  if (first != snapshot_.last_index + 1 || last + 1 < first) {
    return fail(recovery_corruption("bounds [" + std::to_string(first) + ", " + std::to_string(last) +
                                    "] do not follow the snapshot at " + std::to_string(snapshot_.last_index)));
  }
  if (last >= first) {
    std::vector<LogEntry> loaded;
    loaded.reserve(static_cast<std::size_t>(last - first + 1));
    auto status = log_->read(first, last, loaded);
    if (!status) return fail(std::move(status).error());
    Term previous_term = snapshot_.last_term;
    Index expected = first;
    for (LogEntry& entry : loaded) {
      if (entry.index != expected || entry.term < previous_term || entry.term == 0) {
        return fail(recovery_corruption("entry " + std::to_string(entry.index) + " (term " + std::to_string(entry.term) +
                                        ") breaks the index/term order at " + std::to_string(expected)));
      }
      previous_term = entry.term;
      ++expected;
      entries_.append(std::move(entry));
    }
    if (expected != last + 1) return fail(recovery_corruption("read returned too few entries"));
  }
  if (last_term() > hard_state.term) {
    return fail(recovery_corruption("the last entry's term " + std::to_string(last_term()) + " is above the persisted term " +
                                    std::to_string(hard_state.term)));
  }
  if (config_.applied > last) {
    return fail(recovery_corruption("RaftConfig::applied " + std::to_string(config_.applied) +
                                    " is past the log's last index " + std::to_string(last) +
                                    ": the log lost entries the state machine applied"));
  }
  base_membership_ = snapshot_.membership.voters.empty() ? config_.membership : snapshot_.membership;
  rebuild_configs();
  term_ = hard_state.term;
  vote_ = hard_state.vote;
  // The recovered commit index may lag: a change of the commit index alone rides on the next sync.
  // What the state machine applied was committed (Apply is only emitted for committed entries), so
  // it is committed here too, and never applied again.
  commit_ = std::max(std::clamp(hard_state.commit, snapshot_.last_index, last), config_.applied);
  applied_ = std::max(snapshot_.last_index, config_.applied);
  // The application's state machine is older than the log's snapshot: it must start from the
  // snapshot (the entries it would need are gone).
  restore_pending_ = snapshot_data_.has_value() && config_.applied < snapshot_.last_index;
  durable_ = last;
  unwritten_from_ = last + 1;
  persisted_hard_state_ = hard_state;
  reset_election_timer();
}

void NodeCore::step(std::span<Event> events, std::vector<Action>& out) {
  out_ = &out;
  step_start_ = out.size();
  if (error_) {
    // The node refuses to run on half-written state; every request is answered so none hangs.
    emit(StorageFailed{*error_});
    for (Event& event : events) {
      if (const auto* propose = std::get_if<Propose>(&event)) {
        emit(Reject{RequestKind::Propose, RejectReason::StorageFailed, kNoNode, propose->id});
      } else if (const auto* read = std::get_if<ReadIndex>(&event)) {
        emit(Reject{RequestKind::ReadIndex, RejectReason::StorageFailed, kNoNode, read->id});
      } else if (const auto* transfer = std::get_if<TransferLeadership>(&event)) {
        emit(Reject{RequestKind::TransferLeadership, RejectReason::StorageFailed, kNoNode, transfer->id});
      } else if (const auto* taken = std::get_if<SnapshotTaken>(&event)) {
        emit(Reject{RequestKind::SnapshotTaken, RejectReason::StorageFailed, kNoNode, taken->id});
      } else if (const auto* change = std::get_if<ChangeMembership>(&event)) {
        emit(Reject{RequestKind::ChangeMembership, RejectReason::StorageFailed, kNoNode, change->id});
      }
    }
    out_ = nullptr;
    return;
  }
  if (restore_pending_) {
    restore_pending_ = false;
    emit(RestoreSnapshot{*snapshot_data_});
  }
  for (Event& event : events) {
    dispatch(std::move(event));
    if (error_) break;
  }
  if (!error_) finish_step();
  out_ = nullptr;
}

void NodeCore::dispatch(Event&& event) {
  if (auto* receive = std::get_if<Receive>(&event)) {
    on_receive(std::move(receive->message));
  } else if (std::holds_alternative<Tick>(event)) {
    on_tick();
  } else if (auto* propose = std::get_if<Propose>(&event)) {
    on_propose(std::move(*propose));
  } else if (const auto* read = std::get_if<ReadIndex>(&event)) {
    on_read_index(*read);
  } else if (const auto* transfer = std::get_if<TransferLeadership>(&event)) {
    on_transfer_leadership(*transfer);
  } else if (auto* taken = std::get_if<SnapshotTaken>(&event)) {
    on_snapshot_taken(std::move(*taken));
  } else if (const auto* change = std::get_if<ChangeMembership>(&event)) {
    on_change_membership(*change);
  } else if (const auto* persisted = std::get_if<Persisted>(&event)) {
    on_persisted(*persisted);
  } else if (auto* failed = std::get_if<PersistFailed>(&event)) {
    fail(std::move(failed->error));
  }
}

// Durable before visible: the log is synced before the replies that promise it are released and
// before the leader counts its own entries towards a quorum. (In async_storage mode persist()
// hands the writes out as a Persist action, and the replies wait for its Persisted.)
void NodeCore::finish_step() {
  if (!persist()) return;
  release_after_persist();
  if (auto* leader = std::get_if<LeaderState>(&role_state_)) {
    if (leader->commit_dirty) maybe_commit();
    replicate_pending();
    finish_reads(*leader);
    maybe_step_down_after_removal();
  }
  emit_applies();
}

bool NodeCore::persist() {
  if (config_.async_storage) {
    hand_off(std::nullopt);
    return true;
  }
  // The hard state goes first. A log is written in order and a torn write keeps a prefix, so an
  // entry of term T that survives a crash is always preceded by a durable term >= T; written the
  // other way round, a crash could keep new-term entries under an old term (found by the
  // simulator: seed 5, 14000 ticks). A commit index ahead of the surviving entries is clamped at
  // recovery.
  const HardState hard_state{term_, vote_, commit_};
  if (hard_state != persisted_hard_state_) {
    // A commit-only change may ride on the next sync; term and vote must be durable now (§5.2:
    // a vote is a promise).
    if (hard_state.term != persisted_hard_state_.term || hard_state.vote != persisted_hard_state_.vote) {
      needs_sync_ = true;
    }
    auto status = log_->set_hard_state(hard_state);
    if (!status) {
      fail(std::move(status).error());
      return false;
    }
    persisted_hard_state_ = hard_state;
  }
  const Index last = last_index();
  for (Index i = unwritten_from_; i <= last;) {
    const EntryBatch run = entries_.slice(i, std::numeric_limits<std::size_t>::max());
    auto status = log_->append(run);
    if (!status) {
      fail(std::move(status).error());
      return false;
    }
    i += run.size();
    needs_sync_ = true;
  }
  unwritten_from_ = last + 1;
  if (needs_sync_) {
    auto status = log_->sync();
    if (!status) {
      fail(std::move(status).error());
      return false;
    }
    needs_sync_ = false;
    if (durable_ != last) {
      durable_ = last;
      if (auto* leader = std::get_if<LeaderState>(&role_state_)) leader->commit_dirty = true;
    }
  }
  return true;
}

void NodeCore::fail(StorageError error) {
  error_ = std::move(error);
  after_persist_.clear();
  in_flight_.clear();
  restores_in_flight_ = 0;
  if (out_ != nullptr) {
    out_->erase(out_->begin() + static_cast<std::ptrdiff_t>(step_start_), out_->end());
    emit(StorageFailed{*error_});
  }
}

// Only what is committed and durable here is applied (in synchronous mode everything in the log
// is durable by now; in async_storage mode the last Persisted bounds it), and never ahead of a
// RestoreSnapshot still waiting for its write.
void NodeCore::emit_applies() {
  const Index upto = std::min(commit_, durable_);
  if (applied_ >= upto || restores_in_flight_ > 0) return;
  while (applied_ < upto) {
    ++applied_;
    emit(Apply{entries_.at(applied_)});
  }
  maybe_suggest_snapshot();
}

void NodeCore::append_local(LogEntry entry) {
  const bool config = entry.kind == EntryKind::Config;
  entries_.append(std::move(entry));
  if (config) note_appended(entries_.at(last_index()));  // takes effect when appended (thesis §4.1)
}

void NodeCore::truncate_local(Index from) {
  if (from < unwritten_from_) {
    // The log already holds entries from `from` on: remove them there first, so the appends that
    // persist() writes later land after the cut. (Async: the next Persist carries the cut.)
    if (config_.async_storage) {
      truncate_from_ = truncate_from_ == 0 ? from : std::min(truncate_from_, from);
    } else {
      auto status = log_->truncate_suffix(from);
      if (!status) return fail(std::move(status).error());
      needs_sync_ = true;
    }
    unwritten_from_ = from;
  }
  entries_.truncate_suffix(from);
  durable_ = std::min(durable_, from - 1);
  for (InFlightPersist& persist : in_flight_) persist.durable_upto = std::min(persist.durable_upto, from - 1);
  configs_truncated(from);
}

const LogEntry* NodeCore::entry_at(Index index) const noexcept {
  return entries_.contains(index) ? &entries_.at(index) : nullptr;
}

Index NodeCore::last_index_with_term_at_most(Index at_most, Term term) const noexcept {
  Index lo = snapshot_.last_index;
  Index hi = std::min(at_most, last_index());
  if (hi <= lo || snapshot_.last_term > term) return std::min(hi, lo);
  // Invariant: term_at(lo) <= term; the answer lies in [lo, hi].
  while (lo < hi) {
    const Index mid = lo + (hi - lo + 1) / 2;
    if (entries_.term_at(mid) <= term) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

}  // namespace raftio::detail
