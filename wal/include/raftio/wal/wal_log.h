// WalLog: a RaftLog on segment files of checksummed, chained records, which survives crashes,
// torn writes and corruption without silent data loss. The format and the recovery rules are in
// docs/PROTOCOL.md ("Write-ahead log").
//
//  - Writes (append, truncate_suffix, compact, set_hard_state) are encoded into a buffer;
//    sync() writes the buffer and makes it durable with one fdatasync: group commit.
//  - Segments roll over at WalOptions::segment_bytes. A new segment starts with a checkpoint of
//    the snapshot metadata and hard state, so whole segments below a snapshot can be deleted
//    (once the snapshot mark is durable). Creating or deleting a segment syncs the directory.
//  - open() recovers: a write torn by a crash at the end of the last segment is cut off; anything
//    else wrong is corruption, reported with the file, the byte offset and what was wrong, and
//    nothing on disk is changed. repair() is the operator's explicit way past such a report.
//  - After any failed file-system call the log refuses further writes (the page cache cannot be
//    trusted after a failed fsync); reopen it to recover.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raftio/memory_log.h"
#include "raftio/raft_log.h"
#include "raftio/wal/file_system.h"

namespace raftio::wal {

struct WalOptions {
  std::uint64_t segment_bytes = std::uint64_t{64} << 20;  // roll over to a new segment past this size
};

// What open() found and did.
struct RecoveryReport {
  std::size_t segments = 0;
  std::size_t records = 0;
  std::uint64_t bytes = 0;            // segment bytes read
  std::uint64_t torn_bytes_cut = 0;   // bytes of a torn tail removed from the last segment
  std::string torn_tail;              // where and why the tail was cut (empty: clean end)
};

// What WalLog::repair found and did.
struct RepairReport {
  bool repaired = false;       // false: the log recovers as it is, and nothing was changed
  std::string damage;          // the corruption report that was repaired
  std::string segment;         // the segment that was cut
  std::uint64_t offset = 0;    // where it was cut; below the 48-byte header, the file was removed
  std::uint64_t bytes_cut = 0;
  std::string saved_as;        // a copy of that segment as it was before the cut
};

class WalLog final : public RaftLog {
 public:
  // Opens (creating if needed) the log in `dir` on `fs`, and recovers it.
  static Result<std::unique_ptr<WalLog>, StorageError> open(std::shared_ptr<FileSystem> fs, std::string dir,
                                                            WalOptions options = {});
  // The same on the real file system.
  static Result<std::unique_ptr<WalLog>, StorageError> open(std::string dir, WalOptions options = {});

  // The operator's repair, for a log that open() refuses as corrupt, and which LOSES DATA: if the
  // corruption lies in the last segment, that segment is saved as "<segment>.damaged-at-<offset>",
  // then cut at the reported offset (or removed, if the damage is in its header). Every record
  // from there on is gone, synced or not, so a node repaired this way may have forgotten a vote
  // or entries it acknowledged (see docs/API.md, "WalLog: durable storage"). Damage before the
  // last segment is refused. A log that recovers as it is stays untouched. Call open() after.
  static Result<RepairReport, StorageError> repair(std::shared_ptr<FileSystem> fs, std::string dir);
  static Result<RepairReport, StorageError> repair(std::string dir);
  ~WalLog() override;

  HardState hard_state() const override { return mirror_.hard_state(); }
  SnapshotMeta snapshot_meta() const override { return mirror_.snapshot_meta(); }
  Index first_index() const override { return mirror_.first_index(); }
  Index last_index() const override { return mirror_.last_index(); }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override { return mirror_.read(lo, hi, out); }

  StorageStatus append(const EntryBatch& entries) override;
  StorageStatus truncate_suffix(Index from) override;
  StorageStatus compact(const SnapshotMeta& meta) override;
  StorageStatus set_hard_state(const HardState& state) override;
  StorageStatus sync() override;

  // Snapshot data: written to a temporary file, synced, renamed into place, directory synced.
  // Older snapshot files are removed once the new one is durable.
  StorageStatus save_snapshot(const Snapshot& snapshot) override;
  // The newest complete snapshot file, if any.
  Result<std::optional<Snapshot>, StorageError> load_snapshot() const override;

  const RecoveryReport& recovery() const noexcept { return recovery_; }
  std::size_t segment_count() const noexcept { return segments_.size(); }
  const std::optional<StorageError>& failure() const noexcept { return failure_; }

 private:
  struct Segment {
    std::uint64_t sequence;
    Index first_index;  // the log's last index + 1 when the segment was created
    std::string path;
  };

  WalLog(std::shared_ptr<FileSystem> fs, std::string dir, WalOptions options);
  StorageStatus recover();
  StorageStatus start_segment();
  StorageStatus write_pending();
  StorageStatus delete_compacted_segments();
  StorageStatus fail(StorageError error);
  StorageStatus check_writable();
  void add_record(std::uint8_t kind, const std::vector<std::byte>& payload);

  std::shared_ptr<FileSystem> fs_;
  std::string dir_;
  WalOptions options_;
  MemoryLog mirror_;                  // the log as written so far (reads are served from here)
  std::vector<Segment> segments_;     // oldest first
  std::unique_ptr<File> tail_;        // the last segment, open for appending
  std::uint64_t tail_bytes_ = 0;      // its size including what pending_ will add
  std::uint64_t chain_ = 0;           // checksum of the last record (the chain's seed)
  std::vector<std::byte> pending_;    // encoded records not yet written
  Index durable_snapshot_index_ = 0;  // snapshot index whose mark is durable
  std::optional<StorageError> failure_;
  RecoveryReport recovery_;
};

}  // namespace raftio::wal
