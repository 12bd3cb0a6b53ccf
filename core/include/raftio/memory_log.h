// MemoryLog: the default RaftLog, in memory. It keeps the batches the node appends as shared
// views of the node's own entry blocks, so it costs no copy per entry. Nothing survives the
// process, but the object can be kept (or copied) and handed to a new RaftNode to model a restart.
//
// For tests it can also start from given contents (MemoryLog::from) and model a crash: once
// track_durability() is on, it remembers which writes sync() made durable, and crash() forgets
// the others (optionally keeping some of them and tearing the next, as a disk may).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "raftio/raft_log.h"

namespace raftio {

class MemoryLog final : public RaftLog {
 public:
  MemoryLog() = default;

  // What a log holds: an optional snapshot, the entries after it, and the hard state.
  struct Contents {
    std::optional<Snapshot> snapshot;
    std::vector<LogEntry> entries;  // consecutive, from snapshot->last_index + 1 (or 1)
    HardState hard_state;
  };
  // A log that starts with `contents`, all of it durable. Misuse when the entries do not follow
  // the snapshot one by one, or a term goes down.
  static Result<MemoryLog, StorageError> from(Contents contents);

  HardState hard_state() const override { return live_.hard_state; }
  SnapshotMeta snapshot_meta() const override { return live_.snapshot; }
  Index first_index() const override { return live_.snapshot.last_index + 1; }
  Index last_index() const override { return live_.last; }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override;

  StorageStatus append(const EntryBatch& entries) override;
  // Convenience for tests and tools: copies the entries into a new batch.
  StorageStatus append(std::span<const LogEntry> entries) { return append(EntryBatch(entries)); }
  StorageStatus truncate_suffix(Index from) override;
  StorageStatus compact(const SnapshotMeta& meta) override;
  StorageStatus set_hard_state(const HardState& state) override;
  StorageStatus sync() override;
  // Durable when it returns (the RaftLog contract), whether or not sync() follows.
  StorageStatus save_snapshot(const Snapshot& snapshot) override;
  Result<std::optional<Snapshot>, StorageError> load_snapshot() const override { return snapshot_data_; }

  // How many times sync() was called (tests use it to check group commit).
  std::uint64_t sync_count() const noexcept { return sync_count_; }

  // --- crashes (tests) ---
  // From now on, remember what sync() made durable; everything held now counts as durable. Off by
  // default: tracking keeps a second copy of the log's run list and a journal of unsynced writes.
  void track_durability();
  bool tracks_durability() const noexcept { return tracking_; }
  // Writes (append, truncate_suffix, compact, set_hard_state) made since the last sync().
  std::size_t unsynced_writes() const noexcept { return journal_.size(); }
  struct CrashOptions {
    // The first `keep` unsynced writes reached the disk anyway (writes land in order).
    std::size_t keep = 0;
    // The write after those was torn: an append keeps the first half of its entries (rounded
    // down), any other write is lost.
    bool tear_next = false;
  };
  // The process died: the log falls back to what was durable, plus what `options` keeps. Without
  // track_durability() nothing was ever forgotten, so nothing is lost. What remains is durable.
  void crash(CrashOptions options);
  void crash() { crash(CrashOptions{}); }

 private:
  // The log's contents without the snapshot data (which is durable as soon as it is saved).
  struct State {
    std::vector<EntryBatch> runs;  // consecutive, non-empty views covering [first, last]
    Index last = 0;
    HardState hard_state;
    SnapshotMeta snapshot;

    std::size_t run_of(Index index) const noexcept;  // first <= index <= last
    void append(const EntryBatch& entries);
    void truncate_suffix(Index from);
    void compact(const SnapshotMeta& meta);
  };
  // An unsynced write, kept to replay on the durable state at sync() or crash().
  struct Write {
    enum class Kind : std::uint8_t { Append, Truncate, Compact, HardState } kind = Kind::Append;
    EntryBatch entries;
    Index from = 0;
    SnapshotMeta meta;
    HardState hard_state;
  };
  static void replay(State& state, const Write& write);
  void record(Write write);

  State live_;
  State durable_;               // only while tracking_
  std::vector<Write> journal_;  // only while tracking_: writes since the last sync
  bool tracking_ = false;
  std::optional<Snapshot> snapshot_data_;  // shares the node's payload: no copy
  std::uint64_t sync_count_ = 0;
};

}  // namespace raftio
