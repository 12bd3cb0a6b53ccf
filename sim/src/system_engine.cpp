// The engine behind run_system (system.h): runtime Drivers over the user's StateMachine, a
// simulated network between them, a nemesis and the clients, all driven by one event queue and
// seeded streams of choices, so that a seed replays the same run.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <span>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <xxhash.h>

#include "raftio/memory_log.h"
#include "raftio/runtime/driver.h"
#include "raftio/runtime/runtime_wire.h"
#include "raftio/wire.h"
#include "raftio/sim/recording_log.h"
#include "raftio/sim/safety_checker.h"
#include "raftio/sim/system.h"
#include "message_label.h"
#include "raftio/describe.h"
#include "system_timeline.h"

namespace raftio::sim {

std::string to_string(SystemCheck check) {
  switch (check) {
    case SystemCheck::None: return "none";
    case SystemCheck::RaftSafety: return "raft safety";
    case SystemCheck::ReplicaAgreement: return "replica agreement";
    case SystemCheck::NodeStopped: return "node stopped";
    case SystemCheck::Response: return "response";
    case SystemCheck::Linearizability: return "linearizability";
    case SystemCheck::FrameBound: return "frame bound";
    case SystemCheck::InputBound: return "input bound";
  }
  return "unknown";
}

SystemCounts& operator+=(SystemCounts& t, const SystemCounts& m) {
  for (auto [into, from] : {std::pair{&t.events, m.events}, {&t.messages_sent, m.messages_sent},
                            {&t.messages_lost, m.messages_lost}, {&t.messages_duplicated, m.messages_duplicated},
                            {&t.operations, m.operations}, {&t.completed, m.completed},
                            {&t.unknown_outcome, m.unknown_outcome}, {&t.retries, m.retries}, {&t.resends, m.resends},
                            {&t.crashes, m.crashes}, {&t.restarts, m.restarts}, {&t.pauses, m.pauses},
                            {&t.partitions, m.partitions}, {&t.transfers, m.transfers},
                            {&t.membership_changes, m.membership_changes}, {&t.crash_points, m.crash_points},
                            {&t.persists, m.persists}, {&t.snapshots_taken, m.snapshots_taken},
                            {&t.snapshots_installed, m.snapshots_installed}, {&t.leaders, m.leaders},
                            {&t.oversized_refused, m.oversized_refused}}) {
    *into += from;
  }
  return t;
}

std::string_view to_string(SystemFault::Kind kind) noexcept {
  switch (kind) {
    case SystemFault::Kind::Crash: return "crash";
    case SystemFault::Kind::Pause: return "pause";
    case SystemFault::Kind::Partition: return "partition";
    case SystemFault::Kind::Oversized: return "oversized";
    case SystemFault::Kind::Transfer: return "transfer";
    case SystemFault::Kind::CrashPoint: return "crash-point";
    case SystemFault::Kind::Remove: return "remove";
    case SystemFault::Kind::Add: return "add";
  }
  return "?";
}

std::string_view to_string(SystemFault::Point point) noexcept {
  switch (point) {
    case SystemFault::Point::AfterVote: return "after-vote";
    case SystemFault::Point::AfterAppendAck: return "after-append-ack";
    case SystemFault::Point::AfterPersist: return "after-persist";
  }
  return "?";
}

std::string describe(const SystemCounts& c) {
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  return n(c.events) + " events, " + n(c.operations) + " operations (" + n(c.completed) + " completed, " +
         n(c.unknown_outcome) + " unknown, " + n(c.retries) + " retries, " + n(c.resends) + " resends), " + n(c.messages_sent) + " messages (" +
         n(c.messages_lost) + " lost, " + n(c.messages_duplicated) + " duplicated), " + n(c.crashes) + " crashes, " +
         n(c.restarts) + " restarts, " + n(c.pauses) + " pauses, " + n(c.partitions) + " partitions, " +
         n(c.transfers) + " transfers, " + n(c.membership_changes) + " membership changes, " + n(c.crash_points) + " crash points, " + n(c.persists) + " async writes, " +
         n(c.snapshots_taken) + " snapshots taken, " + n(c.snapshots_installed) + " installed, " + n(c.leaders) +
         " leaders, " + n(c.oversized_refused) + " oversized proposals refused";
}

namespace detail {
namespace {

using runtime::Driver;
using runtime::StateMachine;

constexpr std::uint64_t kTick = 10;  // time units per Raft tick; messages take 1..30 units

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  SystemRng rng(a ^ (b * 0x9e3779b97f4a7c15ULL));
  return rng.next();
}

// An error that says the proposal was certainly not applied: the client may send it again
// without risking a second application. Anything else leaves its outcome unknown.
bool not_applied(const runtime::Error& error) {
  return std::holds_alternative<runtime::NotLeader>(error) || std::holds_alternative<runtime::ShuttingDown>(error) ||
         std::holds_alternative<runtime::ProposalLost>(error) || std::holds_alternative<runtime::Refused>(error) ||
         std::holds_alternative<runtime::Overloaded>(error);
}

// A runtime message in a few words, for the timeline's arrows.
std::string describe_peer_message(const runtime::PeerMessage& message) {
  if (const auto* p = std::get_if<runtime::ForwardedProposal>(&message)) {
    return "forwarded proposal #" + std::to_string(p->request) + " (" + std::to_string(p->command.size()) + " bytes)";
  }
  const auto& o = std::get<runtime::ForwardedOutcome>(message);
  return "outcome #" + std::to_string(o.request) + " status " + std::to_string(static_cast<int>(o.status));
}

class SystemEngine {
 public:
  SystemEngine(const std::function<std::unique_ptr<StateMachine>()>& factory, SystemClients& clients,
               const SystemOptions& options)
      : factory_(factory),
        clients_(clients),
        options_(options),
        rng_(mix(options.seed, 1)),
        nemesis_rng_(mix(options.seed, 2)),
        disk_rng_(mix(options.seed, 6)),
        workload_seed_(mix(options.seed, 4)) {}

  SystemOutcome run();

 private:
  enum class Kind : std::uint8_t {
    Tick,
    Deliver,
    ClientWake,
    ClientRequest,  // a client's request reaches its node (target: client index, token: attempt)
    ClientAnswer,   // a node's answer reaches its client (target: the answer's id)
    ClientTimeout,  // a client gives up waiting (target: client index, token: attempt)
    Nemesis,
    Restart,
    Resume,
    Heal,
    FaultsStop,
    Oversized,  // a caller on a node proposes a command no peer could carry (target: the node)
    Scheduled,  // a fault of SystemOptions::schedule (target: its index)
    DiskDone,   // a node's simulated disk finished a group of writes (target: node, token: incarnation)
    CrashNow    // a crash point fired on the node (target): it crashes before anything else happens
  };
  struct Timed {
    std::uint64_t time;
    std::uint64_t sequence;
    Kind kind;
    std::uint64_t target;
    std::uint64_t token;
    // At equal times faults go first, whenever they were scheduled: a replay schedules them all at
    // the start, the nemesis one at a time, and both must order them alike among other events.
    bool fault() const {
      return kind == Kind::Nemesis || kind == Kind::Oversized || kind == Kind::Scheduled || kind == Kind::CrashNow;
    }
    bool operator>(const Timed& o) const {
      if (time != o.time) return time > o.time;
      if (fault() != o.fault()) return o.fault();
      return sequence > o.sequence;
    }
  };
  struct Packet {
    NodeId from = kNoNode;
    NodeId to = kNoNode;
    std::variant<Message, runtime::PeerMessage> body;
    std::uint64_t sent = 0;
  };
  struct Node {
    std::unique_ptr<MemoryLog> log;  // what survives a crash
    std::unique_ptr<StateMachine> machine;
    std::unique_ptr<Driver> driver;
    std::uint64_t incarnation = 0;
    bool paused = false;
    Role role = Role::Follower;
    Index checked_applied = 0;
    Index restored_at = 0;  // the last snapshot its state machine restored (0: none)
    std::vector<Packet> held;  // reached it while paused
    std::vector<std::pair<std::size_t, std::uint64_t>> held_requests;  // clients' (client, attempt)
    bool async = false;               // async_storage: Persists go through the simulated disk
    std::deque<Persist> writes;       // handed out, not yet written (a crash loses them)
    bool write_scheduled = false;     // a DiskDone is due
    std::uint64_t disk_free_at = 0;
  };
  struct Client {
    std::uint64_t id = 0;
    std::optional<std::size_t> op;
    SystemRequest request;
    NodeId prefer = kNoNode;  // a leader hint to try first
    std::uint64_t token = 0;  // bumped on every wake-up scheduled: older ones are stale
    std::uint64_t attempt = 0;  // bumped on every request sent: answers to older ones are stale
    NodeId target = kNoNode;    // the node the current attempt went to
    bool waiting = false;       // a request is out
    SystemRng rng{0};           // which node it asks, think times, losses of its messages
    std::uint64_t invoked = 0;  // operations invoked (the next one's number is invoked + 1)
    std::size_t replayed = 0;   // replay: entries of its schedule's list invoked
    std::uint32_t resent = 0;   // times the current proposal was sent again after an unknown outcome
  };
  // A node's answer on its way to a client.
  struct Answer {
    std::size_t client = 0;
    std::uint64_t attempt = 0;
    NodeId node = kNoNode;
    Result<Payload, runtime::Error> result;
  };

  void at(std::uint64_t time, Kind kind, std::uint64_t target = 0, std::uint64_t token = 0) {
    queue_.push_back({time, sequence_++, kind, target, token});
    std::push_heap(queue_.begin(), queue_.end(), std::greater<>());
  }
  void handle(const Timed& timed);
  bool failed() const { return outcome_.failed_check != SystemCheck::None; }
  void note(const std::string& line) {
    if (options_.trace) options_.trace(now_, kNoNode, line);
  }
  void fail(SystemCheck check, const std::string& detail) {
    if (failed()) return;
    outcome_.failed_check = check;
    outcome_.message = "seed " + std::to_string(options_.seed) + ": " + to_string(check) + ": " + detail +
                       " (at time " + std::to_string(now_) + ", tick " + std::to_string(now_ / kTick) + ")";
    note("FAILED " + outcome_.message);
    if (timeline_) timeline_->freeze(now_, to_string(check));
  }

  // --- nodes ---
  bool live(NodeId id) const { return nodes_[id - 1].driver != nullptr; }
  void start(NodeId id);
  void tick(NodeId id);
  void drain(NodeId id);  // moves the Driver's output onto the network and to the clients; checks
  void check_agreement(NodeId id);
  void check_safety();
  void crash(NodeId id, std::uint64_t downtime, std::uint64_t disk_keep, bool disk_tear);
  void restart(NodeId id);
  void pause(NodeId id, std::uint64_t duration);
  void resume(NodeId id);
  std::size_t unavailable() const;

  // --- network ---
  bool link_up(NodeId a, NodeId b) const { return side_.empty() || side_[a - 1] == side_[b - 1]; }
  void send(NodeId from, NodeId to, std::variant<Message, runtime::PeerMessage> body);
  void deliver(std::uint64_t packet);
  void receive(Packet packet);

  // --- nemesis ---
  void nemesis();
  void heal();

  // --- clients ---
  void wake(Client& client, std::uint64_t after) { at(now_ + after, Kind::ClientWake, client.id, ++client.token); }
  void client_wake(Client& client, std::uint64_t token);
  void attempt(Client& client);
  void request_arrives(std::size_t client, std::uint64_t attempt);
  void serve_request(NodeId id, std::size_t client, std::uint64_t attempt);
  void propose_oversized(NodeId id, std::size_t bytes);
  void apply_scheduled(const SystemFault& fault);
  void schedule_write(NodeId id);
  void disk_done(NodeId id, std::uint64_t incarnation);
  void transfer(NodeId to);
  void change_membership(SystemFault::Kind kind, NodeId node);
  NodeId leader() const;  // the live leader of the highest term, or kNoNode
  void check_crash_point(NodeId id, std::span<const Action> actions);
  void crash_point_fires(NodeId id);
  void partition(const std::vector<NodeId>& minority, std::uint64_t duration);
  void record(SystemFault fault) {
    fault.time = now_;
    outcome_.schedule.faults.push_back(std::move(fault));
  }
  void on_completion(NodeId id, runtime::Completion& done);
  void answer_arrives(std::uint64_t answer);
  void client_timeout(Client& client, std::uint64_t attempt);
  bool client_message_lost(Client& client) { return options_.message_faults && client.rng.chance(0.03); }
  std::uint64_t client_delay(Client& client) { return client.rng.between(1, options_.message_faults ? 30 : 5); }
  void end_unknown(Client& client);
  void retry(Client& client);
  void resend(Client& client);

  const std::function<std::unique_ptr<StateMachine>()>& factory_;
  SystemClients& clients_;
  SystemOptions options_;
  SystemRng rng_;           // the network: delays, losses, duplicates
  SystemRng nemesis_rng_;   // faults, and when (not drawn from in a replay)
  SystemRng disk_rng_;      // the simulated disks' latencies
  std::uint64_t workload_seed_;  // with a client and an operation number, seeds that operation's draws
  SafetyChecker checker_;
  SystemOutcome outcome_;
  SystemCounts& counts_ = outcome_.counts;
  std::optional<SystemTimelineRecorder> timeline_;  // with options_.timeline

  std::vector<Node> nodes_;
  std::vector<Client> clients_state_;
  std::vector<int> side_;  // a partition: each node's side (empty: none)
  std::map<std::uint64_t, Packet> packets_;  // in flight, by id
  std::uint64_t next_packet_ = 1;
  // Requests being served, by node and request: the client (index) and its attempt.
  std::map<std::pair<NodeId, runtime::RequestId>, std::pair<std::size_t, std::uint64_t>> pending_;
  std::map<std::uint64_t, Answer> answers_;  // in flight to clients, by id
  // The oversized proposal being made (propose_oversized), until its answer is seen.
  std::optional<std::pair<NodeId, runtime::RequestId>> oversized_;
  std::size_t oversized_bytes_ = 0;
  std::optional<SystemFault> armed_;  // the crash point armed, if any

  std::uint64_t next_answer_ = 1;
  struct Applied {
    NodeId node;
    std::uint64_t hash;
    std::size_t size;
  };
  std::map<Index, Applied> applied_states_;  // replica agreement: the first state seen at each index

  std::vector<Timed> queue_;
  std::uint64_t sequence_ = 0;
  std::uint64_t now_ = 0;
  std::uint64_t end_time_ = 0;
  std::uint64_t faults_stop_time_ = 0;
  std::uint64_t clients_stop_time_ = 0;
  bool faults_stopped_ = false;
};

SystemOutcome SystemEngine::run() {
  if (options_.nodes < 1 || options_.nodes > 9) throw std::invalid_argument("SystemOptions::nodes must be 1..9");
  end_time_ = options_.ticks * kTick;
  faults_stop_time_ = end_time_ * 3 / 4;
  clients_stop_time_ = end_time_ * 9 / 10;
  if (options_.timeline != nullptr) {
    timeline_.emplace(*options_.timeline, options_.nodes,
                      "run_system seed " + std::to_string(options_.seed) + ", " + std::to_string(options_.nodes) + " nodes");
  }
  nodes_.resize(options_.nodes);
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    nodes_[id - 1].async = options_.storage == SystemStorage::Async ||
                           (options_.storage == SystemStorage::Mixed && (id + options_.seed) % 2 == 0);
    if (nodes_[id - 1].async) checker_.set_async_storage(id);
    nodes_[id - 1].log = std::make_unique<MemoryLog>();
    nodes_[id - 1].log->track_durability();  // a crash loses what was not synced
    start(id);
    at(id, Kind::Tick, id);  // each node ticks at its own phase
  }
  clients_state_.resize(options_.clients);
  outcome_.schedule.client_ops.resize(options_.clients);
  for (std::size_t i = 0; i < clients_state_.size(); ++i) {
    clients_state_[i].id = i + 1;
    clients_state_[i].rng = SystemRng(mix(options_.seed, 1000 + i));
    wake(clients_state_[i], clients_state_[i].rng.between(1, 5 * kTick));
  }
  if (options_.schedule != nullptr) {
    for (std::size_t i = 0; i < options_.schedule->faults.size(); ++i) {
      at(options_.schedule->faults[i].time, Kind::Scheduled, i);
    }
  } else {
    if (options_.crashes || options_.pauses || options_.partitions) {
      at(nemesis_rng_.between(20, 60) * kTick, Kind::Nemesis);
    }
    if (options_.oversized_proposals) {
      SystemRng hostile(mix(options_.seed, 5));  // its own stream: the other draws stay as they were
      // One byte over the bound the runtime promises every node, or over the whole frame.
      const std::size_t bytes = hostile.chance(0.5) ? runtime::kMaxCommandBytes + 1 : wire::kDefaultMaxFrameBytes + 1;
      at(hostile.between(1, faults_stop_time_), Kind::Oversized, hostile.between(1, options_.nodes), bytes);
    }
  }
  at(faults_stop_time_, Kind::FaultsStop);
  while (!queue_.empty() && !failed()) {
    std::pop_heap(queue_.begin(), queue_.end(), std::greater<>());
    const Timed timed = queue_.back();
    queue_.pop_back();
    if (timed.time > end_time_) break;
    now_ = timed.time;
    handle(timed);
  }
  if (timeline_) timeline_->finish(failed() ? now_ : end_time_);
  // Operations still out when the run ends keep an unknown outcome (no complete_time).
  for (const Client& client : clients_state_) counts_.unknown_outcome += client.op ? 1 : 0;
  return outcome_;
}

void SystemEngine::handle(const Timed& timed) {
  switch (timed.kind) {
    case Kind::Tick: return tick(static_cast<NodeId>(timed.target));
    case Kind::Deliver: return deliver(timed.target);
    case Kind::ClientWake: return client_wake(clients_state_[timed.target - 1], timed.token);
    case Kind::ClientRequest: return request_arrives(timed.target, timed.token);
    case Kind::ClientAnswer: return answer_arrives(timed.target);
    case Kind::ClientTimeout: return client_timeout(clients_state_[timed.target], timed.token);
    case Kind::Nemesis: return nemesis();
    case Kind::Restart: return restart(static_cast<NodeId>(timed.target));
    case Kind::Resume: return resume(static_cast<NodeId>(timed.target));
    case Kind::Heal: return heal();
    case Kind::FaultsStop:
      faults_stopped_ = true;
      armed_.reset();
      if (timeline_) timeline_->marker(now_, "faults stop");
      return heal();
    case Kind::Oversized: return propose_oversized(static_cast<NodeId>(timed.target), timed.token);
    case Kind::Scheduled: return apply_scheduled(options_.schedule->faults[timed.target]);
    case Kind::DiskDone: return disk_done(static_cast<NodeId>(timed.target), timed.token);
    case Kind::CrashNow: return crash_point_fires(static_cast<NodeId>(timed.target));
  }
}

// --- nodes ---

void SystemEngine::start(NodeId id) {
  Node& node = nodes_[id - 1];
  std::vector<NodeId> voters;
  for (NodeId v = 1; v <= options_.nodes; ++v) voters.push_back(v);
  auto config = RaftConfig::builder(id)
                    .voters(voters)
                    .seed(mix(options_.seed, id * 1000 + node.incarnation))
                    // Nonzero and new on every start, as runtime::Node draws it: a leader then
                    // tells a late copy of a forwarded proposal from a new one (SeenRequests).
                    .incarnation(node.incarnation + 1)
                    .snapshot_threshold(options_.snapshot_threshold)
                    .async_storage(node.async)
                    .build();
  if (!config) {
    fail(SystemCheck::RaftSafety, "invalid configuration: " + config.error().describe());
    return;
  }
  runtime::DriverOptions driver_options;
  driver_options.forward_proposals = true;
  if (options_.trace) driver_options.trace = [this, id](const std::string& line) { options_.trace(now_, id, line); };
  driver_options.before_step = [this, id](std::span<const Event> events) {
    for (const Event& event : events) checker_.before_step(id, event);
  };
  driver_options.after_step = [this, id](const RaftNode& raft, std::span<const Action> actions) {
    // async_storage: the checker follows the log as the core hands it out; its disk view
    // follows the writes (the RecordingLog below).
    if (nodes_[id - 1].async) checker_.on_handed_out(id, actions);
    checker_.after_step(raft, actions);
    check_crash_point(id, actions);
    for (const Action& action : actions) {
      if (std::holds_alternative<SnapshotSuggested>(action)) ++counts_.snapshots_taken;
      if (const auto* restore = std::get_if<RestoreSnapshot>(&action)) {
        ++counts_.snapshots_installed;
        nodes_[id - 1].restored_at = restore->snapshot.last_index;
      }
    }
    Node& self = nodes_[id - 1];
    if (raft.role() == Role::Leader && self.role != Role::Leader) ++counts_.leaders;
    self.role = raft.role();
    if (timeline_) timeline_->step(id, raft.role(), raft.term(), raft.commit_index(), now_);
  };
  node.machine = factory_();
  // The Driver owns the RecordingLog, which writes through to the durable MemoryLog: that
  // outlives the Driver, as a disk outlives a process.
  node.driver = std::make_unique<Driver>(std::move(config).value(),
                                         std::make_unique<RecordingLog>(*node.log, id, &checker_, node.async),
                                         *node.machine, driver_options);
  node.role = Role::Follower;
  node.checked_applied = 0;
  node.restored_at = 0;
  if (node.incarnation > 0) checker_.on_restart(node.driver->node(), 0);
}

void SystemEngine::tick(NodeId id) {
  Node& node = nodes_[id - 1];
  if (!live(id)) return;  // a restart schedules its ticks again
  at(now_ + kTick, Kind::Tick, id);
  if (node.paused) return;
  ++counts_.events;
  node.driver->tick();
  drain(id);
}

void SystemEngine::drain(NodeId id) {
  Node& node = nodes_[id - 1];
  runtime::DriverOutput out = node.driver->take_output();
  for (Message& message : out.messages) send(id, receiver_of(message), std::move(message));
  for (runtime::PeerMessage& message : out.peer_messages) send(id, runtime::receiver_of(message), std::move(message));
  for (Persist& persist : out.persists) node.writes.push_back(std::move(persist));
  if (!node.writes.empty()) schedule_write(id);
  check_safety();
  check_agreement(id);
  for (runtime::Completion& done : out.completions) on_completion(id, done);
  // A Driver stops for good when the state machine cannot go on (restore() refused a snapshot)
  // or, with storage that never fails here, a committed entry is not the runtime's: either way a
  // bug, and every later request on the node would fail.
  if (const auto& reason = node.driver->stop_reason()) {
    fail(SystemCheck::NodeStopped, "node " + std::to_string(id) + " stopped serving: " + runtime::describe(*reason));
  }
}

void SystemEngine::check_safety() {
  if (checker_.ok() || failed()) return;
  const Violation& v = checker_.violations().front();
  std::string nodes;
  for (NodeId n : v.nodes) nodes += (nodes.empty() ? "" : ", ") + std::to_string(n);
  fail(SystemCheck::RaftSafety, v.property + " (nodes " + nodes + "): " + v.detail);
}

// Every replica applies the same commands in the same order (§5.3, State Machine Safety): two
// machines that applied up to the same index must hold the same state, which their snapshots show.
void SystemEngine::check_agreement(NodeId id) {
  Node& node = nodes_[id - 1];
  const Index applied = node.driver->applied_index();
  if (applied == node.checked_applied || applied == 0) return;
  node.checked_applied = applied;
  const Payload state = node.machine->snapshot();
  const std::uint64_t hash = XXH3_64bits(state.data(), state.size());
  const auto [it, first] = applied_states_.try_emplace(applied, Applied{id, hash, state.size()});
  if (first || it->second.hash == hash) return;
  // Which of the two restored a snapshot tells a lossy snapshot()/restore() from a
  // non-deterministic apply().
  auto history_of = [&](NodeId n) {
    const Index restored = nodes_[n - 1].restored_at;
    return "node " + std::to_string(n) +
           (restored == 0 ? std::string(" applied every entry itself")
                          : " restored a snapshot at index " + std::to_string(restored));
  };
  const NodeId other = it->second.node;
  fail(SystemCheck::ReplicaAgreement,
       "nodes " + std::to_string(other) + " and " + std::to_string(id) + " both applied up to index " +
           std::to_string(applied) + " but their states differ (snapshot() gave " + std::to_string(it->second.size) +
           " bytes, hash " + std::to_string(it->second.hash) + ", and " + std::to_string(state.size()) +
           " bytes, hash " + std::to_string(hash) + "); " + (live(other) ? history_of(other) + ", " : "") +
           history_of(id) + ". apply() is not deterministic, or snapshot() and restore() lose part of the state");
}

std::size_t SystemEngine::unavailable() const {
  std::size_t n = 0;
  for (const Node& node : nodes_) n += node.driver == nullptr || node.paused ? 1 : 0;
  return n;
}

void SystemEngine::crash(NodeId id, std::uint64_t downtime, std::uint64_t disk_keep, bool disk_tear) {
  Node& node = nodes_[id - 1];
  ++counts_.crashes;
  note("crash node " + std::to_string(id));
  // The requests being served here die with it, unanswered: their clients time out.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->first.first == id) it = pending_.erase(it);
    else ++it;
  }
  node.held_requests.clear();
  node.writes.clear();  // handed out, never written: lost with the process
  node.write_scheduled = false;
  if (timeline_) timeline_->down(id, now_, "crash");
  node.driver.reset();  // the process: its Driver and its state machine are gone
  // The disk keeps what was synced, and perhaps some of the writes after it, the last one torn.
  MemoryLog::CrashOptions disk;
  disk.keep = std::min<std::uint64_t>(disk_keep, node.log->unsynced_writes());
  disk.tear_next = disk_tear;
  node.log->crash(disk);
  node.machine.reset();
  node.paused = false;
  node.held.clear();
  at(now_ + downtime, Kind::Restart, id);
}

void SystemEngine::restart(NodeId id) {
  Node& node = nodes_[id - 1];
  ++node.incarnation;
  ++counts_.restarts;
  note("restart node " + std::to_string(id) + " (incarnation " + std::to_string(node.incarnation) + ")");
  if (timeline_) timeline_->up(id, now_);
  start(id);
  at(now_ + 1, Kind::Tick, id);
}

void SystemEngine::pause(NodeId id, std::uint64_t duration) {
  ++counts_.pauses;
  note("pause node " + std::to_string(id));
  if (timeline_) timeline_->down(id, now_, "pause");
  nodes_[id - 1].paused = true;
  at(now_ + duration, Kind::Resume, id);
}

void SystemEngine::resume(NodeId id) {
  Node& node = nodes_[id - 1];
  if (!live(id) || !node.paused) return;
  node.paused = false;
  note("resume node " + std::to_string(id));
  if (timeline_) timeline_->up(id, now_);
  std::vector<Packet> held = std::move(node.held);
  node.held.clear();
  std::vector<std::pair<std::size_t, std::uint64_t>> requests = std::move(node.held_requests);
  node.held_requests.clear();
  for (Packet& packet : held) {
    if (failed() || !live(id)) return;
    receive(std::move(packet));
  }
  for (const auto& [client, attempt] : requests) {
    if (failed() || !live(id)) return;
    serve_request(id, client, attempt);
  }
}

// --- network ---

void SystemEngine::send(NodeId from, NodeId to, std::variant<Message, runtime::PeerMessage> body) {
  ++counts_.messages_sent;
  // Every message must fit the frame bound that the runtime's peers decode with: a larger one
  // would be refused by the receiver, on every attempt, and the log could never be replicated.
  const std::size_t frame = std::holds_alternative<Message>(body)
                                ? wire::frame_size(std::get<Message>(body))
                                : runtime::peer_wire::frame_size(std::get<runtime::PeerMessage>(body));
  if (frame > wire::kDefaultMaxFrameBytes) {
    return fail(SystemCheck::FrameBound,
                "node " + std::to_string(from) + " sent node " + std::to_string(to) + " a message of " +
                    std::to_string(frame) + " bytes encoded, over the " + std::to_string(wire::kDefaultMaxFrameBytes) +
                    "-byte frame bound every peer decodes with");
  }
  if (to < 1 || to > options_.nodes || !link_up(from, to) || (options_.message_faults && rng_.chance(0.03))) {
    ++counts_.messages_lost;
    return;
  }
  const std::uint64_t max_delay = options_.message_faults ? 30 : 5;
  // Raft's messages and the runtime's alike: a Driver must take a copy of either in its stride,
  // whatever transport an embedder gives it.
  if (options_.message_faults && rng_.chance(0.02)) {
    ++counts_.messages_duplicated;
    packets_.emplace(next_packet_, Packet{from, to, body, now_});
    at(now_ + rng_.between(1, max_delay), Kind::Deliver, next_packet_++);
  }
  packets_.emplace(next_packet_, Packet{from, to, std::move(body), now_});
  at(now_ + rng_.between(1, max_delay), Kind::Deliver, next_packet_++);
}

void SystemEngine::deliver(std::uint64_t id) {
  auto it = packets_.find(id);
  if (it == packets_.end()) return;
  Packet packet = std::move(it->second);
  packets_.erase(it);
  if (!live(packet.to) || !link_up(packet.from, packet.to)) {
    ++counts_.messages_lost;
    return;
  }
  Node& node = nodes_[packet.to - 1];
  if (node.paused) {
    node.held.push_back(std::move(packet));
    return;
  }
  receive(std::move(packet));
}

void SystemEngine::receive(Packet packet) {
  const NodeId to = packet.to;
  ++counts_.events;
  if (timeline_) {
    if (const auto* message = std::get_if<Message>(&packet.body)) {
      timeline_->message(packet.from, to, packet.sent, now_, short_label(*message), describe(*message));
    } else {
      const std::string label = describe_peer_message(std::get<runtime::PeerMessage>(packet.body));
      timeline_->message(packet.from, to, packet.sent, now_, label, label);
    }
  }
  if (auto* message = std::get_if<Message>(&packet.body)) nodes_[to - 1].driver->receive(std::move(*message));
  else nodes_[to - 1].driver->receive(std::get<runtime::PeerMessage>(std::move(packet.body)));
  drain(to);
}

// --- nemesis ---

void SystemEngine::nemesis() {
  if (faults_stopped_) return;
  at(now_ + nemesis_rng_.between(30, 150) * kTick, Kind::Nemesis);
  std::vector<int> kinds;
  if (options_.crashes) kinds.push_back(0);
  if (options_.pauses) kinds.push_back(1);
  if (options_.partitions && options_.nodes > 1) kinds.push_back(2);
  if (options_.transfers && options_.nodes > 1) kinds.push_back(3);
  if (options_.crash_points) kinds.push_back(4);
  if (options_.membership && options_.nodes > 2) kinds.push_back(5);
  if (kinds.empty()) return;
  const int kind = kinds[nemesis_rng_.below(kinds.size())];
  const NodeId target = static_cast<NodeId>(nemesis_rng_.between(1, options_.nodes));
  SystemFault fault;
  fault.node = target;
  if (kind == 2) {
    if (!side_.empty()) return;
    // A minority on one side: the majority can still elect and commit, the minority cannot.
    std::vector<bool> cut(options_.nodes, false);
    const std::size_t minority = nemesis_rng_.between(1, std::max<std::size_t>(1, (options_.nodes - 1) / 2));
    for (std::size_t i = 0; i < minority; ++i) cut[nemesis_rng_.below(options_.nodes)] = true;
    // Half the time the leader is among those cut off: a deposed leader that still believes it
    // leads is where stale reads and lost acknowledgements hide.
    if (const NodeId lead = leader(); lead != kNoNode && nemesis_rng_.chance(0.5)) cut[lead - 1] = true;
    fault.kind = SystemFault::Kind::Partition;
    fault.node = kNoNode;
    for (NodeId n = 1; n <= options_.nodes; ++n) {
      if (cut[n - 1]) fault.minority.push_back(n);
    }
    fault.duration = nemesis_rng_.between(20, 120) * kTick;
    partition(fault.minority, fault.duration);
    return record(std::move(fault));
  }
  if (kind == 3) {
    const NodeId lead = leader();
    if (lead == kNoNode || target == lead || !live(target)) return;
    fault.kind = SystemFault::Kind::Transfer;
    transfer(target);
    return record(std::move(fault));
  }
  if (kind == 5) {
    // The leader's view of the configuration decides: remove a voter other than itself, or add back a node that is no longer one. Now and then a second
    // change follows at once, while the first is still uncommitted: the core must take one at a
    // time (thesis §4.1), and the Driver retries the second until it can.
    const int changes = nemesis_rng_.chance(0.3) ? 2 : 1;
    for (int i = 0; i < changes; ++i) {
      const NodeId node = i == 0 ? target : static_cast<NodeId>(nemesis_rng_.between(1, options_.nodes));
      const NodeId lead = leader();
      if (lead == kNoNode || node == lead) return;
      const Membership& members = nodes_[lead - 1].driver->node().membership();
      SystemFault change;
      change.node = node;
      if (members.is_voter(node)) {
        // Never below a majority of the nodes (two of three, three of five): the cluster keeps
        // a voter's worth of tolerance for the crashes the nemesis also makes.
        if (members.voters.size() <= options_.nodes / 2 + 1) return;
        change.kind = SystemFault::Kind::Remove;
      } else {
        change.kind = SystemFault::Kind::Add;
      }
      change_membership(change.kind, node);
      record(std::move(change));
    }
    return;
  }
  if (kind == 4) {
    if (armed_) return;
    fault.kind = SystemFault::Kind::CrashPoint;
    fault.node = kNoNode;
    fault.point = static_cast<SystemFault::Point>(nemesis_rng_.below(3));
    fault.disk_keep = nemesis_rng_.below(3);
    fault.disk_tear = nemesis_rng_.chance(0.5);
    fault.duration = nemesis_rng_.between(10, 80) * kTick;
    armed_ = fault;
    note("crash point armed: " + std::string(to_string(fault.point)));
    return record(std::move(fault));
  }
  // Crashes and pauses keep a majority up, so the run makes progress between faults.
  if (!live(target) || nodes_[target - 1].paused || (unavailable() + 1) * 2 >= options_.nodes + 1) return;
  if (kind == 0) {
    fault.kind = SystemFault::Kind::Crash;
    fault.disk_keep = nemesis_rng_.below(nodes_[target - 1].log->unsynced_writes() + 1);
    fault.disk_tear = nemesis_rng_.chance(0.5);
    fault.duration = nemesis_rng_.between(10, 80) * kTick;
    crash(target, fault.duration, fault.disk_keep, fault.disk_tear);
  } else {
    fault.kind = SystemFault::Kind::Pause;
    fault.duration = nemesis_rng_.between(5, 50) * kTick;
    pause(target, fault.duration);
  }
  record(std::move(fault));
}

void SystemEngine::partition(const std::vector<NodeId>& minority, std::uint64_t duration) {
  side_.assign(options_.nodes, 0);
  std::string minority_side;
  for (NodeId n : minority) {
    if (n < 1 || n > options_.nodes) continue;  // a schedule file's node out of range
    side_[n - 1] = 1;
    minority_side += " " + std::to_string(n);
  }
  ++counts_.partitions;
  note("partition: nodes" + minority_side + " cut off from the rest");
  if (timeline_) timeline_->partition(now_, "partition: nodes" + minority_side + " cut off");
  at(now_ + duration, Kind::Heal);
}

// A fault of a replayed schedule. One left out before it may have changed the cluster: a fault
// that no longer makes sense (its node is down, or already paused) is skipped.
void SystemEngine::apply_scheduled(const SystemFault& fault) {
  const bool node_ok = fault.node >= 1 && fault.node <= options_.nodes;
  switch (fault.kind) {
    case SystemFault::Kind::Crash:
      if (!node_ok || !live(fault.node)) return;
      crash(fault.node, fault.duration, fault.disk_keep, fault.disk_tear);
      break;
    case SystemFault::Kind::Pause:
      if (!node_ok || !live(fault.node) || nodes_[fault.node - 1].paused) return;
      pause(fault.node, fault.duration);
      break;
    case SystemFault::Kind::Partition: partition(fault.minority, fault.duration); break;
    case SystemFault::Kind::Oversized:
      if (!node_ok) return;
      return propose_oversized(fault.node, fault.bytes);
    case SystemFault::Kind::Transfer:
      if (!node_ok || leader() == kNoNode || leader() == fault.node || !live(fault.node)) return;
      transfer(fault.node);
      break;
    case SystemFault::Kind::CrashPoint:
      if (faults_stopped_) return;
      armed_ = fault;
      break;
    case SystemFault::Kind::Remove:
    case SystemFault::Kind::Add:
      if (!node_ok || leader() == kNoNode || leader() == fault.node) return;
      change_membership(fault.kind, fault.node);
      break;
  }
  record(fault);
}

NodeId SystemEngine::leader() const {
  NodeId best = kNoNode;
  Term term = 0;
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    const Node& node = nodes_[id - 1];
    if (node.driver && !node.paused && node.driver->is_leader() && node.driver->node().term() >= term) {
      best = id;
      term = node.driver->node().term();
    }
  }
  return best;
}

// Thesis §3.10: the leader is asked to hand over to `to`. Its answer reaches no client: the
// transfer is a fault, and whatever it does to the requests in flight is what is checked.
void SystemEngine::transfer(NodeId to) {
  const NodeId from = leader();
  ++counts_.transfers;
  note("transfer: leader " + std::to_string(from) + " asked to hand over to node " + std::to_string(to));
  if (timeline_) timeline_->note(from, now_, "transfer to " + std::to_string(to));
  ++counts_.events;
  nodes_[from - 1].driver->transfer_leadership(to);
  drain(from);
}

// One server at a time (thesis §4.1), asked of the leader; the Driver retries a change the core
// cannot take yet (the previous one still committing), and add_voter catches a node up as a
// learner before it votes (§4.2.1). The answer reaches no client.
void SystemEngine::change_membership(SystemFault::Kind kind, NodeId node) {
  const NodeId from = leader();
  ++counts_.membership_changes;
  const std::string what = std::string(kind == SystemFault::Kind::Remove ? "remove" : "add") + " node " + std::to_string(node);
  note("membership: leader " + std::to_string(from) + " asked to " + what);
  if (timeline_) timeline_->note(from, now_, what);
  ++counts_.events;
  Driver& driver = *nodes_[from - 1].driver;
  if (kind == SystemFault::Kind::Remove) driver.remove_node(node);
  else driver.add_voter(node);
  drain(from);
}

// After a step of `id`: whether it did what the armed crash point waits for. The crash comes at
// once (a CrashNow event at this very time, ahead of anything else due now), after the step's
// messages went out: the acknowledgement or vote is in flight, the process is gone.
void SystemEngine::check_crash_point(NodeId id, std::span<const Action> actions) {
  if (!armed_ || armed_->point == SystemFault::Point::AfterPersist) return;
  for (const Action& action : actions) {
    const auto* send = std::get_if<Send>(&action);
    if (send == nullptr) continue;
    const bool hit = armed_->point == SystemFault::Point::AfterVote
                         ? std::holds_alternative<RequestVoteReply>(send->message) &&
                               std::get<RequestVoteReply>(send->message).granted
                         : std::holds_alternative<AppendEntriesReply>(send->message) &&
                               std::get<AppendEntriesReply>(send->message).success;
    if (hit) {
      armed_->node = id;
      at(now_, Kind::CrashNow, id);
      return;
    }
  }
}

void SystemEngine::crash_point_fires(NodeId id) {
  if (!armed_ || armed_->node != id || !live(id)) return;
  const SystemFault fault = *armed_;
  armed_.reset();
  ++counts_.crash_points;
  note("crash point " + std::string(to_string(fault.point)) + " fires on node " + std::to_string(id));
  crash(id, fault.duration, fault.disk_keep, fault.disk_tear);
}

// The simulated disk works in groups (group commit, as a WAL with one fdatasync for every write
// waiting): a group takes 1 to 20 ms, now and then 50 to 200 ms (a slow disk), and holds every
// write queued when it completes. So a leader often replicates, and followers acknowledge, with
// its own write still in flight.
void SystemEngine::schedule_write(NodeId id) {
  Node& node = nodes_[id - 1];
  if (node.write_scheduled) return;  // joins the group in flight
  const std::uint64_t latency = disk_rng_.chance(0.03) ? disk_rng_.between(50, 200) : disk_rng_.between(1, 20);
  node.disk_free_at = std::max(node.disk_free_at, now_) + latency;
  node.write_scheduled = true;
  at(node.disk_free_at, Kind::DiskDone, id, node.incarnation);
}

void SystemEngine::disk_done(NodeId id, std::uint64_t incarnation) {
  Node& node = nodes_[id - 1];
  if (!live(id) || incarnation != node.incarnation) return;  // the crash lost the queue
  if (node.paused) {  // written, but the paused process hears of it only when it runs again
    at(now_ + kTick, Kind::DiskDone, id, incarnation);
    return;
  }
  node.write_scheduled = false;
  std::deque<Persist> group = std::move(node.writes);
  node.writes.clear();
  for (const Persist& persist : group) {
    if (failed() || !live(id)) return;
    auto status = write_persist(node.driver->log(), persist);
    ++counts_.persists;
    if (armed_ && armed_->point == SystemFault::Point::AfterPersist && status) {
      // Written and synced, and the node never hears of it: it must find it on restart.
      armed_->node = id;
      return crash_point_fires(id);
    }
    ++counts_.events;
    if (status) node.driver->persisted(Persisted{persist.index, persist.term});
    else node.driver->persist_failed(std::move(status).error());
    drain(id);
  }
}

void SystemEngine::heal() {
  if (!side_.empty()) note("partition healed");
  if (timeline_) timeline_->heal(now_);
  side_.clear();
}

// --- clients ---

void SystemEngine::client_wake(Client& client, std::uint64_t token) {
  if (token != client.token || client.waiting) return;
  if (!client.op) {
    if (now_ >= clients_stop_time_) return;
    std::uint64_t number = client.invoked + 1;
    if (options_.schedule != nullptr) {  // a replay: only the operations listed
      const auto& all = options_.schedule->client_ops;
      if (client.id > all.size() || client.replayed >= all[client.id - 1].size()) return;
      number = all[client.id - 1][client.replayed++];
    }
    client.invoked = number;
    client.resent = 0;
    outcome_.schedule.client_ops[client.id - 1].push_back(number);
    // Operation `number` of this client draws from a stream of its own: leaving others out of a
    // replay does not change it.
    SystemRng draws(mix(workload_seed_, (client.id << 32) + number));
    client.op = clients_.invoke(client.id, draws, now_, client.request);
    ++counts_.operations;
    note("client " + std::to_string(client.id) + " invokes #" + std::to_string(*client.op + 1) + ": " +
         clients_.describe(*client.op));
  }
  attempt(client);
}

// The client sends its request to a node over the network; it waits for the answer at most
// kClientTimeout, then treats the outcome as unknown (a read it simply asks again).
constexpr std::uint64_t kClientTimeout = 100 * kTick;

void SystemEngine::attempt(Client& client) {
  std::vector<NodeId> up;
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    if (live(id)) up.push_back(id);
  }
  if (up.empty()) return wake(client, 2 * kTick);
  NodeId target = up[client.rng.below(up.size())];
  if (client.prefer != kNoNode && std::find(up.begin(), up.end(), client.prefer) != up.end() && client.rng.chance(0.5)) {
    target = client.prefer;
  }
  client.prefer = kNoNode;
  client.target = target;
  client.waiting = true;
  note("client " + std::to_string(client.id) + " asks node " + std::to_string(target));
  const std::size_t index = client.id - 1;
  at(now_ + kClientTimeout, Kind::ClientTimeout, index, ++client.attempt);
  if (client_message_lost(client)) return;
  at(now_ + client_delay(client), Kind::ClientRequest, index, client.attempt);
}

void SystemEngine::request_arrives(std::size_t index, std::uint64_t attempt) {
  const Client& client = clients_state_[index];
  if (attempt != client.attempt || !client.waiting) return;
  const NodeId id = client.target;
  if (!live(id)) return;  // lost with the node: the client times out
  if (nodes_[id - 1].paused) {
    nodes_[id - 1].held_requests.emplace_back(index, attempt);
    return;
  }
  serve_request(id, index, attempt);
}

void SystemEngine::serve_request(NodeId id, std::size_t index, std::uint64_t attempt) {
  const Client& client = clients_state_[index];
  if (attempt != client.attempt || !client.waiting) return;  // it gave up meanwhile
  Driver& driver = *nodes_[id - 1].driver;
  ++counts_.events;
  const runtime::RequestId request =
      client.request.read ? driver.read(client.request.command) : driver.propose(client.request.command);
  pending_[{id, request}] = {index, attempt};
  drain(id);
}

// A caller hands a node a command over what the runtime promises to carry (it may come from a
// client of the user's, or a bug of theirs). The Driver must refuse it on the spot, on a follower
// and on the leader alike: appended, it could never be replicated.
void SystemEngine::propose_oversized(NodeId id, std::size_t bytes) {
  if (!live(id) || nodes_[id - 1].paused) return;
  SystemFault fault;
  fault.kind = SystemFault::Kind::Oversized;
  fault.node = id;
  fault.bytes = bytes;
  record(std::move(fault));
  oversized_bytes_ = bytes;
  note("a caller proposes " + std::to_string(oversized_bytes_) + " bytes on node " + std::to_string(id));
  if (timeline_) timeline_->note(id, now_, "oversized proposal");
  ++counts_.events;
  SharedBuffer command(oversized_bytes_);
  std::memset(command.data(), 0, command.size());
  oversized_.emplace(id, nodes_[id - 1].driver->propose(command.view(0, command.size())));
  drain(id);
  if (oversized_ && !failed()) {
    fail(SystemCheck::InputBound, "node " + std::to_string(id) + " did not refuse a proposal of " +
                                      std::to_string(oversized_bytes_) + " bytes on the spot");
  }
  oversized_.reset();
}

void SystemEngine::on_completion(NodeId id, runtime::Completion& done) {
  if (oversized_ == std::pair{id, done.id}) {
    oversized_.reset();
    if (done.result.ok() || !std::holds_alternative<runtime::InvalidRequest>(done.result.error())) {
      return fail(SystemCheck::InputBound,
                  "node " + std::to_string(id) + " answered a proposal of " + std::to_string(oversized_bytes_) +
                      " bytes with " + (done.result.ok() ? std::string("success") : runtime::describe(done.result.error())) +
                      " rather than InvalidRequest");
    }
    ++counts_.oversized_refused;
    return;
  }
  const auto it = pending_.find({id, done.id});
  if (it == pending_.end()) return;
  const auto [index, attempt] = it->second;
  pending_.erase(it);
  Client& client = clients_state_[index];
  if (client_message_lost(client)) return;  // the client times out
  answers_.emplace(next_answer_, Answer{index, attempt, id, std::move(done.result)});
  at(now_ + client_delay(client), Kind::ClientAnswer, next_answer_++);
}

void SystemEngine::answer_arrives(std::uint64_t id) {
  const auto it = answers_.find(id);
  if (it == answers_.end()) return;
  Answer answer = std::move(it->second);
  answers_.erase(it);
  Client& client = clients_state_[answer.client];
  if (answer.attempt != client.attempt || !client.waiting) return;  // it gave up on that attempt
  client.waiting = false;
  if (answer.result.ok()) {
    if (!clients_.complete(*client.op, answer.result.value(), now_)) {
      fail(SystemCheck::Response, "node " + std::to_string(answer.node) + " answered " +
                                      clients_.describe(*client.op) + " with " +
                                      std::to_string(answer.result.value().size()) +
                                      " bytes that Workload::decode rejects");
      return;
    }
    ++counts_.completed;
    note("client " + std::to_string(client.id) + " completes #" + std::to_string(*client.op + 1) + ": " +
         clients_.describe(*client.op));
    client.op.reset();
    return wake(client, client.rng.between(0, 3 * kTick));
  }
  const runtime::Error& error = answer.result.error();
  note("client " + std::to_string(client.id) + " is told by node " + std::to_string(answer.node) + ": " +
       runtime::describe(error));
  if (const auto* not_leader = std::get_if<runtime::NotLeader>(&error)) client.prefer = not_leader->leader;
  if (client.request.read || not_applied(error)) return retry(client);
  if (client.resent < options_.resends) return resend(client);
  end_unknown(client);
}

void SystemEngine::client_timeout(Client& client, std::uint64_t attempt) {
  if (attempt != client.attempt || !client.waiting) return;
  note("client " + std::to_string(client.id) + " times out");
  client.waiting = false;
  if (client.request.read) return retry(client);
  if (client.resent < options_.resends) return resend(client);
  end_unknown(client);
}

// The same bytes again: the machine's session must make a second copy harmless.
void SystemEngine::resend(Client& client) {
  ++client.resent;
  ++counts_.resends;
  note("client " + std::to_string(client.id) + " sends #" + std::to_string(*client.op + 1) + " again");
  wake(client, client.rng.between(1, 3 * kTick));
}

void SystemEngine::retry(Client& client) {
  ++counts_.retries;
  wake(client, client.rng.between(1, 3 * kTick));
}

void SystemEngine::end_unknown(Client& client) {
  ++counts_.unknown_outcome;
  note("client " + std::to_string(client.id) + " leaves #" + std::to_string(*client.op + 1) + " unknown");
  client.op.reset();  // its complete_time stays empty: it may or may not have taken effect
  wake(client, client.rng.between(0, 3 * kTick));
}

}  // namespace

SystemOutcome run_system_engine(const std::function<std::unique_ptr<StateMachine>()>& machine,
                                SystemClients& clients, const SystemOptions& options) {
  SystemEngine engine(machine, clients, options);
  return engine.run();
}

}  // namespace detail
}  // namespace raftio::sim
