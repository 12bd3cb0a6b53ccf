// Helpers for the WAL corruption and repair tests: a WAL directory as bytes, record offsets read
// with the documented layout, and a log whose last segment holds records of every kind.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/wal_helpers.h"

namespace raftio::test {

// The record layouts of docs/PROTOCOL.md ("Records"): header bytes and where the length lies.
struct DocumentedLayout {
  std::size_t header_bytes;
  std::size_t length_at;
};
inline constexpr DocumentedLayout kLayoutV1{13, 8};
inline constexpr DocumentedLayout kLayoutV2{21, 16};
inline constexpr std::size_t kSegmentHeaderBytes = 48;
inline constexpr std::uint64_t kRichSegmentBytes = 4096;

inline std::uint64_t load_le(const std::vector<std::byte>& bytes, std::size_t at, int width) {
  std::uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = v << 8 | static_cast<std::uint64_t>(bytes[at + static_cast<std::size_t>(i)]);
  return v;
}

inline void store_le(std::vector<std::byte>& bytes, std::size_t at, std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) bytes[at + static_cast<std::size_t>(i)] = static_cast<std::byte>(v >> (8 * i));
}

// The offsets of the records of a whole segment.
inline std::vector<std::size_t> record_offsets(const std::vector<std::byte>& segment, DocumentedLayout layout = kLayoutV2) {
  std::vector<std::size_t> offsets;
  std::size_t at = kSegmentHeaderBytes;
  while (at + layout.header_bytes <= segment.size()) {
    offsets.push_back(at);
    at += layout.header_bytes + static_cast<std::size_t>(load_le(segment, at + layout.length_at, 4));
  }
  EXPECT_EQ(at, segment.size()) << "a synced segment ends at a record boundary";
  return offsets;
}

// A directory of segment files, as bytes.
using Disk = std::map<std::string, std::vector<std::byte>>;

inline Disk disk_of(const wal::FaultyFileSystem& fs) {
  Disk disk;
  for (std::uint64_t s = 1; fs.contents(segment_path(s)); ++s) disk[segment_path(s)] = *fs.contents(segment_path(s));
  return disk;
}

inline std::shared_ptr<wal::FaultyFileSystem> fs_of(const Disk& disk, std::uint64_t seed = 1) {
  auto fs = std::make_shared<wal::FaultyFileSystem>(seed);
  for (const auto& [path, bytes] : disk) fs->put_file(path, bytes);
  return fs;
}

// Writes, synced, a log of two segments whose last one holds records of every kind and many
// sizes: entries of 0 to 300 bytes, single and batched, hard states, a truncation and a snapshot
// mark. Returns the index the next entry would take.
inline Index write_rich_log(wal::WalLog& log) {
  Index next = 1;
  while (log.segment_count() < 2) {
    EXPECT_TRUE(append_one(log, next, 1, std::string(60, 'e')).ok());
    ++next;
    EXPECT_TRUE(log.sync().ok());
  }
  auto sync = [&] { EXPECT_TRUE(log.sync().ok()); };
  EXPECT_TRUE(log.set_hard_state(HardState{2, 1, next - 1}).ok());
  sync();
  EXPECT_TRUE(append_one(log, next++, 2, "").ok());
  sync();
  const std::vector<LogEntry> batch{entry(next, 2, "b"), entry(next + 1, 2, std::string(17, 'c')),
                                    entry(next + 2, 2, std::string(200, 'd'))};
  EXPECT_TRUE(log.append(EntryBatch(batch)).ok());
  next += 3;
  EXPECT_TRUE(log.set_hard_state(HardState{2, 1, next - 3}).ok());
  sync();  // two records under one fdatasync
  EXPECT_TRUE(log.truncate_suffix(next - 2).ok());
  next -= 2;
  EXPECT_TRUE(log.set_hard_state(HardState{3, 2, next - 3}).ok());
  EXPECT_TRUE(append_one(log, next++, 3, std::string(300, 'f')).ok());
  sync();
  EXPECT_TRUE(log.compact(SnapshotMeta{10, 1, Membership{{1, 2, 3}, {4}}}).ok());
  EXPECT_TRUE(append_one(log, next++, 3, "g").ok());
  EXPECT_TRUE(log.set_hard_state(HardState{3, 2, next - 1}).ok());
  sync();
  EXPECT_EQ(log.segment_count(), 2u) << "every record above went to the last segment";
  return next;
}

struct RichLog {
  Disk disk;
  LogImage truth;
  std::string last_segment;
};

inline RichLog rich_log() {
  auto fs = std::make_shared<wal::FaultyFileSystem>(7);
  auto log = open_wal(fs, kRichSegmentBytes);
  write_rich_log(*log);
  return RichLog{disk_of(*fs), image_of(*log), segment_path(2)};
}

// The byte offset a corruption report names ("... at byte N"), or -1.
inline long long reported_offset(const std::string& context) {
  const std::string marker = " at byte ";
  const std::size_t at = context.find(marker);
  if (at == std::string::npos) return -1;
  return std::strtoll(context.c_str() + at + marker.size(), nullptr, 10);
}

inline std::string describe(const LogImage& image) {
  return "term " + std::to_string(image.hard_state.term) + ", vote " + std::to_string(image.hard_state.vote) +
         ", commit " + std::to_string(image.hard_state.commit) + ", entries " + std::to_string(image.first) + ".." +
         std::to_string(image.last) + ", snapshot " + std::to_string(image.snapshot.last_index);
}

}  // namespace raftio::test
