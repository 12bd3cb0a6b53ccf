#include "raftio/memory_log.h"

#include <algorithm>
#include <string>

namespace raftio {

namespace {

Unexpected<StorageError> misuse(std::string what) {
  return unexpected(StorageError{StorageError::Code::Misuse, "MemoryLog: " + std::move(what)});
}

}  // namespace

std::size_t MemoryLog::State::run_of(Index index) const noexcept {
  // The last run whose first index is <= index.
  auto it = std::upper_bound(runs.begin(), runs.end(), index,
                             [](Index value, const EntryBatch& run) { return value < run.front().index; });
  return static_cast<std::size_t>(it - runs.begin()) - 1;
}

void MemoryLog::State::append(const EntryBatch& entries) {
  if (entries.empty()) return;
  if (runs.empty() || !runs.back().try_extend(entries)) runs.push_back(entries);
  last = entries.back().index;
}

void MemoryLog::State::truncate_suffix(Index from) {
  while (!runs.empty() && runs.back().front().index >= from) runs.pop_back();
  if (!runs.empty()) runs.back().keep_front(static_cast<std::size_t>(from - runs.back().front().index));
  last = from - 1;
}

void MemoryLog::State::compact(const SnapshotMeta& meta) {
  std::size_t drop = 0;
  while (drop < runs.size() && runs[drop].back().index <= meta.last_index) ++drop;
  runs.erase(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(drop));
  if (!runs.empty() && runs.front().front().index <= meta.last_index) {
    runs.front().drop_front(static_cast<std::size_t>(meta.last_index + 1 - runs.front().front().index));
  }
  snapshot = meta;
  last = std::max(last, meta.last_index);
}

Result<MemoryLog, StorageError> MemoryLog::from(Contents contents) {
  MemoryLog log;
  if (contents.snapshot) {
    log.live_.snapshot = contents.snapshot->meta();
    log.live_.last = contents.snapshot->last_index;
    log.snapshot_data_ = std::move(contents.snapshot);
  }
  Term previous_term = log.live_.snapshot.last_term;
  for (const LogEntry& entry : contents.entries) {
    if (entry.index != log.live_.last + 1) {
      return misuse("from: entry " + std::to_string(entry.index) + " where " + std::to_string(log.live_.last + 1) +
                    " was expected");
    }
    if (entry.term < previous_term) {
      return misuse("from: entry " + std::to_string(entry.index) + " of term " + std::to_string(entry.term) +
                    " follows term " + std::to_string(previous_term));
    }
    previous_term = entry.term;
    log.live_.last = entry.index;
  }
  if (!contents.entries.empty()) log.live_.runs.push_back(EntryBatch(contents.entries));
  log.live_.hard_state = contents.hard_state;
  return log;
}

StorageStatus MemoryLog::read(Index lo, Index hi, std::vector<LogEntry>& out) const {
  if (lo < first_index() || hi > live_.last || lo > hi) {
    return misuse("read [" + std::to_string(lo) + ", " + std::to_string(hi) + "] outside [" +
                  std::to_string(first_index()) + ", " + std::to_string(live_.last) + "]");
  }
  for (std::size_t r = live_.run_of(lo); r < live_.runs.size() && lo <= hi; ++r) {
    for (const LogEntry& entry : live_.runs[r]) {
      if (entry.index < lo) continue;
      if (entry.index > hi) return {};
      out.push_back(entry);
      ++lo;
    }
  }
  return {};
}

StorageStatus MemoryLog::append(const EntryBatch& entries) {
  Index expected = live_.last + 1;
  for (const LogEntry& entry : entries) {
    if (entry.index != expected) {
      return misuse("append of index " + std::to_string(entry.index) + ", expected " + std::to_string(expected));
    }
    ++expected;
  }
  if (entries.empty()) return {};
  live_.append(entries);
  if (tracking_) record(Write{Write::Kind::Append, entries, 0, {}, {}});
  return {};
}

StorageStatus MemoryLog::truncate_suffix(Index from) {
  if (from < first_index() || from > live_.last + 1) {
    return misuse("truncate_suffix(" + std::to_string(from) + ") outside the log");
  }
  live_.truncate_suffix(from);
  if (tracking_) record(Write{Write::Kind::Truncate, {}, from, {}, {}});
  return {};
}

StorageStatus MemoryLog::compact(const SnapshotMeta& meta) {
  if (meta.last_index < live_.snapshot.last_index) {
    return misuse("compact to " + std::to_string(meta.last_index) + " below the snapshot at " +
                  std::to_string(live_.snapshot.last_index));
  }
  live_.compact(meta);
  if (tracking_) record(Write{Write::Kind::Compact, {}, 0, meta, {}});
  return {};
}

StorageStatus MemoryLog::save_snapshot(const Snapshot& snapshot) {
  if (snapshot_data_ && snapshot.last_index < snapshot_data_->last_index) {
    return misuse("save_snapshot at " + std::to_string(snapshot.last_index) + " below the saved one at " +
                  std::to_string(snapshot_data_->last_index));
  }
  snapshot_data_ = snapshot;
  return {};
}

StorageStatus MemoryLog::set_hard_state(const HardState& state) {
  live_.hard_state = state;
  if (tracking_) record(Write{Write::Kind::HardState, {}, 0, {}, state});
  return {};
}

StorageStatus MemoryLog::sync() {
  ++sync_count_;
  if (tracking_) {
    for (const Write& write : journal_) replay(durable_, write);
    journal_.clear();
  }
  return {};
}

void MemoryLog::track_durability() {
  tracking_ = true;
  durable_ = live_;
  journal_.clear();
}

void MemoryLog::record(Write write) { journal_.push_back(std::move(write)); }

void MemoryLog::replay(State& state, const Write& write) {
  switch (write.kind) {
    case Write::Kind::Append: state.append(write.entries); break;
    case Write::Kind::Truncate: state.truncate_suffix(write.from); break;
    case Write::Kind::Compact: state.compact(write.meta); break;
    case Write::Kind::HardState: state.hard_state = write.hard_state; break;
  }
}

void MemoryLog::crash(CrashOptions options) {
  if (!tracking_) return;
  const std::size_t kept = std::min(options.keep, journal_.size());
  for (std::size_t i = 0; i < kept; ++i) replay(durable_, journal_[i]);
  if (options.tear_next && kept < journal_.size() && journal_[kept].kind == Write::Kind::Append) {
    EntryBatch torn = journal_[kept].entries;
    torn.keep_front(torn.size() / 2);
    durable_.append(torn);
  }
  journal_.clear();
  live_ = durable_;
}

}  // namespace raftio
