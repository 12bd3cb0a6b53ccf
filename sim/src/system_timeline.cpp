#include "system_timeline.h"

#include <utility>

namespace raftio::sim::detail {
namespace {

constexpr std::size_t kSequenceMessages = 90;  // as the key-value simulator's diagram
constexpr std::size_t kSequenceNotes = 60;

}  // namespace

SystemTimelineRecorder::SystemTimelineRecorder(Timeline& out, std::size_t nodes, std::string title)
    : out_(out), open_(nodes) {
  out_ = Timeline{};
  out_.title = std::move(title);
  for (NodeId id = 1; id <= nodes; ++id) out_.nodes.push_back(id);
}

void SystemTimelineRecorder::step(NodeId node, Role role, Term term, Index commit, std::uint64_t time) {
  Open& o = open_[node - 1];
  const std::uint64_t t = time * kMicrosPerUnit;
  if (!o.role_open || o.role != role || o.term != term) {
    if (o.role_open && role == Role::Leader) note(node, time, "leader t" + std::to_string(term));
    close_role(node, time);
    o.role_open = true;
    o.role = role;
    o.term = term;
    o.role_start = t;
  }
  if (commit != o.commit) {
    o.commit = commit;
    out_.commits.push_back({node, t, commit});
  }
}

void SystemTimelineRecorder::close_role(NodeId node, std::uint64_t time) {
  Open& o = open_[node - 1];
  if (!o.role_open) return;
  o.role_open = false;
  out_.roles.push_back({node, o.role, o.term, o.role_start, time * kMicrosPerUnit});
}

void SystemTimelineRecorder::close_outage(NodeId node, std::uint64_t time) {
  Open& o = open_[node - 1];
  if (!o.outage_start) return;
  out_.outages.push_back({node, *o.outage_start, time * kMicrosPerUnit, o.outage_kind});
  o.outage_start.reset();
}

void SystemTimelineRecorder::down(NodeId node, std::uint64_t time, const std::string& kind) {
  close_outage(node, time);  // a paused node that crashes: the pause ends, the crash begins
  Open& o = open_[node - 1];
  if (kind == "crash") {
    close_role(node, time);
    o.commit = 0;  // a restarted node starts from what its log recovers
  }
  o.outage_start = time * kMicrosPerUnit;
  o.outage_kind = kind;
  note(node, time, kind);
}

void SystemTimelineRecorder::up(NodeId node, std::uint64_t time) {
  const std::string kind = open_[node - 1].outage_kind;
  close_outage(node, time);
  note(node, time, kind == "crash" ? "restart" : "resume");
}

void SystemTimelineRecorder::partition(std::uint64_t time, const std::string& description) {
  heal(time);
  partition_start_ = time * kMicrosPerUnit;
  partition_description_ = description;
}

void SystemTimelineRecorder::heal(std::uint64_t time) {
  if (!partition_start_) return;
  out_.faults.push_back({*partition_start_, time * kMicrosPerUnit, partition_description_});
  partition_start_.reset();
}

void SystemTimelineRecorder::marker(std::uint64_t time, const std::string& label) {
  out_.markers.push_back({time * kMicrosPerUnit, label});
}

void SystemTimelineRecorder::message(NodeId from, NodeId to, std::uint64_t sent, std::uint64_t received,
                                     std::string label, std::string detail) {
  if (frozen_) return;
  messages_.push_back({from, to, sent * kMicrosPerUnit, received * kMicrosPerUnit, std::move(label), std::move(detail)});
  if (messages_.size() > kSequenceMessages) messages_.pop_front();
}

void SystemTimelineRecorder::note(NodeId node, std::uint64_t time, std::string label) {
  if (frozen_) return;
  notes_.push_back({node, time * kMicrosPerUnit, std::move(label)});
  if (notes_.size() > kSequenceNotes) notes_.pop_front();
}

void SystemTimelineRecorder::freeze(std::uint64_t time, const std::string& label) {
  if (frozen_) return;
  marker(time, "failure");
  frozen_ = true;
  out_.focus = time * kMicrosPerUnit;
  out_.focus_label = label;
}

void SystemTimelineRecorder::finish(std::uint64_t end) {
  for (NodeId node = 1; node <= open_.size(); ++node) {
    close_role(node, end);
    close_outage(node, end);
  }
  heal(end);
  out_.end_time = end * kMicrosPerUnit;
  out_.messages.assign(messages_.begin(), messages_.end());
  // Notes from before the first message would stretch the diagram over time it does not show.
  const std::uint64_t start = out_.messages.empty() ? 0 : out_.messages.front().sent;
  for (const Timeline::Note& n : notes_) {
    if (n.time >= start) out_.notes.push_back(n);
  }
}

}  // namespace raftio::sim::detail
