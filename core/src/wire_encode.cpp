// Encoding: Message → frame. Layouts are in docs/PROTOCOL.md ("Wire format").
#include <type_traits>

#include "checksum.h"
#include "wire_io.h"

namespace raftio::wire {

namespace {

// Frames with a payload at least this large are appended piece by piece (see AppendingWriter).
constexpr std::size_t kLargePayloadBytes = 16 * 1024;

bool has_large_payload(const Message& message) noexcept {
  if (const auto* m = std::get_if<InstallSnapshot>(&message)) return m->chunk.size() >= kLargePayloadBytes;
  if (const auto* m = std::get_if<AppendEntries>(&message)) {
    for (const LogEntry& e : m->entries) {
      if (e.data.size() >= kLargePayloadBytes) return true;
    }
  }
  return false;
}

// Version 2 adds read_round to AppendEntries and its reply; version 3 adds seq (and always
// carries read_round, 0 or not), and the size and checksum of InstallSnapshot; version 4 adds
// voter_term to PreVoteReply.
template <class M>
std::uint8_t append_version(const M& m) noexcept {
  return m.seq != 0 ? 3 : m.read_round != 0 ? 2 : 1;
}
template <class M>
std::size_t round_and_seq_bytes(const M& m) noexcept {
  return (append_version(m) - 1) * std::size_t{8};
}
bool snapshot_v3(const InstallSnapshot& m) noexcept { return m.total_bytes != 0 || m.checksum != 0; }

// Version 1 has one term in a PreVoteReply: the pre-vote's in a grant, the voter's in a refusal.
// It expresses a grant whose voter_term is 0 and a refusal whose term is 0 (what a version 1 frame
// decodes to); version 4 carries both terms.
bool pre_vote_reply_v1(const PreVoteReply& m) noexcept { return m.granted ? m.voter_term == 0 : m.term == 0; }

std::size_t membership_bytes(const Membership& m) noexcept { return 4 + 8 * m.voters.size() + 4 + 8 * m.learners.size(); }

std::size_t body_size(const Message& message) noexcept {
  return detail::kCommonBytes + std::visit(
                                    [](const auto& m) -> std::size_t {
                                      using M = std::decay_t<decltype(m)>;
                                      if constexpr (std::is_same_v<M, RequestVote>) return 8 + 8 + 1;
                                      if constexpr (std::is_same_v<M, RequestVoteReply>) return 1;
                                      if constexpr (std::is_same_v<M, PreVote>) return 8 + 8;
                                      if constexpr (std::is_same_v<M, PreVoteReply>) return pre_vote_reply_v1(m) ? 1 : 1 + 8;
                                      if constexpr (std::is_same_v<M, AppendEntries>) {
                                        std::size_t size = 8 + 8 + 8 + 4 + round_and_seq_bytes(m);
                                        for (const LogEntry& e : m.entries) size += detail::kEntryHeaderBytes + e.data.size();
                                        return size;
                                      }
                                      if constexpr (std::is_same_v<M, AppendEntriesReply>) {
                                        return 1 + 8 * 4 + round_and_seq_bytes(m);
                                      }
                                      if constexpr (std::is_same_v<M, InstallSnapshot>) {
                                        return 8 + 8 + membership_bytes(m.meta.membership) + 8 + 4 + m.chunk.size() + 1 +
                                               (snapshot_v3(m) ? 16 : 0);
                                      }
                                      if constexpr (std::is_same_v<M, InstallSnapshotReply>) return 8 + 8 + 1;
                                      if constexpr (std::is_same_v<M, TimeoutNow>) return 0;
                                      if constexpr (std::is_same_v<M, ReadIndexRequest>) return 8;
                                      if constexpr (std::is_same_v<M, ReadIndexReply>) return 8 + 8 + 1;
                                    },
                                    message);
}

template <class Writer>
void write_ids(Writer& w, const std::vector<NodeId>& ids) {
  w.u32(static_cast<std::uint32_t>(ids.size()));
  for (NodeId id : ids) w.u64(id);
}

template <class Writer, class M>
void write_round_and_seq(Writer& w, const M& m) {
  const std::uint8_t version = append_version(m);
  if (version >= 2) w.u64(m.read_round);
  if (version >= 3) w.u64(m.seq);
}

template <class Writer>
void write_body(Writer& w, const Message& message) {
  std::visit(
      [&w](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        w.u64(m.from);
        w.u64(m.to);
        if constexpr (std::is_same_v<M, PreVoteReply>) {
          w.u64(pre_vote_reply_v1(m) && !m.granted ? m.voter_term : m.term);
        } else {
          w.u64(m.term);
        }
        if constexpr (std::is_same_v<M, RequestVote>) {
          w.u64(m.last_log_index);
          w.u64(m.last_log_term);
          w.u8(m.leadership_transfer ? 1 : 0);  // flags: bit 0 = leadership transfer
        } else if constexpr (std::is_same_v<M, RequestVoteReply>) {
          w.boolean(m.granted);
        } else if constexpr (std::is_same_v<M, PreVoteReply>) {
          w.boolean(m.granted);
          if (!pre_vote_reply_v1(m)) w.u64(m.voter_term);
        } else if constexpr (std::is_same_v<M, PreVote>) {
          w.u64(m.last_log_index);
          w.u64(m.last_log_term);
        } else if constexpr (std::is_same_v<M, AppendEntries>) {
          w.u64(m.prev_log_index);
          w.u64(m.prev_log_term);
          w.u64(m.leader_commit);
          w.u32(static_cast<std::uint32_t>(m.entries.size()));
          for (const LogEntry& e : m.entries) {
            w.u64(e.term);
            w.u64(e.index);
            w.u8(static_cast<std::uint8_t>(e.kind));
            w.u32(static_cast<std::uint32_t>(e.data.size()));
            w.bytes(e.data.data(), e.data.size());
          }
          write_round_and_seq(w, m);
        } else if constexpr (std::is_same_v<M, AppendEntriesReply>) {
          w.boolean(m.success);
          w.u64(m.match_index);
          w.u64(m.reject_index);
          w.u64(m.conflict_index);
          w.u64(m.conflict_term);
          write_round_and_seq(w, m);
        } else if constexpr (std::is_same_v<M, InstallSnapshot>) {
          w.u64(m.meta.last_index);
          w.u64(m.meta.last_term);
          write_ids(w, m.meta.membership.voters);
          write_ids(w, m.meta.membership.learners);
          w.u64(m.offset);
          w.u32(static_cast<std::uint32_t>(m.chunk.size()));
          w.bytes(m.chunk.data(), m.chunk.size());
          w.boolean(m.done);
          if (snapshot_v3(m)) {
            w.u64(m.total_bytes);
            w.u64(m.checksum);
          }
        } else if constexpr (std::is_same_v<M, InstallSnapshotReply>) {
          w.u64(m.last_index);
          w.u64(m.next_offset);
          w.boolean(m.done);
        } else if constexpr (std::is_same_v<M, ReadIndexRequest>) {
          w.u64(m.id);
        } else if constexpr (std::is_same_v<M, ReadIndexReply>) {
          w.u64(m.id);
          w.u64(m.index);
          w.boolean(m.ok);
        }
      },
      message);
}

template <class Writer>
void write_header_and_body(Writer& w, const Message& message, std::size_t body) {
  w.bytes(kMagic, sizeof kMagic);
  w.u8(version_for(message));
  w.u8(static_cast<std::uint8_t>(kind_of(message)));
  w.u32(static_cast<std::uint32_t>(body));
  write_body(w, message);
}

}  // namespace

std::uint64_t detail::frame_checksum(const std::byte* frame, std::size_t bytes_before_checksum) noexcept {
  return detail::xxh3_64(frame, bytes_before_checksum);
}

std::uint8_t version_for(const Message& message) noexcept {
  switch (kind_of(message)) {
    case MessageKind::AppendEntries: return append_version(std::get<AppendEntries>(message));
    case MessageKind::AppendEntriesReply: return append_version(std::get<AppendEntriesReply>(message));
    case MessageKind::InstallSnapshot: return snapshot_v3(std::get<InstallSnapshot>(message)) ? 3 : 1;
    case MessageKind::ReadIndexRequest:
    case MessageKind::ReadIndexReply: return 2;
    case MessageKind::PreVoteReply: return pre_vote_reply_v1(std::get<PreVoteReply>(message)) ? 1 : 4;
    default: return 1;
  }
}

std::size_t frame_size(const Message& message) noexcept { return kFrameOverheadBytes + body_size(message); }

void encode_into(const Message& message, std::vector<std::byte>& buffer) {
  const std::size_t start = buffer.size();
  const std::size_t body = body_size(message);
  const std::size_t checksum_at = start + kHeaderBytes + body;
  if (has_large_payload(message)) {
    buffer.reserve(checksum_at + kChecksumBytes);
    detail::AppendingWriter w(buffer);
    write_header_and_body(w, message, body);
    w.u64(detail::frame_checksum(buffer.data() + start, kHeaderBytes + body));
  } else {
    buffer.resize(checksum_at + kChecksumBytes);
    detail::PresizedWriter w(buffer.data() + start);
    write_header_and_body(w, message, body);
    w.u64(detail::frame_checksum(buffer.data() + start, kHeaderBytes + body));
  }
}

std::vector<std::byte> encode(const Message& message) {
  std::vector<std::byte> buffer;
  encode_into(message, buffer);
  return buffer;
}

}  // namespace raftio::wire
