// MemoryLog: the default RaftLog, in memory. Nothing survives the process, but the object can be
// kept (or copied) and handed to a new RaftNode to model a restart.
#pragma once

#include <cstdint>

#include "raftio/detail/entry_store.h"
#include "raftio/raft_log.h"

namespace raftio {

class MemoryLog final : public RaftLog {
 public:
  MemoryLog() = default;
  MemoryLog(const MemoryLog&) = default;
  MemoryLog& operator=(const MemoryLog&) = default;

  HardState hard_state() const override { return hard_state_; }
  SnapshotMeta snapshot_meta() const override { return snapshot_; }
  Index first_index() const override { return entries_.first_index(); }
  Index last_index() const override { return entries_.last_index(); }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override;

  StorageStatus append(std::span<const LogEntry> entries) override;
  StorageStatus truncate_suffix(Index from) override;
  StorageStatus compact(const SnapshotMeta& meta) override;
  StorageStatus set_hard_state(const HardState& state) override;
  StorageStatus sync() override;

  // How many times sync() was called (tests use it to check group commit).
  std::uint64_t sync_count() const noexcept { return sync_count_; }

 private:
  detail::EntryStore entries_;
  HardState hard_state_;
  SnapshotMeta snapshot_;
  std::uint64_t sync_count_ = 0;
};

}  // namespace raftio
