// WAL recovery: telling a torn final write from damage (issue #11, item 6; docs/PROTOCOL.md,
// "Torn tail versus corruption"). The proof is exhaustive over a real multi-record last segment:
// every bit of every record header, flipped one at a time, either leaves every synced record
// intact or is reported as corruption naming the file and a byte offset, with the file left as
// it was. Genuine torn tails, at every cut point of the last unsynced write, still recover every
// synced record.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "support/wal_disk.h"
#include "wal/src/wal_format.h"

namespace raftio::test {
namespace {

using wal::FaultyFileSystem;

// What recovery of a damaged disk did.
struct Outcome {
  enum Kind { Intact, Reported, Wrong } kind;
  std::string problem;  // for Wrong: what went wrong
};

// Recovers `disk`. Intact: every synced record came back. Reported: Corruption naming
// `damaged_path` and a byte offset inside it, with the disk unchanged. Anything else is Wrong: a
// synced record lost silently, a vague report, or a refused disk that was changed anyway.
Outcome recover_damaged(const Disk& disk, const std::string& damaged_path, const LogImage& truth) {
  auto fs = fs_of(disk);
  auto log = wal::WalLog::open(fs, kWalDir, wal::WalOptions{kRichSegmentBytes});
  if (log.ok()) {
    const LogImage recovered = image_of(*log.value());
    if (recovered == truth) return {Outcome::Intact, {}};
    return {Outcome::Wrong, "synced records lost silently: recovered " + describe(recovered) + " instead of " +
                                describe(truth) + " (" + log.value()->recovery().torn_tail + ")"};
  }
  const std::string& context = log.error().context;
  const long long offset = reported_offset(context);
  if (log.error().code != StorageError::Code::Corruption || context.find(damaged_path + ": ") == std::string::npos ||
      offset < 0 || offset >= static_cast<long long>(disk.at(damaged_path).size())) {
    return {Outcome::Wrong, "a refusal that does not name the file and an offset: " + context};
  }
  for (const auto& [path, bytes] : disk) {
    if (*fs->contents(path) != bytes) return {Outcome::Wrong, "refused, but " + path + " was changed: " + context};
  }
  return {Outcome::Reported, {}};
}

// Flips every bit of every record header of `segment_path` in `disk`, one at a time, and
// recovers each. Returns the number of flips; fails the test on any Wrong outcome.
struct FlipCounts {
  std::size_t flips = 0;
  std::size_t reported = 0;
  std::vector<std::string> wrong;
};

FlipCounts flip_every_header_bit(const Disk& disk, const std::string& segment_path, const LogImage& truth,
                                 DocumentedLayout layout) {
  FlipCounts counts;
  for (std::size_t record : record_offsets(disk.at(segment_path), layout)) {
    for (std::size_t bit = 0; bit < layout.header_bytes * 8; ++bit) {
      Disk damaged = disk;
      damaged[segment_path][record + bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
      const Outcome outcome = recover_damaged(damaged, segment_path, truth);
      ++counts.flips;
      if (outcome.kind == Outcome::Reported) ++counts.reported;
      if (outcome.kind == Outcome::Wrong) {
        counts.wrong.push_back("record at byte " + std::to_string(record) + ", header bit " + std::to_string(bit) +
                               ": " + outcome.problem);
      }
    }
  }
  return counts;
}

TEST(WalCorruption, EveryHeaderBitFlipOfTheLastSegmentKeepsEverySyncedRecordOrIsReported) {
  const RichLog written = rich_log();
  const std::size_t records = record_offsets(written.disk.at(written.last_segment)).size();
  ASSERT_GE(records, 10u);
  const FlipCounts counts = flip_every_header_bit(written.disk, written.last_segment, written.truth, kLayoutV2);
  std::printf("[ flips    ] %zu header bits of %zu records: %zu reported as corruption, %zu wrong\n", counts.flips,
              records, counts.reported, counts.wrong.size());
  for (std::size_t i = 0; i < counts.wrong.size() && i < 5; ++i) ADD_FAILURE() << counts.wrong[i];
  EXPECT_TRUE(counts.wrong.empty()) << counts.wrong.size() << " of " << counts.flips << " flips went wrong";
  EXPECT_EQ(counts.flips, records * kLayoutV2.header_bytes * 8);
  // Every header byte is covered by the header check, so not one flip goes unnoticed.
  EXPECT_EQ(counts.reported, counts.flips);
}

// The two reports, one flip each: the length of the last record pushed past the end of
// the file (which looked exactly like a torn write), and a byte near the start of the segment
// (which removed the whole log).
TEST(WalCorruption, LengthOfTheLastRecordFlippedPastTheEndIsCorruptionNotATornTail) {
  const RichLog written = rich_log();
  Disk damaged = written.disk;
  auto& segment = damaged[written.last_segment];
  const std::size_t last = record_offsets(segment).back();
  segment[last + kLayoutV2.length_at + 3] ^= std::byte{0x80};
  auto log = wal::WalLog::open(fs_of(damaged), kWalDir, wal::WalOptions{kRichSegmentBytes});
  ASSERT_FALSE(log.ok()) << "recovered " << describe(image_of(*log.value()));
  EXPECT_EQ(log.error().context, "WAL segment " + written.last_segment + ": record header checksum mismatch at byte " +
                                     std::to_string(last) + " (its chain, length or kind field is damaged)");
}

TEST(WalCorruption, ByteFlippedNearTheStartOfTheLastSegmentDoesNotDropTheLog) {
  const RichLog written = rich_log();
  Disk damaged = written.disk;
  damaged[written.last_segment][kSegmentHeaderBytes + 3] ^= std::byte{0xff};
  const Outcome outcome = recover_damaged(damaged, written.last_segment, written.truth);
  EXPECT_EQ(outcome.kind, Outcome::Reported) << outcome.problem;
}

// --- genuine torn tails ---

// The last write, never synced: records of several kinds appended after the rich log.
std::vector<std::function<StorageStatus(wal::WalLog&)>> last_write(Index next) {
  return {
      [=](wal::WalLog& log) { return append_one(log, next, 3, std::string(40, 'u')); },
      [=](wal::WalLog& log) { return log.set_hard_state(HardState{4, 1, next - 1}); },
      [=](wal::WalLog& log) {
        const std::vector<LogEntry> batch{entry(next + 1, 4, ""), entry(next + 2, 4, "vwxyz"),
                                          entry(next + 3, 4, std::string(120, 'w'))};
        return log.append(EntryBatch(batch));
      },
      [=](wal::WalLog& log) { return log.truncate_suffix(next + 3); },
      [=](wal::WalLog& log) { return append_one(log, next + 3, 4, std::string(9, 'x')); },
  };
}

// The rich log, synced, followed by the last write's records appended but not synced; and the
// log image after each of those records (index 0: the synced state).
struct UnsyncedTail {
  std::shared_ptr<FaultyFileSystem> fs;
  std::unique_ptr<wal::WalLog> log;  // still open, its last write not synced
  std::vector<LogImage> images;      // images[j]: after the first j records of the last write
  std::vector<std::size_t> ends;     // ends[j]: segment size after the first j records
};

UnsyncedTail write_unsynced_tail(std::uint64_t seed) {
  UnsyncedTail tail;
  tail.fs = std::make_shared<FaultyFileSystem>(seed);
  tail.log = open_wal(tail.fs, kRichSegmentBytes);
  const Index next = write_rich_log(*tail.log);
  const auto ops = last_write(next);
  // The images: the same records on a copy of the synced disk, synced one by one.
  auto copy = fs_of(disk_of(*tail.fs));
  auto model = open_wal(copy, kRichSegmentBytes);
  tail.images.push_back(image_of(*model));
  tail.ends.push_back(copy->contents(segment_path(2))->size());
  for (const auto& op : ops) {
    EXPECT_TRUE(op(*model).ok());
    EXPECT_TRUE(model->sync().ok());
    tail.images.push_back(image_of(*model));
    tail.ends.push_back(copy->contents(segment_path(2))->size());
  }
  EXPECT_EQ(model->segment_count(), 2u) << "the last write stays in the last segment";
  for (const auto& op : ops) EXPECT_TRUE(op(*tail.log).ok());
  return tail;
}

// Every cut point of the last write: the synced records and then any prefix of the write's bytes,
// as FaultyFileSystem::crash(true) leaves them. Recovery succeeds with exactly the records written
// whole, reports a torn tail unless the cut fell between records, and the reopened log is clean.
TEST(WalCorruption, EveryCutOfTheLastUnsyncedWriteRecoversEverySyncedRecord) {
  UnsyncedTail tail = write_unsynced_tail(1);
  const Disk synced = disk_of(*tail.fs);  // the last write is still in the log's buffer
  tail.fs->fail_next(FaultyFileSystem::Op::Sync, StorageError::Code::Io);
  ASSERT_FALSE(tail.log->sync().ok());  // writes the records; only their fdatasync fails
  const auto written = *tail.fs->contents(segment_path(2));
  ASSERT_EQ(written.size(), tail.ends.back()) << "the model wrote the same bytes";
  std::size_t cuts = 0;
  for (std::size_t cut = tail.ends.front(); cut <= written.size(); ++cut) {
    Disk disk = synced;
    disk[segment_path(2)].assign(written.begin(), written.begin() + static_cast<std::ptrdiff_t>(cut));
    auto fs = fs_of(disk);
    auto log = wal::WalLog::open(fs, kWalDir, wal::WalOptions{kRichSegmentBytes});
    ASSERT_TRUE(log.ok()) << "cut at " << cut << ": " << log.error().context;
    std::size_t whole = 0;
    while (whole + 1 < tail.ends.size() && tail.ends[whole + 1] <= cut) ++whole;
    ASSERT_EQ(image_of(*log.value()), tail.images[whole]) << "cut at " << cut;
    const bool between_records = tail.ends[whole] == cut;
    ASSERT_EQ(log.value()->recovery().torn_tail.empty(), between_records) << "cut at " << cut << ": "
                                                                           << log.value()->recovery().torn_tail;
    log.value().reset();
    auto again = wal::WalLog::open(fs, kWalDir, wal::WalOptions{kRichSegmentBytes});
    ASSERT_TRUE(again.ok() && again.value()->recovery().torn_tail.empty()) << "cut at " << cut;
    ++cuts;
  }
  EXPECT_EQ(cuts, tail.ends.back() - tail.ends.front() + 1);
}

// FaultyFileSystem's own crash with tearing keeps a random prefix of the unsynced bytes; over many
// seeds recovery always succeeds with the synced records and whole records after them.
TEST(WalCorruption, CrashesThatTearTheLastWriteRecoverEverySyncedRecord) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    UnsyncedTail tail = write_unsynced_tail(seed);
    tail.fs->crash(/*tear_last_write=*/true);
    tail.log.reset();
    auto log = wal::WalLog::open(tail.fs, kWalDir, wal::WalOptions{kRichSegmentBytes});
    ASSERT_TRUE(log.ok()) << "seed " << seed << ": " << log.error().context;
    const LogImage recovered = image_of(*log.value());
    ASSERT_NE(std::find(tail.images.begin(), tail.images.end(), recovered), tail.images.end())
        << "seed " << seed << ": recovered " << describe(recovered);
  }
}

// A write that fails part-way (EIO, ENOSPC) may leave a prefix of its bytes: reopening without a
// crash sees them, and they are a torn tail, not corruption.
TEST(WalCorruption, PartialWriteOfAFailedAppendIsATornTail) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    UnsyncedTail tail = write_unsynced_tail(seed);
    tail.fs->fail_next(FaultyFileSystem::Op::Append, StorageError::Code::NoSpace);
    ASSERT_FALSE(tail.log->sync().ok());
    tail.log.reset();
    auto log = wal::WalLog::open(tail.fs, kWalDir, wal::WalOptions{kRichSegmentBytes});
    ASSERT_TRUE(log.ok()) << "seed " << seed << ": " << log.error().context;
    const LogImage recovered = image_of(*log.value());
    ASSERT_NE(std::find(tail.images.begin(), tail.images.end(), recovered), tail.images.end())
        << "seed " << seed << ": recovered " << describe(recovered);
  }
}

// A file system may make the file's new size durable before its data: the tail reads as zeros.
// Zero bytes from a record boundary to the end are a torn tail (no record is all zeros)...
TEST(WalCorruption, ZeroBytesFromARecordBoundaryToTheEndAreATornTail) {
  const RichLog written = rich_log();
  for (std::size_t zeros : {1, 20, 21, 22, 100, 4096}) {
    Disk disk = written.disk;
    disk[written.last_segment].resize(disk[written.last_segment].size() + zeros);
    auto log = wal::WalLog::open(fs_of(disk), kWalDir, wal::WalOptions{kRichSegmentBytes});
    ASSERT_TRUE(log.ok()) << zeros << " zeros: " << log.error().context;
    EXPECT_EQ(image_of(*log.value()), written.truth) << zeros << " zeros";
    EXPECT_EQ(log.value()->recovery().torn_bytes_cut, zeros);
    EXPECT_NE(log.value()->recovery().torn_tail.find("zero-filled tail"), std::string::npos)
        << log.value()->recovery().torn_tail;
  }
}

// ...but zeros inside a record whose bytes are all in the file look exactly like damage to a
// synced record (a hard state ends in zero bytes, for one), so they are reported, not guessed.
TEST(WalCorruption, ZerosInsideAWholeRecordAreReportedNotGuessedTorn) {
  UnsyncedTail tail = write_unsynced_tail(1);
  const Disk synced = disk_of(*tail.fs);
  tail.fs->fail_next(FaultyFileSystem::Op::Sync, StorageError::Code::Io);
  ASSERT_FALSE(tail.log->sync().ok());
  const auto written = *tail.fs->contents(segment_path(2));
  Disk disk = synced;
  auto& segment = disk[segment_path(2)];
  // The first record of the last write kept its header and 10 payload bytes; the rest of the write
  // reads as zeros.
  const std::size_t kept = tail.ends[0] + kLayoutV2.header_bytes + 10;
  segment.assign(written.begin(), written.begin() + static_cast<std::ptrdiff_t>(kept));
  segment.resize(written.size());
  const Outcome outcome = recover_damaged(disk, segment_path(2), tail.images[0]);
  EXPECT_EQ(outcome.kind, Outcome::Reported) << outcome.problem;
}

// --- scanning on past a record cut by the end of the file ---

// The header check of a record at `record` of a version 2 segment, given the chain it follows.
void reseal_header(std::vector<std::byte>& segment, std::size_t record, std::uint64_t previous_chain) {
  store_le(segment, record, wal::format::record_header_check(previous_chain, segment.data() + record), 8);
}

// Defence in depth for a damaged length whose header check still matches (a 2^-64 accident): the
// records it swallows are chained to it, and finding the first proves damage.
TEST(WalCorruption, CutRecordFollowedByARecordChainedToItIsCorruption) {
  const RichLog written = rich_log();
  Disk damaged = written.disk;
  auto& segment = damaged[written.last_segment];
  const auto records = record_offsets(segment);
  const std::size_t victim = records[3];
  const std::uint64_t previous_chain = load_le(segment, records[2] + 8, 8);
  store_le(segment, victim + kLayoutV2.length_at, segment.size(), 4);  // now runs past the end
  reseal_header(segment, victim, previous_chain);
  auto log = wal::WalLog::open(fs_of(damaged), kWalDir, wal::WalOptions{kRichSegmentBytes});
  ASSERT_FALSE(log.ok()) << "recovered " << describe(image_of(*log.value()));
  EXPECT_EQ(reported_offset(log.error().context), static_cast<long long>(victim)) << log.error().context;
  EXPECT_NE(log.error().context.find("record length damaged"), std::string::npos) << log.error().context;
  EXPECT_NE(log.error().context.find("starts at byte " + std::to_string(records[4])), std::string::npos)
      << log.error().context;
}

// The scan cannot be fooled by a payload: an entry whose data holds well-formed records (a copy of
// a real one, and one forged to follow the last synced record) and is torn by a crash is still a
// torn tail. Only a record chained to the torn one counts, and that chain value depends on the
// payload holding the forgery.
TEST(WalCorruption, RecordsInsideATornPayloadDoNotMakeItCorruption) {
  auto fs = std::make_shared<FaultyFileSystem>(3);
  auto log = open_wal(fs, kRichSegmentBytes);
  const Index next = write_rich_log(*log);
  const LogImage synced = image_of(*log);
  const auto segment = *fs->contents(segment_path(2));
  const auto records = record_offsets(segment);
  std::vector<std::byte> forged(segment.begin() + static_cast<std::ptrdiff_t>(records[1]),
                                segment.begin() + static_cast<std::ptrdiff_t>(records[2]));  // a real record, verbatim
  std::vector<std::byte> follower(forged);
  reseal_header(follower, 0, load_le(segment, records.back() + 8, 8));  // as if it followed the last synced record
  forged.insert(forged.end(), follower.begin(), follower.end());
  std::string data(reinterpret_cast<const char*>(forged.data()), forged.size());
  ASSERT_TRUE(append_one(*log, next, 3, data + std::string(50, 'z')).ok());
  fs->fail_next(FaultyFileSystem::Op::Sync, StorageError::Code::Io);
  ASSERT_FALSE(log->sync().ok());
  const auto written = *fs->contents(segment_path(2));
  log.reset();
  // Cut the write after the forged records, before the end of the entry.
  Disk disk = disk_of(*fs);
  disk[segment_path(2)].assign(written.begin(), written.end() - 20);
  auto reopened = wal::WalLog::open(fs_of(disk), kWalDir, wal::WalOptions{kRichSegmentBytes});
  ASSERT_TRUE(reopened.ok()) << reopened.error().context;
  EXPECT_EQ(image_of(*reopened.value()), synced);
  EXPECT_NE(reopened.value()->recovery().torn_tail.find("incomplete record"), std::string::npos)
      << reopened.value()->recovery().torn_tail;
}

}  // namespace
}  // namespace raftio::test
