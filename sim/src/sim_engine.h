// The simulator's engine, shared by simulation.cpp (event loop, checks, report), nemesis.cpp
// (the fault schedule) and workload.cpp (the key-value clients).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "raftio/sim/kv_store.h"
#include "raftio/sim/rng.h"
#include "raftio/sim/simulation.h"
#include "raftio/sim_network.h"

namespace raftio::sim {

// A stream of choices, seeded from the run's seed. The engine keeps one stream per concern (see
// Simulation::Engine), so that replaying the nemesis's faults from a schedule leaves every other
// draw where it was.
using SimRng = SplitMix64;

struct Simulation::Engine {
  explicit Engine(SimOptions options);

  // --- the event loop (simulation.cpp) ---
  enum class Kind : std::uint8_t {
    Tick,
    ClientWake,
    Nemesis,
    Restart,
    Resume,
    FaultsStop,
    DiskDone,
    ClientRequest,  // a client's request reaches its node (target: the message id)
    ClientAnswer,   // a node's answer reaches its client (target: the message id)
  };
  struct Timed {
    std::uint64_t time;
    std::uint64_t sequence;
    Kind kind;
    std::uint64_t target;  // node or client
    std::uint64_t token;   // to recognize a stale client wake-up
  };
  void at(std::uint64_t time, Kind kind, std::uint64_t target = 0, std::uint64_t token = 0);
  void run_loop();
  void handle(const Timed& timed);
  void step_node(NodeId id, Event event);  // any event to a live node: trace, step, count, check
  void after_step(NodeId id);
  void on_action(NodeId id, const Action& action);
  void apply_to_store(NodeId id, const LogEntry& entry);
  void restore_store(NodeId id, const Snapshot& snapshot);
  void take_snapshot(NodeId id);
  void trace_event(NodeId id, const Event& event);
  bool tracing() const noexcept { return options_.trace != nullptr || options_.last_events > 0; }
  void trace_line(const std::string& line);
  // {"t_us":..,"type":"fault","kind":kind,<fields>}: fields is JSON ("\"node\":3"), or empty.
  void trace_fault(std::string_view kind, const std::string& fields);
  // The client record ("invoke", "ok", "unknown") of history_[op] (history_io.h).
  void trace_client(std::string_view kind, std::size_t op);
  void finish(SimReport& report);

  // --- nodes going down and coming back ---
  struct NodeState {
    bool down = false;
    bool paused = false;
    std::uint64_t tick_us = 0;
    KvStore store;
    Role role = Role::Follower;
    Term term = 0;
    std::uint64_t role_since = 0;
    Index commit = 0;
    Index store_applied = 0;  // the last index the node's KvStore applied
    bool snapshot_wanted = false;  // the node suggested a snapshot during the current step
    std::uint64_t outage_start = 0;
    std::vector<Envelope> held;  // delivered while paused: handed over on resume
    // async_storage: the node's I/O queue completes its writes in order, one at a time; a crash
    // empties it (incarnation tells a completion from before the crash).
    std::uint64_t incarnation = 0;
    std::uint64_t disk_free_at = 0;
    bool write_scheduled = false;  // a DiskDone is pending: new writes join its group
    // The node's side of the client protocol (lost in a crash, like any process state):
    std::map<std::uint64_t, std::uint64_t> answer_on_apply;  // client → seq: answer it when applied
    struct PendingRead {
      std::uint64_t message = 0;  // the request's message id, also its ReadIndex id
      std::optional<Index> at;    // ReadReady's index, once it arrived
    };
    std::vector<PendingRead> reads;
    std::vector<std::uint64_t> batch;          // write requests gathered for the next proposal batch
    std::vector<std::uint64_t> held_requests;  // client requests that arrived while paused
  };
  void schedule_write(NodeId id);
  void disk_done(NodeId id, std::uint64_t incarnation);
  void crash(NodeId id, std::uint64_t downtime_us);
  void restart(NodeId id);
  void pause(NodeId id);
  void resume(NodeId id);
  std::size_t unavailable() const;

  // --- the nemesis (nemesis.cpp) ---
  // Deciding (draws from nemesis_rng_, reads the cluster's state) is apart from applying (no
  // draws), so that a run can take its faults from a Schedule instead.
  void nemesis_step();
  void replay_faults();  // SimOptions::schedule: applies the faults due now, waits for the next
  void at_nemesis(std::uint64_t time);
  bool perform(ScheduledFault fault);  // applies it and, when it took effect, records it (true)
  bool apply_fault(const ScheduledFault& fault);
  bool apply_network_fault(const ScheduledFault& fault);
  bool apply_crash_fault(const ScheduledFault& fault);
  bool apply_membership_change(const ScheduledFault& fault);
  bool apply_transfer(const ScheduledFault& fault);
  bool majority_would_be_lost() const;
  void churn_membership();
  std::vector<std::pair<MembershipChange, NodeId>> membership_options(NodeId leader) const;
  std::optional<ScheduledFault> decide_membership_change();
  std::optional<ScheduledFault> decide_transfer();
  std::optional<ScheduledFault> decide_network_fault(FaultKind kind);
  std::optional<ScheduledFault> decide_crash_fault(FaultKind kind);
  std::uint64_t pause_ticks();
  void heal_network(bool count);
  void stop_faults();
  // A network fault starts: `kind` and `fields` for the trace (see trace_fault), `description`
  // for the timeline.
  void open_fault(std::string_view kind, const std::string& fields, std::string description);
  std::vector<NodeId> random_subset(std::size_t size);

  // --- crash points (crash_points.cpp) ---
  struct ArmedPoint {
    CrashPoint point = CrashPoint::AfterVote;
    NodeId node = kNoNode;  // kNoNode: whichever node gets there first
    bool pause = false;     // pause rather than crash
    std::uint64_t duration_us = 0;
    std::uint64_t until = 0;  // disarmed after this time
  };
  std::optional<ScheduledFault> decide_crash_point();
  bool apply_crash_point(const ScheduledFault& fault);
  bool armed_for(CrashPoint point, NodeId id) const;
  void crash_point_event(NodeId id, const Event& event);    // before a step: what it receives
  void crash_point_action(NodeId id, const Action& action);  // during a step: what it does
  bool crash_point_after_write(NodeId id);                   // an async write just completed
  void fire_crash_point(NodeId id);

  // --- the clients (workload.cpp) ---
  struct Client {
    std::uint64_t id = 0;
    std::uint64_t seq = 0;
    std::optional<std::size_t> op;  // index in history_ of the operation in progress
    KvCommand command;
    NodeId leader_guess = 0;
    std::uint32_t timeouts = 0;
    bool waiting = false;           // a request is out: the wake-up at `token` is its timeout
    bool read_index = false;        // this operation is a ReadIndex get
    std::uint64_t token = 0;        // bumped on every attempt: older wake-ups and refusals are ignored
    std::map<std::string, std::string> last_seen;  // values this client saw, for plausible CAS
    std::size_t next_listed = 0;    // SimOptions::schedule: the next of this client's listed operations
  };
  // A request from a client to a node, or the node's answer, in flight on the simulated network.
  struct ClientMessage {
    std::uint64_t client = 0;
    std::uint64_t seq = 0;    // the operation (the client's session number)
    std::uint64_t token = 0;  // the attempt
    NodeId node = kNoNode;    // the node asked, or the node answering
    bool read_index = false;
    Payload command;          // request: the encoded command (log operations)
    // answer:
    bool ok = false;          // false: refused (not the leader); see leader_hint
    NodeId leader_hint = kNoNode;
    KvResult result;
  };
  void client_wake(Client& client, std::uint64_t token);
  void start_operation(Client& client);
  void attempt(Client& client);
  void complete(Client& client, const KvResult& result);
  void give_up(Client& client);
  bool client_message_lost();
  void send_client_message(Kind kind, ClientMessage message);
  void request_arrives(std::uint64_t message_id);
  void handle_request(NodeId id, std::uint64_t message_id);
  void propose_batch(NodeId id);
  void answer(NodeId id, const ClientMessage& request, bool ok, const KvResult& result);
  void answer_arrives(std::uint64_t message_id);
  void on_read_action(NodeId id, const Action& action);
  void serve_reads(NodeId id);
  void forget_clients(NodeId id);  // a crash: the node's pending answers are gone

  // --- the sequence diagram of the HTML timeline (timeline_record.cpp; only with options_.timeline) ---
  void record_send(const Message& message);
  void record_receive(const Message& message);
  void record_note(NodeId id, std::string label);
  void freeze_sequence(std::string label);  // at the first violation
  void finish_sequence();
  std::unordered_map<std::uint64_t, std::uint64_t> send_times_;  // message digest -> time sent
  std::deque<Timeline::Message> recent_messages_;
  std::deque<Timeline::Note> recent_notes_;
  bool sequence_frozen_ = false;

  SimOptions options_;
  SwarmConfig config_;
  // The streams of choices: the engine's own (clock drift, disk latency), the nemesis's (every
  // fault, and when), the clients' traffic (which node, losses, delays, think times). What each
  // client operation does comes from a stream of its own (client, session number): see
  // start_operation.
  SimRng rng_;
  SimRng nemesis_rng_;
  SimRng client_rng_;
  std::vector<ScheduledFault> applied_faults_;
  std::size_t next_fault_ = 0;  // SimOptions::schedule: the next fault to replay
  std::vector<std::vector<std::uint64_t>> invoked_ops_;  // [client - 1]: session numbers
  std::vector<std::vector<std::uint64_t>> invoke_us_;    // [client - 1]: when each was invoked
  std::uint64_t now_ = 0;
  std::uint64_t end_time_ = 0;
  std::uint64_t faults_stop_time_ = 0;
  std::uint64_t clients_stop_time_ = 0;
  bool faults_stopped_ = false;
  Cluster cluster_;
  SimNetwork network_;
  NetworkProfile base_profile_;
  std::vector<NodeState> nodes_;  // by id - 1
  std::vector<Client> clients_;
  std::size_t readers_waiting_ = 0;  // clients with read_at set, waiting for a store to catch up
  std::uint64_t read_index_gets_ = 0;
  std::uint64_t snapshots_taken_ = 0;
  std::uint64_t snapshots_restored_ = 0;
  std::uint64_t persists_ = 0;
  std::uint64_t persists_lost_ = 0;
  std::map<std::uint64_t, ClientMessage> client_messages_;  // in flight (and requests being served)
  std::uint64_t next_client_message_ = 1;
  std::uint64_t client_requests_ = 0;
  std::uint64_t client_messages_lost_ = 0;
  double burst_loss_ = 0;  // a loss burst's rate, which client messages suffer too
  std::optional<ArmedPoint> armed_;
  NodeId crash_point_due_ = kNoNode;  // the step under way matched the armed point
  KvHistory history_;
  std::vector<Timed> queue_;  // binary heap, earliest first
  std::uint64_t sequence_ = 0;

  FaultCounts counts_;
  std::optional<Timeline::Fault> open_fault_;
  Timeline timeline_;

  std::uint64_t steps_ = 0;
  std::uint64_t trace_hash_ = 0;
  std::size_t violations_seen_ = 0;
  std::uint64_t first_violation_step_ = 0;
  std::uint64_t first_violation_us_ = 0;
  std::string trace_buffer_;  // one trace line, reused
  std::deque<std::string> last_events_;
  std::vector<std::string> frozen_last_events_;
  std::map<Term, NodeId> leaders_by_term_;
};

}  // namespace raftio::sim
