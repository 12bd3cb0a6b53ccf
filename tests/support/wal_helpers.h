// Helpers for the WAL tests: opening logs on a FaultyFileSystem and describing their contents.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "raftio/raftio.h"
#include "raftio/wal/faulty_file_system.h"
#include "raftio/wal/wal_log.h"

namespace raftio::test {

inline constexpr const char* kWalDir = "/wal";

inline std::unique_ptr<wal::WalLog> open_wal(const std::shared_ptr<wal::FaultyFileSystem>& fs,
                                             std::uint64_t segment_bytes = std::uint64_t{64} << 20) {
  auto log = wal::WalLog::open(fs, kWalDir, wal::WalOptions{segment_bytes});
  if (!log) throw std::runtime_error("open_wal: " + log.error().context);
  return std::move(log).value();
}

inline LogEntry entry(Index index, Term term, std::string data) {
  return LogEntry{term, index, EntryKind::Normal, Payload::copy_of(data)};
}

inline StorageStatus append_one(RaftLog& log, Index index, Term term, std::string data) {
  const std::vector<LogEntry> entries{entry(index, term, std::move(data))};
  return log.append(EntryBatch(entries));
}

// Everything a RaftLog holds, for comparisons.
struct LogImage {
  HardState hard_state;
  SnapshotMeta snapshot;
  Index first = 0;
  Index last = 0;
  std::vector<LogEntry> entries;
  friend bool operator==(const LogImage&, const LogImage&) = default;
};

inline LogImage image_of(const RaftLog& log) {
  LogImage image{log.hard_state(), log.snapshot_meta(), log.first_index(), log.last_index(), {}};
  if (image.last >= image.first) (void)log.read(image.first, image.last, image.entries);
  return image;
}

inline std::string segment_path(std::uint64_t sequence) {
  char name[64];
  std::snprintf(name, sizeof name, "%s/%016llx.wal", kWalDir, static_cast<unsigned long long>(sequence));
  return name;
}

}  // namespace raftio::test
