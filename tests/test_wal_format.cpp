// The WAL's on-disk format, pinned byte for byte (docs/PROTOCOL.md, "Golden vectors"), and the
// versions this build reads: it writes version 2 and still reads version 1 segments, rolling a
// directory over to a version 2 segment the first time it opens it.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "support/wal_disk.h"
#include "support/wal_golden.h"
#include "wal/src/wal_format.h"

namespace raftio::test {
namespace {

using wal::FaultyFileSystem;

std::string to_hex(const std::vector<std::byte>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (std::byte b : bytes) {
    hex += digits[static_cast<unsigned>(b) >> 4];
    hex += digits[static_cast<unsigned>(b) & 15];
  }
  return hex;
}

// The golden log: entries 1 "a" and 2 "bc" in term 1, hard state {1, 1, 1}, synced; then entry 2
// truncated and rewritten as "x" in term 2, hard state {2, 1, 2}, synced.
void write_golden_log(RaftLog& log) {
  const std::vector<LogEntry> first{entry(1, 1, "a"), entry(2, 1, "bc")};
  ASSERT_TRUE(log.append(EntryBatch(first)).ok());
  ASSERT_TRUE(log.set_hard_state(HardState{1, 1, 1}).ok());
  ASSERT_TRUE(log.sync().ok());
  ASSERT_TRUE(log.truncate_suffix(2).ok());
  ASSERT_TRUE(append_one(log, 2, 2, "x").ok());
  ASSERT_TRUE(log.set_hard_state(HardState{2, 1, 2}).ok());
  ASSERT_TRUE(log.sync().ok());
}

const std::string kGoldenV2 =
    "5246494f57414c310200000000000000010000000000000001000000000000000000000000000000a681f09d2dbec7cd"
    "ab60ae9ab6360458bd59872652b1afe418000000040000000000000000000000000000000000000000000000001f396c"
    "078691415e8e5f7e986bf5c23018000000020000000000000000000000000000000000000000000000006813a74bf902"
    "6f2200f0e2849e3935052900000001010000000000000002000000010000000000000000010000006101000000000000"
    "00000200000062633e563d2d35bfd8006b834a7d0b6511bd180000000201000000000000000100000000000000010000"
    "0000000000cb71dbeac2dc7ff514f3c6ba1ac7055008000000030200000000000000c400955e078c023d254c40eda47d"
    "61391a0000000102000000000000000100000002000000000000000001000000788224e02801e33d10b7ebb4fbcca433"
    "f11800000002020000000000000001000000000000000200000000000000";


const LogImage kGoldenImage{HardState{2, 1, 2}, SnapshotMeta{}, 1, 2, {entry(1, 1, "a"), entry(2, 2, "x")}};

TEST(WalFormat, Version2GoldenSegmentIsWhatThisBuildWrites) {
  auto fs = std::make_shared<FaultyFileSystem>();
  write_golden_log(*open_wal(fs));
  EXPECT_EQ(to_hex(*fs->contents(segment_path(1))), kGoldenV2);
  auto log = open_wal(fs);
  EXPECT_EQ(image_of(*log), kGoldenImage);
  EXPECT_EQ(log->recovery().records, 7u) << "checkpoint (2), entries, hard state, truncate, entries, hard state";
}

// docs/PROTOCOL.md ("WAL golden vectors") shows the same bytes.
TEST(WalFormat, ProtocolMdShowsTheVersion2GoldenSegment) {
  std::ifstream in(std::string(RAFTIO_SOURCE_ROOT) + "/docs/PROTOCOL.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string intro = "version 2 (366 bytes):\n\n```\n";
  const std::size_t start = doc.find(intro);
  ASSERT_NE(start, std::string::npos) << "docs/PROTOCOL.md has no version 2 golden segment";
  const std::size_t end = doc.find("```", start + intro.size());
  std::string shown = doc.substr(start + intro.size(), end - start - intro.size());
  shown.erase(std::remove(shown.begin(), shown.end(), '\n'), shown.end());
  EXPECT_EQ(shown, kGoldenV2);
}

TEST(WalFormat, Version1SegmentIsReadAndNewRecordsGoToAVersion2Segment) {
  auto fs = std::make_shared<FaultyFileSystem>();
  const auto v1 = from_hex(kGoldenWalV1);
  ASSERT_EQ(v1.size(), 310u);
  fs->put_file(segment_path(1), v1);
  {
    auto log = open_wal(fs);
    EXPECT_EQ(image_of(*log), kGoldenImage);
    EXPECT_EQ(log->segment_count(), 2u) << "a version 2 segment was started";
    ASSERT_TRUE(append_one(*log, 3, 2, "after the upgrade").ok());
    ASSERT_TRUE(log->sync().ok());
  }
  EXPECT_EQ(*fs->contents(segment_path(1)), v1) << "a version 1 segment is never written to";
  const auto v2 = *fs->contents(segment_path(2));
  EXPECT_EQ(load_le(v2, 8, 4), 2u) << "version field of the new segment";
  fs->crash();
  auto log = open_wal(fs);
  EXPECT_EQ(log->last_index(), 3u);
  EXPECT_EQ(log->hard_state(), (HardState{2, 1, 2}));
  EXPECT_TRUE(log->recovery().torn_tail.empty());
}

TEST(WalFormat, Version1TornTailIsCutBeforeTheLogRollsToVersion2) {
  auto fs = std::make_shared<FaultyFileSystem>();
  auto v1 = from_hex(kGoldenWalV1);
  v1.resize(v1.size() - 5);  // the last hard state record, torn
  fs->put_file(segment_path(1), v1);
  auto log = open_wal(fs);
  EXPECT_EQ(log->hard_state(), (HardState{1, 1, 1}));
  EXPECT_EQ(log->last_index(), 2u);
  EXPECT_EQ(log->recovery().torn_bytes_cut, 13u + 24u - 5u);
  EXPECT_EQ(fs->contents(segment_path(1))->size(), v1.size() - (13 + 24 - 5)) << "the cut was made";
  EXPECT_EQ(log->segment_count(), 2u);
}

// Version 1 has no header check, which is why version 2 exists: there, one flip can still pass for
// a torn write, but only one kind, pinned here. A flip that pushes the length of the LAST record
// past the end of the file drops that record; every other header flip is reported (a length
// pushed past the end of the file by a record in the middle is caught by the record chained to it).
TEST(WalFormat, Version1HeaderFlipsAreReportedExceptALengthPushedPastTheEndOfTheLastRecord) {
  const Disk disk{{segment_path(1), from_hex(kGoldenWalV1)}};
  const auto records = record_offsets(disk.at(segment_path(1)), kLayoutV1);
  ASSERT_EQ(records.size(), 7u);
  const std::size_t last = records.back();
  const std::uint64_t last_length = load_le(disk.at(segment_path(1)), last + kLayoutV1.length_at, 4);
  std::size_t reported = 0;
  std::size_t dropped_last = 0;
  for (std::size_t record : records) {
    for (std::size_t bit = 0; bit < kLayoutV1.header_bytes * 8; ++bit) {
      Disk damaged = disk;
      damaged[segment_path(1)][record + bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
      auto fs = fs_of(damaged);
      auto log = wal::WalLog::open(fs, kWalDir);
      const std::size_t length_bit = bit - kLayoutV1.length_at * 8;
      const bool pushes_last_length_past_the_end = record == last && bit >= kLayoutV1.length_at * 8 &&
                                                   bit < (kLayoutV1.length_at + 4) * 8 &&
                                                   (last_length >> length_bit & 1) == 0;
      if (pushes_last_length_past_the_end) {
        ASSERT_TRUE(log.ok()) << "bit " << bit << ": " << log.error().context;
        EXPECT_EQ(log.value()->hard_state(), (HardState{1, 1, 1})) << "bit " << bit << ": only the last record is lost";
        ++dropped_last;
        continue;
      }
      ASSERT_FALSE(log.ok()) << "record at byte " << record << ", bit " << bit << ": recovered "
                             << describe(image_of(*log.value()));
      ASSERT_EQ(log.error().code, StorageError::Code::Corruption);
      ASSERT_EQ(*fs->contents(segment_path(1)), damaged[segment_path(1)]) << "a refused segment was changed";
      ++reported;
    }
  }
  EXPECT_EQ(dropped_last, 30u) << "the 30 zero bits of the last record's length (24)";
  EXPECT_EQ(reported + dropped_last, records.size() * kLayoutV1.header_bytes * 8);
}

TEST(WalFormat, UnknownVersionIsCorruptionNamingTheVersion) {
  auto bytes = from_hex(kGoldenV2);
  store_le(bytes, 8, 3, 4);
  store_le(bytes, 40, wal::format::header_checksum(bytes.data()), 8);
  auto fs = std::make_shared<FaultyFileSystem>();
  fs->put_file(segment_path(1), bytes);
  auto log = wal::WalLog::open(fs, kWalDir);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, StorageError::Code::Corruption);
  EXPECT_EQ(log.error().context,
            "WAL segment " + segment_path(1) + ": unsupported format version 3 (this build reads 1 to 2) at byte 8");
}

// A last segment whose bytes are all zero (its size reached the disk, its data never did) holds
// nothing: it is deleted, like one shorter than its header.
TEST(WalFormat, AllZeroLastSegmentIsDiscarded) {
  const RichLog written = rich_log();
  for (std::size_t size : {std::size_t{10}, std::size_t{48}, std::size_t{4096}}) {
    auto fs = fs_of(written.disk);
    fs->put_file(segment_path(3), std::vector<std::byte>(size));
    auto log = wal::WalLog::open(fs, kWalDir, wal::WalOptions{kRichSegmentBytes});
    ASSERT_TRUE(log.ok()) << size << ": " << log.error().context;
    EXPECT_EQ(image_of(*log.value()), written.truth);
    EXPECT_FALSE(fs->contents(segment_path(3)).has_value());
    EXPECT_NE(log.value()->recovery().torn_tail.find("never written"), std::string::npos)
        << log.value()->recovery().torn_tail;
  }
}

}  // namespace
}  // namespace raftio::test
