// The messages Raft nodes exchange. Every message names its sender, its addressee and a term; a
// receiver treats every field as hostile (see docs/PROTOCOL.md). `term` is the sender's current
// term in every message but the two of a pre-vote, where it is the term the pre-vote is about:
// PreVote (the term the sender would campaign in) and PreVoteReply (that same term; the voter's
// own term is its `voter_term`). Replies have named
// constructors that answer a request, so that the fields whose meaning depends on the outcome
// cannot be filled in wrong; they are also plain aggregates, for designated initializers.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

#include "raftio/entry.h"
#include "raftio/state.h"
#include "raftio/types.h"

namespace raftio {

// §5.2: a candidate asks for a vote. `leadership_transfer` is set when the campaign was started by
// TimeoutNow, so voters skip the leader-lease check (thesis §3.10).
struct RequestVote {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  Index last_log_index = 0;
  Term last_log_term = 0;
  bool leadership_transfer = false;
  friend bool operator==(const RequestVote&, const RequestVote&) = default;
};

// `term`: the voter's current term, which is the request's once the voter has adopted it (§5.1).
struct RequestVoteReply {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  bool granted = false;

  static RequestVoteReply grant(const RequestVote& request) noexcept {
    return {request.to, request.from, request.term, true};
  }
  // `voter_term`: the voter's current term (at least the request's).
  static RequestVoteReply refuse(const RequestVote& request, Term voter_term) noexcept {
    return {request.to, request.from, voter_term, false};
  }
  friend bool operator==(const RequestVoteReply&, const RequestVoteReply&) = default;
};

// Thesis §9.6: a pre-vote asks "would you vote for me in `term`?" without anyone changing term.
// `term` is the term the sender would campaign in (its own term + 1).
struct PreVote {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  Index last_log_index = 0;
  Term last_log_term = 0;
  friend bool operator==(const PreVote&, const PreVote&) = default;
};

// `term` is the pre-vote's term, in a grant and in a refusal alike: the answer is about that term,
// and a pre-candidate counts only answers for the term it probes. `voter_term` is the voter's
// current term. A grant promises a vote in `term` and changes nobody's term (the voter's own term is
// at most `term`); a refusal from a voter ahead of the sender makes the sender catch up to
// `voter_term` (§5.1). Build them with grant() and refuse().
struct PreVoteReply {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  bool granted = false;
  Term voter_term = 0;

  static PreVoteReply grant(const PreVote& request, Term voter_term) noexcept {
    return {request.to, request.from, request.term, true, voter_term};
  }
  static PreVoteReply refuse(const PreVote& request, Term voter_term) noexcept {
    return {request.to, request.from, request.term, false, voter_term};
  }
  friend bool operator==(const PreVoteReply&, const PreVoteReply&) = default;
};

// §5.3: replicate entries (prev_index + 1 ...) and carry the leader's commit index. An empty
// batch is a heartbeat.
struct AppendEntries {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  Index prev_log_index = 0;
  Term prev_log_term = 0;
  Index leader_commit = 0;
  EntryBatch entries;
  // Thesis §6.4: the leader's latest read-confirmation round, echoed in the reply. A quorum of
  // replies carrying round r proves the sender still led after every read of round <= r arrived.
  // 0 when the leader never served a read (such messages stay wire version 1).
  std::uint64_t read_round = 0;
  // The leader numbers its AppendEntries (from 1 within its term, one sequence for all followers,
  // so a follower removed and added back never sees a number twice) and the reply echoes it. A refusal at or below matchIndex of a message sent before the newest
  // acknowledgement arrived may be stale and never moves matchIndex back; a refusal of one sent
  // after it proves the follower lost entries it acknowledged. 0 from senders older than wire
  // version 3.
  std::uint64_t seq = 0;
  friend bool operator==(const AppendEntries&, const AppendEntries&) = default;
};

struct AppendEntriesReply {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  bool success = false;
  // success: the follower's log matches the leader's up to and including this index.
  Index match_index = 0;
  // failure: the prev_log_index of the request being refused (lets the leader spot stale replies).
  Index reject_index = 0;
  // failure: fast-backtracking hint — the last index at or below reject_index whose term is at most
  // the request's prev_log_term, and that entry's term (0, 0 when the follower has nothing there).
  Index conflict_index = 0;
  Term conflict_term = 0;
  std::uint64_t read_round = 0;  // the request's read_round, echoed
  std::uint64_t seq = 0;         // the request's seq, echoed

  // `term` is the follower's current term, which is the request's when it is answered on its
  // merits (the follower adopted it, §5.1).
  // The follower's log matches the request's up to and including `match_index`.
  static AppendEntriesReply accept(const AppendEntries& request, Index match_index) noexcept {
    return {request.to, request.from, request.term, true, match_index, 0, 0, 0, request.read_round, request.seq};
  }
  // The §5.3 consistency check failed at the request's prev_log_index; `conflict_index` and
  // `conflict_term` are the backtracking hint (see above).
  static AppendEntriesReply reject(const AppendEntries& request, Index conflict_index, Term conflict_term) noexcept {
    return {request.to,   request.from,          request.term,       false, 0, request.prev_log_index,
            conflict_index, conflict_term, request.read_round, request.seq};
  }
  // The request's term is older than the follower's `current_term`: the sender learns the newer
  // term and steps down. No index field is set.
  static AppendEntriesReply stale_term(const AppendEntries& request, Term current_term) noexcept {
    return {request.to, request.from, current_term, false, 0, 0, 0, 0, 0, 0};
  }
  friend bool operator==(const AppendEntriesReply&, const AppendEntriesReply&) = default;
};

// A chunk of a snapshot, sent to a follower that needs entries the leader has compacted away.
struct InstallSnapshot {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  SnapshotMeta meta;
  std::uint64_t offset = 0;  // byte offset of `chunk` in the snapshot data
  Payload chunk;
  bool done = false;  // last chunk
  // The whole snapshot's size and its xxh3-64 (snapshot_checksum), the same in every chunk: the
  // follower refuses a snapshot larger than RaftConfig::max_snapshot_bytes at its first chunk, never
  // splices chunks of two different snapshots, and verifies the bytes before it saves them. Wire
  // version 3; a message without them (both 0) is never installed.
  std::uint64_t total_bytes = 0;
  std::uint64_t checksum = 0;
  friend bool operator==(const InstallSnapshot&, const InstallSnapshot&) = default;
};

struct InstallSnapshotReply {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  Index last_index = 0;           // the snapshot this reply is about
  std::uint64_t next_offset = 0;  // the byte the follower expects next (resumption point)
  bool done = false;              // the follower has installed the whole snapshot
  friend bool operator==(const InstallSnapshotReply&, const InstallSnapshotReply&) = default;
};

// Thesis §3.10: the leader tells an up-to-date follower to campaign at once.
struct TimeoutNow {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  friend bool operator==(const TimeoutNow&, const TimeoutNow&) = default;
};

// A follower forwards its client's ReadIndex request to the leader. `id` is the follower's own
// request id; the leader keys it by (from, id).
struct ReadIndexRequest {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  std::uint64_t id = 0;
  friend bool operator==(const ReadIndexRequest&, const ReadIndexRequest&) = default;
};

// The leader's answer to a forwarded read: the confirmed read index, or a refusal (the receiver
// was not leader, or could not confirm its leadership in time).
struct ReadIndexReply {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  std::uint64_t id = 0;
  Index index = 0;
  bool ok = false;
  friend bool operator==(const ReadIndexReply&, const ReadIndexReply&) = default;
};

using Message = std::variant<RequestVote, RequestVoteReply, PreVote, PreVoteReply, AppendEntries,
                             AppendEntriesReply, InstallSnapshot, InstallSnapshotReply, TimeoutNow,
                             ReadIndexRequest, ReadIndexReply>;

// Stable numbering of message kinds (the variant index), also used on the wire.
enum class MessageKind : std::uint8_t {
  RequestVote = 0,
  RequestVoteReply = 1,
  PreVote = 2,
  PreVoteReply = 3,
  AppendEntries = 4,
  AppendEntriesReply = 5,
  InstallSnapshot = 6,
  InstallSnapshotReply = 7,
  TimeoutNow = 8,
  ReadIndexRequest = 9,  // wire version 2
  ReadIndexReply = 10,   // wire version 2
};

inline MessageKind kind_of(const Message& m) noexcept { return static_cast<MessageKind>(m.index()); }
inline NodeId sender_of(const Message& m) noexcept {
  return std::visit([](const auto& x) { return x.from; }, m);
}
inline NodeId receiver_of(const Message& m) noexcept {
  return std::visit([](const auto& x) { return x.to; }, m);
}
inline Term term_of(const Message& m) noexcept {
  return std::visit([](const auto& x) { return x.term; }, m);
}
std::string_view to_string(MessageKind kind) noexcept;

}  // namespace raftio
