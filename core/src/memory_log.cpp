#include "raftio/memory_log.h"

#include <algorithm>
#include <string>

namespace raftio {

namespace {

StorageStatus misuse(std::string what) {
  return unexpected(StorageError{StorageError::Code::Misuse, "MemoryLog: " + std::move(what)});
}

}  // namespace

std::size_t MemoryLog::run_of(Index index) const noexcept {
  // The last run whose first index is <= index.
  auto it = std::upper_bound(runs_.begin(), runs_.end(), index,
                             [](Index value, const EntryBatch& run) { return value < run.front().index; });
  return static_cast<std::size_t>(it - runs_.begin()) - 1;
}

StorageStatus MemoryLog::read(Index lo, Index hi, std::vector<LogEntry>& out) const {
  if (lo < first_index() || hi > last_ || lo > hi) {
    return misuse("read [" + std::to_string(lo) + ", " + std::to_string(hi) + "] outside [" +
                  std::to_string(first_index()) + ", " + std::to_string(last_) + "]");
  }
  for (std::size_t r = run_of(lo); r < runs_.size() && lo <= hi; ++r) {
    for (const LogEntry& entry : runs_[r]) {
      if (entry.index < lo) continue;
      if (entry.index > hi) return {};
      out.push_back(entry);
      ++lo;
    }
  }
  return {};
}

StorageStatus MemoryLog::append(const EntryBatch& entries) {
  Index expected = last_ + 1;
  for (const LogEntry& entry : entries) {
    if (entry.index != expected) {
      return misuse("append of index " + std::to_string(entry.index) + ", expected " + std::to_string(expected));
    }
    ++expected;
  }
  if (entries.empty()) return {};
  if (runs_.empty() || !runs_.back().try_extend(entries)) runs_.push_back(entries);
  last_ = expected - 1;
  return {};
}

StorageStatus MemoryLog::truncate_suffix(Index from) {
  if (from < first_index() || from > last_ + 1) {
    return misuse("truncate_suffix(" + std::to_string(from) + ") outside the log");
  }
  while (!runs_.empty() && runs_.back().front().index >= from) runs_.pop_back();
  if (!runs_.empty()) runs_.back().keep_front(static_cast<std::size_t>(from - runs_.back().front().index));
  last_ = from - 1;
  return {};
}

StorageStatus MemoryLog::compact(const SnapshotMeta& meta) {
  if (meta.last_index < snapshot_.last_index) {
    return misuse("compact to " + std::to_string(meta.last_index) + " below the snapshot at " +
                  std::to_string(snapshot_.last_index));
  }
  std::size_t drop = 0;
  while (drop < runs_.size() && runs_[drop].back().index <= meta.last_index) ++drop;
  runs_.erase(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(drop));
  if (!runs_.empty() && runs_.front().front().index <= meta.last_index) {
    runs_.front().drop_front(static_cast<std::size_t>(meta.last_index + 1 - runs_.front().front().index));
  }
  snapshot_ = meta;
  last_ = std::max(last_, meta.last_index);
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
  hard_state_ = state;
  return {};
}

StorageStatus MemoryLog::sync() {
  ++sync_count_;
  return {};
}

}  // namespace raftio
