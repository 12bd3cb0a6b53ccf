// Snapshot files: snapshot-<last index>-<last term>.snap, written to a temporary name, synced,
// renamed into place and the directory synced, so a crash leaves either the old snapshot or the
// new one, never a partial file under the final name.
//
//   file = magic "RFIOSNP1" (8) | version u32 | reserved u32 | snapshot meta (as in a snapshot
//          record) | data length u64 | data | XXH3-64 of everything before (8)
#include <cstdio>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "raftio/wal/wal_log.h"
#include "wal_format.h"

namespace raftio::wal {

namespace {

constexpr char kSnapshotMagic[8] = {'R', 'F', 'I', 'O', 'S', 'N', 'P', '1'};

std::string snapshot_name(const SnapshotMeta& meta) {
  char name[64];
  std::snprintf(name, sizeof name, "snapshot-%016llx-%016llx.snap", static_cast<unsigned long long>(meta.last_index),
                static_cast<unsigned long long>(meta.last_term));
  return name;
}

bool is_snapshot_name(const std::string& name) {
  return name.size() == 47 && name.compare(0, 9, "snapshot-") == 0 && name.compare(42, 5, ".snap") == 0;
}

std::uint64_t load(const std::byte* at, int width) {
  std::uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = v << 8 | static_cast<std::uint64_t>(at[i]);
  return v;
}

}  // namespace

StorageStatus WalLog::save_snapshot(const Snapshot& snapshot) {
  if (failure_) return unexpected(*failure_);
  std::vector<std::byte> bytes;
  format::put_bytes(bytes, std::as_bytes(std::span(kSnapshotMagic)));
  format::put_u32(bytes, 1);
  format::put_u32(bytes, 0);
  format::put_snapshot_meta(bytes, snapshot.meta());
  format::put_u64(bytes, snapshot.data.size());
  format::put_bytes(bytes, snapshot.data.bytes());
  format::put_u64(bytes, XXH3_64bits(bytes.data(), bytes.size()));

  const std::string name = snapshot_name(snapshot.meta());
  const std::string temporary = dir_ + "/" + name + ".tmp";
  auto old_files = fs_->list(dir_);
  if (!old_files) return fail(std::move(old_files).error());
  for (const std::string& file : old_files.value()) {
    if (file == name + ".tmp") {
      if (auto status = fs_->remove(temporary); !status) return fail(std::move(status).error());
    }
  }
  auto file = fs_->open_append(temporary);
  if (!file) return fail(std::move(file).error());
  if (auto status = file.value()->append(bytes); !status) return fail(std::move(status).error());
  if (auto status = file.value()->sync(); !status) return fail(std::move(status).error());
  if (auto status = fs_->rename(temporary, dir_ + "/" + name); !status) return fail(std::move(status).error());
  if (auto status = fs_->sync_dir(dir_); !status) return fail(std::move(status).error());
  // The new snapshot is durable: older ones are garbage.
  bool removed = false;
  for (const std::string& old : old_files.value()) {
    if (is_snapshot_name(old) && old != name) {
      if (auto status = fs_->remove(dir_ + "/" + old); !status) return fail(std::move(status).error());
      removed = true;
    }
  }
  if (removed) {
    if (auto status = fs_->sync_dir(dir_); !status) return fail(std::move(status).error());
  }
  return {};
}

Result<std::optional<Snapshot>, StorageError> WalLog::load_snapshot() const {
  auto files = fs_->list(dir_);
  if (!files) return unexpected(std::move(files).error());
  std::string newest;
  for (const std::string& file : files.value()) {
    if (is_snapshot_name(file)) newest = file;  // names sort by index, then term
  }
  if (newest.empty()) return std::optional<Snapshot>();
  const std::string path = dir_ + "/" + newest;
  auto read = fs_->read_all(path);
  if (!read) return unexpected(std::move(read).error());
  const SharedBuffer buffer = std::move(read).value();
  auto corrupt = [&path](const std::string& what) {
    return unexpected(StorageError{StorageError::Code::Corruption, "snapshot " + path + ": " + what});
  };
  const std::byte* data = buffer.data();
  const std::size_t size = buffer.size();
  if (size < 16 + 16 + 8 + 8 + 8 || std::memcmp(data, kSnapshotMagic, 8) != 0) return corrupt("bad header");
  if (load(data + size - 8, 8) != XXH3_64bits(data, size - 8)) return corrupt("checksum mismatch");
  std::size_t at = 16;
  Snapshot snapshot;
  snapshot.last_index = load(data + at, 8);
  snapshot.last_term = load(data + at + 8, 8);
  at += 16;
  for (auto* ids : {&snapshot.membership.voters, &snapshot.membership.learners}) {
    if (at + 4 > size - 8) return corrupt("truncated membership");
    const std::uint64_t count = load(data + at, 4);
    at += 4;
    if (count > (size - 8 - at) / 8) return corrupt("membership count too large");
    for (std::uint64_t i = 0; i < count; ++i, at += 8) ids->push_back(load(data + at, 8));
  }
  if (at + 8 > size - 8) return corrupt("truncated data length");
  const std::uint64_t length = load(data + at, 8);
  at += 8;
  if (length != size - 8 - at) return corrupt("data length does not match the file");
  snapshot.data = buffer.view(at, static_cast<std::size_t>(length));
  return std::optional<Snapshot>(std::move(snapshot));
}

}  // namespace raftio::wal
