#include "trace_digest.h"

#include <cstring>
#include <type_traits>

namespace raftio::sim {

namespace {

// Fields are folded in with one multiply each and the result is finalized once: strong enough
// to tell two runs apart, and cheap enough to digest every event and action.
class Digest {
 public:
  Digest& add(std::uint64_t v) noexcept {
    hash_ = (hash_ ^ v) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
    return *this;
  }
  Digest& add(const Payload& p) noexcept {
    std::uint64_t head = 0;
    if (!p.empty()) std::memcpy(&head, p.data(), p.size() < 8 ? p.size() : 8);  // an empty payload has no data()
    return add(p.size()).add(head);
  }
  Digest& add(const LogEntry& e) noexcept { return add(e.term).add(e.index).add(static_cast<std::uint64_t>(e.kind)).add(e.data); }
  std::uint64_t value() const noexcept { return mix(hash_, 0); }

 private:
  std::uint64_t hash_ = 0x243f6a8885a308d3ULL;
};

}  // namespace

std::uint64_t digest(const Message& message) noexcept {
  Digest d;
  d.add(message.index()).add(sender_of(message)).add(receiver_of(message)).add(term_of(message));
  std::visit(
      [&d](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, RequestVote>) d.add(m.last_log_index).add(m.last_log_term).add(m.leadership_transfer);
        if constexpr (std::is_same_v<M, PreVote>) d.add(m.last_log_index).add(m.last_log_term);
        if constexpr (std::is_same_v<M, RequestVoteReply> || std::is_same_v<M, PreVoteReply>) d.add(m.granted);
        if constexpr (std::is_same_v<M, AppendEntries>) {
          d.add(m.prev_log_index).add(m.prev_log_term).add(m.leader_commit).add(m.entries.size());
          for (const LogEntry& e : m.entries) d.add(e);
          if (m.read_round != 0) d.add(m.read_round);  // keeps digests of read-free runs unchanged
        }
        if constexpr (std::is_same_v<M, AppendEntriesReply>) {
          d.add(m.success).add(m.match_index).add(m.reject_index).add(m.conflict_index).add(m.conflict_term);
          if (m.read_round != 0) d.add(m.read_round);
        }
        if constexpr (std::is_same_v<M, InstallSnapshot>) d.add(m.meta.last_index).add(m.offset).add(m.chunk).add(m.done);
        if constexpr (std::is_same_v<M, InstallSnapshotReply>) d.add(m.last_index).add(m.next_offset).add(m.done);
        if constexpr (std::is_same_v<M, ReadIndexRequest>) d.add(m.id);
        if constexpr (std::is_same_v<M, ReadIndexReply>) d.add(m.id).add(m.index).add(m.ok);
      },
      message);
  return d.value();
}

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) noexcept {
  std::uint64_t z = hash ^ (value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t digest(const Event& event) noexcept {
  Digest d;
  d.add(event.index());
  if (const auto* receive = std::get_if<Receive>(&event)) d.add(digest(receive->message));
  if (const auto* propose = std::get_if<Propose>(&event)) d.add(propose->id).add(propose->data);
  if (const auto* read = std::get_if<ReadIndex>(&event)) d.add(read->id);
  if (const auto* transfer = std::get_if<TransferLeadership>(&event)) d.add(transfer->to);
  if (const auto* taken = std::get_if<SnapshotTaken>(&event)) d.add(taken->index).add(taken->data);
  if (const auto* change = std::get_if<ChangeMembership>(&event)) {
    d.add(static_cast<std::uint64_t>(change->change)).add(change->node).add(change->id);
  }
  if (const auto* persisted = std::get_if<Persisted>(&event)) d.add(persisted->index).add(persisted->term);
  return d.value();
}

std::uint64_t digest(const Action& action) noexcept {
  Digest d;
  d.add(action.index());
  std::visit(
      [&d](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, Send>) d.add(digest(a.message));
        if constexpr (std::is_same_v<A, Apply>) d.add(a.entry);
        if constexpr (std::is_same_v<A, LeaderChanged>) d.add(a.term).add(a.leader);
        if constexpr (std::is_same_v<A, ProposalAccepted>) d.add(a.id).add(a.index).add(a.term);
        if constexpr (std::is_same_v<A, Reject>) {
          d.add(static_cast<std::uint64_t>(a.reason)).add(a.leader_hint).add(a.id);
          if (a.what != RequestKind::Propose) d.add(static_cast<std::uint64_t>(a.what));
        }
        if constexpr (std::is_same_v<A, StorageFailed>) d.add(static_cast<std::uint64_t>(a.error.code));
        if constexpr (std::is_same_v<A, ReadReady>) d.add(a.id).add(a.index);
        if constexpr (std::is_same_v<A, RestoreSnapshot>) d.add(a.snapshot.last_index).add(a.snapshot.last_term).add(a.snapshot.data);
        if constexpr (std::is_same_v<A, SnapshotSuggested>) d.add(a.applied).add(a.entries);
        if constexpr (std::is_same_v<A, Persist>) {
          d.add(a.index).add(a.term).add(a.truncate_from);
          if (a.hard_state) d.add(a.hard_state->term).add(a.hard_state->vote).add(a.hard_state->commit);
          if (a.snapshot) d.add(a.snapshot->last_index);
          for (const EntryBatch& run : a.entries) d.add(run.size());
        }
      },
      action);
  return d.value();
}

}  // namespace raftio::sim
