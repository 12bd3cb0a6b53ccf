// WalLog::repair: the operator's explicit, data-losing way past a corruption report in the last
// segment. It cuts exactly at the reported offset, keeps a copy of the segment as it was, refuses
// damage anywhere else, and changes nothing on a log that recovers as it is.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include <unistd.h>

#include "support/wal_disk.h"

namespace raftio::test {
namespace {

using wal::FaultyFileSystem;

Result<std::unique_ptr<wal::WalLog>, StorageError> reopen(const std::shared_ptr<FaultyFileSystem>& fs) {
  return wal::WalLog::open(fs, kWalDir, wal::WalOptions{kRichSegmentBytes});
}

// The log as it stood when its last segment ended at `offset`: the undamaged disk cut there.
LogImage image_cut_at(const Disk& disk, const std::string& path, std::size_t offset) {
  Disk cut = disk;
  cut[path].resize(offset);
  auto log = reopen(fs_of(cut));
  EXPECT_TRUE(log.ok()) << log.error().context;
  return image_of(*log.value());
}

TEST(WalRepair, CutsTheLastSegmentAtTheReportedOffsetAndKeepsACopy) {
  const RichLog written = rich_log();
  Disk damaged = written.disk;
  const std::size_t victim = record_offsets(damaged[written.last_segment])[6];
  damaged[written.last_segment][victim + 2] ^= std::byte{0x10};
  auto fs = fs_of(damaged);
  auto refused = reopen(fs);
  ASSERT_FALSE(refused.ok());

  auto repaired = wal::WalLog::repair(fs, kWalDir);
  ASSERT_TRUE(repaired.ok()) << repaired.error().context;
  const wal::RepairReport& report = repaired.value();
  EXPECT_TRUE(report.repaired);
  EXPECT_EQ(report.damage, refused.error().context);
  EXPECT_EQ(report.segment, written.last_segment);
  EXPECT_EQ(report.offset, victim);
  EXPECT_EQ(report.bytes_cut, damaged[written.last_segment].size() - victim);
  EXPECT_EQ(report.saved_as, written.last_segment + ".damaged-at-" + std::to_string(victim));
  EXPECT_EQ(*fs->contents(report.saved_as), damaged[written.last_segment]) << "the evidence survives";
  EXPECT_EQ(fs->contents(written.last_segment)->size(), victim);

  auto log = reopen(fs);
  ASSERT_TRUE(log.ok()) << log.error().context;
  EXPECT_EQ(image_of(*log.value()), image_cut_at(written.disk, written.last_segment, victim));
  EXPECT_TRUE(log.value()->recovery().torn_tail.empty());
}

// For every header flip of the exhaustive test: repair, then open, gives exactly the records
// before the damaged one.
TEST(WalRepair, EveryHeaderFlipOfTheLastSegmentRepairsToTheRecordsBeforeIt) {
  const RichLog written = rich_log();
  const auto records = record_offsets(written.disk.at(written.last_segment));
  std::size_t repairs = 0;
  for (std::size_t r = 0; r < records.size(); ++r) {
    const LogImage before = image_cut_at(written.disk, written.last_segment, records[r]);
    for (std::size_t bit = 0; bit < kLayoutV2.header_bytes * 8; bit += 7) {
      Disk damaged = written.disk;
      damaged[written.last_segment][records[r] + bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
      auto fs = fs_of(damaged);
      auto report = wal::WalLog::repair(fs, kWalDir);
      ASSERT_TRUE(report.ok() && report.value().repaired) << "record " << r << ", bit " << bit;
      ASSERT_EQ(report.value().offset, records[r]) << report.value().damage;
      auto log = reopen(fs);
      ASSERT_TRUE(log.ok()) << log.error().context;
      ASSERT_EQ(image_of(*log.value()), before) << "record " << r << ", bit " << bit;
      ++repairs;
    }
  }
  EXPECT_EQ(repairs, records.size() * ((kLayoutV2.header_bytes * 8 + 6) / 7));
}

TEST(WalRepair, RemovesALastSegmentWhoseHeaderIsDamaged) {
  const RichLog written = rich_log();
  Disk damaged = written.disk;
  damaged[written.last_segment][20] ^= std::byte{0x01};  // the sequence field
  auto fs = fs_of(damaged);
  auto report = wal::WalLog::repair(fs, kWalDir);
  ASSERT_TRUE(report.ok()) << report.error().context;
  EXPECT_EQ(report.value().offset, 0u);
  EXPECT_EQ(report.value().bytes_cut, damaged[written.last_segment].size());
  EXPECT_FALSE(fs->contents(written.last_segment).has_value());
  EXPECT_EQ(*fs->contents(report.value().saved_as), damaged[written.last_segment]);
  auto log = reopen(fs);
  ASSERT_TRUE(log.ok()) << log.error().context;
  auto first_only = reopen(fs_of(Disk{{segment_path(1), written.disk.at(segment_path(1))}}));
  ASSERT_TRUE(first_only.ok());
  EXPECT_EQ(image_of(*log.value()), image_of(*first_only.value())) << "what the first segment holds";
}

TEST(WalRepair, RefusesDamageBeforeTheLastSegment) {
  const RichLog written = rich_log();
  Disk damaged = written.disk;
  damaged[segment_path(1)][200] ^= std::byte{0x04};
  auto fs = fs_of(damaged);
  auto report = wal::WalLog::repair(fs, kWalDir);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, StorageError::Code::Corruption);
  EXPECT_NE(report.error().context.find(segment_path(1) + ": "), std::string::npos) << report.error().context;
  EXPECT_NE(report.error().context.find("only the last segment"), std::string::npos) << report.error().context;
  EXPECT_EQ(disk_of(*fs), damaged) << "nothing was changed";
}

TEST(WalRepair, LeavesALogThatRecoversUntouched) {
  const RichLog written = rich_log();
  Disk torn = written.disk;
  torn[written.last_segment].resize(torn[written.last_segment].size() + 7);  // a zero-filled tail
  for (const Disk& disk : {written.disk, torn}) {
    auto fs = fs_of(disk);
    auto report = wal::WalLog::repair(fs, kWalDir);
    ASSERT_TRUE(report.ok()) << report.error().context;
    EXPECT_FALSE(report.value().repaired);
    EXPECT_EQ(disk_of(*fs), disk) << "a torn tail is left for open() to cut";
  }
}

// The real file system: a flipped byte on disk, refused, repaired, reopened.
TEST(WalRepair, RepairsALogOnARealDisk) {
  char dir_template[] = "/tmp/raftio-wal-repair-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = std::string(dir_template) + "/log";
  {
    auto log = wal::WalLog::open(dir);
    ASSERT_TRUE(log.ok()) << log.error().context;
    for (Index i = 1; i <= 5; ++i) {
      ASSERT_TRUE(append_one(*log.value(), i, 1, "entry").ok());
      ASSERT_TRUE(log.value()->sync().ok());
    }
  }
  const std::string segment = dir + "/0000000000000001.wal";
  std::size_t fifth = 0;
  {
    std::ifstream in(segment, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(chars.size());
    std::memcpy(bytes.data(), chars.data(), chars.size());
    fifth = record_offsets(bytes)[6];  // checkpoint (2 records), then entries 1 to 5
    std::fstream out(segment, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(fifth + 17));
    out.put(static_cast<char>(chars[fifth + 17] ^ 0x20));
  }
  auto refused = wal::WalLog::open(dir);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(reported_offset(refused.error().context), static_cast<long long>(fifth)) << refused.error().context;
  auto report = wal::WalLog::repair(dir);
  ASSERT_TRUE(report.ok() && report.value().repaired) << (report.ok() ? "" : report.error().context);
  auto log = wal::WalLog::open(dir);
  ASSERT_TRUE(log.ok()) << log.error().context;
  EXPECT_EQ(log.value()->last_index(), 4u);
  auto fs = std::make_shared<wal::PosixFileSystem>();
  for (const std::string& name : fs->list(dir).value()) ASSERT_TRUE(fs->remove(dir + "/" + name).ok());
  EXPECT_EQ(::rmdir(dir.c_str()), 0);
  EXPECT_EQ(::rmdir(dir_template), 0);
}

}  // namespace
}  // namespace raftio::test
