#include "wal_recovery.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "wal_format.h"

namespace raftio::wal {

namespace {

using format::kHeaderBytes;
using format::kRecordHeaderBytes;

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

StorageError corruption(const std::string& path, std::uint64_t offset, const std::string& what) {
  return StorageError{StorageError::Code::Corruption,
                      "WAL segment " + path + ": " + what + " at byte " + std::to_string(offset)};
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

// Whether a whole, valid record starts at `at`, chained from `seed`.
bool valid_record_at(const SharedBuffer& segment, std::size_t at, std::uint64_t seed) {
  const std::size_t size = segment.size();
  if (at + kRecordHeaderBytes > size) return false;
  const std::byte* record = segment.data() + at;
  const std::uint64_t length = load(record + 8, 4);
  if (length > size - at - kRecordHeaderBytes) return false;
  return load(record, 8) == format::chain_of(seed, record + 8, 5 + static_cast<std::size_t>(length));
}

}  // namespace

Result<RecoveredState, StorageError> recover_directory(FileSystem& fs, const std::string& dir) {
  RecoveredState state;
  auto names = fs.list(dir);
  if (!names) return unexpected(std::move(names).error());
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
    if (!read) return unexpected(std::move(read).error());
    const SharedBuffer segment = std::move(read).value();
    state.report.bytes += segment.size();
    const std::byte* data = segment.data();

    // A segment whose header never became durable can only be the last one (segments are made
    // durable before the next is created): it holds nothing, so it is discarded.
    if (segment.size() < kHeaderBytes) {
      if (last) {
        state.discarded.push_back(path);
        state.report.torn_tail = path + ": incomplete segment header (" + std::to_string(segment.size()) + " bytes)";
        state.report.torn_bytes_cut += segment.size();
        break;
      }
      return unexpected(corruption(path, segment.size(), "segment shorter than its header"));
    }
    if (std::memcmp(data, format::kMagic, sizeof format::kMagic) != 0) return unexpected(corruption(path, 0, "bad magic"));
    if (load(data + 48 - 8, 8) != format::header_checksum(data)) {
      return unexpected(corruption(path, kHeaderBytes - 8, "header checksum mismatch"));
    }
    if (load(data + 8, 4) != format::kVersion) return unexpected(corruption(path, 8, "unsupported version"));
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

    std::size_t at = kHeaderBytes;
    while (at < segment.size()) {
      const std::byte* record = data + at;
      const bool whole_header = at + kRecordHeaderBytes <= segment.size();
      const std::uint64_t length = whole_header ? load(record + 8, 4) : 0;
      const bool whole = whole_header && length <= segment.size() - at - kRecordHeaderBytes;
      std::string problem;
      if (!whole) {
        problem = "incomplete record";
      } else if (load(record, 8) != format::chain_of(chain, record + 8, 5 + static_cast<std::size_t>(length))) {
        problem = "record checksum mismatch";
      }
      if (!problem.empty()) {
        // The normal end of a crashed log: a record cut short, or garbage, at the very end of the
        // last segment. If a valid record follows, the damage is in the middle: corruption.
        const bool followed =
            whole && valid_record_at(segment, at + kRecordHeaderBytes + static_cast<std::size_t>(length), load(record, 8));
        if (!last || followed) return unexpected(corruption(path, at, problem));
        state.report.torn_tail = path + ": " + problem + " at byte " + std::to_string(at);
        state.report.torn_bytes_cut += segment.size() - at;
        break;
      }
      const auto kind = static_cast<std::uint8_t>(record[12]);
      if (!apply_record(kind, record + kRecordHeaderBytes, static_cast<std::size_t>(length), segment, replay)) {
        return unexpected(corruption(path, at, "invalid record (kind " + std::to_string(kind) + ")"));
      }
      chain = load(record, 8);
      at += kRecordHeaderBytes + static_cast<std::size_t>(length);
      ++state.report.records;
    }
    state.tail_bytes = at;
  }
  if (!replay.complete()) {
    return unexpected(StorageError{StorageError::Code::Corruption,
                                   "WAL " + dir + ": entries " + std::to_string(replay.snapshot().last_index + 1) + " to " +
                                       std::to_string(replay.first() - 1) + " are missing (a segment was lost)"});
  }
  state.chain = chain;
  state.report.segments = state.segments.size();
  replay.finish(state);
  return state;
}

}  // namespace raftio::wal
