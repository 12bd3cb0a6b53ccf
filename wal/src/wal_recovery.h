// Recovery: reads every segment of a WAL directory in order, checks headers, sequence and
// checksum chain, finds a torn tail at the end of the last segment (SegmentReader tells it from
// damage), and replays the records into the log's state. Anything else wrong is corruption,
// reported with the file and byte offset. Recovery only reads: cutting the torn tail is the
// caller's job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raftio/entry.h"
#include "raftio/state.h"
#include "raftio/wal/file_system.h"
#include "raftio/wal/wal_log.h"

namespace raftio::wal {

struct RecoveredSegment {
  std::uint64_t sequence = 0;
  Index first_index = 0;
  std::string path;
};

struct RecoveredState {
  SnapshotMeta snapshot;
  HardState hard_state;
  std::vector<EntryBatch> runs;  // consecutive entries from snapshot.last_index + 1
  std::vector<RecoveredSegment> segments;
  std::uint64_t chain = 0;       // chain value after the last valid record
  std::uint64_t tail_bytes = 0;  // valid bytes of the last segment (the torn tail is cut here)
  std::vector<std::string> discarded;  // segment files to delete: a last segment never written
  std::uint32_t tail_version = 0;      // format version of the last segment
  RecoveryReport report;
};

// Why recovery failed, and where when the failure lies in one segment (for WalLog::repair).
struct RecoveryFailure {
  StorageError error;
  std::string path;  // the segment; empty when the failure is not in one segment
  std::uint64_t offset = 0;
};

Result<RecoveredState, RecoveryFailure> recover_directory(FileSystem& fs, const std::string& dir);

}  // namespace raftio::wal
