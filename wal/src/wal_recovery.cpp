#include "wal_recovery.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "segment_reader.h"
#include "wal_format.h"

namespace raftio::wal {

namespace {

using format::kHeaderBytes;

std::uint64_t load(const std::byte* at, int width) {
  std::uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = v << 8 | static_cast<std::uint64_t>(at[i]);
  return v;
}

// Bounds-checked reading of a record payload.
class PayloadReader {
 public:
  PayloadReader(const std::byte* data, std::size_t size) : data_(data), size_(size) {}
  bool ok() const { return ok_; }
  std::size_t remaining() const { return size_ - pos_; }
  std::uint64_t u(int width) {
    if (!ok_ || remaining() < static_cast<std::size_t>(width)) return fail();
    const std::uint64_t v = load(data_ + pos_, width);
    pos_ += static_cast<std::size_t>(width);
    return v;
  }
  const std::byte* take(std::size_t n) {
    if (!ok_ || remaining() < n) {
      fail();
      return nullptr;
    }
    const std::byte* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  std::size_t position() const { return pos_; }

 private:
  std::uint64_t fail() {
    ok_ = false;
    return 0;
  }
  const std::byte* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// The log's state while records are replayed. Entries of deleted (compacted) segments may be
// missing at the start — below the first remaining segment's first index — until a snapshot
// mark later in the log covers them; complete() checks that one did.
class Replay {
 public:
  Index last() const { return last_; }
  const SnapshotMeta& snapshot() const { return snapshot_; }

  void start_at(Index first) {
    first_ = first;
    last_ = first - 1;
  }
  bool entries(Index first, EntryBatch batch) {
    if (first != last_ + 1) return false;
    last_ += batch.size();
    if (!batch.empty()) runs_.push_back(std::move(batch));
    return true;
  }
  bool truncate(Index from) {
    if (from <= snapshot_.last_index || from > last_ + 1) return false;
    if (from <= first_) {
      runs_.clear();
      first_ = from;
    } else {
      while (!runs_.empty() && runs_.back().front().index >= from) runs_.pop_back();
      if (!runs_.empty()) runs_.back().keep_front(static_cast<std::size_t>(from - runs_.back().front().index));
    }
    last_ = from - 1;
    return true;
  }
  bool snapshot(const SnapshotMeta& meta) {
    if (meta.last_index < snapshot_.last_index) return false;
    std::size_t drop = 0;
    while (drop < runs_.size() && runs_[drop].back().index <= meta.last_index) ++drop;
    runs_.erase(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(drop));
    if (!runs_.empty() && runs_.front().front().index <= meta.last_index) {
      runs_.front().drop_front(static_cast<std::size_t>(meta.last_index + 1 - runs_.front().front().index));
    }
    if (meta.last_index >= last_) last_ = meta.last_index;
    first_ = std::max(first_, meta.last_index + 1);
    snapshot_ = meta;
    return true;
  }
  void hard_state(const HardState& state) { hard_ = state; }
  bool complete() const { return first_ == snapshot_.last_index + 1; }
  Index first() const { return first_; }

  void finish(RecoveredState& state) {
    state.snapshot = snapshot_;
    state.hard_state = hard_;
    state.runs = std::move(runs_);
  }

 private:
  SnapshotMeta snapshot_;
  HardState hard_;
  Index first_ = 1;
  Index last_ = 0;
  std::vector<EntryBatch> runs_;
};

// "<what> at byte <offset> (<detail>)": where a record went wrong, and why that verdict.
std::string located(const std::string& what, std::uint64_t offset, const std::string& detail) {
  return what + " at byte " + std::to_string(offset) + (detail.empty() ? "" : " (" + detail + ")");
}

RecoveryFailure corruption(const std::string& path, std::uint64_t offset, const std::string& what,
                           const std::string& detail = {}) {
  return RecoveryFailure{
      StorageError{StorageError::Code::Corruption, "WAL segment " + path + ": " + located(what, offset, detail)}, path,
      offset};
}

bool all_zero(const SharedBuffer& bytes) {
  return std::all_of(bytes.data(), bytes.data() + bytes.size(), [](std::byte b) { return b == std::byte{0}; });
}

std::optional<EntryBatch> parse_entries(PayloadReader& r, const SharedBuffer& segment, Index& first) {
  first = r.u(8);
  const auto count = static_cast<std::uint32_t>(r.u(4));
  if (!r.ok() || count > r.remaining() / 13 || (count > 0 && first == 0)) return std::nullopt;
  EntryBatchBuilder builder(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    LogEntry entry;
    entry.index = first + i;
    entry.term = r.u(8);
    const auto kind = static_cast<std::uint8_t>(r.u(1));
    const auto length = static_cast<std::size_t>(r.u(4));
    const std::byte* data = r.take(length);
    if (!r.ok() || kind > static_cast<std::uint8_t>(EntryKind::Config)) return std::nullopt;
    entry.kind = static_cast<EntryKind>(kind);
    entry.data = segment.view(static_cast<std::size_t>(data - segment.data()), length);
    builder.push_back(std::move(entry));
  }
  return std::move(builder).finish();
}

std::optional<SnapshotMeta> parse_snapshot(PayloadReader& r) {
  SnapshotMeta meta;
  meta.last_index = r.u(8);
  meta.last_term = r.u(8);
  for (auto* ids : {&meta.membership.voters, &meta.membership.learners}) {
    const auto count = static_cast<std::uint32_t>(r.u(4));
    if (!r.ok() || count > r.remaining() / 8) return std::nullopt;
    for (std::uint32_t i = 0; i < count; ++i) ids->push_back(r.u(8));
  }
  if (!r.ok()) return std::nullopt;
  return meta;
}

// Applies one record; false when the record is malformed or does not fit the log so far.
bool apply_record(std::uint8_t kind, const std::byte* payload, std::size_t size, const SharedBuffer& segment,
                  Replay& replay) {
  PayloadReader r(payload, size);
  bool applied = false;
  switch (kind) {
    case format::kEntries: {
      Index first = 0;
      auto batch = parse_entries(r, segment, first);
      applied = batch && (batch->empty() || replay.entries(first, std::move(*batch)));
      break;
    }
    case format::kHardState: {
      HardState state{r.u(8), r.u(8), r.u(8)};
      applied = r.ok();
      if (applied) replay.hard_state(state);
      break;
    }
    case format::kTruncate: {
      const Index from = r.u(8);
      applied = r.ok() && replay.truncate(from);
      break;
    }
    case format::kSnapshot: {
      auto meta = parse_snapshot(r);
      applied = meta && replay.snapshot(*meta);
      break;
    }
    default: return false;
  }
  return applied && r.ok() && r.remaining() == 0;
}

}  // namespace

Result<RecoveredState, RecoveryFailure> recover_directory(FileSystem& fs, const std::string& dir) {
  RecoveredState state;
  auto names = fs.list(dir);
  if (!names) return unexpected(RecoveryFailure{std::move(names).error(), {}, 0});
  std::vector<std::pair<std::uint64_t, std::string>> files;
  for (const std::string& name : names.value()) {
    std::uint64_t sequence = 0;
    if (format::parse_segment_name(name, sequence)) files.emplace_back(sequence, dir + "/" + name);
  }
  std::sort(files.begin(), files.end());

  Replay replay;
  std::uint64_t chain = 0;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const auto& [sequence, path] = files[f];
    const bool last = f + 1 == files.size();
    auto read = fs.read_all(path);
    if (!read) return unexpected(RecoveryFailure{std::move(read).error(), {}, 0});
    const SharedBuffer segment = std::move(read).value();
    state.report.bytes += segment.size();
    const std::byte* data = segment.data();

    // A segment whose header never became durable can only be the last one (segments are made
    // durable before the next is created): it holds nothing, so it is discarded. So is one that
    // is all zero bytes: the file grew, but its data never reached the disk.
    if (segment.size() < kHeaderBytes || (last && all_zero(segment))) {
      if (last) {
        state.discarded.push_back(path);
        state.report.torn_tail = path + ": segment never written (" + std::to_string(segment.size()) + " bytes" +
                                 (segment.size() < kHeaderBytes ? ", an incomplete header)" : ", all zero)");
        state.report.torn_bytes_cut += segment.size();
        break;
      }
      return unexpected(corruption(path, segment.size(), "segment shorter than its header"));
    }
    if (std::memcmp(data, format::kMagic, sizeof format::kMagic) != 0) return unexpected(corruption(path, 0, "bad magic"));
    if (load(data + 48 - 8, 8) != format::header_checksum(data)) {
      return unexpected(corruption(path, kHeaderBytes - 8, "header checksum mismatch"));
    }
    const auto version = static_cast<std::uint32_t>(load(data + 8, 4));
    const format::RecordLayout* layout = format::record_layout(version);
    if (layout == nullptr) {
      return unexpected(corruption(path, 8, "unsupported format version " + std::to_string(version) + " (this build reads " +
                                                std::to_string(format::kOldestReadableVersion) + " to " +
                                                std::to_string(format::kVersion) + ")"));
    }
    format::SegmentHeader header{load(data + 16, 8), load(data + 24, 8), load(data + 32, 8)};
    if (header.sequence != sequence) return unexpected(corruption(path, 16, "sequence does not match the file name"));
    if (f == 0) {
      if (header.first_index == 0) return unexpected(corruption(path, 24, "first index 0"));
      replay.start_at(header.first_index);
      chain = header.previous_chain;
    } else {
      if (sequence != files[f - 1].first + 1) {
        return unexpected(corruption(path, 16, "segment " + std::to_string(files[f - 1].first + 1) + " is missing"));
      }
      if (header.previous_chain != chain) {
        return unexpected(corruption(path, 32, "checksum chain broken (stale or reordered segment)"));
      }
      if (header.first_index != replay.last() + 1) return unexpected(corruption(path, 24, "first index does not follow"));
    }
    state.segments.push_back({sequence, header.first_index, path});
    state.tail_version = version;

    SegmentReader reader(segment, *layout, kHeaderBytes, chain, last);
    while (const auto record = reader.next()) {
      if (!apply_record(record->kind, record->payload, record->payload_bytes, segment, replay)) {
        return unexpected(corruption(path, record->offset, "invalid record (kind " + std::to_string(record->kind) + ")"));
      }
      ++state.report.records;
    }
    const SegmentEnd& end = reader.end();
    if (end.kind == SegmentEnd::Kind::Damaged) return unexpected(corruption(path, end.offset, end.what, end.detail));
    if (end.kind == SegmentEnd::Kind::Torn) {
      state.report.torn_tail = path + ": " + located(end.what, end.offset, end.detail);
      state.report.torn_bytes_cut += segment.size() - end.offset;
    }
    chain = reader.chain();
    state.tail_bytes = end.offset;
  }
  if (!replay.complete()) {
    return unexpected(RecoveryFailure{
        StorageError{StorageError::Code::Corruption, "WAL " + dir + ": entries " + std::to_string(replay.snapshot().last_index + 1) +
                                                         " to " + std::to_string(replay.first() - 1) +
                                                         " are missing (a segment was lost)"},
        {}, 0});
  }
  state.chain = chain;
  state.report.segments = state.segments.size();
  replay.finish(state);
  return state;
}

}  // namespace raftio::wal
