#include "raftio/memory_log.h"

#include <string>

namespace raftio {

namespace {

StorageStatus misuse(std::string what) {
  return unexpected(StorageError{StorageError::Code::Misuse, "MemoryLog: " + std::move(what)});
}

}  // namespace

StorageStatus MemoryLog::read(Index lo, Index hi, std::vector<LogEntry>& out) const {
  if (lo < entries_.first_index() || hi > entries_.last_index() || lo > hi) {
    return misuse("read [" + std::to_string(lo) + ", " + std::to_string(hi) + "] outside [" +
                  std::to_string(entries_.first_index()) + ", " + std::to_string(entries_.last_index()) + "]");
  }
  for (Index i = lo; i <= hi; ++i) out.push_back(entries_.at(i));
  return {};
}

StorageStatus MemoryLog::append(std::span<const LogEntry> entries) {
  Index expected = entries_.last_index() + 1;
  for (const LogEntry& entry : entries) {
    if (entry.index != expected) {
      return misuse("append of index " + std::to_string(entry.index) + ", expected " + std::to_string(expected));
    }
    ++expected;
  }
  entries_.append(entries);
  return {};
}

StorageStatus MemoryLog::truncate_suffix(Index from) {
  if (from < entries_.first_index() || from > entries_.last_index() + 1) {
    return misuse("truncate_suffix(" + std::to_string(from) + ") outside the log");
  }
  entries_.truncate_suffix(from);
  return {};
}

StorageStatus MemoryLog::compact(const SnapshotMeta& meta) {
  if (meta.last_index < snapshot_.last_index) {
    return misuse("compact to " + std::to_string(meta.last_index) + " below the snapshot at " +
                  std::to_string(snapshot_.last_index));
  }
  entries_.compact(meta.last_index);
  snapshot_ = meta;
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
