// Simulating your own system: the simulator runs a cluster of runtime Drivers (raftio-runtime)
// over a user's StateMachine, under faults, with clients that follow a user's workload, and
// checks what came out. A user brings three things in a SystemSpec:
//
//   machine    a factory of their StateMachine (one fresh instance per node and per restart)
//   model      the machine's sequential specification (model.h): what each operation may return
//   workload   how clients pick operations, and how an operation becomes a command and a
//              response becomes an output
//
// The workload comes in two forms, picked by the model's Operation type (WorkloadFor below):
//   Workload<Input, Output>    when the Operation is model.h's Operation<Input, Output> (or has its
//                              `input` and `output` fields): the workload draws inputs and decodes
//                              outputs, and the simulator keeps the record (the bank example);
//   OperationWorkload<Op>      when the Operation is a record of its own (KvOperation, the history
//                              type the key-value simulator, its history files and KvModel share):
//                              the workload makes whole operations and fills in their outcome.
// One trait rather than an adapter: a model written for an existing history type is used as it
// is, with no second record type to convert to and from, and the linearizability checker sees
// only M::Operation, whatever the form (kv_system.h runs the key-value store this way).
//
// run_system(spec, options) then runs one seeded simulation: N Drivers over MemoryLogs that a
// crash cuts back to what was synced, a network between them that delays, loses, duplicates and
// partitions, pauses, and clients that reach random nodes over a lossy network of their own and
// retry what was certainly not applied. Every choice comes from the seed: the same seed replays
// the same run. It checks
//
//   raft safety        the core's properties (safety_checker.h) on every node, after every step
//   replica agreement  nodes that applied the same index hold the same state: equal snapshot()
//                      bytes (a non-deterministic apply, or a restore that loses something the
//                      machine's later applies depend on, shows here)
//   node stopped       no Driver stops serving (it does when restore() refuses a snapshot)
//   response           every response the machine returned decodes (Workload::decode)
//   linearizability    the clients' history, against the model (linearizability.h)
//
// docs/SIMULATION.md ("Simulating your own system") walks through an example end to end.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "raftio/payload.h"
#include "raftio/runtime/state_machine.h"
#include "raftio/sim/linearizability.h"
#include "raftio/sim/model.h"
#include "raftio/sim/rng.h"
#include "raftio/sim/timeline.h"

namespace raftio::sim {

// The stream of choices a workload draws its operations from. Each run seeds it from
// SystemOptions::seed, so a workload that draws only from it replays exactly.
using SystemRng = SplitMix64;

// One fault as a run applied it, every random choice resolved: replayed at the same moment of the
// same seed's run, it does the very same thing.
struct SystemFault {
  enum class Kind : std::uint8_t { Crash, Pause, Partition, Oversized, Transfer, CrashPoint, Remove, Add };
  // CrashPoint: from `time` on, the first node whose step does this is crashed right after it
  // (its messages sent), with `duration`, `disk_keep` and `disk_tear` as a crash's.
  enum class Point : std::uint8_t { AfterVote, AfterAppendAck, AfterPersist };
  std::uint64_t time = 0;  // virtual time (10 units per tick)
  Kind kind = Kind::Crash;
  NodeId node = kNoNode;         // crash, pause, oversized: the node; transfer: the leader's successor;
                                 // remove, add: the node the leader removes, or adds back as a voter
  std::uint64_t duration = 0;    // crash: until the restart; pause: until it resumes; partition: until it heals
  std::uint64_t disk_keep = 0;   // crash: unsynced writes the disk keeps (at most those it has)
  bool disk_tear = false;        // crash: the write after those is torn
  std::vector<NodeId> minority;  // partition: the nodes cut off from the rest
  std::uint64_t bytes = 0;       // oversized: the command's size
  Point point = Point::AfterVote;  // crash point
  bool operator==(const SystemFault&) const = default;
};
// "crash", "pause", "partition", "oversized", "transfer", "crash-point", "remove", "add"
std::string_view to_string(SystemFault::Kind kind) noexcept;
// "after-vote" (a granted vote sent), "after-append-ack" (a successful AppendEntriesReply sent),
// "after-persist" (an asynchronous write done, before the node hears of it)
std::string_view to_string(SystemFault::Point point) noexcept;

// How the nodes write their logs: inside each step (the Driver's RaftLog), through Persist
// actions that a simulated disk completes after a delay (async_storage: the leader replicates
// while its own write is in flight), or a mix in one cluster (odd and even nodes differ).
enum class SystemStorage : std::uint8_t { Sync, Async, Mixed };

// What a run did that its seed alone does not pin once faults are replayed: the faults it applied
// and, per client, the numbers of the operations it invoked (operation n of client c is drawn from
// a stream of its own, seeded by the seed, c and n). SystemReport::schedule records it; given as
// SystemOptions::schedule, a run applies exactly these faults (no others) and each client invokes
// only the operations listed: the same run when nothing was left out, a smaller one when the
// shrinker (shrink_system) left some out.
struct SystemSchedule {
  std::vector<SystemFault> faults;                     // in the order they were applied
  std::vector<std::vector<std::uint64_t>> client_ops;  // [client - 1]: operation numbers, ascending
  std::size_t operations() const noexcept {
    std::size_t n = 0;
    for (const auto& ops : client_ops) n += ops.size();
    return n;
  }
  bool operator==(const SystemSchedule&) const = default;
};

struct SystemOptions {
  std::uint64_t seed = 1;
  std::size_t nodes = 3;       // voters, 1 to 9 (run_system throws std::invalid_argument else)
  std::uint64_t ticks = 1500;  // how long the run lasts, in Raft ticks
  std::size_t clients = 3;
  // RaftConfig::snapshot_threshold: entries between two snapshots. Small, so that snapshot(),
  // restore() and the log's compaction run many times in every run.
  std::uint64_t snapshot_threshold = 24;
  // Faults (each stops three quarters into the run, so the cluster heals before it ends):
  bool crashes = true;         // a node crashes, losing its Driver and its state machine, and
                               // restarts later on the log it had persisted
  bool pauses = true;          // a node stops for a while, then handles what reached it meanwhile
  bool partitions = true;      // the network splits in two, then heals
  bool message_faults = true;  // messages (Raft's and the runtime's) are lost, duplicated,
                               // delayed and so reordered
  bool transfers = true;       // the leader is asked to hand over to another node (thesis §3.10)
  bool membership = true;      // the leader is asked to remove a voter (never below a majority of
                               // the nodes), and to
                               // add a removed node back (Driver::add_voter: learner, then voter)
  bool crash_points = true;    // a node crashes right after a step that voted, acknowledged entries
                               // or (async storage) finished a write: the narrow windows
  SystemStorage storage = SystemStorage::Mixed;
  // Once per run, at a random moment, a caller on a random node proposes a command one byte over
  // runtime::kMaxCommandBytes: the Driver must answer InvalidRequest at once (check "input bound").
  bool oversized_proposals = true;
  // A proposal whose outcome is unknown (no answer in time, or an answer that leaves it open) is
  // sent again, with the same bytes, up to this many times before it counts as unknown. Only for
  // machines whose commands carry a client session that makes a repeat harmless (the key-value
  // store's); 0, the default, never repeats one (the bank: a repeat would move money twice).
  std::uint32_t resends = 0;
  std::uint64_t max_check_states = 1'000'000;  // the linearizability search's budget
  // Called with one line per thing that happened, for replaying a failing seed with eyes open:
  // each Driver's events and actions (DriverOptions::trace; node 0 for the simulator's own
  // lines: faults and client operations), with the virtual time. Empty: no trace (faster).
  std::function<void(std::uint64_t time, NodeId node, const std::string& line)> trace = nullptr;
  // Replay: faults come from this schedule instead of the nemesis, and each client invokes only
  // the operations it lists. Not owned; must outlive the run.
  const SystemSchedule* schedule = nullptr;
  // Filled, when set, with what the HTML timeline shows (timeline.h; write_html_timeline): roles,
  // commit indexes, crashes, pauses, partitions and the messages before the first failure. Not
  // owned. Virtual time: a tick is 10 ms.
  Timeline* timeline = nullptr;
};

struct SystemCounts {
  std::uint64_t events = 0;  // inputs the Drivers handled: ticks, messages, client requests
  std::uint64_t messages_sent = 0;  // Raft's and the runtime's (forwarded proposals, outcomes)
  std::uint64_t messages_lost = 0;  // to loss, a cut link, or a node that was down
  std::uint64_t messages_duplicated = 0;
  std::uint64_t operations = 0;       // client operations invoked
  std::uint64_t completed = 0;        // ... that ended with a response
  std::uint64_t unknown_outcome = 0;  // ... that ended not knowing whether they took effect
  std::uint64_t retries = 0;          // attempts refused in a way that says "not applied"
  std::uint64_t resends = 0;          // proposals sent again after an unknown outcome (SystemOptions::resends)
  std::uint64_t crashes = 0;
  std::uint64_t restarts = 0;
  std::uint64_t pauses = 0;
  std::uint64_t partitions = 0;
  std::uint64_t transfers = 0;     // leadership transfers asked of a leader
  std::uint64_t membership_changes = 0;  // removals and additions asked of a leader
  std::uint64_t crash_points = 0;  // crashes at a crash point
  std::uint64_t persists = 0;      // asynchronous writes the simulated disks completed
  std::uint64_t snapshots_taken = 0;      // snapshot() calls the cores asked for
  std::uint64_t snapshots_installed = 0;  // restore() calls (after a restart, or from the leader)
  std::uint64_t leaders = 0;              // nodes that became leader
  std::uint64_t oversized_refused = 0;    // oversized proposals refused (SystemOptions::oversized_proposals)
};
std::string describe(const SystemCounts& counts);
// Adds every count of `more` to `total` (a sweep's totals).
SystemCounts& operator+=(SystemCounts& total, const SystemCounts& more);

enum class SystemCheck { None, RaftSafety, ReplicaAgreement, NodeStopped, Response, Linearizability, FrameBound, InputBound };
std::string to_string(SystemCheck check);  // "raft safety", "replica agreement", ...

template <class Op>
struct SystemReport {
  bool passed = true;
  SystemCheck failed_check = SystemCheck::None;
  // The first violation: "seed 7: replica agreement: ...", naming what differed. Empty if passed.
  std::string message;
  std::uint64_t seed = 0;
  SystemCounts counts;
  std::size_t inconclusive = 0;  // partitions whose linearizability search ran out of budget
  std::uint64_t states_explored = 0;
  std::vector<Op> history;  // every client operation, in the order they were invoked
  SystemSchedule schedule;  // the faults applied and the operations invoked, for a replay
};

// What the clients do, for a model whose Operation is Operation<Input, Output> (model.h): the
// workload draws inputs and decodes outputs; the simulator keeps the records.
template <class Input, class Output>
struct Workload {
  // The next operation of client `client` (1-based), drawn from `rng` only.
  std::function<Input(std::uint64_t client, SystemRng& rng)> next;
  // The command proposed (or, for a read, the query handed to StateMachine::query).
  std::function<Payload(const Input&)> encode;
  // true: a linearizable read (Driver::read, answered by query()); false: a proposal (apply()).
  std::function<bool(const Input&)> is_read;
  // The output a response means; nothing when it does not decode (the run fails its
  // "response" check).
  std::function<std::optional<Output>(const Input&, const Payload&)> decode;
};

// What the clients do, for a model whose Operation is a record of its own (no `input`/`output`
// fields): the workload makes and completes whole operations. The simulator sets the record's
// client, invoke_time and complete_time; the workload everything else.
template <class Op>
struct OperationWorkload {
  // The next operation of client `client` (1-based), drawn from `rng` and from `history` only:
  // every operation invoked so far in this run, with the outcomes known so far (a client may
  // act on what it was told, e.g. compare-and-set against the value it last read).
  std::function<Op(std::uint64_t client, const std::vector<Op>& history, SystemRng& rng)> next;
  // The command proposed (or the query for a read) for `op`, the run's `number`th operation (from
  // 1). Numbers are unique in a run and increase for each client, so they can serve as a
  // session's sequence numbers. A client sends these same bytes again when it retries.
  std::function<Payload(const Op& op, std::uint64_t number)> encode;
  std::function<bool(const Op&)> is_read;  // as Workload::is_read
  // Records what `response` means in op's outcome fields; false when it does not decode (the
  // run fails its "response" check).
  std::function<bool(Op& op, const Payload& response)> complete;
};

// Whether an operation record has model.h's `input` and `output` fields.
template <class Op>
concept InputOutputOperation = requires(const Op& op) {
  op.input;
  op.output;
};
template <class Op>
struct WorkloadForOperation {
  using type = OperationWorkload<Op>;
};
template <InputOutputOperation Op>
struct WorkloadForOperation<Op> {
  using type = Workload<decltype(Op::input), decltype(Op::output)>;
};
// The workload form for an operation record: see the top of this file.
template <class Op>
using WorkloadFor = typename WorkloadForOperation<Op>::type;

// M::Operation has client, invoke_time and complete_time (LinearizabilityModel), and either the
// `input` and `output` of Operation<Input, Output> (model.h), with a Workload<Input, Output>, or
// fields of its own, with an OperationWorkload.
template <LinearizabilityModel M>
struct SystemSpec {
  using Operation = typename M::Operation;

  std::function<std::unique_ptr<runtime::StateMachine>()> machine;
  M model;
  WorkloadFor<Operation> workload;
};

namespace detail {

// The engine (system_engine.cpp) is compiled once; it sees the workload and the history through
// this interface, which run_system implements for the model's types.
struct SystemRequest {
  Payload command;
  bool read = false;
};
class SystemClients {
 public:
  virtual ~SystemClients() = default;
  // Starts a new operation of `client` at `time`: its index in the history, and its request.
  virtual std::size_t invoke(std::uint64_t client, SystemRng& rng, std::uint64_t time, SystemRequest& request) = 0;
  // Operation `op` ended with `response` at `time`; false when the response does not decode.
  virtual bool complete(std::size_t op, const Payload& response, std::uint64_t time) = 0;
  virtual std::string describe(std::size_t op) const = 0;
};
struct SystemOutcome {
  SystemCheck failed_check = SystemCheck::None;
  std::string message;
  SystemCounts counts;
  SystemSchedule schedule;
};
SystemOutcome run_system_engine(const std::function<std::unique_ptr<runtime::StateMachine>()>& machine,
                                SystemClients& clients, const SystemOptions& options);

template <LinearizabilityModel M>
class TypedSystemClients final : public SystemClients {
 public:
  using Op = typename M::Operation;
  explicit TypedSystemClients(const SystemSpec<M>& spec) : spec_(spec) {}
  std::size_t invoke(std::uint64_t client, SystemRng& rng, std::uint64_t time, SystemRequest& request) override {
    Op op{};
    if constexpr (InputOutputOperation<Op>) {
      op.input = spec_.workload.next(client, rng);
    } else {
      op = spec_.workload.next(client, history, rng);
    }
    op.client = client;
    op.invoke_time = time;
    op.complete_time.reset();
    if constexpr (InputOutputOperation<Op>) {
      request.command = spec_.workload.encode(op.input);
      request.read = spec_.workload.is_read(op.input);
    } else {
      request.command = spec_.workload.encode(op, history.size() + 1);
      request.read = spec_.workload.is_read(op);
    }
    history.push_back(std::move(op));
    return history.size() - 1;
  }
  bool complete(std::size_t op, const Payload& response, std::uint64_t time) override {
    if constexpr (InputOutputOperation<Op>) {
      auto output = spec_.workload.decode(history[op].input, response);
      if (!output) return false;
      history[op].output = std::move(*output);
    } else {
      Op done = history[op];  // a response that does not decode leaves the record as it was
      if (!spec_.workload.complete(done, response)) return false;
      history[op] = std::move(done);
    }
    history[op].complete_time = time;
    return true;
  }
  std::string describe(std::size_t op) const override { return spec_.model.describe(history[op]); }

  std::vector<Op> history;

 private:
  const SystemSpec<M>& spec_;
};

}  // namespace detail

// One seeded run of the user's system, checked; see the top of this file.
template <LinearizabilityModel M>
SystemReport<typename M::Operation> run_system(const SystemSpec<M>& spec, const SystemOptions& options) {
  detail::TypedSystemClients<M> clients(spec);
  detail::SystemOutcome outcome = detail::run_system_engine(spec.machine, clients, options);
  SystemReport<typename M::Operation> report;
  report.seed = options.seed;
  report.counts = outcome.counts;
  report.failed_check = outcome.failed_check;
  report.message = std::move(outcome.message);
  // The history of a run that already failed is not searched: the first violation is the one
  // worth reading, and the run stopped at it.
  if (report.failed_check == SystemCheck::None) {
    const LinearizabilityReport checked = check_linearizable(clients.history, spec.model, options.max_check_states);
    report.inconclusive = checked.inconclusive_keys;
    report.states_explored = checked.states_explored;
    if (!checked.linearizable) {
      report.failed_check = SystemCheck::Linearizability;
      report.message = "seed " + std::to_string(options.seed) + ": linearizability: " + checked.explanation;
      if (options.timeline != nullptr) {  // found at the end: the whole run is the story
        options.timeline->markers.push_back({options.timeline->end_time, "failure"});
        options.timeline->focus = options.timeline->end_time;
        options.timeline->focus_label = to_string(SystemCheck::Linearizability);
      }
    }
  }
  report.passed = report.failed_check == SystemCheck::None;
  report.history = std::move(clients.history);
  report.schedule = std::move(outcome.schedule);
  return report;
}

// --- the client history as JSON lines ---

// One operation of a history, as written by write_system_history.
struct SystemHistoryLine {
  std::uint64_t client = 0;
  std::uint64_t invoke_time = 0;
  std::optional<std::uint64_t> complete_time;  // nothing: the outcome is unknown
  std::string text;                            // the model's describe(op)
};
// One JSON line per operation, in the order they were invoked (raftio-sim --model M --history):
//   {"op":1,"client":2,"invoke_us":25000,"complete_us":31000,"operation":"client 2 read 100 100 100 100"}
// with "complete_us":null for an unknown outcome. Times are virtual microseconds (a tick is 10 ms).
// It is for reading and for tools of your own: the simulator has no parser for your model's
// operations, so it checks a history only within the run that made it.
void write_system_history(std::ostream& out, const std::vector<SystemHistoryLine>& lines);

template <LinearizabilityModel M>
void write_system_history(std::ostream& out, const std::vector<typename M::Operation>& history, const M& model) {
  std::vector<SystemHistoryLine> lines;
  lines.reserve(history.size());
  for (const auto& op : history) lines.push_back({op.client, op.invoke_time, op.complete_time, model.describe(op)});
  write_system_history(out, lines);
}

// --- shrinking ---

struct SystemShrinkOptions {
  std::size_t budget = 1000;  // runs at most (the seed's own run included)
  std::function<void(const std::string&)> progress;  // a line after each pass, when set
};

struct SystemShrinkResult {
  bool failed = false;       // the seed's run failed a check: false, nothing to shrink
  bool reproduced = false;   // replaying what it recorded failed the same check
  SystemCheck check = SystemCheck::None;  // the check the seed's run failed
  std::string message;       // ... and how
  SystemSchedule original;   // what the seed's run applied and invoked
  SystemSchedule shrunk;     // the smallest schedule found that still fails `check`
  std::string shrunk_message;  // the shrunk schedule's failure, as its replay reports it
  std::size_t runs = 0;
  bool budget_exhausted = false;
};

namespace detail {

// Zeller's ddmin: the smallest subsequence of `items` it finds for which `fails` still holds
// (`fails(items)` must hold to begin with). Removes chunks, halving them when none can go.
template <class T, class Fails>
std::vector<T> ddmin(std::vector<T> items, Fails&& fails) {
  if (items.empty()) return items;
  if (fails(std::vector<T>{})) return {};
  std::size_t parts = 2;
  while (items.size() >= 2) {
    parts = std::min(parts, items.size());
    const std::size_t chunk = (items.size() + parts - 1) / parts;
    bool removed = false;
    for (std::size_t start = 0; start < items.size(); start += chunk) {
      std::vector<T> rest(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(start));
      rest.insert(rest.end(), items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), start + chunk)),
                  items.end());
      if (fails(rest)) {
        items = std::move(rest);
        parts = std::max<std::size_t>(parts - 1, 2);
        removed = true;
        break;
      }
    }
    if (removed) continue;
    if (parts >= items.size()) break;
    parts = std::min(parts * 2, items.size());
  }
  return items;
}

}  // namespace detail

// Runs `options` and, if it fails, shrinks what it applied: delta debugging over the faults, then
// whole clients, then single operations, repeated while a pass removes something, keeping a
// smaller schedule only while its replay fails the same check. Everything else stays: the seed
// (so each remaining operation is the same operation, and the network draws from the same
// stream) and the options. docs/SIMULATION.md, "Shrinking a failure of your system".
template <LinearizabilityModel M>
SystemShrinkResult shrink_system(const SystemSpec<M>& spec, SystemOptions options,
                                 const SystemShrinkOptions& shrink_options = {}) {
  options.trace = nullptr;
  SystemShrinkResult result;
  const auto first = run_system(spec, options);
  result.runs = 1;
  if (first.passed) return result;
  result.failed = true;
  result.check = first.failed_check;
  result.message = first.message;
  result.original = first.schedule;

  SystemSchedule current = first.schedule;
  std::string current_message;
  // Replays `candidate`; when it fails the same check, what that replay really applied (a fault
  // whose node was down is skipped, operations after a failure are never invoked) becomes the
  // schedule to shrink further.
  auto fails = [&](const SystemSchedule& candidate) {
    if (result.runs >= shrink_options.budget) {
      result.budget_exhausted = true;
      return false;
    }
    ++result.runs;
    SystemOptions replay = options;
    replay.schedule = &candidate;
    const auto report = run_system(spec, replay);
    if (report.failed_check != result.check) return false;
    current = report.schedule;
    current_message = report.message;
    return true;
  };
  result.reproduced = fails(current);
  if (!result.reproduced) {
    result.shrunk = current;
    return result;
  }
  auto say = [&](const std::string& pass) {
    if (shrink_options.progress) {
      shrink_options.progress(pass + ": " + std::to_string(current.faults.size()) + " faults, " +
                              std::to_string(current.operations()) + " operations (" + std::to_string(result.runs) +
                              " runs)");
    }
  };
  for (bool progress = true; progress && !result.budget_exhausted;) {
    const SystemSchedule before = current;
    detail::ddmin(current.faults, [&](const std::vector<SystemFault>& faults) {
      SystemSchedule candidate = current;
      candidate.faults = faults;
      return fails(candidate);
    });
    say("faults");
    std::vector<std::size_t> busy;  // clients with operations
    for (std::size_t c = 0; c < current.client_ops.size(); ++c) {
      if (!current.client_ops[c].empty()) busy.push_back(c);
    }
    detail::ddmin(busy, [&](const std::vector<std::size_t>& kept) {
      SystemSchedule candidate = current;
      for (std::size_t c = 0; c < candidate.client_ops.size(); ++c) {
        if (std::find(kept.begin(), kept.end(), c) == kept.end()) candidate.client_ops[c].clear();
      }
      return fails(candidate);
    });
    say("clients");
    std::vector<std::pair<std::size_t, std::uint64_t>> ops;
    for (std::size_t c = 0; c < current.client_ops.size(); ++c) {
      for (std::uint64_t n : current.client_ops[c]) ops.emplace_back(c, n);
    }
    detail::ddmin(ops, [&](const std::vector<std::pair<std::size_t, std::uint64_t>>& kept) {
      SystemSchedule candidate = current;
      for (auto& list : candidate.client_ops) list.clear();
      for (const auto& [c, n] : kept) candidate.client_ops[c].push_back(n);
      return fails(candidate);
    });
    say("operations");
    progress = !(current == before);
  }
  result.shrunk = current;
  result.shrunk_message = current_message;
  return result;
}

}  // namespace raftio::sim
