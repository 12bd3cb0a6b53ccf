// The HTML timeline's sequence diagram: the messages delivered and the notable local events (role
// changes, crashes) of the last stretch of a run, kept in bounded queues and frozen at the first
// violation, so that the page shows who told whom what just before things went wrong. Runs only
// with SimOptions::timeline.
#include "raftio/describe.h"
#include "sim_engine.h"
#include "message_label.h"
#include "trace_digest.h"

namespace raftio::sim {

namespace {

constexpr std::size_t kSequenceMessages = 90;  // enough for a few rounds of an election and replication
constexpr std::size_t kSequenceNotes = 60;
constexpr std::size_t kMaxSendTimes = 50'000;  // lost messages are never received: forget old sends

std::string num(std::uint64_t v) { return std::to_string(v); }

}  // namespace

std::string short_label(const Message& message) {
  return std::visit(
      [](const auto& m) -> std::string {
        using M = std::decay_t<decltype(m)>;
        const std::string term = " t" + num(m.term);
        if constexpr (std::is_same_v<M, RequestVote>) {
          return "RequestVote" + term + " last " + num(m.last_log_index) + "/" + num(m.last_log_term);
        } else if constexpr (std::is_same_v<M, PreVote>) {
          return "PreVote" + term + " last " + num(m.last_log_index) + "/" + num(m.last_log_term);
        } else if constexpr (std::is_same_v<M, RequestVoteReply>) {
          return std::string(m.granted ? "vote granted" : "vote refused") + term;
        } else if constexpr (std::is_same_v<M, PreVoteReply>) {
          return std::string(m.granted ? "pre-vote granted" : "pre-vote refused") + term;
        } else if constexpr (std::is_same_v<M, AppendEntries>) {
          return (m.entries.empty() ? "heartbeat" : "AppendEntries") + term + " prev " + num(m.prev_log_index) + "/" +
                 num(m.prev_log_term) + (m.entries.empty() ? "" : " +" + num(m.entries.size())) + " commit " +
                 num(m.leader_commit);
        } else if constexpr (std::is_same_v<M, AppendEntriesReply>) {
          return m.success ? "ok" + term + " match " + num(m.match_index)
                           : "refused" + term + " at " + num(m.reject_index) + " hint " + num(m.conflict_index) + "/" +
                                 num(m.conflict_term);
        } else if constexpr (std::is_same_v<M, InstallSnapshot>) {
          return "InstallSnapshot" + term + " @" + num(m.meta.last_index) + " offset " + num(m.offset) +
                 (m.done ? " done" : "");
        } else if constexpr (std::is_same_v<M, InstallSnapshotReply>) {
          return "snapshot reply" + term + " @" + num(m.last_index) + (m.done ? " installed" : " next " + num(m.next_offset));
        } else if constexpr (std::is_same_v<M, TimeoutNow>) {
          return "TimeoutNow" + term;
        } else if constexpr (std::is_same_v<M, ReadIndexRequest>) {
          return "ReadIndex" + term + " id " + num(m.id);
        } else {
          return "ReadIndex reply" + term + (m.ok ? " index " + num(m.index) : " refused");
        }
      },
      message);
}

void Simulation::Engine::record_send(const Message& message) {
  if (sequence_frozen_) return;
  if (send_times_.size() >= kMaxSendTimes) {
    const std::uint64_t horizon = now_ > 10'000'000 ? now_ - 10'000'000 : 0;
    for (auto it = send_times_.begin(); it != send_times_.end();) it = it->second < horizon ? send_times_.erase(it) : std::next(it);
  }
  send_times_[digest(message)] = now_;
}

void Simulation::Engine::record_receive(const Message& message) {
  if (sequence_frozen_) return;
  const auto sent = send_times_.find(digest(message));
  recent_messages_.push_back(Timeline::Message{sender_of(message), receiver_of(message),
                                               sent != send_times_.end() ? sent->second : now_, now_,
                                               short_label(message), describe(message)});
  if (recent_messages_.size() > kSequenceMessages) recent_messages_.pop_front();
}

void Simulation::Engine::record_note(NodeId id, std::string label) {
  if (!options_.timeline || sequence_frozen_) return;
  recent_notes_.push_back(Timeline::Note{id, now_, std::move(label)});
  if (recent_notes_.size() > kSequenceNotes) recent_notes_.pop_front();
}

void Simulation::Engine::freeze_sequence(std::string label) {
  if (!options_.timeline || sequence_frozen_) return;
  sequence_frozen_ = true;
  timeline_.focus = now_;
  timeline_.focus_label = std::move(label);
}

void Simulation::Engine::finish_sequence() {
  sequence_frozen_ = true;
  timeline_.messages.assign(recent_messages_.begin(), recent_messages_.end());
  // Notes from before the first message would stretch the diagram over time it does not show.
  const std::uint64_t start = timeline_.messages.empty() ? 0 : timeline_.messages.front().sent;
  for (const Timeline::Note& note : recent_notes_) {
    if (note.time >= start) timeline_.notes.push_back(note);
  }
}

}  // namespace raftio::sim
