// The file-system seam under WalLog: just what a write-ahead log needs. PosixFileSystem is the
// real one; FaultyFileSystem (faulty_file_system.h) is an in-memory disk that loses unsynced
// writes on a simulated crash, tears the last write, fails calls on demand and flips bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "raftio/actions.h"
#include "raftio/payload.h"
#include "raftio/raft_log.h"
#include "raftio/result.h"

namespace raftio::wal {

// An open file that is written at its end.
class File {
 public:
  virtual ~File() = default;
  virtual StorageStatus append(std::span<const std::byte> bytes) = 0;
  // Makes the file's data durable (fdatasync). Not its directory entry: see FileSystem::sync_dir.
  virtual StorageStatus sync() = 0;
  virtual StorageStatus truncate(std::uint64_t size) = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Creates the directory (and its parents) if missing.
  virtual StorageStatus create_dir(const std::string& path) = 0;
  // The names (not paths) of the files in `dir`, sorted.
  virtual Result<std::vector<std::string>, StorageError> list(const std::string& dir) = 0;
  // Opens for appending, creating the file if missing.
  virtual Result<std::unique_ptr<File>, StorageError> open_append(const std::string& path) = 0;
  // The whole file, in one buffer.
  virtual Result<SharedBuffer, StorageError> read_all(const std::string& path) = 0;
  virtual StorageStatus rename(const std::string& from, const std::string& to) = 0;
  virtual StorageStatus remove(const std::string& path) = 0;
  // Makes the directory's entries durable: files created, renamed or removed in it (fsync on the
  // directory).
  virtual StorageStatus sync_dir(const std::string& dir) = 0;
};

class PosixFileSystem final : public FileSystem {
 public:
  StorageStatus create_dir(const std::string& path) override;
  Result<std::vector<std::string>, StorageError> list(const std::string& dir) override;
  Result<std::unique_ptr<File>, StorageError> open_append(const std::string& path) override;
  Result<SharedBuffer, StorageError> read_all(const std::string& path) override;
  StorageStatus rename(const std::string& from, const std::string& to) override;
  StorageStatus remove(const std::string& path) override;
  StorageStatus sync_dir(const std::string& dir) override;
};

}  // namespace raftio::wal
