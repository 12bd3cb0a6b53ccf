// Recovery: reads every segment of a WAL directory in order, checks headers, sequence and
// checksum chain, cuts a torn tail off the last segment, and replays the records into the log's
// state. Anything else wrong is corruption, reported with the file and byte offset.
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
  std::vector<std::string> discarded;  // segment files to delete: a torn last segment's header
  RecoveryReport report;
};

Result<RecoveredState, StorageError> recover_directory(FileSystem& fs, const std::string& dir);

}  // namespace raftio::wal
