// Cluster: N RaftNodes on MemoryLogs connected by a MemoryTransport, driven one event at a time by
// the caller, with a SafetyChecker watching every step. The building block of the unit-test
// harness, the property tests and raftio-sim. Nodes are numbered 1..N.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raftio/memory_log.h"
#include "raftio/memory_transport.h"
#include "raftio/node.h"
#include "raftio/sim/safety_checker.h"
#include "raftio/wal/faulty_file_system.h"

namespace raftio::sim {

enum class Storage : std::uint8_t {
  Memory,  // MemoryLog: a restart keeps everything
  Wal,     // WalLog on a FaultyFileSystem per node: a restart is a crash (unsynced writes lost, last write torn)
};

inline constexpr std::uint64_t kAllNodes = ~std::uint64_t{0};

struct ClusterOptions {
  std::size_t nodes = 3;
  std::size_t learners = 0;  // the last `learners` nodes start as learners (the rest are voters)
  Storage storage = Storage::Memory;
  std::uint64_t seed = 1;
  std::uint32_t election_ticks = 10;
  std::uint32_t heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  std::uint32_t max_entries_per_msg = 64;
  std::uint64_t max_bytes_per_msg = 1u << 20;
  std::uint32_t max_inflight_msgs = 256;
  bool check_safety = true;
  std::uint64_t snapshot_threshold = 0;  // RaftConfig::snapshot_threshold (0: never suggested)
  bool lease_reads = false;              // RaftConfig::lease_reads
  std::uint32_t snapshot_chunk_bytes = 256 * 1024;
  std::uint64_t max_snapshot_bytes = std::uint64_t{1} << 30;  // RaftConfig::max_snapshot_bytes
  // Nodes in RaftConfig::async_storage mode: bit id - 1 set (kAllNodes: every node). Their Persist
  // actions queue up until write_next() writes one.
  std::uint64_t async_storage = 0;
  bool trace = true;  // maintain trace_hash() (costs a describe() per event and action)
  // The application keeps its state machine across a restart (it persisted what it applied): the
  // node restarts with RaftConfig::applied set to it, and must not apply those entries again.
  bool durable_state_machine = false;
  // Keep every applied entry (applied(), missing_acknowledged()). Off where forged snapshots may
  // claim any index up to kMaxLogIndex (fuzzing), which no memory could mirror entry by entry.
  bool record_applied = true;
  // With trace on, every traced line (each event stepped and action returned, by node) also goes
  // here: a fuzzer replaying one finding prints what happened (fuzz_step, RAFTIO_FUZZ_VERBOSE).
  std::function<void(NodeId, const std::string&)> trace_sink = nullptr;
};

// A proposal as a client sees it: accepted by a leader at (index, term), then acknowledged once
// that leader applies the same (index, term), or failed if it applies another entry there.
struct ClientProposal {
  std::uint64_t id = 0;
  NodeId leader = kNoNode;
  Index index = 0;
  Term term = 0;
  Payload data;
  enum class Outcome : std::uint8_t { Pending, Acknowledged, Failed, Unknown } outcome = Outcome::Pending;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options);
  ~Cluster();

  std::size_t size() const noexcept { return ids_.size(); }
  const std::vector<NodeId>& ids() const noexcept { return ids_; }
  RaftNode& node(NodeId id) { return *nodes_.at(id - 1); }
  const RaftNode& node(NodeId id) const { return *nodes_.at(id - 1); }
  MemoryTransport& network() noexcept { return network_; }
  const SafetyChecker& checker() const noexcept { return checker_; }
  void record_violation(std::string property, std::vector<NodeId> nodes, std::string detail) {
    checker_.record_violation(std::move(property), std::move(nodes), std::move(detail));
  }

  // --- driving ---
  void tick(NodeId id);
  void tick_all();
  // Proposes on node `id`; returns the proposal id if the node accepted it (it was leader).
  std::optional<std::uint64_t> propose(NodeId id, Payload data);
  // The proposal id the next propose() will step with (for a trace written before the step).
  std::uint64_t next_proposal_id() const noexcept { return next_proposal_id_; }
  // Delivers queued message i; false if it was lost in transit (its link is cut) or addressed to
  // a node that does not exist.
  bool deliver(std::size_t i);
  // Delivers queued messages oldest first until none is left or `max_messages` went through.
  std::size_t deliver_all(std::size_t max_messages = 1'000'000);
  // Crash and restart: the node is rebuilt from its log; its state machine starts over (or, with
  // durable_state_machine, resumes after what it applied). With WAL
  // storage the node's disk loses what was not synced and may tear its last write; a log that
  // then fails to recover is a Durability violation.
  void restart(NodeId id);
  // Memory storage only: changes the node's log behind its back (a disk that broke a promise),
  // then restarts the node on it.
  void restart_with_log_change(NodeId id, const std::function<void(MemoryLog&)>& change);
  // The node's disk (WAL storage only), e.g. to inject faults.
  wal::FaultyFileSystem* disk(NodeId id) { return options_.storage == Storage::Wal ? disks_.at(id - 1).get() : nullptr; }
  // Steps a node with any event (for tests that forge messages).
  void step(NodeId id, Event event);

  // --- async_storage: each node's Persist actions wait here, oldest first, until written ---
  bool async_storage(NodeId id) const noexcept { return id <= 64 && ((options_.async_storage >> (id - 1)) & 1) != 0; }
  std::size_t pending_writes(NodeId id) const { return pending_writes_.at(id - 1).size(); }
  // Writes the node's oldest pending Persist to its log (write_persist) and returns the event
  // that reports it (Persisted, or PersistFailed), for the caller to step; nothing if none waits.
  // A restart loses the writes still pending, as a crash loses an I/O queue.
  std::optional<Event> write_next(NodeId id);
  // Writes and reports every pending Persist of the node (and those the reports produce).
  void complete_writes(NodeId id);
  void complete_all_writes();

  // Sends go to `transport` instead of the built-in MemoryTransport (the simulator's SimNetwork).
  void set_transport(RaftTransport* transport) noexcept { transport_ = transport != nullptr ? transport : &network_; }
  // Called with every action of every step, before the cluster routes it (the simulator's
  // key-value store and clients listen here).
  using ActionObserver = std::function<void(NodeId, const Action&)>;
  void set_action_observer(ActionObserver observer) { observer_ = std::move(observer); }

  // --- observing ---
  // The leader of the highest term, if any node is leader.
  std::optional<NodeId> leader() const;
  const std::vector<ClientProposal>& proposals() const noexcept { return proposals_; }
  const std::vector<LogEntry>& applied(NodeId id) const { return applied_.at(id - 1); }
  std::uint64_t steps() const noexcept { return steps_; }
  // A hash over every event stepped and every action returned, in order (payload bytes included):
  // two runs are identical exactly when their trace hashes are.
  std::uint64_t trace_hash() const noexcept { return trace_hash_; }
  std::uint64_t leader_changes() const noexcept { return leader_changes_; }
  const std::optional<StorageError>& storage_failure() const noexcept { return storage_failure_; }
  // Empty when every acknowledged proposal is applied with its payload on every node; otherwise
  // says which one is missing where.
  // Only nodes in `members` are checked when it is given (removed nodes stop applying).
  std::string missing_acknowledged(const Membership* members = nullptr) const;

 private:
  std::unique_ptr<RaftNode> make_node(NodeId id, Index applied = 0);
  std::unique_ptr<RaftLog> open_log(NodeId id);
  void trace(NodeId id, const std::string& line);

  ClusterOptions options_;
  std::vector<NodeId> ids_;
  SafetyChecker checker_;
  MemoryTransport network_;
  RaftTransport* transport_ = &network_;
  ActionObserver observer_;
  std::vector<std::unique_ptr<RaftLog>> logs_;  // MemoryLog or WalLog, outliving each node incarnation
  std::vector<std::shared_ptr<wal::FaultyFileSystem>> disks_;
  std::vector<std::unique_ptr<RaftNode>> nodes_;
  std::vector<std::deque<Persist>> pending_writes_;
  std::vector<std::vector<LogEntry>> applied_;  // below a restored snapshot: placeholders of term 0
  std::vector<Index> state_machine_applied_;    // per node: the index its state machine holds
  std::vector<std::uint64_t> starts_;           // per node: starts so far (RaftConfig::incarnation)
  std::vector<ClientProposal> proposals_;
  std::vector<std::map<Index, std::size_t>> awaiting_;  // per node: index → proposal slot
  std::vector<Action> actions_;
  std::uint64_t steps_ = 0;
  std::uint64_t trace_hash_ = 0;
  std::uint64_t leader_changes_ = 0;
  std::uint64_t next_proposal_id_ = 1;
  std::optional<StorageError> storage_failure_;
};

}  // namespace raftio::sim
