// WalLog: surgery on an in-memory disk, LevelDB-log-test style. One named test per failure mode.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/wal_helpers.h"

namespace raftio::test {
namespace {

using wal::FaultyFileSystem;

// Writes `count` single-entry records, syncing after each, and returns the segment file's size
// after each sync (the byte offset where each record ends).
std::vector<std::size_t> write_records(const std::shared_ptr<FaultyFileSystem>& fs, Index count) {
  auto log = open_wal(fs);
  std::vector<std::size_t> ends;
  for (Index i = 1; i <= count; ++i) {
    EXPECT_TRUE(append_one(*log, i, 1 + i / 50, std::string(i % 23, static_cast<char>('a' + i % 26))).ok());
    EXPECT_TRUE(log->sync().ok());
    ends.push_back(fs->contents(segment_path(1))->size());
  }
  return ends;
}

TEST(WalLog, FreshDirectoryStartsEmpty) {
  auto fs = std::make_shared<FaultyFileSystem>();
  auto log = open_wal(fs);
  EXPECT_EQ(log->first_index(), 1u);
  EXPECT_EQ(log->last_index(), 0u);
  EXPECT_EQ(log->hard_state(), HardState{});
  EXPECT_TRUE(fs->contents(segment_path(1)).has_value()) << "the first segment is created at open";
}

TEST(WalLog, SyncedRecordsSurviveACrashAndUnsyncedOnesDoNot) {
  auto fs = std::make_shared<FaultyFileSystem>();
  {
    auto log = open_wal(fs);
    ASSERT_TRUE(append_one(*log, 1, 1, "one").ok());
    ASSERT_TRUE(log->set_hard_state(HardState{1, 2, 1}).ok());
    ASSERT_TRUE(log->sync().ok());
    ASSERT_TRUE(append_one(*log, 2, 1, "two, never synced").ok());
  }
  fs->crash(/*tear_last_write=*/false);
  auto log = open_wal(fs);
  EXPECT_EQ(log->last_index(), 1u);
  EXPECT_EQ(log->hard_state(), (HardState{1, 2, 1}));
  std::vector<LogEntry> out;
  ASSERT_TRUE(log->read(1, 1, out).ok());
  EXPECT_EQ(out[0].data.as_string_view(), "one");
}

TEST(WalLog, OneFdatasyncPerSyncCoversEverythingAppended) {
  auto fs = std::make_shared<FaultyFileSystem>();
  auto log = open_wal(fs);
  const auto calls_before = fs->calls();
  for (Index i = 1; i <= 64; ++i) ASSERT_TRUE(append_one(*log, i, 1, "x").ok());
  ASSERT_TRUE(log->set_hard_state(HardState{1, 1, 0}).ok());
  ASSERT_TRUE(log->sync().ok());
  EXPECT_EQ(fs->calls() - calls_before, 2u) << "one write and one fdatasync";
}

// Exhaustive truncation: cut the log at every byte; recovery yields exactly the records written
// whole before the cut.
TEST(WalLog, TruncationAtEveryByteRecoversExactlyTheWholeRecords) {
  auto source = std::make_shared<FaultyFileSystem>();
  const auto ends = write_records(source, 300);
  const auto full = *source->contents(segment_path(1));
  auto empty = std::make_shared<FaultyFileSystem>();
  open_wal(empty);
  const std::size_t checkpoint_end = empty->contents(segment_path(1))->size();  // header + checkpoint
  for (std::size_t cut = 0; cut <= full.size(); ++cut) {
    auto fs = std::make_shared<FaultyFileSystem>();
    fs->put_file(segment_path(1), std::vector<std::byte>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut)));
    auto log = wal::WalLog::open(fs, kWalDir);
    ASSERT_TRUE(log.ok()) << "cut at " << cut << ": " << log.error().context;
    Index whole = 0;
    while (whole < ends.size() && ends[whole] <= cut) ++whole;
    ASSERT_EQ(log.value()->last_index(), whole) << "cut at " << cut;
    if (whole > 0) {
      std::vector<LogEntry> out;
      ASSERT_TRUE(log.value()->read(whole, whole, out).ok());
      EXPECT_EQ(out[0].data.size(), whole % 23) << "cut at " << cut;
    }
    // Clean ends: after the header, after each checkpoint record (a snapshot mark of 21 + 24
    // bytes, then a hard state), after each entry record.
    const bool clean = cut == 48 || cut == 48 + 45 || cut == checkpoint_end || std::count(ends.begin(), ends.end(), cut) > 0;
    EXPECT_EQ(log.value()->recovery().torn_tail.empty(), clean) << "cut at " << cut << ": " << log.value()->recovery().torn_tail;
  }
}

// Every single-bit flip anywhere in a log whose records were all synced is reported as corruption
// naming the file, and leaves the file as it was: a whole record that fails its checks is damage,
// never a torn tail, so no flip can make recovery drop synced records.
TEST(WalLog, EveryBitFlipOfASyncedSegmentIsReportedAndLeavesItUnchanged) {
  auto source = std::make_shared<FaultyFileSystem>();
  write_records(source, 8);
  const auto full = *source->contents(segment_path(1));
  int refused = 0;
  for (std::size_t bit = 0; bit < full.size() * 8; ++bit) {
    auto bytes = full;
    bytes[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
    auto fs = std::make_shared<FaultyFileSystem>();
    fs->put_file(segment_path(1), bytes);
    auto log = wal::WalLog::open(fs, kWalDir);
    ASSERT_FALSE(log.ok()) << "bit " << bit << " was not detected";
    ASSERT_EQ(log.error().code, StorageError::Code::Corruption) << "bit " << bit;
    ASSERT_NE(log.error().context.find(segment_path(1) + ": "), std::string::npos) << log.error().context;
    ASSERT_NE(log.error().context.find(" at byte "), std::string::npos) << log.error().context;
    ASSERT_EQ(*fs->contents(segment_path(1)), bytes) << "bit " << bit << ": a refused segment was changed";
    ++refused;
  }
  EXPECT_EQ(refused, static_cast<int>(full.size() * 8));
}

TEST(WalLog, TornTailIsCutAndTheLogGoesOn) {
  auto fs = std::make_shared<FaultyFileSystem>();
  write_records(fs, 10);
  auto bytes = *fs->contents(segment_path(1));
  bytes.resize(bytes.size() - 5);
  fs->put_file(segment_path(1), bytes);
  {
    auto log = open_wal(fs);
    EXPECT_EQ(log->last_index(), 9u);
    EXPECT_GT(log->recovery().torn_bytes_cut, 0u);
    EXPECT_NE(log->recovery().torn_tail.find("incomplete record"), std::string::npos) << log->recovery().torn_tail;
    ASSERT_TRUE(append_one(*log, 10, 1, "again").ok());
    ASSERT_TRUE(log->sync().ok());
  }
  auto log = open_wal(fs);
  EXPECT_EQ(log->last_index(), 10u);
  EXPECT_TRUE(log->recovery().torn_tail.empty()) << "the cut was made durable";
}

TEST(WalLog, DamagedRecordFollowedByAValidOneIsCorruptionNamingFileAndOffset) {
  auto fs = std::make_shared<FaultyFileSystem>();
  write_records(fs, 10);
  ASSERT_TRUE(fs->corrupt(segment_path(1), 200, 0x40));
  auto log = wal::WalLog::open(fs, kWalDir);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, StorageError::Code::Corruption);
  EXPECT_NE(log.error().context.find(segment_path(1)), std::string::npos) << log.error().context;
  EXPECT_NE(log.error().context.find("checksum mismatch at byte"), std::string::npos) << log.error().context;
}

// Segments: a tiny segment size makes many.
std::shared_ptr<FaultyFileSystem> many_segments(Index entries, std::size_t* segments = nullptr, char fill = 'p') {
  auto fs = std::make_shared<FaultyFileSystem>();
  auto log = open_wal(fs, 400);
  for (Index i = 1; i <= entries; ++i) {
    EXPECT_TRUE(append_one(*log, i, 1, std::string(40, fill)).ok());
    EXPECT_TRUE(log->sync().ok());
  }
  if (segments != nullptr) *segments = log->segment_count();
  return fs;
}

TEST(WalLog, SegmentsRollOverAndRecoverInOrder) {
  std::size_t segments = 0;
  auto fs = many_segments(60, &segments);
  EXPECT_GT(segments, 5u);
  auto log = open_wal(fs, 400);
  EXPECT_EQ(log->last_index(), 60u);
  EXPECT_EQ(log->recovery().segments, segments);
}

TEST(WalLog, MissingSegmentIsCorruption) {
  auto fs = many_segments(60);
  ASSERT_TRUE(fs->remove(segment_path(3)).ok());
  auto log = wal::WalLog::open(fs, kWalDir);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().context.find("segment 3 is missing"), std::string::npos) << log.error().context;
}

TEST(WalLog, StaleSegmentBreaksTheChecksumChain) {
  auto fs = many_segments(60);
  auto other = many_segments(60, nullptr, 'q');  // another history, with segments of the same numbers
  fs->put_file(segment_path(4), *other->contents(segment_path(4)));
  auto log = wal::WalLog::open(fs, kWalDir);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, StorageError::Code::Corruption);
  EXPECT_NE(log.error().context.find(segment_path(4)), std::string::npos) << log.error().context;
}

TEST(WalLog, TornRecordInAnEarlierSegmentIsCorruption) {
  auto fs = many_segments(60);
  auto bytes = *fs->contents(segment_path(2));
  bytes.resize(bytes.size() - 3);
  fs->put_file(segment_path(2), bytes);
  auto log = wal::WalLog::open(fs, kWalDir);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().context.find(segment_path(2)), std::string::npos) << log.error().context;
}

// Compaction deletes whole segments below the snapshot, after the snapshot mark is durable; the
// first index and the snapshot metadata survive a restart.
TEST(WalLog, CompactionDeletesWholeSegmentsBelowTheSnapshot) {
  std::size_t before = 0;
  auto fs = many_segments(60, &before);
  const SnapshotMeta meta{45, 1, Membership{{1, 2, 3}, {}}};
  {
    auto log = open_wal(fs, 400);
    ASSERT_TRUE(log->compact(meta).ok());
    const std::size_t with_mark = log->segment_count();  // the mark may have started a new segment
    EXPECT_GE(with_mark, before) << "nothing is deleted before the mark is durable";
    EXPECT_TRUE(fs->contents(segment_path(1)).has_value());
    ASSERT_TRUE(log->sync().ok());
    EXPECT_LT(log->segment_count(), with_mark);
    EXPECT_FALSE(fs->contents(segment_path(1)).has_value());
  }
  fs->crash();
  auto log = open_wal(fs, 400);
  EXPECT_EQ(log->first_index(), 46u);
  EXPECT_EQ(log->last_index(), 60u);
  EXPECT_EQ(log->snapshot_meta(), meta);
  std::vector<LogEntry> out;
  ASSERT_TRUE(log->read(46, 60, out).ok());
  EXPECT_EQ(out.front().index, 46u);
}

TEST(WalLog, TruncateSuffixAndHardStateReplay) {
  auto fs = std::make_shared<FaultyFileSystem>();
  {
    auto log = open_wal(fs);
    for (Index i = 1; i <= 5; ++i) ASSERT_TRUE(append_one(*log, i, 1, "old").ok());
    ASSERT_TRUE(log->truncate_suffix(3).ok());
    ASSERT_TRUE(append_one(*log, 3, 2, "new").ok());
    ASSERT_TRUE(log->set_hard_state(HardState{2, 3, 2}).ok());
    ASSERT_TRUE(log->sync().ok());
  }
  auto log = open_wal(fs);
  EXPECT_EQ(log->last_index(), 3u);
  EXPECT_EQ(log->hard_state(), (HardState{2, 3, 2}));
  std::vector<LogEntry> out;
  ASSERT_TRUE(log->read(3, 3, out).ok());
  EXPECT_EQ(out[0].term, 2u);
  EXPECT_EQ(out[0].data.as_string_view(), "new");
}

TEST(WalLog, MisuseIsRefusedWithoutWritingAnything) {
  auto fs = std::make_shared<FaultyFileSystem>();
  auto log = open_wal(fs);
  EXPECT_EQ(append_one(*log, 5, 1, "gap").error().code, StorageError::Code::Misuse);
  EXPECT_EQ(log->truncate_suffix(9).error().code, StorageError::Code::Misuse);
  ASSERT_TRUE(log->sync().ok());
  EXPECT_FALSE(log->failure().has_value());
  EXPECT_EQ(open_wal(fs)->last_index(), 0u);
}

// EIO and ENOSPC come back typed, with context; a failed write leaves the synced records intact
// and the log refuses further writes until it is reopened.
TEST(WalLog, FailedWriteKeepsSyncedRecordsAndStopsTheLog) {
  auto fs = std::make_shared<FaultyFileSystem>();
  auto log = open_wal(fs);
  ASSERT_TRUE(append_one(*log, 1, 1, "safe").ok());
  ASSERT_TRUE(log->sync().ok());
  ASSERT_TRUE(append_one(*log, 2, 1, "doomed").ok());
  fs->fail_next(FaultyFileSystem::Op::Append, StorageError::Code::NoSpace);
  auto status = log->sync();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, StorageError::Code::NoSpace);
  EXPECT_NE(status.error().context.find("No space left"), std::string::npos) << status.error().context;
  EXPECT_FALSE(append_one(*log, 3, 1, "refused").ok()) << "a failed log stays failed";
  log.reset();
  auto reopened = open_wal(fs);
  EXPECT_EQ(reopened->last_index(), 1u);
}

TEST(WalLog, FailedFdatasyncIsAnIoError) {
  auto fs = std::make_shared<FaultyFileSystem>();
  auto log = open_wal(fs);
  ASSERT_TRUE(append_one(*log, 1, 1, "x").ok());
  fs->fail_next(FaultyFileSystem::Op::Sync, StorageError::Code::Io);
  auto status = log->sync();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, StorageError::Code::Io);
  EXPECT_TRUE(log->failure().has_value());
}

// Snapshot data: atomically replaced, and a crash in the middle of a save keeps the old one.
TEST(WalLog, SnapshotFilesAreReplacedAtomically) {
  auto fs = std::make_shared<FaultyFileSystem>();
  const Snapshot first{10, 2, Membership{{1, 2, 3}, {}}, Payload::copy_of("state at 10")};
  const Snapshot second{20, 3, Membership{{1, 2, 3}, {4}}, Payload::copy_of("state at 20")};
  {
    auto log = open_wal(fs);
    ASSERT_TRUE(log->save_snapshot(first).ok());
    fs->fail_next(FaultyFileSystem::Op::Rename, StorageError::Code::Io);
    EXPECT_FALSE(log->save_snapshot(second).ok());
  }
  fs->crash();
  {
    auto log = open_wal(fs);
    auto loaded = log->load_snapshot();
    ASSERT_TRUE(loaded.ok());
    ASSERT_TRUE(loaded.value().has_value());
    EXPECT_EQ(*loaded.value(), first);
    ASSERT_TRUE(log->save_snapshot(second).ok());
  }
  fs->crash();
  auto log = open_wal(fs);
  auto loaded = log->load_snapshot();
  ASSERT_TRUE(loaded.ok() && loaded.value().has_value());
  EXPECT_EQ(*loaded.value(), second);
}

}  // namespace
}  // namespace raftio::test

namespace raftio::test {
namespace {

// The real file system: the same log written, torn by hand, reopened, in a temporary directory.
TEST(PosixFileSystem, WalLogRoundTripsOnARealDisk) {
  char dir_template[] = "/tmp/raftio-wal-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = std::string(dir_template) + "/log";
  auto fs = std::make_shared<wal::PosixFileSystem>();
  {
    auto log = wal::WalLog::open(fs, dir, wal::WalOptions{512});
    ASSERT_TRUE(log.ok()) << log.error().context;
    for (Index i = 1; i <= 40; ++i) {
      ASSERT_TRUE(append_one(*log.value(), i, 2, std::string(30, 'd')).ok());
      ASSERT_TRUE(log.value()->sync().ok());
    }
    ASSERT_TRUE(log.value()->set_hard_state(HardState{2, 1, 40}).ok());
    ASSERT_TRUE(log.value()->compact(SnapshotMeta{10, 2, Membership{{1}, {}}}).ok());
    ASSERT_TRUE(log.value()->sync().ok());
    ASSERT_TRUE(log.value()->save_snapshot(Snapshot{10, 2, Membership{{1}, {}}, Payload::copy_of("ten")}).ok());
    EXPECT_GT(log.value()->segment_count(), 1u);
  }
  auto names = fs->list(dir);
  ASSERT_TRUE(names.ok());
  const std::string last_segment = dir + "/" + names.value()[names.value().size() - 2];  // before the snapshot file
  {
    auto file = fs->open_append(last_segment);
    ASSERT_TRUE(file.ok());
    const std::byte garbage[7] = {};
    ASSERT_TRUE(file.value()->append(garbage).ok());  // a torn write at the end
  }
  auto log = wal::WalLog::open(fs, dir, wal::WalOptions{512});
  ASSERT_TRUE(log.ok()) << log.error().context;
  EXPECT_EQ(log.value()->first_index(), 11u);
  EXPECT_EQ(log.value()->last_index(), 40u);
  EXPECT_EQ(log.value()->hard_state(), (HardState{2, 1, 40}));
  EXPECT_EQ(log.value()->recovery().torn_bytes_cut, 7u);
  auto snapshot = log.value()->load_snapshot();
  ASSERT_TRUE(snapshot.ok() && snapshot.value().has_value());
  EXPECT_EQ(snapshot.value()->data.as_string_view(), "ten");
  log.value().reset();
  ASSERT_TRUE(fs->rename(dir, dir + "-moved").ok());
  EXPECT_FALSE(fs->list(dir).ok()) << "an error for a missing directory, not a crash";
  for (const std::string& name : fs->list(dir + "-moved").value()) ASSERT_TRUE(fs->remove(dir + "-moved/" + name).ok());
  EXPECT_TRUE(fs->sync_dir(dir + "-moved").ok());
  EXPECT_EQ(fs->remove(dir + "-moved/nothing").error().code, StorageError::Code::Io);
}

}  // namespace
}  // namespace raftio::test
