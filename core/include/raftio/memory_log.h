// MemoryLog: the default RaftLog, in memory. It keeps the batches the node appends as shared
// views of the node's own entry blocks, so it costs no copy per entry. Nothing survives the
// process, but the object can be kept (or copied) and handed to a new RaftNode to model a restart.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "raftio/raft_log.h"

namespace raftio {

class MemoryLog final : public RaftLog {
 public:
  MemoryLog() = default;

  HardState hard_state() const override { return hard_state_; }
  SnapshotMeta snapshot_meta() const override { return snapshot_; }
  Index first_index() const override { return snapshot_.last_index + 1; }
  Index last_index() const override { return last_; }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override;

  StorageStatus append(const EntryBatch& entries) override;
  // Convenience for tests and tools: copies the entries into a new batch.
  StorageStatus append(std::span<const LogEntry> entries) { return append(EntryBatch(entries)); }
  StorageStatus truncate_suffix(Index from) override;
  StorageStatus compact(const SnapshotMeta& meta) override;
  StorageStatus set_hard_state(const HardState& state) override;
  StorageStatus sync() override;
  StorageStatus save_snapshot(const Snapshot& snapshot) override;
  Result<std::optional<Snapshot>, StorageError> load_snapshot() const override { return snapshot_data_; }

  // How many times sync() was called (tests use it to check group commit).
  std::uint64_t sync_count() const noexcept { return sync_count_; }

 private:
  // Index of the run holding `index` (first_index() <= index <= last_index()).
  std::size_t run_of(Index index) const noexcept;

  std::vector<EntryBatch> runs_;  // consecutive, non-empty views covering [first_index(), last_]
  Index last_ = 0;
  HardState hard_state_;
  SnapshotMeta snapshot_;
  std::optional<Snapshot> snapshot_data_;  // shares the node's payload: no copy
  std::uint64_t sync_count_ = 0;
};

}  // namespace raftio
