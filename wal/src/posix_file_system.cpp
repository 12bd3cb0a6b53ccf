#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "raftio/wal/file_system.h"

namespace raftio::wal {

namespace {

StorageError os_error(const std::string& what, const std::string& path, int error) {
  const auto code = (error == ENOSPC || error == EDQUOT) ? StorageError::Code::NoSpace : StorageError::Code::Io;
  return StorageError{code, what + " " + path + ": " + std::strerror(error)};
}

// Closes the descriptor when it goes out of scope.
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  StorageStatus append(std::span<const std::byte> bytes) override {
    while (!bytes.empty()) {
      const ssize_t written = ::write(fd_, bytes.data(), bytes.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        return unexpected(os_error("write", path_, errno));
      }
      bytes = bytes.subspan(static_cast<std::size_t>(written));
    }
    return {};
  }

  StorageStatus sync() override {
    if (::fdatasync(fd_) != 0) return unexpected(os_error("fdatasync", path_, errno));
    return {};
  }

  StorageStatus truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return unexpected(os_error("ftruncate", path_, errno));
    return {};
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

StorageStatus PosixFileSystem::create_dir(const std::string& path) {
  std::string prefix;
  std::size_t at = 0;
  while (at != std::string::npos) {
    at = path.find('/', at + 1);
    prefix = path.substr(0, at);
    if (prefix.empty()) continue;
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return unexpected(os_error("mkdir", prefix, errno));
  }
  return {};
}

Result<std::vector<std::string>, StorageError> PosixFileSystem::list(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return unexpected(os_error("opendir", dir, errno));
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::unique_ptr<File>, StorageError> PosixFileSystem::open_append(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return unexpected(os_error("open", path, errno));
  return std::unique_ptr<File>(std::make_unique<PosixFile>(fd, path));
}

Result<SharedBuffer, StorageError> PosixFileSystem::read_all(const std::string& path) {
  Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return unexpected(os_error("open", path, errno));
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return unexpected(os_error("fstat", path, errno));
  SharedBuffer buffer(static_cast<std::size_t>(info.st_size));
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t got = ::read(file.fd, buffer.data() + filled, buffer.size() - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      return unexpected(os_error("read", path, errno));
    }
    if (got == 0) break;  // shrank while reading: return what is there
    filled += static_cast<std::size_t>(got);
  }
  if (filled < buffer.size()) {
    SharedBuffer shorter(filled);
    if (filled > 0) std::memcpy(shorter.data(), buffer.data(), filled);
    return shorter;
  }
  return buffer;
}

StorageStatus PosixFileSystem::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return unexpected(os_error("rename", from + " -> " + to, errno));
  return {};
}

StorageStatus PosixFileSystem::remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return unexpected(os_error("unlink", path, errno));
  return {};
}

StorageStatus PosixFileSystem::sync_dir(const std::string& dir) {
  Descriptor handle{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (handle.fd < 0) return unexpected(os_error("open", dir, errno));
  if (::fsync(handle.fd) != 0) return unexpected(os_error("fsync", dir, errno));
  return {};
}

}  // namespace raftio::wal
