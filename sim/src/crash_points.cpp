// Crash points: faults that wait for a moment. The nemesis arms one (a point, a node or any node,
// crash or pause); the engine fires it right after the step in which the node did the named thing,
// so a run crashes a voter just after it granted a vote, a follower just after it acknowledged
// entries, an async node between handing out a write and the write (before the sync) or between
// the write and hearing of it (after the sync), a node halfway through an InstallSnapshot or a
// membership change, a leader just after it answered a read from its lease. Random crashes almost
// never land there; the bugs of a vote or an acknowledgement made before it was durable live there.
#include "sim_engine.h"

namespace raftio::sim {

namespace {

bool has_config_entry(const EntryBatch& entries) {
  for (const LogEntry& entry : entries.span()) {
    if (entry.kind == EntryKind::Config) return true;
  }
  return false;
}

}  // namespace

std::optional<ScheduledFault> Simulation::Engine::decide_crash_point() {
  const std::size_t n = options_.nodes;
  const std::uint64_t tick = options_.tick_us;
  ScheduledFault fault;
  fault.kind = FaultKind::CrashPoint;
  fault.point = static_cast<CrashPoint>(nemesis_rng_.below(kCrashPoints));
  fault.node = nemesis_rng_.chance(0.5) ? kNoNode : static_cast<NodeId>(1 + nemesis_rng_.below(n));
  // A pause only where it cannot break the promise lease reads rely on (SwarmConfig).
  fault.pause = config_.max_pause_ticks > 0 && nemesis_rng_.chance(0.3);
  if (fault.pause) {
    fault.duration_us = nemesis_rng_.between(tick / 10, config_.max_pause_ticks * tick);
  } else {
    // Mostly back before an election could finish without the node: a forgotten vote or
    // acknowledgement matters most when its node returns while the term it voted in still runs.
    fault.duration_us = nemesis_rng_.chance(0.7) ? nemesis_rng_.between(tick / 2, 2ULL * config_.election_ticks * tick)
                                                 : nemesis_rng_.between(20 * tick, 300 * tick);
  }
  // Before a sync needs a node: for a synchronous one the point fires at once (apply_crash_point).
  if (fault.point == CrashPoint::BeforeSync && fault.node == kNoNode) {
    fault.node = static_cast<NodeId>(1 + nemesis_rng_.below(n));
  }
  return fault;
}

bool Simulation::Engine::apply_crash_point(const ScheduledFault& fault) {
  if (fault.node > options_.nodes || majority_would_be_lost()) return false;
  if (fault.point == CrashPoint::BeforeSync && fault.node == kNoNode) return false;  // needs its node
  ArmedPoint point;
  point.point = fault.point;
  point.node = fault.node;
  point.pause = fault.pause;
  point.duration_us = fault.duration_us;
  point.until = now_ + 500 * options_.tick_us;
  if (point.point == CrashPoint::BeforeSync && !cluster_.async_storage(point.node)) {
    // A synchronous node writes and syncs inside its step: there is no moment between the two to
    // stop it, so its next fdatasync fails instead and the node stops there, its write unsynced.
    wal::FaultyFileSystem* disk = cluster_.disk(point.node);
    if (disk == nullptr || nodes_[point.node - 1].down) return false;
    ++counts_.crash_points_armed;
    disk->fail_next(wal::FaultyFileSystem::Op::Sync, StorageError::Code::Io);
    ++counts_.crash_points[static_cast<std::size_t>(CrashPoint::BeforeSync)];
    trace_fault("crash-point-fired", "\"point\":\"before-sync\",\"node\":" + std::to_string(point.node) +
                                         ",\"effect\":\"next-sync-fails\"");
    return true;
  }
  ++counts_.crash_points_armed;
  armed_ = point;
  trace_fault("crash-point-armed", "\"point\":\"" + std::string(to_string(point.point)) +
                                       "\",\"node\":" + std::to_string(point.node) + ",\"effect\":\"" +
                                       (point.pause ? "pause" : "crash") + "\"");
  return true;
}

bool Simulation::Engine::armed_for(CrashPoint point, NodeId id) const {
  return armed_ && armed_->point == point && (armed_->node == kNoNode || armed_->node == id);
}

// What the node is about to receive: the middle of a snapshot, or a configuration entry.
void Simulation::Engine::crash_point_event(NodeId id, const Event& event) {
  if (now_ > armed_->until || faults_stopped_) {
    armed_.reset();
    return;
  }
  const auto* receive = std::get_if<Receive>(&event);
  if (receive == nullptr) return;
  if (const auto* chunk = std::get_if<InstallSnapshot>(&receive->message)) {
    if (!chunk->done && armed_for(CrashPoint::MidSnapshot, id)) crash_point_due_ = id;
  } else if (const auto* append = std::get_if<AppendEntries>(&receive->message)) {
    if (armed_for(CrashPoint::MidMembership, id) && has_config_entry(append->entries)) crash_point_due_ = id;
  }
}

// What the node does in its step.
void Simulation::Engine::crash_point_action(NodeId id, const Action& action) {
  if (const auto* send = std::get_if<Send>(&action)) {
    const Message& message = send->message;
    if (const auto* vote = std::get_if<RequestVoteReply>(&message)) {
      if (vote->granted && armed_for(CrashPoint::AfterVote, id)) crash_point_due_ = id;
    } else if (const auto* ack = std::get_if<AppendEntriesReply>(&message)) {
      if (ack->success && (armed_for(CrashPoint::AfterAppendAck, id) ||
                           (armed_for(CrashPoint::AfterSync, id) && !cluster_.async_storage(id)))) {
        crash_point_due_ = id;  // a synchronous node synced within the step that acknowledges
      }
    } else if (const auto* chunk = std::get_if<InstallSnapshot>(&message)) {
      if (!chunk->done && armed_for(CrashPoint::MidSnapshot, id)) crash_point_due_ = id;
    } else if (const auto* append = std::get_if<AppendEntries>(&message)) {
      if (armed_for(CrashPoint::MidMembership, id) && has_config_entry(append->entries)) crash_point_due_ = id;
    }
  } else if (std::holds_alternative<Persist>(action)) {
    if (armed_for(CrashPoint::BeforeSync, id)) crash_point_due_ = id;
  } else if (std::holds_alternative<ReadReady>(action)) {
    if (armed_for(CrashPoint::InLease, id) && cluster_.node(id).is_leader()) crash_point_due_ = id;
  }
}

// An async node's I/O queue just wrote (and synced) a Persist; the node has not heard yet.
bool Simulation::Engine::crash_point_after_write(NodeId id) {
  if (!armed_ || now_ > armed_->until || faults_stopped_ || !armed_for(CrashPoint::AfterSync, id)) return false;
  armed_->pause = false;  // a paused node would wait for this report forever: crash it
  crash_point_due_ = id;
  fire_crash_point(id);
  return nodes_[id - 1].down || nodes_[id - 1].paused;
}

void Simulation::Engine::fire_crash_point(NodeId id) {
  crash_point_due_ = kNoNode;
  if (!armed_ || faults_stopped_) return;
  const std::size_t n = options_.nodes;
  if (unavailable() >= (n - 1) / 2 + (n == 1 ? 1 : 0)) return;  // keep a majority up; stay armed
  const ArmedPoint point = *armed_;
  armed_.reset();
  ++counts_.crash_points[static_cast<std::size_t>(point.point)];
  trace_fault("crash-point-fired", "\"point\":\"" + std::string(to_string(point.point)) + "\",\"node\":" +
                                       std::to_string(id) + ",\"effect\":\"" + (point.pause ? "pause" : "crash") + "\"");
  if (options_.timeline) timeline_.markers.push_back({now_, std::string(to_string(point.point)) + " " + std::to_string(id)});
  if (point.pause) {
    pause(id);
    at(now_ + point.duration_us, Kind::Resume, id);
  } else {
    crash(id, point.duration_us);
  }
}

}  // namespace raftio::sim
