#include "raftio/describe.h"
#include "raftio/follower_progress.h"

#include <string>
#include <type_traits>

namespace raftio {

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::Follower: return "follower";
    case Role::PreCandidate: return "pre-candidate";
    case Role::Candidate: return "candidate";
    case Role::Leader: return "leader";
  }
  return "invalid-role";
}

std::string_view to_string(FollowerProgress::State state) noexcept {
  switch (state) {
    case FollowerProgress::State::Probe: return "probe";
    case FollowerProgress::State::Replicate: return "replicate";
    case FollowerProgress::State::Snapshot: return "snapshot";
  }
  return "invalid-state";
}

std::string_view to_string(EntryKind kind) noexcept {
  switch (kind) {
    case EntryKind::Normal: return "normal";
    case EntryKind::Noop: return "noop";
    case EntryKind::Config: return "config";
  }
  return "invalid-kind";
}

std::string_view to_string(MessageKind kind) noexcept {
  switch (kind) {
    case MessageKind::RequestVote: return "RequestVote";
    case MessageKind::RequestVoteReply: return "RequestVoteReply";
    case MessageKind::PreVote: return "PreVote";
    case MessageKind::PreVoteReply: return "PreVoteReply";
    case MessageKind::AppendEntries: return "AppendEntries";
    case MessageKind::AppendEntriesReply: return "AppendEntriesReply";
    case MessageKind::InstallSnapshot: return "InstallSnapshot";
    case MessageKind::InstallSnapshotReply: return "InstallSnapshotReply";
    case MessageKind::TimeoutNow: return "TimeoutNow";
    case MessageKind::ReadIndexRequest: return "ReadIndexRequest";
    case MessageKind::ReadIndexReply: return "ReadIndexReply";
  }
  return "invalid-message-kind";
}

std::string_view to_string(RequestKind kind) noexcept {
  switch (kind) {
    case RequestKind::Propose: return "propose";
    case RequestKind::ReadIndex: return "read-index";
    case RequestKind::TransferLeadership: return "transfer-leadership";
    case RequestKind::SnapshotTaken: return "snapshot-taken";
    case RequestKind::ChangeMembership: return "change-membership";
  }
  return "invalid-request-kind";
}

std::string_view to_string(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::NotLeader: return "not-leader";
    case RejectReason::StorageFailed: return "storage-failed";
    case RejectReason::TransferInProgress: return "transfer-in-progress";
    case RejectReason::InvalidTarget: return "invalid-target";
    case RejectReason::TimedOut: return "timed-out";
    case RejectReason::InvalidSnapshot: return "invalid-snapshot";
    case RejectReason::ChangeInProgress: return "change-in-progress";
    case RejectReason::NotCaughtUp: return "not-caught-up";
    case RejectReason::SnapshotTooLarge: return "snapshot-too-large";
    case RejectReason::LogFull: return "log-full";
  }
  return "invalid-reject-reason";
}

std::string_view to_string(StorageError::Code code) noexcept {
  switch (code) {
    case StorageError::Code::Io: return "io";
    case StorageError::Code::NoSpace: return "no-space";
    case StorageError::Code::Corruption: return "corruption";
    case StorageError::Code::Misuse: return "misuse";
  }
  return "invalid-storage-code";
}

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

constexpr char kHex[] = "0123456789abcdef";

std::string hex64(std::uint64_t value) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = kHex[value & 15];
  return out;
}

std::string describe_payload(const Payload& payload) {
  std::string out = std::to_string(payload.size()) + "B";
  if (payload.empty()) return out;
  out += ':';
  const std::size_t shown = payload.size() < 8 ? payload.size() : 8;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned>(payload.data()[i]);
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  if (shown < payload.size()) out += "..";
  return out;
}

std::string head(std::string_view name, NodeId from, NodeId to, Term term) {
  std::string out(name);
  out += ' ' + std::to_string(from) + "->" + std::to_string(to) + " t" + std::to_string(term);
  return out;
}

std::string field(std::string_view name, std::uint64_t value) {
  return " " + std::string(name) + "=" + std::to_string(value);
}

std::string membership_text(const Membership& m) {
  std::string out = " voters=[";
  for (std::size_t i = 0; i < m.voters.size(); ++i) out += (i ? "," : "") + std::to_string(m.voters[i]);
  out += "] learners=[";
  for (std::size_t i = 0; i < m.learners.size(); ++i) out += (i ? "," : "") + std::to_string(m.learners[i]);
  return out + "]";
}

}  // namespace

std::string describe(const LogEntry& entry) {
  return std::to_string(entry.index) + "@t" + std::to_string(entry.term) + ":" + std::string(to_string(entry.kind)) +
         ":" + describe_payload(entry.data);
}

std::string describe(const Message& message) {
  return std::visit(
      Overloaded{
          [](const RequestVote& m) {
            return head("RequestVote", m.from, m.to, m.term) + field("last_index", m.last_log_index) +
                   field("last_term", m.last_log_term) + (m.leadership_transfer ? " transfer" : "");
          },
          [](const RequestVoteReply& m) {
            return head("RequestVoteReply", m.from, m.to, m.term) + (m.granted ? " granted" : " refused");
          },
          [](const PreVote& m) {
            return head("PreVote", m.from, m.to, m.term) + field("last_index", m.last_log_index) +
                   field("last_term", m.last_log_term);
          },
          [](const PreVoteReply& m) {
            return head("PreVoteReply", m.from, m.to, m.term) + (m.granted ? " granted" : " refused") +
                   field("voter_term", m.voter_term);
          },
          [](const AppendEntries& m) {
            std::string out = head("AppendEntries", m.from, m.to, m.term) + field("prev", m.prev_log_index) +
                              field("prev_term", m.prev_log_term) + field("commit", m.leader_commit) +
                              (m.read_round != 0 ? field("read_round", m.read_round) : "") +
                              (m.seq != 0 ? field("seq", m.seq) : "") + " [";
            for (std::size_t i = 0; i < m.entries.size(); ++i) out += (i ? " " : "") + describe(m.entries[i]);
            return out + "]";
          },
          [](const AppendEntriesReply& m) {
            std::string out = head("AppendEntriesReply", m.from, m.to, m.term);
            if (m.read_round != 0) out += field("read_round", m.read_round);
            if (m.seq != 0) out += field("seq", m.seq);
            if (m.success) return out + " ok" + field("match", m.match_index);
            return out + " reject" + field("index", m.reject_index) + field("hint", m.conflict_index) +
                   field("hint_term", m.conflict_term);
          },
          [](const InstallSnapshot& m) {
            return head("InstallSnapshot", m.from, m.to, m.term) + field("last_index", m.meta.last_index) +
                   field("last_term", m.meta.last_term) + membership_text(m.meta.membership) +
                   field("offset", m.offset) + " chunk=" + describe_payload(m.chunk) + (m.done ? " done" : "") +
                   field("total", m.total_bytes) + " checksum=" + hex64(m.checksum);
          },
          [](const InstallSnapshotReply& m) {
            return head("InstallSnapshotReply", m.from, m.to, m.term) + field("last_index", m.last_index) +
                   field("next_offset", m.next_offset) + (m.done ? " done" : "");
          },
          [](const TimeoutNow& m) { return head("TimeoutNow", m.from, m.to, m.term); },
          [](const ReadIndexRequest& m) { return head("ReadIndexRequest", m.from, m.to, m.term) + field("id", m.id); },
          [](const ReadIndexReply& m) {
            return head("ReadIndexReply", m.from, m.to, m.term) + field("id", m.id) +
                   (m.ok ? field("index", m.index) : std::string(" refused"));
          },
      },
      message);
}

std::string describe(const Event& event) {
  return std::visit(Overloaded{
                        [](const Tick&) { return std::string("tick"); },
                        [](const Receive& e) { return "receive " + describe(e.message); },
                        [](const Propose& e) { return "propose id=" + std::to_string(e.id) + " " + describe_payload(e.data); },
                        [](const ReadIndex& e) { return "read-index id=" + std::to_string(e.id); },
                        [](const TransferLeadership& e) {
                          return "transfer-leadership to=" + std::to_string(e.to) + " id=" + std::to_string(e.id);
                        },
                        [](const SnapshotTaken& e) {
                          return "snapshot-taken index=" + std::to_string(e.index) + " id=" + std::to_string(e.id) + " " +
                                 describe_payload(e.data);
                        },
                        [](const ChangeMembership& e) {
                          static constexpr const char* kNames[] = {"add-voter", "add-learner", "remove"};
                          const auto kind = static_cast<std::size_t>(e.change);
                          return "change-membership " + std::string(kind < 3 ? kNames[kind] : "invalid") +
                                 " node=" + std::to_string(e.node) + " id=" + std::to_string(e.id);
                        },
                        [](const Persisted& e) {
                          return "persisted index=" + std::to_string(e.index) + " t" + std::to_string(e.term);
                        },
                        [](const PersistFailed& e) {
                          return "persist-failed " + std::string(to_string(e.error.code)) + ": " + e.error.context;
                        },
                    },
                    event);
}

std::string describe(const Action& action) {
  return std::visit(
      Overloaded{
          [](const Send& a) { return "send " + describe(a.message); },
          [](const Apply& a) { return "apply " + describe(a.entry); },
          [](const LeaderChanged& a) {
            return "leader-changed t" + std::to_string(a.term) + " leader=" + std::to_string(a.leader);
          },
          [](const ProposalAccepted& a) {
            return "proposal-accepted id=" + std::to_string(a.id) + " index=" + std::to_string(a.index) + " t" +
                   std::to_string(a.term);
          },
          [](const Reject& a) {
            return "reject " + std::string(to_string(a.what)) + " id=" + std::to_string(a.id) + " " +
                   std::string(to_string(a.reason)) + " leader_hint=" + std::to_string(a.leader_hint);
          },
          [](const StorageFailed& a) {
            return "storage-failed " + std::string(to_string(a.error.code)) + ": " + a.error.context;
          },
          [](const RestoreSnapshot& a) {
            return "restore-snapshot index=" + std::to_string(a.snapshot.last_index) + " t" +
                   std::to_string(a.snapshot.last_term) + membership_text(a.snapshot.membership) + " " +
                   describe_payload(a.snapshot.data);
          },
          [](const SnapshotSuggested& a) {
            return "snapshot-suggested applied=" + std::to_string(a.applied) + " entries=" + std::to_string(a.entries);
          },
          [](const ReadReady& a) {
            return "read-ready id=" + std::to_string(a.id) + " index=" + std::to_string(a.index);
          },
          [](const Persist& a) {
            std::string out = "persist index=" + std::to_string(a.index) + " t" + std::to_string(a.term);
            if (a.hard_state) {
              out += " hard_state=t" + std::to_string(a.hard_state->term) + "/vote=" +
                     std::to_string(a.hard_state->vote) + "/commit=" + std::to_string(a.hard_state->commit);
            }
            if (a.truncate_from != 0) out += " truncate_from=" + std::to_string(a.truncate_from);
            if (a.snapshot) out += " snapshot=" + std::to_string(a.snapshot->last_index);
            std::size_t count = 0;
            for (const EntryBatch& run : a.entries) count += run.size();
            if (count > 0) {
              out += " entries=[" + std::to_string(a.entries.front().front().index) + ".." +
                     std::to_string(a.entries.back().back().index) + "]";
            }
            return out;
          },
      },
      action);
}

}  // namespace raftio
