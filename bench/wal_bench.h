// WAL throughput: synced batches per second next to a raw write+fdatasync loop on the same
// directory, and recovery speed.
#pragma once

#include <cstdint>
#include <string>

namespace raftio::bench {

struct WalAppendResult {
  std::uint64_t batches = 0;
  double wal_batches_per_s = 0;
  double wal_mb_s = 0;
  double raw_batches_per_s = 0;
};

// `batches` syncs of `batch` entries of `entry_bytes` each, in `dir`.
WalAppendResult measure_wal_appends(const std::string& dir, std::size_t batch, std::size_t entry_bytes,
                                    std::uint64_t batches);

struct WalRecoveryResult {
  double log_mb = 0;
  double seconds = 0;
  double mb_s = 0;
  std::uint64_t entries = 0;
};

WalRecoveryResult measure_wal_recovery(const std::string& dir, std::uint64_t log_bytes, std::size_t entry_bytes);

}  // namespace raftio::bench
