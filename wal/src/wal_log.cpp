#include "raftio/wal/wal_log.h"

#include <cstring>

#include "wal_format.h"
#include "wal_recovery.h"

namespace raftio::wal {

WalLog::WalLog(std::shared_ptr<FileSystem> fs, std::string dir, WalOptions options)
    : fs_(std::move(fs)), dir_(std::move(dir)), options_(options) {}

WalLog::~WalLog() = default;

Result<std::unique_ptr<WalLog>, StorageError> WalLog::open(std::shared_ptr<FileSystem> fs, std::string dir,
                                                           WalOptions options) {
  if (!fs) return unexpected(StorageError{StorageError::Code::Misuse, "WalLog::open: no file system"});
  if (options.segment_bytes < format::kHeaderBytes) options.segment_bytes = format::kHeaderBytes;
  std::unique_ptr<WalLog> log(new WalLog(std::move(fs), std::move(dir), options));
  auto status = log->recover();
  if (!status) return unexpected(std::move(status).error());
  return log;
}

Result<std::unique_ptr<WalLog>, StorageError> WalLog::open(std::string dir, WalOptions options) {
  return open(std::make_shared<PosixFileSystem>(), std::move(dir), options);
}

StorageStatus WalLog::fail(StorageError error) {
  failure_ = error;
  return unexpected(std::move(error));
}

StorageStatus WalLog::check_writable() {
  if (failure_) return unexpected(*failure_);
  // Roll over only when everything written so far is durable: a segment that is not the last
  // one must never end in a torn record.
  if (pending_.empty() && tail_bytes_ >= options_.segment_bytes) return start_segment();
  return {};
}

StorageStatus WalLog::recover() {
  if (auto status = fs_->create_dir(dir_); !status) return status;
  auto recovered = recover_directory(*fs_, dir_);
  if (!recovered) return unexpected(std::move(recovered).error().error);
  RecoveredState state = std::move(recovered).value();
  recovery_ = state.report;

  for (const std::string& path : state.discarded) {
    if (auto status = fs_->remove(path); !status) return status;
  }
  if (auto compacted = mirror_.compact(state.snapshot); !compacted) return compacted;
  for (const EntryBatch& run : state.runs) {
    if (auto appended = mirror_.append(run); !appended) return appended;
  }
  if (auto set = mirror_.set_hard_state(state.hard_state); !set) return set;
  durable_snapshot_index_ = state.snapshot.last_index;
  chain_ = state.chain;
  for (const RecoveredSegment& s : state.segments) segments_.push_back({s.sequence, s.first_index, s.path});

  if (segments_.empty()) return start_segment();
  auto file = fs_->open_append(segments_.back().path);
  if (!file) return unexpected(std::move(file).error());
  tail_ = std::move(file).value();
  tail_bytes_ = state.tail_bytes;
  if (recovery_.torn_bytes_cut > 0) {
    // Cut the torn tail before anything new is appended after it, and make the cut durable.
    if (auto status = tail_->truncate(state.tail_bytes); !status) return status;
    if (auto status = tail_->sync(); !status) return status;
  }
  if (!state.discarded.empty()) {
    if (auto status = fs_->sync_dir(dir_); !status) return status;
  }
  // A last segment in an older format is read, never appended to: new records go to a new one.
  if (state.tail_version != format::kVersion) return start_segment();
  return {};
}

// A new segment: its header and a checkpoint (snapshot mark and hard state), written and made
// durable, then its directory entry made durable.
StorageStatus WalLog::start_segment() {
  const std::uint64_t sequence = segments_.empty() ? 1 : segments_.back().sequence + 1;
  Segment segment{sequence, mirror_.last_index() + 1, dir_ + "/" + format::segment_name(sequence)};
  std::vector<std::byte> bytes;
  format::append_header(bytes, format::SegmentHeader{sequence, segment.first_index, chain_});
  std::uint64_t chain = chain_;
  std::size_t record = format::begin_record(bytes);
  format::put_snapshot_meta(bytes, mirror_.snapshot_meta());
  chain = format::finish_record(bytes, record, chain, format::kSnapshot);
  record = format::begin_record(bytes);
  format::put_hard_state(bytes, mirror_.hard_state());
  chain = format::finish_record(bytes, record, chain, format::kHardState);

  auto file = fs_->open_append(segment.path);
  if (!file) return fail(std::move(file).error());
  if (auto status = file.value()->append(bytes); !status) return fail(std::move(status).error());
  if (auto status = file.value()->sync(); !status) return fail(std::move(status).error());
  if (auto status = fs_->sync_dir(dir_); !status) return fail(std::move(status).error());
  tail_ = std::move(file).value();
  tail_bytes_ = bytes.size();
  chain_ = chain;
  segments_.push_back(std::move(segment));
  return {};
}

StorageStatus WalLog::append(const EntryBatch& entries) {
  if (auto status = check_writable(); !status) return status;
  if (auto status = mirror_.append(entries); !status) return status;  // checks the indexes
  const std::size_t record = format::begin_record(pending_);
  format::put_entries(pending_, entries);
  chain_ = format::finish_record(pending_, record, chain_, format::kEntries);
  tail_bytes_ += pending_.size() - record;
  return {};
}

StorageStatus WalLog::truncate_suffix(Index from) {
  if (auto status = check_writable(); !status) return status;
  if (auto status = mirror_.truncate_suffix(from); !status) return status;
  const std::size_t record = format::begin_record(pending_);
  format::put_u64(pending_, from);
  chain_ = format::finish_record(pending_, record, chain_, format::kTruncate);
  tail_bytes_ += pending_.size() - record;
  return {};
}

StorageStatus WalLog::compact(const SnapshotMeta& meta) {
  if (auto status = check_writable(); !status) return status;
  if (auto status = mirror_.compact(meta); !status) return status;
  const std::size_t record = format::begin_record(pending_);
  format::put_snapshot_meta(pending_, meta);
  chain_ = format::finish_record(pending_, record, chain_, format::kSnapshot);
  tail_bytes_ += pending_.size() - record;
  return {};  // whole segments below the snapshot are deleted once this record is durable (sync)
}

StorageStatus WalLog::set_hard_state(const HardState& state) {
  if (auto status = check_writable(); !status) return status;
  if (auto status = mirror_.set_hard_state(state); !status) return status;
  const std::size_t record = format::begin_record(pending_);
  format::put_hard_state(pending_, state);
  chain_ = format::finish_record(pending_, record, chain_, format::kHardState);
  tail_bytes_ += pending_.size() - record;
  return {};
}

StorageStatus WalLog::sync() {
  if (failure_) return unexpected(*failure_);
  if (!pending_.empty()) {
    if (auto status = tail_->append(pending_); !status) return fail(std::move(status).error());
    if (auto status = tail_->sync(); !status) return fail(std::move(status).error());
    pending_.clear();
  }
  return delete_compacted_segments();
}

// Segments whose entries all lie at or below a durable snapshot mark hold nothing the log needs:
// the next segment's checkpoint and the mark itself carry the state forward.
StorageStatus WalLog::delete_compacted_segments() {
  const Index snapshot = mirror_.snapshot_meta().last_index;
  if (snapshot <= durable_snapshot_index_) return {};
  durable_snapshot_index_ = snapshot;
  std::size_t removable = 0;
  while (removable + 1 < segments_.size() && segments_[removable + 1].first_index - 1 <= snapshot) ++removable;
  if (removable == 0) return {};
  for (std::size_t i = 0; i < removable; ++i) {
    if (auto status = fs_->remove(segments_[i].path); !status) return fail(std::move(status).error());
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(removable));
  if (auto status = fs_->sync_dir(dir_); !status) return fail(std::move(status).error());
  return {};
}

}  // namespace raftio::wal
