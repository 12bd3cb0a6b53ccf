// RaftLog: the storage seam. A node writes through it (append, truncate, compact, hard state) and
// calls sync() once per step that wrote, before any message that depends on the write leaves. On
// start, the node reads back everything it needs (hard state, snapshot metadata, entries).
//
// The node keeps its own in-memory copy of the entries it replicates, so an implementation only
// has to persist and reload: reads happen once, at start-up. Appends arrive as shared views of the
// node's entry blocks, so an in-memory implementation can keep them without copying an entry. Implementations: MemoryLog (here),
// WalLog (wal/), or your own (tier 3).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "raftio/actions.h"
#include "raftio/entry.h"
#include "raftio/result.h"
#include "raftio/state.h"

namespace raftio {

using StorageStatus = Result<void, StorageError>;

class RaftLog {
 public:
  virtual ~RaftLog() = default;

  // --- read side (used when a node starts) ---
  virtual HardState hard_state() const = 0;
  virtual SnapshotMeta snapshot_meta() const = 0;
  // first_index() == snapshot_meta().last_index + 1; last_index() == first_index() - 1 when empty.
  virtual Index first_index() const = 0;
  virtual Index last_index() const = 0;
  // Appends entries [lo, hi] to `out`; first_index() <= lo <= hi <= last_index().
  virtual StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const = 0;

  // --- write side (the node calls these inside step) ---
  // entries are consecutive and entries.front().index == last_index() + 1. The batch is a shared,
  // immutable view: an implementation may keep it (no copy) or serialize entries.span().
  virtual StorageStatus append(const EntryBatch& entries) = 0;
  // Removes every entry with index >= from (first_index() <= from <= last_index() + 1).
  virtual StorageStatus truncate_suffix(Index from) = 0;
  // Removes every entry with index <= meta.last_index and records the snapshot metadata. When
  // meta.last_index >= last_index() the log becomes empty and first_index() == meta.last_index + 1.
  virtual StorageStatus compact(const SnapshotMeta& meta) = 0;
  virtual StorageStatus set_hard_state(const HardState& state) = 0;
  // Makes every write so far durable. A node calls it at most once per step.
  virtual StorageStatus sync() = 0;

  // --- snapshots ---
  // Stores the snapshot's data durably (it must survive a crash once this returns) before the
  // node calls compact() with its metadata. Older snapshots may be dropped.
  virtual StorageStatus save_snapshot(const Snapshot& snapshot) = 0;
  // The newest snapshot saved, if any (read when a node starts). Its last_index is at least
  // snapshot_meta().last_index; it may be newer when a crash came between save_snapshot() and
  // compact(), and the node then finishes the compaction.
  virtual Result<std::optional<Snapshot>, StorageError> load_snapshot() const = 0;
};

// async_storage mode: writes a Persist action to `log` in the documented order and syncs once.
// The embedder calls it off the node's step (on an I/O thread, say) and steps Persisted{p.index,
// p.term} when it succeeds, PersistFailed{error} when it does not. In that mode the node reads
// its RaftLog only in its constructor, so the embedder may write to it from any one thread.
StorageStatus write_persist(RaftLog& log, const Persist& persist);
// Several Persists, in order, under one sync (group commit on the writer's side). Report one
// Persisted per Persist afterwards.
StorageStatus write_persist(RaftLog& log, std::span<const Persist> persists);

}  // namespace raftio
