// The simulator's event loop: one queue of timed events (node ticks, client wake-ups, nemesis
// steps, restarts) merged with the network's deliveries, processed in (time, sequence) order.
#include <algorithm>
#include <chrono>

#include "raftio/sim/history_io.h"
#include "sim_engine.h"
#include "trace_digest.h"
#include "trace_json.h"

namespace raftio::sim {

namespace {

std::uint64_t async_nodes(const SimOptions& options) {
  switch (options.storage_mode) {
    case StorageMode::Sync: return 0;
    case StorageMode::Async: return kAllNodes;
    case StorageMode::Mixed: break;
  }
  const std::uint64_t all = options.nodes >= 64 ? kAllNodes : (std::uint64_t{1} << options.nodes) - 1;
  std::uint64_t mask = SimRng{options.seed ^ 0xa57c0000ULL}.next() & all;
  if (options.nodes >= 2 && (mask == 0 || mask == all)) mask ^= 1;  // one of each
  return mask;
}

ClusterOptions cluster_options(const SimOptions& options, const SwarmConfig& config) {
  ClusterOptions cluster;
  cluster.nodes = options.nodes;
  cluster.storage = options.storage;
  cluster.seed = options.seed;
  cluster.trace = false;  // the engine hashes its own, cheaper digests
  cluster.election_ticks = config.election_ticks;
  cluster.heartbeat_ticks = config.heartbeat_ticks;
  cluster.pre_vote = config.pre_vote;
  cluster.check_quorum = config.check_quorum;
  cluster.max_entries_per_msg = config.max_entries_per_msg;
  cluster.max_bytes_per_msg = config.max_bytes_per_msg;
  cluster.max_inflight_msgs = config.max_inflight_msgs;
  cluster.snapshot_threshold = config.snapshot_threshold;
  cluster.snapshot_chunk_bytes = config.snapshot_chunk_bytes;
  cluster.lease_reads = config.lease_reads;
  cluster.async_storage = async_nodes(options);
  return cluster;
}

}  // namespace

std::string_view to_string(FaultProfile profile) noexcept {
  switch (profile) {
    case FaultProfile::None: return "none";
    case FaultProfile::Network: return "network";
    case FaultProfile::Crash: return "crash";
    case FaultProfile::All: return "all";
  }
  return "?";
}

std::string_view to_string(StorageMode mode) noexcept {
  switch (mode) {
    case StorageMode::Sync: return "sync";
    case StorageMode::Async: return "async";
    case StorageMode::Mixed: return "mixed";
  }
  return "?";
}

bool parse_storage_mode(std::string_view text, StorageMode& mode) noexcept {
  for (StorageMode m : {StorageMode::Sync, StorageMode::Async, StorageMode::Mixed}) {
    if (text == to_string(m)) {
      mode = m;
      return true;
    }
  }
  return false;
}

std::string_view to_string(PlantedBug bug) noexcept {
  switch (bug) {
    case PlantedBug::None: return "none";
    case PlantedBug::CrashLosesLogTail: return "crash-loses-log-tail";
  }
  return "?";
}

bool parse_planted_bug(std::string_view text, PlantedBug& bug) noexcept {
  for (PlantedBug b : {PlantedBug::None, PlantedBug::CrashLosesLogTail}) {
    if (text == to_string(b)) {
      bug = b;
      return true;
    }
  }
  return false;
}

bool parse_fault_profile(std::string_view text, FaultProfile& profile) noexcept {
  for (FaultProfile p : {FaultProfile::None, FaultProfile::Network, FaultProfile::Crash, FaultProfile::All}) {
    if (text == to_string(p)) {
      profile = p;
      return true;
    }
  }
  return false;
}

Simulation::Engine::Engine(SimOptions options)
    : options_(options),
      config_(draw_config(options)),
      rng_{options.seed * 0x2545f4914f6cdd1dULL + 0x5eed},
      nemesis_rng_{options.seed * 0xd1342543de82ef95ULL + 0x4e3e},
      client_rng_{options.seed * 0xaf251af3b0f025b5ULL + 0xc1e7},
      cluster_(cluster_options(options, config_)),
      network_(options.seed ^ 0xa5a5a5a5a5a5a5a5ULL, &now_) {
  const std::uint64_t tick = options_.tick_us;
  end_time_ = options_.ticks * tick;
  const std::uint64_t quiet = options_.ticks >= 2 * kLivenessTicks ? kLivenessTicks : options_.ticks / 2;
  faults_stop_time_ = end_time_ - quiet * tick;
  clients_stop_time_ = end_time_ - std::min<std::uint64_t>(quiet / 4, 500) * tick;
  network_.set_profile(base_profile_);
  cluster_.set_transport(&network_);
  cluster_.set_action_observer([this](NodeId id, const Action& action) { on_action(id, action); });
  nodes_.resize(options_.nodes);
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    // Each node's clock runs up to drift_permille fast or slow (5% in the fixed profile).
    const std::uint64_t drift = config_.drift_permille;
    nodes_[id - 1].tick_us = tick * (1000 - drift + rng_.below(2 * drift + 1)) / 1000;
    at(rng_.below(tick), Kind::Tick, id);
    timeline_.nodes.push_back(id);
  }
  for (std::uint64_t c = 1; c <= config_.clients; ++c) {
    clients_.push_back(Client{});
    clients_.back().id = c;
    at(client_rng_.below(10 * tick), Kind::ClientWake, c, 0);
  }
  invoked_ops_.resize(config_.clients);
  invoke_us_.resize(config_.clients);
  if (options_.schedule != nullptr) {
    if (!options_.schedule->faults.empty()) at_nemesis(options_.schedule->faults.front().time_us);
  } else if (options_.faults != FaultProfile::None) {
    at_nemesis(50 * tick + nemesis_rng_.below(50 * tick));
  }
  at(faults_stop_time_, Kind::FaultsStop);
  timeline_.end_time = end_time_;
  timeline_.title = "raftio-sim seed " + std::to_string(options_.seed) + ", " + std::to_string(options_.nodes) +
                    " nodes, faults=" + std::string(to_string(options_.faults)) +
                    ", storage=" + (options_.storage == Storage::Wal ? "wal" : "mem") + " " +
                    std::string(to_string(options_.storage_mode));
}

void Simulation::Engine::at(std::uint64_t time, Kind kind, std::uint64_t target, std::uint64_t token) {
  queue_.push_back(Timed{time, sequence_++, kind, target, token});
  std::push_heap(queue_.begin(), queue_.end(),
                 [](const Timed& a, const Timed& b) { return a.time != b.time ? a.time > b.time : a.sequence > b.sequence; });
}

void Simulation::Engine::run_loop() {
  const auto later = [](const Timed& a, const Timed& b) {
    return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
  };
  for (;;) {
    const std::optional<std::uint64_t> delivery = network_.next_delivery();
    const bool have_event = !queue_.empty();
    if (!delivery && !have_event) break;
    const bool deliver = delivery && (!have_event || *delivery <= queue_.front().time);
    const std::uint64_t time = deliver ? *delivery : queue_.front().time;
    if (time > end_time_) break;
    now_ = time;
    if (deliver) {
      std::optional<Envelope> envelope = network_.pop_due(now_);
      if (!envelope) continue;  // its link was cut while it was in flight
      NodeState& node = nodes_[envelope->to - 1];
      if (node.down) continue;  // nobody is listening
      if (node.paused) {
        node.held.push_back(std::move(*envelope));
        continue;
      }
      step_node(envelope->to, Receive{std::move(envelope->message)});
    } else {
      std::pop_heap(queue_.begin(), queue_.end(), later);
      const Timed timed = queue_.back();
      queue_.pop_back();
      handle(timed);
    }
  }
  now_ = end_time_;
}

void Simulation::Engine::handle(const Timed& timed) {
  switch (timed.kind) {
    case Kind::Tick: {
      const auto id = static_cast<NodeId>(timed.target);
      NodeState& node = nodes_[id - 1];
      at(now_ + node.tick_us, Kind::Tick, id);
      if (!node.down && !node.paused) {
        step_node(id, Tick{});
        if (!node.batch.empty() && !node.down) propose_batch(id);  // a partial batch waits one tick at most
      }
      break;
    }
    case Kind::ClientWake: client_wake(clients_[timed.target - 1], timed.token); break;
    case Kind::Nemesis: nemesis_step(); break;
    case Kind::Restart:
      if (nodes_[timed.target - 1].down) restart(static_cast<NodeId>(timed.target));
      break;
    case Kind::Resume:
      if (nodes_[timed.target - 1].paused) resume(static_cast<NodeId>(timed.target));
      break;
    case Kind::FaultsStop: stop_faults(); break;
    case Kind::DiskDone: disk_done(static_cast<NodeId>(timed.target), timed.token); break;
    case Kind::ClientRequest: request_arrives(timed.target); break;
    case Kind::ClientAnswer: answer_arrives(timed.target); break;
  }
}

// A Persist joins the node's I/O queue. The disk works in groups (group commit, as a WAL with one
// fdatasync for every write waiting): a group takes 0.5 to 20 ms, now and then 50 to 200 ms (a
// slow disk), and holds every write queued when it completes, so a leader often replicates, and
// followers acknowledge, with its own write still in flight, yet a node that gets one entry per
// message is not held to one write per disk latency.
void Simulation::Engine::schedule_write(NodeId id) {
  NodeState& node = nodes_[id - 1];
  if (node.write_scheduled) return;  // joins the group in flight
  const std::uint64_t tick = options_.tick_us;
  const std::uint64_t latency = rng_.chance(0.03) ? rng_.between(5 * tick, 20 * tick) : rng_.between(tick / 20, 2 * tick);
  node.disk_free_at = std::max(node.disk_free_at, now_) + latency;
  node.write_scheduled = true;
  at(node.disk_free_at, Kind::DiskDone, id, node.incarnation);
}

void Simulation::Engine::disk_done(NodeId id, std::uint64_t incarnation) {
  NodeState& node = nodes_[id - 1];
  if (node.down || incarnation != node.incarnation) return;  // the crash lost the queue
  if (node.paused) {
    // The writes are done, but the paused process cannot hear of them until it runs again.
    at(now_ + node.tick_us, Kind::DiskDone, id, incarnation);
    return;
  }
  node.write_scheduled = false;
  const std::size_t group = cluster_.pending_writes(id);
  for (std::size_t i = 0; i < group && !node.down && !node.paused; ++i) {
    std::optional<Event> report = cluster_.write_next(id);
    if (!report) break;
    ++persists_;
    if (crash_point_after_write(id)) return;  // written and synced, and the node never hears of it
    step_node(id, std::move(*report));
  }
  if (!node.down && cluster_.pending_writes(id) > 0) schedule_write(id);
}

void Simulation::Engine::trace_line(const std::string& line) {
  if (options_.trace != nullptr) *options_.trace << line << '\n';
  if (options_.last_events > 0 && frozen_last_events_.empty()) {
    last_events_.push_back(line);
    if (last_events_.size() > options_.last_events) last_events_.pop_front();
  }
}

void Simulation::Engine::trace_fault(std::string_view kind, const std::string& fields) {
  if (!tracing()) return;
  trace_buffer_ = "{\"t_us\":" + std::to_string(now_) + ",\"type\":\"fault\",\"kind\":\"";
  trace_buffer_ += kind;
  trace_buffer_ += '"';
  if (!fields.empty()) trace_buffer_ += "," + fields;
  trace_buffer_ += '}';
  trace_line(trace_buffer_);
}

void Simulation::Engine::trace_client(std::string_view kind, std::size_t op) {
  if (!tracing()) return;
  trace_buffer_.clear();
  append_history_record(trace_buffer_, kind, op + 1, history_[op], now_);
  trace_line(trace_buffer_);
}

void Simulation::Engine::trace_event(NodeId id, const Event& event) {
  trace_hash_ = mix(trace_hash_, digest(event) ^ (now_ * 0x9e3779b97f4a7c15ULL) ^ (id << 56));
  if (tracing()) {
    trace_buffer_.clear();
    append_trace_json(trace_buffer_, now_, id, event);
    trace_line(trace_buffer_);
  }
  if (options_.timeline) {
    if (const auto* receive = std::get_if<Receive>(&event)) record_receive(receive->message);
  }
}

void Simulation::Engine::step_node(NodeId id, Event event) {
  trace_event(id, event);
  crash_point_due_ = kNoNode;
  if (armed_) crash_point_event(id, event);
  cluster_.step(id, std::move(event));
  ++steps_;
  after_step(id);
}

void Simulation::Engine::on_action(NodeId id, const Action& action) {
  trace_hash_ = mix(trace_hash_, digest(action));
  if (tracing()) {
    trace_buffer_.clear();
    append_trace_json(trace_buffer_, now_, id, action);
    trace_line(trace_buffer_);
  }
  if (options_.timeline) {
    if (const auto* send = std::get_if<Send>(&action)) record_send(send->message);
  }
  if (armed_) crash_point_action(id, action);
  const auto* apply = std::get_if<Apply>(&action);
  if (apply == nullptr) {
    if (std::holds_alternative<Persist>(action)) return schedule_write(id);
    if (const auto* restore = std::get_if<RestoreSnapshot>(&action)) return restore_store(id, restore->snapshot);
    if (std::holds_alternative<SnapshotSuggested>(action)) {
      nodes_[id - 1].snapshot_wanted = true;  // taken once this step is over (after_step)
      return;
    }
    return on_read_action(id, action);
  }
  apply_to_store(id, apply->entry);
  nodes_[id - 1].store_applied = apply->entry.index;
  if (readers_waiting_ > 0) serve_reads(id);  // reads whose index this entry reached
}

void Simulation::Engine::apply_to_store(NodeId id, const LogEntry& entry) {
  if (entry.kind != EntryKind::Normal) return;
  const std::optional<KvCommandView> command = decode_command(entry.data);
  if (!command) return;
  NodeState& node = nodes_[id - 1];
  const std::optional<KvResult> result = node.store.apply(*command);
  if (!result || node.answer_on_apply.empty()) return;
  // The node answers a client whose request it proposed (a retry's duplicate gets the remembered
  // result of the first, as KvStore keeps it per session).
  auto waiting = node.answer_on_apply.find(command->client);
  if (waiting == node.answer_on_apply.end() || waiting->second != command->seq) return;
  node.answer_on_apply.erase(waiting);
  ClientMessage request;
  request.client = command->client;
  request.seq = command->seq;
  answer(id, request, true, *result);
}

void Simulation::Engine::restore_store(NodeId id, const Snapshot& snapshot) {
  NodeState& node = nodes_[id - 1];
  ++snapshots_restored_;
  if (!node.store.restore(snapshot.data)) {
    cluster_.record_violation("State Machine Safety", {id},
                              "node " + std::to_string(id) + " was given a snapshot at index " +
                                  std::to_string(snapshot.last_index) + " that is not a key-value store image");
  }
  node.store_applied = snapshot.last_index;
  if (readers_waiting_ > 0) serve_reads(id);
}

// The application's side of log compaction: serialize the store as of the last entry it applied.
void Simulation::Engine::take_snapshot(NodeId id) {
  NodeState& node = nodes_[id - 1];
  node.snapshot_wanted = false;
  ++snapshots_taken_;
  step_node(id, SnapshotTaken{node.store_applied, node.store.snapshot()});
}

void Simulation::Engine::after_step(NodeId id) {
  const auto& violations = cluster_.checker().violations();
  if (violations.size() > violations_seen_) {
    violations_seen_ = violations.size();
    if (first_violation_step_ == 0) {
      first_violation_step_ = steps_;
      first_violation_us_ = now_;
      frozen_last_events_.assign(last_events_.begin(), last_events_.end());
      freeze_sequence("violation: " + violations.front().property);
    }
  }
  const RaftNode& node = cluster_.node(id);
  NodeState& state = nodes_[id - 1];
  if (node.role() != state.role || node.term() != state.term) {
    if (options_.timeline && now_ > state.role_since) {
      timeline_.roles.push_back({id, state.role, state.term, state.role_since, now_});
    }
    if (node.role() == Role::Leader) leaders_by_term_.emplace(node.term(), id);
    if (options_.timeline) record_note(id, std::string(to_string(node.role())) + " t" + std::to_string(node.term()));
    state.role = node.role();
    state.term = node.term();
    state.role_since = now_;
  }
  if (options_.timeline && node.commit_index() != state.commit) timeline_.commits.push_back({id, now_, node.commit_index()});
  state.commit = node.commit_index();
  if (crash_point_due_ == id && !state.down) fire_crash_point(id);
  if (node.storage_error()) {
    crash(id, options_.tick_us * rng_.between(20, 200));  // a failed disk stops the node
  } else if (state.snapshot_wanted && !state.down && !state.paused) {
    take_snapshot(id);
  }
}

std::size_t Simulation::Engine::unavailable() const {
  return static_cast<std::size_t>(std::count_if(nodes_.begin(), nodes_.end(), [](const NodeState& n) { return n.down || n.paused; }));
}

void Simulation::Engine::crash(NodeId id, std::uint64_t downtime_us) {
  NodeState& node = nodes_[id - 1];
  if (node.down) return;
  if (node.paused && options_.timeline) timeline_.outages.push_back({id, node.outage_start, now_, "pause"});
  node.paused = false;
  node.held.clear();  // the process died with its socket buffers
  node.down = true;
  node.outage_start = now_;
  persists_lost_ += cluster_.pending_writes(id);
  forget_clients(id);
  ++node.incarnation;
  node.disk_free_at = now_;
  node.write_scheduled = false;
  network_.drop_to(id);
  if (options_.timeline && now_ > node.role_since) timeline_.roles.push_back({id, node.role, node.term, node.role_since, now_});
  trace_fault("crash", "\"node\":" + std::to_string(id));
  record_note(id, "crash");
  at(faults_stopped_ ? now_ + 1 : now_ + downtime_us, Kind::Restart, id);
}

void Simulation::Engine::restart(NodeId id) {
  NodeState& node = nodes_[id - 1];
  if (options_.planted_bug == PlantedBug::CrashLosesLogTail && options_.storage == Storage::Memory) {
    // The planted bug: a disk that acknowledged a sync it never did loses the log's last entries.
    cluster_.restart_with_log_change(id, [](MemoryLog& log) {
      if (log.last_index() < log.first_index()) return;
      (void)log.truncate_suffix(std::max(log.first_index(), log.last_index() - 1));
    });
  } else {
    cluster_.restart(id);  // the disk loses what was not synced; the log recovers
  }
  node.store.clear();    // the state machine is rebuilt by applying the log again
  node.store_applied = 0;
  node.down = false;
  if (options_.timeline) timeline_.outages.push_back({id, node.outage_start, now_, "crash"});
  const RaftNode& fresh = cluster_.node(id);
  if (fresh.storage_error()) {
    // The node refuses the log it recovered: durable state was lost or damaged. Restarting again
    // would only fail again, so the node stays down and the run reports it.
    cluster_.record_violation("Durability", {id},
                              "node " + std::to_string(id) + " cannot start from its recovered log: " +
                                  fresh.storage_error()->context);
    node.down = true;
    node.outage_start = now_;
    return;
  }
  node.role = fresh.role();
  node.term = fresh.term();
  node.role_since = now_;
  node.commit = fresh.commit_index();
  trace_fault("restart", "\"node\":" + std::to_string(id));
  record_note(id, "restart");
  after_step(id);
}

void Simulation::Engine::pause(NodeId id) {
  NodeState& node = nodes_[id - 1];
  if (node.down || node.paused) return;
  node.paused = true;
  node.outage_start = now_;
  trace_fault("pause", "\"node\":" + std::to_string(id));
  record_note(id, "pause");
}

void Simulation::Engine::resume(NodeId id) {
  NodeState& node = nodes_[id - 1];
  node.paused = false;
  trace_fault("resume", "\"node\":" + std::to_string(id));
  record_note(id, "resume");
  if (options_.timeline) timeline_.outages.push_back({id, node.outage_start, now_, "pause"});
  std::vector<Envelope> held = std::move(node.held);
  node.held.clear();
  for (Envelope& envelope : held) {
    if (nodes_[id - 1].down || nodes_[id - 1].paused) break;
    step_node(id, Receive{std::move(envelope.message)});
  }
  std::vector<std::uint64_t> requests = std::move(nodes_[id - 1].held_requests);
  nodes_[id - 1].held_requests.clear();
  for (std::uint64_t message : requests) {
    if (nodes_[id - 1].down || nodes_[id - 1].paused) break;
    handle_request(id, message);
  }
}

Simulation::Simulation(SimOptions options) : engine_(std::make_unique<Engine>(options)) {}
Simulation::~Simulation() = default;
const Timeline& Simulation::timeline() const { return engine_->timeline_; }
const KvHistory& Simulation::history() const { return engine_->history_; }

SimReport Simulation::run() {
  SimReport report;
  const auto start = std::chrono::steady_clock::now();
  engine_->run_loop();
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  engine_->finish(report);
  return report;
}

}  // namespace raftio::sim
