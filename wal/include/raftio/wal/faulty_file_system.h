// FaultyFileSystem: an in-memory disk that behaves like a real one when the power goes out, for
// tests and the simulator. Deterministic for a given seed.
//
//  - Each file has a current image (what reads see) and a durable one (what File::sync made
//    durable). crash() reverts every file to its durable image; with tearing on, a random prefix
//    of the bytes appended since the last sync survives, which is a torn last write.
//  - Each directory entry (created, renamed, removed) is durable only after sync_dir of its
//    directory; crash() reverts the entries too. A file created but never made durable in its
//    directory is gone after a crash.
//  - Any call can be made to fail with EIO or ENOSPC: the next N calls of an operation, or each
//    call with a probability. A failed append may leave a random prefix of its bytes behind.
//  - corrupt() flips bits of a file's content, durable image included.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raftio/wal/file_system.h"

namespace raftio::wal {

class FaultyFileSystem final : public FileSystem {
 public:
  enum class Op : std::uint8_t { CreateDir, List, Open, Read, Append, Sync, Truncate, Rename, Remove, SyncDir };

  explicit FaultyFileSystem(std::uint64_t seed = 1) : rng_(seed) {}

  StorageStatus create_dir(const std::string& path) override;
  Result<std::vector<std::string>, StorageError> list(const std::string& dir) override;
  Result<std::unique_ptr<File>, StorageError> open_append(const std::string& path) override;
  Result<SharedBuffer, StorageError> read_all(const std::string& path) override;
  StorageStatus rename(const std::string& from, const std::string& to) override;
  StorageStatus remove(const std::string& path) override;
  StorageStatus sync_dir(const std::string& dir) override;

  // --- faults ---
  // The next `count` calls of `op` fail with `code` (Io for EIO, NoSpace for ENOSPC).
  void fail_next(Op op, StorageError::Code code, int count = 1);
  // From now on every call fails with this probability (0 turns it off), as EIO or ENOSPC.
  void set_failure_probability(double probability) noexcept { failure_probability_ = probability; }
  // Cancels scheduled failures and the failure probability.
  void clear_faults() noexcept {
    scheduled_.clear();
    failure_probability_ = 0;
  }
  // Power loss: files and directory entries revert to what was made durable.
  void crash(bool tear_last_write = true);
  // Xors `mask` into the byte at `offset` of the file (current and durable images). False when
  // the file or offset does not exist.
  bool corrupt(const std::string& path, std::uint64_t offset, std::uint8_t mask);

  // --- set-up and inspection (tests, fuzzers) ---
  // Creates (or replaces) a file with this content, durable, entry included.
  void put_file(const std::string& path, std::vector<std::byte> content);
  std::optional<std::vector<std::byte>> contents(const std::string& path) const;
  std::uint64_t calls() const noexcept { return calls_; }
  std::uint64_t injected_failures() const noexcept { return injected_; }

 private:
  struct Inode {
    std::vector<std::byte> current;
    std::vector<std::byte> durable;
    // current and durable agree below this offset: a sync copies only from here on, so syncing
    // a growing file costs what was appended, not the whole file.
    std::size_t synced_prefix = 0;
  };
  friend class FaultyFile;

  StorageStatus maybe_fail(Op op, const std::string& path);
  std::uint64_t next_random() noexcept;

  std::map<std::string, std::shared_ptr<Inode>> entries_;          // what list/open see
  std::map<std::string, std::shared_ptr<Inode>> durable_entries_;  // what survives a crash
  std::map<std::string, bool> dirs_;
  std::vector<std::pair<Op, StorageError::Code>> scheduled_;       // fail_next, in order
  double failure_probability_ = 0;
  std::uint64_t rng_;
  std::uint64_t calls_ = 0;
  std::uint64_t injected_ = 0;
};

}  // namespace raftio::wal
