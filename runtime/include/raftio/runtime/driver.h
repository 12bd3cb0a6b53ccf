// Driver: the runtime's logic without any I/O, stepped the way the core is. It owns a RaftNode
// and drives a user's StateMachine: it turns client requests into core events, applies committed
// entries, answers each request with the state machine's response or a typed Error, serves
// linearizable reads once the state has caught up with their read index, and takes snapshots
// when the core suggests them.
//
// Inputs are method calls: tick(), receive(), propose(), read(), persisted(), persist_failed(),
// shutdown(). Outputs collect in a DriverOutput that the embedder drains with take_output(): the
// messages to send, the storage writes to make (async_storage mode only) and the requests that
// ended. Same config, same inputs → same outputs, so tests and the simulator need no sockets.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include "raftio/actions.h"
#include "raftio/config.h"
#include "raftio/events.h"
#include "raftio/follower_progress.h"
#include "raftio/memory_log.h"
#include "raftio/messages.h"
#include "raftio/node.h"
#include "raftio/payload.h"
#include "raftio/raft_log.h"
#include "raftio/result.h"
#include "raftio/runtime/address_book.h"
#include "raftio/runtime/error.h"
#include "raftio/runtime/runtime_message.h"
#include "raftio/runtime/runtime_wire.h"
#include "raftio/runtime/seen_requests.h"
#include "raftio/runtime/state_machine.h"

namespace raftio::runtime {

// Names one client request (a proposal or a read) from propose()/read() to its Completion.
using RequestId = std::uint64_t;

struct DriverOptions {
  // A request with no outcome after this many ticks ends with TimedOut (0: never), so that a
  // request whose leader vanished does not wait forever. A proposal that timed out may still be
  // applied later. Keep it above 2 * election_ticks: the core itself refuses unconfirmed reads
  // after two election timeouts, with a more precise reason.
  std::uint64_t request_timeout_ticks = 100;
  // The same for membership changes and leadership transfers (0: never). A node that joins must
  // first catch up, which takes as long as copying the state: keep it generous.
  std::uint64_t change_timeout_ticks = 1000;
  // A proposal on a node that does not lead: true, it is forwarded to the leader this node knows
  // (DriverOutput::peer_messages) and ends with the outcome the leader sends back; false, it ends
  // at once with NotLeader{leader}. Either way it ends with NotLeader{kNoNode} when no leader is
  // known (an election is under way): retry once one is. docs/RUNTIME.md has the semantics.
  bool forward_proposals = true;
  // Proposals forwarded by followers that this node, as leader, holds at once; one more is
  // answered Overloaded (the follower's request ends with Overloaded, not applied).
  std::size_t max_forwarded_proposals = 4096;
  // When the core suggests a snapshot: false, the Driver calls StateMachine::snapshot() and hands
  // the bytes to the core within the same step; true, it calls snapshot_job() and hands the job
  // out (DriverOutput::snapshot_jobs), so a large state is serialized off the loop; report the
  // bytes with snapshot_written().
  bool background_snapshots = false;
  // Called with every event the Driver steps and every action the core returns, as one line each
  // (raftio::describe): what a node did, for debugging a run. Empty: nothing is described.
  std::function<void(const std::string&)> trace = nullptr;
  // Group commit. false: every input is stepped through the core as it arrives. true: the core
  // events that receive(), propose(), read(), persisted() and persist_failed() produce wait in a
  // queue, and flush() (which tick() and take_output() call) steps them all as one core step:
  // one storage sync and one AppendEntries per follower for the whole turn. Requests, timeouts,
  // forwarding and shutdown end as they would unbatched; only the steps are fewer. Inspection
  // (is_leader(), status(), ...) shows the node as of the last flush. docs/RUNTIME.md.
  bool batch_inputs = false;
  // Observers of the core under the Driver, for checkers (raftio::sim::run_system feeds its
  // SafetyChecker from them): called before every core step with the events it steps, and after
  // it with the node and the actions the step returned, before the Driver handles them. Empty:
  // nothing is observed.
  std::function<void(std::span<const Event>)> before_step = nullptr;
  std::function<void(const RaftNode&, std::span<const Action>)> after_step = nullptr;
};

// A snapshot to serialize (background_snapshots): run `serialize` anywhere, then report its bytes
// with Driver::snapshot_written(index, bytes).
struct SnapshotJob {
  Index index = 0;  // the state it captured: everything applied up to here
  std::function<Payload()> serialize;
};

// One peer as this node (when it leads) sees it.
struct PeerStatus {
  NodeId id = kNoNode;
  bool voter = false;
  FollowerProgress::State state = FollowerProgress::State::Probe;
  Index match = 0;
  Index lag = 0;  // entries the leader holds beyond the peer's match
  bool recent_active = false;
  friend bool operator==(const PeerStatus&, const PeerStatus&) = default;
};

// What status() reports: enough for an operator's dashboard or a health check.
struct Status {
  NodeId id = kNoNode;
  Role role = Role::Follower;
  Term term = 0;
  NodeId leader = kNoNode;
  Index first_index = 0;
  Index last_index = 0;
  Index durable_index = 0;  // storage: the last index synced
  Index commit_index = 0;
  Index applied_index = 0;  // the state machine's
  Membership membership;
  std::vector<PeerStatus> peers;  // empty unless this node leads
  AddressBook addresses;          // Driver::addresses()
  std::size_t pending_requests = 0;
  bool stopped = false;
};

// How one request ended: the state machine's response (apply's for a proposal, query's for a
// read), or why it failed.
struct Completion {
  RequestId id = 0;
  Result<Payload, Error> result;
};

struct DriverOutput {
  std::vector<Message> messages;        // send each to receiver_of(message)
  std::vector<PeerMessage> peer_messages;  // runtime messages: send each to receiver_of(message)
  std::vector<Persist> persists;        // async_storage only: write in order, report persisted()
  std::vector<Completion> completions;  // in the order the requests ended
  std::vector<SnapshotJob> snapshot_jobs;  // background_snapshots only: at most one in flight
  bool addresses_changed = false;          // Driver::addresses() differs: update the transport
  void clear() noexcept {  // empties every vector, keeping its buffer
    messages.clear();
    peer_messages.clear();
    persists.clear();
    completions.clear();
    snapshot_jobs.clear();
    addresses_changed = false;
  }
  bool empty() const noexcept {
    return messages.empty() && peer_messages.empty() && persists.empty() && completions.empty() && snapshot_jobs.empty() &&
           !addresses_changed;
  }
};

// The largest command Driver::propose takes, on any node: every entry must fit one frame of the
// peer transport (4 MiB) with room for the AppendEntries around it. The core sends an entry larger
// than RaftConfig::max_bytes_per_msg alone; one that no frame can carry would never reach a
// follower.
inline constexpr std::size_t kMaxCommandBytes = peer_wire::kMaxForwardedCommandBytes;

class Driver {
 public:
  // Recovers from `log` like RaftNode does (throws std::invalid_argument for an invalid config).
  // `machine` starts empty: the Driver restores the log's snapshot into it and re-applies the
  // committed entries after it (config.applied should therefore be 0 unless the machine itself
  // persisted its state).
  Driver(RaftConfig config, std::unique_ptr<RaftLog> log, StateMachine& machine, DriverOptions options = {});

  // --- inputs ---
  void tick();
  void receive(Message message);
  // A runtime message from a peer (a forwarded proposal or its outcome). Whatever it holds, it is
  // checked first: one addressed to another node, an outcome for no pending request of this node
  // or from a node it was not forwarded to, is ignored.
  void receive(PeerMessage message);
  // Asks the cluster to apply `command`; the Completion carries apply()'s response. On a node that
  // does not lead, the proposal is forwarded to the leader (DriverOptions::forward_proposals) or
  // refused with NotLeader{leader}. A command over kMaxCommandBytes ends with InvalidRequest.
  RequestId propose(Payload command);
  // A linearizable read on any node (ReadIndex, thesis §6.4): `query` is answered by
  // StateMachine::query once this node has applied everything committed before the read began.
  RequestId read(Payload query);
  // Membership, on the leader (NotLeader elsewhere), one server at a time (thesis §4.1). Each ends
  // with an empty response once the configuration entry that makes the change has committed and
  // been applied here; a change the cluster cannot take yet (the previous one still committing)
  // is retried every tick until the deadline.
  //   add_voter: a node that is not a member joins as a learner first, catches up, and is then
  //   promoted (thesis §4.2.1: a voter without the log could stall commitment): one request from
  //   "a new, empty node" to "a voter".
  //   With an address, the change is preceded by an address record (address_book.h), so that every
  //   member learns where `node` listens; this leader uses it at once.
  RequestId add_voter(NodeId node);
  RequestId add_voter(NodeId node, std::string address);
  RequestId add_learner(NodeId node);
  RequestId add_learner(NodeId node, std::string address);
  RequestId remove_node(NodeId node);
  // Thesis §3.10: the leader hands over to `to`; ends with an empty response once this node sees
  // `to` lead, or with TransferFailed once another node leads in a later term (the target's
  // election failed: it did not hear back from enough voters).
  RequestId transfer_leadership(NodeId to);
  // async_storage mode: the oldest Persist from take_output() is durable (write it with
  // raftio::write_persist(log(), persist)), or writing it failed.
  void persisted(Persisted done);
  void persist_failed(StorageError error);
  // background_snapshots: the bytes of the SnapshotJob for `index`. The core keeps them and
  // compacts its log up to `index`, unless it has moved past it meanwhile (a newer snapshot was
  // installed): then they are dropped, and the core suggests again later.
  void snapshot_written(Index index, Payload bytes);
  // Ends every pending request with ShuttingDown, and every later one too; the node stops.
  void shutdown();

  // batch_inputs: steps every queued input now, as one core step (nothing queued: nothing
  // happens). Without batch_inputs nothing is ever queued.
  void flush();
  std::size_t queued_inputs() const noexcept { return queue_.size(); }  // waiting for flush()
  // Steps the core has taken (every batch counts once): what batching saves.
  std::uint64_t core_steps() const noexcept { return core_steps_; }

  // --- outputs ---
  // Flushes first (batch_inputs), so the output covers every input so far.
  DriverOutput take_output();
  // The same into `out`, whose contents are dropped first: the vectors' buffers go back and forth
  // between the embedder and the Driver, so a loop that drains every turn allocates none.
  void take_output(DriverOutput& out);

  // --- inspection ---
  NodeId id() const noexcept { return node_.id(); }
  bool is_leader() const noexcept { return node_.is_leader(); }
  NodeId leader_id() const noexcept { return node_.leader(); }
  Index applied_index() const noexcept { return applied_; }  // the state machine's
  // Requests not ended yet: this node's own, and (on a leader) those followers forwarded to it.
  std::size_t pending_requests() const noexcept {
    return writes_.size() + reads_.size() + transfers_.size() + forwarded_.size();
  }
  std::size_t forwarded_proposals_held() const noexcept { return remote_.size(); }  // leader: from followers
  bool stopped() const noexcept { return stopped_.has_value(); }
  // Why the node stopped (every request since ends with it): ShuttingDown after shutdown(), or
  // StorageFailed saying what failed. Nothing while it runs.
  const std::optional<Error>& stop_reason() const noexcept { return stopped_; }
  const RaftNode& node() const noexcept { return node_; }
  Status status() const;
  // Where each node listens, as far as this node knows: the records committed in its log (or its
  // snapshot), plus, on a leader, the addresses of changes it proposed that have not committed.
  AddressBook addresses() const;
  // The node's log: in async_storage mode the embedder writes Persist actions to it.
  RaftLog& log() noexcept { return node_.log(); }

 private:
  struct PendingWrite {
    Index index = 0;  // set once the leader appended it (ProposalAccepted)
    Term term = 0;
    EntryKind kind = EntryKind::Normal;  // Config for a membership change
  };
  // A membership change in progress. A join (add_voter of a non-member) has two steps: the
  // learner is added, then promoted.
  struct PendingChange {
    MembershipChange change = MembershipChange::AddVoter;
    NodeId node = kNoNode;
    bool retry = false;  // the last attempt was refused for now: try again at the next tick
    std::string address;  // recorded before the first attempt (empty: none)
  };

  // Queues `event` (batch_inputs) or steps it at once.
  void submit(Event event);
  // Steps `event` at once, after what is queued: for inputs whose handling reads the node's
  // state right after their step (membership changes, transfers, snapshots).
  void step(Event event);
  // batch_inputs: steps the queue if it holds an event that may change who leads (only proposals
  // and reads do not), so a decision about forwarding sees the node as an unbatched Driver would.
  void settle_leadership();
  void step_events(std::span<Event> events);
  void forward(RequestId id, Payload command);
  void on_forwarded_proposal(ForwardedProposal proposal);
  void on_forwarded_outcome(const ForwardedOutcome& outcome);
  void answer_remote(RequestId id, const Result<Payload, Error>& result);
  void handle(Action& action);
  void on_accepted(const ProposalAccepted& accepted);
  void on_apply(const LogEntry& entry);
  void on_restore(const Snapshot& snapshot);
  void apply_address(NodeId node, std::string address);
  void record_address(RequestId id);
  void on_reject(const Reject& reject);
  void on_read_ready(const ReadReady& ready);
  void serve_reads();
  void take_snapshot();
  void expire_requests();
  RequestId change(MembershipChange change, NodeId node, std::string address = {});
  void attempt_change(RequestId id);
  void retry_changes();
  bool learner_caught_up(NodeId node) const;
  void on_change_applied(RequestId id);
  void check_transfers();
  RequestId start_request(std::uint64_t timeout_ticks);
  void stop(Error reason);
  void complete(RequestId id, Result<Payload, Error> result);

  RaftNode node_;
  StateMachine& machine_;
  DriverOptions options_;
  std::vector<Action> actions_;
  std::vector<Event> queue_;       // batch_inputs: inputs not stepped yet, in arrival order
  std::vector<Event> stepping_;    // the batch being stepped (its buffer is reused)
  bool queue_neutral_ = true;      // queue_ holds only Propose and ReadIndex events
  std::uint64_t core_steps_ = 0;
  DriverOutput out_;
  RequestId next_id_ = 1;
  std::uint64_t ticks_ = 0;
  Index applied_ = 0;
  bool snapshot_wanted_ = false;
  bool snapshot_job_out_ = false;  // a SnapshotJob is out and not yet written
  std::optional<Error> stopped_;
  AddressBook committed_addresses_;  // from committed records: the same on every node
  AddressBook proposed_addresses_;   // leader: records appended, not yet committed

  std::unordered_map<RequestId, PendingWrite> writes_;
  std::map<Index, RequestId> writes_by_index_;       // accepted proposals by log index
  std::unordered_map<RequestId, Payload> reads_;     // the query of each pending read
  std::map<RequestId, PendingChange> changes_;       // membership changes (also in writes_ once appended)
  struct PendingTransfer {
    NodeId target = kNoNode;
    Term term = 0;  // this node's term when the transfer began
  };
  std::map<RequestId, PendingTransfer> transfers_;   // leadership transfers
  std::multimap<Index, RequestId> reads_by_index_;   // confirmed reads waiting for apply
  // Proposals forwarded to a leader, by request: the node each went to (only it may answer). On
  // the wire each is numbered forward_base_ + id, the base drawn from RaftConfig::incarnation, so
  // an answer meant for an earlier life of this node matches no request of this one.
  std::unordered_map<RequestId, NodeId> forwarded_;
  std::uint64_t forward_base_ = 0;
  // Leader: proposals followers forwarded (also in writes_), by this node's request id.
  struct RemoteProposal {
    NodeId origin = kNoNode;
    std::uint64_t request = 0;  // in the origin's numbering
    bool appended = false;      // the core accepted it: from here on it may commit
  };
  std::unordered_map<RequestId, RemoteProposal> remote_;
  std::set<std::pair<NodeId, std::uint64_t>> remote_origins_;  // a copy of a held one is ignored
  // Leader: the forwarded proposals taken from each follower, held or answered, so that a late
  // copy is never appended again (see SeenRequests for followers started with incarnation 0).
  std::map<NodeId, detail::SeenRequests> seen_forwards_;
  // Requests by the tick they expire at, one queue per timeout: as ticks only grow, each queue is
  // in expiry order already (a push at the back, a pop at the front: no tree, no allocation per
  // request). Ended requests stay until they would expire, and are skipped then.
  using Deadline = std::pair<std::uint64_t, RequestId>;  // (expiry tick, request)
  std::map<std::uint64_t, std::deque<Deadline>> deadlines_;  // by timeout in ticks
};

}  // namespace raftio::runtime
