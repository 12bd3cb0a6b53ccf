// WalLog::repair: the operator's opt-in way past a corruption report in the last segment (see
// wal_log.h). It keeps a copy of the segment before cutting it, so the evidence survives.
#include "raftio/wal/wal_log.h"

#include <algorithm>

#include "wal_format.h"
#include "wal_recovery.h"

namespace raftio::wal {

namespace {

StorageStatus write_copy(FileSystem& fs, const std::string& path, const SharedBuffer& bytes) {
  auto file = fs.open_append(path);
  if (!file) return unexpected(std::move(file).error());
  if (auto status = file.value()->truncate(0); !status) return status;  // a copy from an earlier repair
  if (auto status = file.value()->append(std::span<const std::byte>(bytes.data(), bytes.size())); !status) return status;
  return file.value()->sync();
}

StorageStatus cut_segment(FileSystem& fs, const std::string& path, std::uint64_t offset) {
  if (offset < format::kHeaderBytes) return fs.remove(path);
  auto file = fs.open_append(path);
  if (!file) return unexpected(std::move(file).error());
  if (auto status = file.value()->truncate(offset); !status) return status;
  return file.value()->sync();
}

// The path of the directory's last segment, or empty if it has none.
Result<std::string, StorageError> last_segment(FileSystem& fs, const std::string& dir) {
  auto names = fs.list(dir);
  if (!names) return unexpected(std::move(names).error());
  std::uint64_t newest = 0;
  std::string path;
  for (const std::string& name : names.value()) {
    std::uint64_t sequence = 0;
    if (format::parse_segment_name(name, sequence) && (path.empty() || sequence > newest)) {
      newest = sequence;
      path = dir + "/" + name;
    }
  }
  return path;
}

}  // namespace

Result<RepairReport, StorageError> WalLog::repair(std::shared_ptr<FileSystem> fs, std::string dir) {
  if (!fs) return unexpected(StorageError{StorageError::Code::Misuse, "WalLog::repair: no file system"});
  auto recovered = recover_directory(*fs, dir);
  if (recovered) return RepairReport{};
  RecoveryFailure failure = std::move(recovered).error();
  if (failure.error.code != StorageError::Code::Corruption) return unexpected(std::move(failure.error));
  auto last = last_segment(*fs, dir);
  if (!last) return unexpected(std::move(last).error());
  if (failure.path.empty() || failure.path != last.value()) {
    failure.error.context += " (WalLog::repair cuts only the last segment; this damage is not in it)";
    return unexpected(std::move(failure.error));
  }
  auto read = fs->read_all(failure.path);
  if (!read) return unexpected(std::move(read).error());
  const SharedBuffer segment = std::move(read).value();

  RepairReport report{true, failure.error.context, failure.path, failure.offset,
                      segment.size() - std::min<std::uint64_t>(failure.offset, segment.size()),
                      failure.path + ".damaged-at-" + std::to_string(failure.offset)};
  if (failure.offset < format::kHeaderBytes) {
    report.offset = 0;
    report.bytes_cut = segment.size();
  }
  if (auto status = write_copy(*fs, report.saved_as, segment); !status) return unexpected(std::move(status).error());
  if (auto status = cut_segment(*fs, failure.path, failure.offset); !status) return unexpected(std::move(status).error());
  if (auto status = fs->sync_dir(dir); !status) return unexpected(std::move(status).error());
  return report;
}

Result<RepairReport, StorageError> WalLog::repair(std::string dir) {
  return repair(std::make_shared<PosixFileSystem>(), std::move(dir));
}

}  // namespace raftio::wal
