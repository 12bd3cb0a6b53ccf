#include "raftio/wal/faulty_file_system.h"

#include <algorithm>
#include <cstring>

namespace raftio::wal {

namespace {

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

const char* op_name(FaultyFileSystem::Op op) {
  switch (op) {
    case FaultyFileSystem::Op::CreateDir: return "mkdir";
    case FaultyFileSystem::Op::List: return "list";
    case FaultyFileSystem::Op::Open: return "open";
    case FaultyFileSystem::Op::Read: return "read";
    case FaultyFileSystem::Op::Append: return "write";
    case FaultyFileSystem::Op::Sync: return "fdatasync";
    case FaultyFileSystem::Op::Truncate: return "ftruncate";
    case FaultyFileSystem::Op::Rename: return "rename";
    case FaultyFileSystem::Op::Remove: return "unlink";
    case FaultyFileSystem::Op::SyncDir: return "fsync(dir)";
  }
  return "?";
}

}  // namespace

// An open file: writes go to its inode even if the entry is renamed or removed meanwhile.
class FaultyFile final : public File {
 public:
  FaultyFile(FaultyFileSystem& fs, std::shared_ptr<FaultyFileSystem::Inode> inode, std::string path)
      : fs_(fs), inode_(std::move(inode)), path_(std::move(path)) {}

  StorageStatus append(std::span<const std::byte> bytes) override {
    auto status = fs_.maybe_fail(FaultyFileSystem::Op::Append, path_);
    if (!status) {
      // A failed write may still have written a prefix of its bytes.
      const std::size_t partial = bytes.empty() ? 0 : static_cast<std::size_t>(fs_.next_random() % (bytes.size() + 1));
      inode_->current.insert(inode_->current.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(partial));
      return status;
    }
    inode_->current.insert(inode_->current.end(), bytes.begin(), bytes.end());
    return {};
  }

  StorageStatus sync() override {
    auto status = fs_.maybe_fail(FaultyFileSystem::Op::Sync, path_);
    if (!status) return status;
    auto& inode = *inode_;
    const std::size_t from = std::min(inode.synced_prefix, inode.current.size());
    inode.durable.resize(inode.current.size());
    std::copy(inode.current.begin() + static_cast<std::ptrdiff_t>(from), inode.current.end(),
              inode.durable.begin() + static_cast<std::ptrdiff_t>(from));
    inode.synced_prefix = inode.current.size();
    return {};
  }

  StorageStatus truncate(std::uint64_t size) override {
    auto status = fs_.maybe_fail(FaultyFileSystem::Op::Truncate, path_);
    if (!status) return status;
    if (size < inode_->current.size()) {
      inode_->current.resize(static_cast<std::size_t>(size));
      inode_->synced_prefix = std::min(inode_->synced_prefix, inode_->current.size());
    }
    return {};
  }

 private:
  FaultyFileSystem& fs_;
  std::shared_ptr<FaultyFileSystem::Inode> inode_;
  std::string path_;
};

std::uint64_t FaultyFileSystem::next_random() noexcept {
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

StorageStatus FaultyFileSystem::maybe_fail(Op op, const std::string& path) {
  ++calls_;
  auto scheduled = std::find_if(scheduled_.begin(), scheduled_.end(), [op](const auto& s) { return s.first == op; });
  std::optional<StorageError::Code> code;
  if (scheduled != scheduled_.end()) {
    code = scheduled->second;
    scheduled_.erase(scheduled);
  } else if (failure_probability_ > 0 &&
             static_cast<double>(next_random() >> 11) * 0x1.0p-53 < failure_probability_) {
    code = (next_random() & 1) ? StorageError::Code::Io : StorageError::Code::NoSpace;
  }
  if (!code) return {};
  ++injected_;
  const char* what = *code == StorageError::Code::NoSpace ? "No space left on device" : "Input/output error";
  return unexpected(StorageError{*code, std::string(op_name(op)) + " " + path + ": " + what + " (injected)"});
}

void FaultyFileSystem::fail_next(Op op, StorageError::Code code, int count) {
  for (int i = 0; i < count; ++i) scheduled_.emplace_back(op, code);
}

StorageStatus FaultyFileSystem::create_dir(const std::string& path) {
  auto status = maybe_fail(Op::CreateDir, path);
  if (!status) return status;
  dirs_[path] = true;
  return {};
}

Result<std::vector<std::string>, StorageError> FaultyFileSystem::list(const std::string& dir) {
  auto status = maybe_fail(Op::List, dir);
  if (!status) return unexpected(std::move(status).error());
  std::vector<std::string> names;
  for (const auto& [path, inode] : entries_) {
    if (parent_of(path) == dir) names.push_back(name_of(path));
  }
  return names;  // std::map iterates in order: already sorted
}

Result<std::unique_ptr<File>, StorageError> FaultyFileSystem::open_append(const std::string& path) {
  auto status = maybe_fail(Op::Open, path);
  if (!status) return unexpected(std::move(status).error());
  auto& inode = entries_[path];
  if (!inode) inode = std::make_shared<Inode>();
  return std::unique_ptr<File>(std::make_unique<FaultyFile>(*this, inode, path));
}

Result<SharedBuffer, StorageError> FaultyFileSystem::read_all(const std::string& path) {
  auto status = maybe_fail(Op::Read, path);
  if (!status) return unexpected(std::move(status).error());
  auto it = entries_.find(path);
  if (it == entries_.end()) return unexpected(StorageError{StorageError::Code::Io, "open " + path + ": No such file"});
  SharedBuffer buffer(it->second->current.size());
  if (buffer.size() > 0) std::memcpy(buffer.data(), it->second->current.data(), buffer.size());
  return buffer;
}

StorageStatus FaultyFileSystem::rename(const std::string& from, const std::string& to) {
  auto status = maybe_fail(Op::Rename, from);
  if (!status) return status;
  auto it = entries_.find(from);
  if (it == entries_.end()) return unexpected(StorageError{StorageError::Code::Io, "rename " + from + ": No such file"});
  entries_[to] = it->second;
  entries_.erase(from);
  return {};
}

StorageStatus FaultyFileSystem::remove(const std::string& path) {
  auto status = maybe_fail(Op::Remove, path);
  if (!status) return status;
  if (entries_.erase(path) == 0) return unexpected(StorageError{StorageError::Code::Io, "unlink " + path + ": No such file"});
  return {};
}

StorageStatus FaultyFileSystem::sync_dir(const std::string& dir) {
  auto status = maybe_fail(Op::SyncDir, dir);
  if (!status) return status;
  for (auto it = durable_entries_.begin(); it != durable_entries_.end();) {
    it = parent_of(it->first) == dir && !entries_.count(it->first) ? durable_entries_.erase(it) : std::next(it);
  }
  for (const auto& [path, inode] : entries_) {
    if (parent_of(path) == dir) durable_entries_[path] = inode;
  }
  return {};
}

void FaultyFileSystem::crash(bool tear_last_write) {
  entries_ = durable_entries_;
  for (auto& [path, inode] : entries_) {
    const auto& durable = inode->durable;
    const auto& current = inode->current;
    std::size_t kept = 0;
    const bool appended_since_sync = current.size() > durable.size() &&
                                     std::equal(durable.begin(), durable.end(), current.begin());
    if (tear_last_write && appended_since_sync) {
      kept = static_cast<std::size_t>(next_random() % (current.size() - durable.size() + 1));
    }
    std::vector<std::byte> survived = durable;
    survived.insert(survived.end(), current.begin() + static_cast<std::ptrdiff_t>(durable.size()),
                    current.begin() + static_cast<std::ptrdiff_t>(durable.size() + kept));
    inode->current = survived;
    inode->durable = std::move(survived);
    inode->synced_prefix = inode->current.size();
  }
  scheduled_.clear();
}

bool FaultyFileSystem::corrupt(const std::string& path, std::uint64_t offset, std::uint8_t mask) {
  auto it = entries_.find(path);
  if (it == entries_.end() || offset >= it->second->current.size()) return false;
  it->second->current[offset] ^= std::byte{mask};
  if (offset < it->second->durable.size()) it->second->durable[offset] ^= std::byte{mask};
  return true;  // both images changed alike: the synced prefix still agrees
}

void FaultyFileSystem::put_file(const std::string& path, std::vector<std::byte> content) {
  auto inode = std::make_shared<Inode>();
  inode->current = content;
  inode->durable = std::move(content);
  inode->synced_prefix = inode->current.size();
  entries_[path] = inode;
  durable_entries_[path] = inode;
  dirs_[parent_of(path)] = true;
}

std::optional<std::vector<std::byte>> FaultyFileSystem::contents(const std::string& path) const {
  auto it = entries_.find(path);
  if (it == entries_.end()) return std::nullopt;
  return it->second->current;
}

}  // namespace raftio::wal
