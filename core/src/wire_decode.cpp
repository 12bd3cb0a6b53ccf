// Decoding: frame → Message, total over arbitrary input. Every field is checked against what the
// format allows, and every length against the bytes that remain before anything is allocated.
#include <string>
#include <utility>

#include "wire_io.h"

namespace raftio::wire {

std::string_view to_string(DecodeErrorCode code) noexcept {
  switch (code) {
    case DecodeErrorCode::Truncated: return "truncated";
    case DecodeErrorCode::BadMagic: return "bad magic";
    case DecodeErrorCode::UnsupportedVersion: return "unsupported version";
    case DecodeErrorCode::UnknownKind: return "unknown message kind";
    case DecodeErrorCode::LengthOverflow: return "frame longer than the maximum";
    case DecodeErrorCode::ChecksumMismatch: return "checksum mismatch";
    case DecodeErrorCode::InvalidField: return "invalid field";
    case DecodeErrorCode::TrailingBytes: return "trailing bytes";
  }
  return "invalid decode error";
}

std::string DecodeError::describe() const {
  std::string out = "wire decode: " + std::string(to_string(code)) + " at byte " + std::to_string(offset);
  if (!field.empty()) out += " (" + std::string(field) + ")";
  return out;
}

namespace detail {

namespace {

constexpr std::size_t kVersionOffset = 4;
constexpr std::size_t kKindOffset = 5;
constexpr std::size_t kLengthOffset = 6;
// The highest kind each version defines (index: version).
constexpr std::uint8_t kMaxKind[] = {0, static_cast<std::uint8_t>(MessageKind::TimeoutNow),
                                     static_cast<std::uint8_t>(MessageKind::ReadIndexReply),
                                     static_cast<std::uint8_t>(MessageKind::ReadIndexReply),
                                     static_cast<std::uint8_t>(MessageKind::ReadIndexReply)};
static_assert(sizeof kMaxKind == kVersion + 1, "a row per version");

// Makes payloads: views of the shared frame when there is one, copies otherwise.
struct PayloadMaker {
  const std::byte* frame;
  const SharedBuffer* shared;
  Payload operator()(const std::byte* data, std::size_t size) const {
    if (size == 0) return Payload();
    if (shared != nullptr) return shared->view(static_cast<std::size_t>(data - frame), size);
    return Payload::copy_of(data, size);
  }
};

// Node ids of a membership list: strictly increasing (sorted, no duplicates) and never 0.
std::vector<NodeId> read_ids(Reader& r, std::string_view field) {
  std::vector<NodeId> ids;
  const std::size_t count_at = r.offset();
  const std::uint32_t count = r.u32();
  if (count > r.remaining() / 8) {
    r.invalid(field, count_at);
    return ids;
  }
  ids.reserve(count);
  for (std::uint32_t i = 0; i < count && !r.failed(); ++i) {
    const std::size_t at = r.offset();
    const NodeId id = r.u64();
    if (id == kNoNode || (!ids.empty() && id <= ids.back())) r.invalid(field, at);
    ids.push_back(id);
  }
  return ids;
}

bool disjoint(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) return false;
    (a[i] < b[j] ? i : j) += 1;
  }
  return true;
}

EntryBatch read_entries(Reader& r, const PayloadMaker& make) {
  const std::size_t count_at = r.offset();
  const std::uint32_t count = r.u32();
  if (count > r.remaining() / kEntryHeaderBytes) {  // checked before anything is allocated
    r.invalid("entries.count", count_at);
    return EntryBatch();
  }
  EntryBatchBuilder builder(count);
  for (std::uint32_t i = 0; i < count && !r.failed(); ++i) {
    LogEntry entry;
    entry.term = r.u64();
    entry.index = r.u64();
    const std::size_t kind_at = r.offset();
    const std::uint8_t kind = r.u8();
    if (kind > static_cast<std::uint8_t>(EntryKind::Config)) r.invalid("entries[].kind", kind_at);
    entry.kind = static_cast<EntryKind>(kind);
    const std::size_t length_at = r.offset();
    const std::uint32_t length = r.u32();
    if (length > r.remaining()) r.invalid("entries[].length", length_at);
    const std::byte* data = r.take(length);
    if (r.failed()) break;
    entry.data = make(data, length);
    builder.push_back(std::move(entry));
  }
  return std::move(builder).finish();
}

// Version 2 appends read_round to AppendEntries and AppendEntriesReply; it is never 0 there (a
// round of 0 is written as version 1). Version 3 appends read_round (any value) and seq, which is
// never 0 (a seq of 0 is written in an older version). So each message has a single encoding.
template <class M>
void read_round_and_seq(Reader& r, std::uint8_t version, M& m) {
  if (version < 2) return;
  const std::size_t round_at = r.offset();
  m.read_round = r.u64();
  if (version == 2 && m.read_round == 0) r.invalid("read_round", round_at);
  if (version < 3) return;
  const std::size_t seq_at = r.offset();
  m.seq = r.u64();
  if (m.seq == 0) r.invalid("seq", seq_at);
}

Message read_message(std::uint8_t version, MessageKind kind, Reader& r, const PayloadMaker& make) {
  const NodeId from = r.u64();
  const NodeId to = r.u64();
  const Term term = r.u64();
  switch (kind) {
    case MessageKind::RequestVote: {
      RequestVote m{from, to, term, r.u64(), r.u64(), false};
      const std::size_t flags_at = r.offset();
      const std::uint8_t flags = r.u8();
      if (flags > 1) r.invalid("flags", flags_at);  // only bit 0 (leadership transfer) is defined
      m.leadership_transfer = (flags & 1) != 0;
      return m;
    }
    case MessageKind::RequestVoteReply: return RequestVoteReply{from, to, term, r.boolean("granted")};
    case MessageKind::PreVote: {
      PreVote m{from, to, term, 0, 0};
      m.last_log_index = r.u64();
      m.last_log_term = r.u64();
      return m;
    }
    case MessageKind::PreVoteReply: {
      const bool granted = r.boolean("granted");
      if (version >= 4) return PreVoteReply{from, to, term, granted, r.u64()};
      // Version 1's one term is the pre-vote's in a grant and the voter's in a refusal; the other
      // is 0, which no pre-vote and no voter ahead of anyone has.
      return granted ? PreVoteReply{from, to, term, true, 0} : PreVoteReply{from, to, 0, false, term};
    }
    case MessageKind::AppendEntries: {
      AppendEntries m{from, to, term, 0, 0, 0, {}};
      m.prev_log_index = r.u64();
      m.prev_log_term = r.u64();
      m.leader_commit = r.u64();
      m.entries = read_entries(r, make);
      read_round_and_seq(r, version, m);
      return m;
    }
    case MessageKind::AppendEntriesReply: {
      AppendEntriesReply m{from, to, term, r.boolean("success"), 0, 0, 0, 0};
      m.match_index = r.u64();
      m.reject_index = r.u64();
      m.conflict_index = r.u64();
      m.conflict_term = r.u64();
      read_round_and_seq(r, version, m);
      return m;
    }
    case MessageKind::InstallSnapshot: {
      InstallSnapshot m{from, to, term, {}, 0, {}, false};
      m.meta.last_index = r.u64();
      m.meta.last_term = r.u64();
      m.meta.membership.voters = read_ids(r, "meta.voters");
      const std::size_t learners_at = r.offset();
      m.meta.membership.learners = read_ids(r, "meta.learners");
      if (!r.failed() && !disjoint(m.meta.membership.voters, m.meta.membership.learners)) {
        r.invalid("meta.learners", learners_at);
      }
      m.offset = r.u64();
      const std::size_t length_at = r.offset();
      const std::uint32_t length = r.u32();
      if (length > r.remaining()) r.invalid("chunk.length", length_at);
      const std::byte* data = r.take(length);
      if (data != nullptr) m.chunk = make(data, length);
      m.done = r.boolean("done");
      if (version >= 3) {
        // Version 3 carries the snapshot's size and checksum, never both 0 (that is version 1).
        const std::size_t at = r.offset();
        m.total_bytes = r.u64();
        m.checksum = r.u64();
        if (m.total_bytes == 0 && m.checksum == 0) r.invalid("checksum", at + 8);
      }
      return m;
    }
    case MessageKind::InstallSnapshotReply: {
      InstallSnapshotReply m{from, to, term, 0, 0, false};
      m.last_index = r.u64();
      m.next_offset = r.u64();
      m.done = r.boolean("done");
      return m;
    }
    case MessageKind::TimeoutNow: return TimeoutNow{from, to, term};
    case MessageKind::ReadIndexRequest: return ReadIndexRequest{from, to, term, r.u64()};
    case MessageKind::ReadIndexReply: {
      ReadIndexReply m{from, to, term, 0, 0, false};
      m.id = r.u64();
      m.index = r.u64();
      m.ok = r.boolean("ok");
      return m;
    }
  }
  return TimeoutNow{};  // unreachable: check_header admits known kinds only
}

}  // namespace

// Checks the header bytes present in `prefix`, in order: magic, version, kind, length. A prefix
// of a valid header needs more bytes; it is never an error, so every truncation of a valid frame
// reads as Truncated and a stream decoder can reject garbage at its first wrong byte.
HeaderCheck check_header(const std::byte* prefix, std::size_t size, std::size_t max_frame_bytes) noexcept {
  HeaderCheck check;
  auto fail = [&check](DecodeErrorCode code, std::size_t at) {
    check.status = HeaderCheck::Status::Error;
    check.error = DecodeError{code, at, {}};
    return check;
  };
  for (std::size_t i = 0; i < sizeof kMagic && i < size; ++i) {
    if (prefix[i] != kMagic[i]) return fail(DecodeErrorCode::BadMagic, i);
  }
  if (size > kVersionOffset) {
    const auto version = static_cast<std::uint8_t>(prefix[kVersionOffset]);
    if (version == 0 || version > kVersion) return fail(DecodeErrorCode::UnsupportedVersion, kVersionOffset);
    if (size > kKindOffset && static_cast<std::uint8_t>(prefix[kKindOffset]) > kMaxKind[version]) {
      return fail(DecodeErrorCode::UnknownKind, kKindOffset);
    }
    check.version = version;
  }
  if (size < kHeaderBytes) return check;  // NeedMore
  const std::uint64_t frame_bytes = std::uint64_t{load_u32(prefix + kLengthOffset)} + kFrameOverheadBytes;
  if (frame_bytes > max_frame_bytes) return fail(DecodeErrorCode::LengthOverflow, kLengthOffset);
  check.status = HeaderCheck::Status::Ok;
  check.kind = static_cast<MessageKind>(prefix[kKindOffset]);
  check.frame_bytes = static_cast<std::size_t>(frame_bytes);
  return check;
}

DecodeResult decode_checked_frame(const std::byte* frame, const HeaderCheck& header, const SharedBuffer* shared) {
  const std::size_t checksum_at = header.frame_bytes - kChecksumBytes;
  if (load_u64(frame + checksum_at) != frame_checksum(frame, checksum_at)) {
    return unexpected(DecodeError{DecodeErrorCode::ChecksumMismatch, checksum_at, {}});
  }
  Reader r(frame + kHeaderBytes, checksum_at - kHeaderBytes, kHeaderBytes);
  Message message = read_message(header.version, header.kind, r, PayloadMaker{frame, shared});
  if (r.failed()) return unexpected(r.error());
  if (r.remaining() != 0) return unexpected(DecodeError{DecodeErrorCode::TrailingBytes, r.offset(), "body"});
  // A message that an older version can express must be sent in it (one encoding per message).
  if (version_for(message) != header.version) return unexpected(DecodeError{DecodeErrorCode::InvalidField, kVersionOffset, "version"});
  return message;
}

namespace {

DecodeResult decode_frame(const std::byte* bytes, std::size_t size, const DecodeOptions& options,
                          const SharedBuffer* shared) {
  const HeaderCheck header = check_header(bytes, size, options.max_frame_bytes);
  if (header.status == HeaderCheck::Status::Error) return unexpected(header.error);
  if (header.status == HeaderCheck::Status::NeedMore || size < header.frame_bytes) {
    return unexpected(DecodeError{DecodeErrorCode::Truncated, size, {}});
  }
  if (size > header.frame_bytes) {
    return unexpected(DecodeError{DecodeErrorCode::TrailingBytes, header.frame_bytes, {}});
  }
  return decode_checked_frame(bytes, header, shared);
}

}  // namespace
}  // namespace detail

DecodeResult decode(std::span<const std::byte> bytes, DecodeOptions options) {
  return detail::decode_frame(bytes.data(), bytes.size(), options, nullptr);
}

DecodeResult decode(const SharedBuffer& frame, DecodeOptions options) {
  return detail::decode_frame(frame.data(), frame.size(), options, &frame);
}

}  // namespace raftio::wire
