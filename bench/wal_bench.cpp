#include "wal_bench.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "raftio/wal/wal_log.h"

namespace raftio::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void check(const StorageStatus& status) {
  if (!status) throw std::runtime_error(status.error().context);
}

}  // namespace

// The WAL and the raw loop run in alternating rounds, so that the drift of a shared (virtual)
// disk hits both alike.
WalAppendResult measure_wal_appends(const std::string& dir, std::size_t batch, std::size_t entry_bytes,
                                    std::uint64_t batches) {
  WalAppendResult result;
  result.batches = batches;
  const std::string wal_dir = dir + "/wal-append";
  const std::string raw_path = dir + "/raw-append";
  std::filesystem::remove_all(wal_dir);
  auto opened = wal::WalLog::open(wal_dir);
  if (!opened) throw std::runtime_error(opened.error().context);
  auto log = std::move(opened).value();
  // The physical reference writes the same bytes per batch: the payloads plus the WAL's 13-byte
  // entry framing and its record header.
  const int fd = ::open(raw_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("open " + raw_path);
  const std::vector<char> block(batch * (entry_bytes + 13) + 25, 'r');

  const Payload payload = Payload::copy_of(std::string(entry_bytes, 'w'));
  std::vector<LogEntry> entries(batch);
  Index next = 1;
  double wal_seconds = 0;
  double raw_seconds = 0;
  constexpr std::uint64_t kRounds = 20;
  for (std::uint64_t round = 0; round < kRounds; ++round) {
    const std::uint64_t count = batches / kRounds;
    auto start = Clock::now();
    for (std::uint64_t b = 0; b < count; ++b) {
      for (LogEntry& e : entries) e = LogEntry{1, next++, EntryKind::Normal, payload};
      check(log->append(EntryBatch(entries)));
      check(log->sync());
    }
    wal_seconds += seconds_since(start);
    start = Clock::now();
    for (std::uint64_t b = 0; b < count; ++b) {
      if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) || ::fdatasync(fd) != 0) {
        ::close(fd);
        throw std::runtime_error("raw write/fdatasync failed");
      }
    }
    raw_seconds += seconds_since(start);
  }
  const std::uint64_t done = batches / kRounds * kRounds;
  result.batches = done;
  result.wal_batches_per_s = static_cast<double>(done) / wal_seconds;
  result.wal_mb_s = static_cast<double>(done * batch * entry_bytes) / wal_seconds / 1e6;
  result.raw_batches_per_s = static_cast<double>(done) / raw_seconds;
  ::close(fd);
  log.reset();
  std::filesystem::remove(raw_path);
  std::filesystem::remove_all(wal_dir);
  return result;
}

WalRecoveryResult measure_wal_recovery(const std::string& dir, std::uint64_t log_bytes, std::size_t entry_bytes) {
  WalRecoveryResult result;
  const std::string wal_dir = dir + "/wal-recovery";
  std::filesystem::remove_all(wal_dir);
  {
    auto log = wal::WalLog::open(wal_dir).value();
    const Payload payload = Payload::copy_of(std::string(entry_bytes, 'v'));
    std::vector<LogEntry> entries(1024);
    Index next = 1;
    std::uint64_t written = 0;
    while (written < log_bytes) {
      for (LogEntry& e : entries) e = LogEntry{1, next++, EntryKind::Normal, payload};
      check(log->append(EntryBatch(entries)));
      check(log->sync());
      written += entries.size() * entry_bytes;
    }
    result.entries = next - 1;
  }
  std::uint64_t on_disk = 0;
  for (const auto& file : std::filesystem::directory_iterator(wal_dir)) on_disk += file.file_size();
  const auto start = Clock::now();
  auto reopened = wal::WalLog::open(wal_dir);
  result.seconds = seconds_since(start);
  if (!reopened || reopened.value()->last_index() != result.entries) throw std::runtime_error("recovery lost entries");
  reopened.value().reset();
  result.log_mb = static_cast<double>(on_disk) / 1e6;
  result.mb_s = result.log_mb / result.seconds;
  std::filesystem::remove_all(wal_dir);
  return result;
}

}  // namespace raftio::bench
