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

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "raftio/payload.h"
#include "raftio/runtime/state_machine.h"
#include "raftio/sim/linearizability.h"
#include "raftio/sim/model.h"
#include "raftio/sim/rng.h"

namespace raftio::sim {

// The stream of choices a workload draws its operations from. Each run seeds it from
// SystemOptions::seed, so a workload that draws only from it replays exactly.
using SystemRng = SplitMix64;

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
  std::uint64_t max_check_states = 1'000'000;  // the linearizability search's budget
  // Called with one line per thing that happened, for replaying a failing seed with eyes open:
  // each Driver's events and actions (DriverOptions::trace; node 0 for the simulator's own
  // lines: faults and client operations), with the virtual time. Empty: no trace (faster).
  std::function<void(std::uint64_t time, NodeId node, const std::string& line)> trace = nullptr;
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
  std::uint64_t crashes = 0;
  std::uint64_t restarts = 0;
  std::uint64_t pauses = 0;
  std::uint64_t partitions = 0;
  std::uint64_t snapshots_taken = 0;      // snapshot() calls the cores asked for
  std::uint64_t snapshots_installed = 0;  // restore() calls (after a restart, or from the leader)
  std::uint64_t leaders = 0;              // nodes that became leader
};
std::string describe(const SystemCounts& counts);

enum class SystemCheck { None, RaftSafety, ReplicaAgreement, NodeStopped, Response, Linearizability };
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
    }
  }
  report.passed = report.failed_check == SystemCheck::None;
  report.history = std::move(clients.history);
  return report;
}

}  // namespace raftio::sim
