#include "raftio/runtime/driver.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "raftio/describe.h"
#include "raftio/events.h"
#include "raftio/runtime/runtime_wire.h"

namespace raftio::runtime {
namespace {

// SplitMix64: the base of this incarnation's forwarded-proposal numbers. 0 for incarnation 0 (a
// node that never restarts, as in tests), else a value two incarnations share with probability
// about requests / 2^64.
std::uint64_t forward_base(std::uint64_t incarnation) noexcept {
  if (incarnation == 0) return 0;
  std::uint64_t z = incarnation + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// What a follower's request ends with, given the leader's answer.
Result<Payload, Error> result_of(const ForwardedOutcome& outcome) {
  switch (outcome.status) {
    case ForwardStatus::Applied: return outcome.response;
    case ForwardStatus::NotLeader: return unexpected(NotLeader{outcome.leader_hint});
    case ForwardStatus::Refused: return unexpected(Refused{outcome.reason, outcome.leader_hint});
    case ForwardStatus::ProposalLost: return unexpected(ProposalLost{});
    case ForwardStatus::OutcomeUnknown: return unexpected(OutcomeUnknown{});
    // The leader is going away: not proposed, and no leader to name yet.
    case ForwardStatus::ShuttingDown: return unexpected(NotLeader{kNoNode});
    case ForwardStatus::Overloaded: return unexpected(Overloaded{});
    case ForwardStatus::TooLarge: break;
  }
  return unexpected(InvalidRequest{"the leader refused a command over " +
                                   std::to_string(peer_wire::kMaxForwardedCommandBytes) + " bytes"});
}

// What the leader answers for a forwarded proposal that ended with `result`. Before the core
// appended it, every failure means "not applied"; after, only ProposalLost does, and any other
// failure leaves the outcome open.
ForwardedOutcome outcome_of(const Result<Payload, Error>& result, bool appended) {
  ForwardedOutcome outcome;
  if (result.ok()) {
    if (result.value().size() <= peer_wire::kMaxForwardedResponseBytes) {
      outcome.status = ForwardStatus::Applied;
      outcome.response = result.value();
    } else {
      outcome.status = ForwardStatus::OutcomeUnknown;  // applied, but the answer cannot travel
    }
    return outcome;
  }
  const Error& error = result.error();
  if (const auto* not_leader = std::get_if<NotLeader>(&error)) {
    outcome.status = ForwardStatus::NotLeader;
    outcome.leader_hint = not_leader->leader;
  } else if (const auto* refused = std::get_if<Refused>(&error)) {
    outcome.status = ForwardStatus::Refused;
    outcome.reason = refused->reason;
    outcome.leader_hint = refused->leader_hint;
  } else if (std::holds_alternative<ProposalLost>(error)) {
    outcome.status = ForwardStatus::ProposalLost;
  } else if (!appended && (std::holds_alternative<ShuttingDown>(error) || std::holds_alternative<StorageFailed>(error))) {
    outcome.status = ForwardStatus::ShuttingDown;
  } else {
    outcome.status = ForwardStatus::OutcomeUnknown;
  }
  return outcome;
}

}  // namespace

Driver::Driver(RaftConfig config, std::unique_ptr<RaftLog> log, StateMachine& machine, DriverOptions options)
    : node_(std::move(config), std::move(log)),
      machine_(machine),
      options_(options),
      applied_(node_.config().applied),
      forward_base_(forward_base(node_.config().incarnation)) {}

// The tick joins the turn's batch; changes and deadlines are then handled against the node as it
// is after the whole batch, as they were after an unbatched tick's step.
void Driver::tick() {
  ++ticks_;
  submit(Tick{});
  flush();
  retry_changes();
  expire_requests();
}

void Driver::receive(Message message) { submit(Receive{std::move(message)}); }

void Driver::receive(PeerMessage message) {
  if (options_.trace) {
    if (const auto* proposal = std::get_if<ForwardedProposal>(&message)) {
      options_.trace("receive forwarded proposal " + std::to_string(proposal->request) + " from node " +
                     std::to_string(proposal->from) + " (" + std::to_string(proposal->command.size()) + " bytes)");
    } else {
      const auto& outcome = std::get<ForwardedOutcome>(message);
      options_.trace("receive forwarded outcome " + std::to_string(outcome.request) + " from node " +
                     std::to_string(outcome.from) + ": status " +
                     std::to_string(static_cast<unsigned>(outcome.status)) + ", hint " +
                     std::to_string(outcome.leader_hint));
    }
  }
  if (auto* proposal = std::get_if<ForwardedProposal>(&message)) {
    on_forwarded_proposal(std::move(*proposal));
  } else {
    on_forwarded_outcome(std::get<ForwardedOutcome>(message));
  }
}

RequestId Driver::start_request(std::uint64_t timeout_ticks) {
  const RequestId id = next_id_++;
  if (timeout_ticks != 0 && !stopped_) deadlines_[timeout_ticks].emplace_back(ticks_ + timeout_ticks, id);
  return id;
}

RequestId Driver::propose(Payload command) {
  // Whether to forward depends on who leads, which the queued inputs may change.
  if (options_.forward_proposals) settle_leadership();
  const RequestId id = start_request(options_.request_timeout_ticks);
  if (stopped_) {
    complete(id, unexpected(*stopped_));
    return id;
  }
  if (command.size() > kMaxCommandBytes) {  // on the leader too: it could never replicate
    complete(id, unexpected(InvalidRequest{"a command is at most " + std::to_string(kMaxCommandBytes) + " bytes"}));
    return id;
  }
  if (options_.forward_proposals && !node_.is_leader()) {
    forward(id, std::move(command));
    return id;
  }
  writes_.emplace(id, PendingWrite{});
  // The request id doubles as the core's correlation id: ProposalAccepted and Reject echo it.
  submit(Propose{wrap_command(command), id});
  return id;
}

// The proposal goes to the leader this node knows, once: the request then waits for that node's
// answer, even if another node leads meanwhile (the one it went to may still have appended it,
// and still learns whether it committed), until the request's deadline.
void Driver::forward(RequestId id, Payload command) {
  const NodeId leader = node_.leader();
  if (leader == kNoNode || leader == node_.id()) {
    complete(id, unexpected(NotLeader{kNoNode}));  // an election is under way: retry once it ends
    return;
  }
  forwarded_.emplace(id, leader);
  if (options_.trace) options_.trace("forward request " + std::to_string(id) + " to node " + std::to_string(leader));
  out_.peer_messages.push_back(ForwardedProposal{node_.id(), leader, forward_base_ + id, std::move(command)});
}

void Driver::on_forwarded_proposal(ForwardedProposal proposal) {
  if (proposal.to != node_.id() || proposal.from == node_.id() || proposal.from == kNoNode) return;
  // One answer per request: a copy of one already taken (held, or answered in any way) is ignored.
  // Appending it again would apply the command twice, and answering it again could tell the
  // follower "not applied" about a command that was. (A follower started with incarnation 0
  // reuses its numbers after a restart: only a copy of a proposal still held is known then.)
  if (remote_origins_.count({proposal.from, proposal.request}) != 0) return;
  auto seen = seen_forwards_.try_emplace(proposal.from, options_.max_forwarded_proposals).first;
  if (!seen->second.first_time(proposal.request)) return;
  auto answer = [&](ForwardStatus status, NodeId hint) {
    ForwardedOutcome outcome;
    outcome.from = node_.id();
    outcome.to = proposal.from;
    outcome.request = proposal.request;
    outcome.status = status;
    outcome.leader_hint = hint;
    if (options_.trace) {
      options_.trace("answer forwarded proposal " + std::to_string(proposal.request) + " of node " +
                     std::to_string(proposal.from) + ": status " + std::to_string(static_cast<unsigned>(status)));
    }
    out_.peer_messages.push_back(std::move(outcome));
  };
  if (stopped_) return answer(ForwardStatus::ShuttingDown, kNoNode);
  settle_leadership();
  if (stopped_) return answer(ForwardStatus::ShuttingDown, kNoNode);
  // Never forwarded again: a node that does not lead names the node it believes leads, so two
  // nodes that disagree about the leader cannot pass a proposal back and forth.
  if (!node_.is_leader()) return answer(ForwardStatus::NotLeader, node_.leader());
  if (proposal.command.size() > peer_wire::kMaxForwardedCommandBytes) return answer(ForwardStatus::TooLarge, kNoNode);
  if (remote_.size() >= options_.max_forwarded_proposals) return answer(ForwardStatus::Overloaded, kNoNode);
  const RequestId id = start_request(options_.request_timeout_ticks);
  if (options_.trace) {
    options_.trace("forwarded proposal " + std::to_string(proposal.request) + " from node " +
                   std::to_string(proposal.from) + " is request " + std::to_string(id));
  }
  remote_.emplace(id, RemoteProposal{proposal.from, proposal.request, false});
  remote_origins_.emplace(proposal.from, proposal.request);
  writes_.emplace(id, PendingWrite{});
  submit(Propose{wrap_command(proposal.command), id});
}

void Driver::on_forwarded_outcome(const ForwardedOutcome& outcome) {
  if (outcome.to != node_.id()) return;
  // Only the node the request went to may end it, and only while it is pending: an answer that
  // comes after the request timed out, a second answer, one meant for an earlier incarnation of
  // this node (another base) or one from any other node matches nothing and is ignored.
  const RequestId id = outcome.request - forward_base_;
  const auto it = forwarded_.find(id);
  if (it == forwarded_.end() || it->second != outcome.from) return;
  complete(id, result_of(outcome));
}

void Driver::answer_remote(RequestId id, const Result<Payload, Error>& result) {
  const auto it = remote_.find(id);
  ForwardedOutcome outcome = outcome_of(result, it->second.appended);
  outcome.from = node_.id();
  outcome.to = it->second.origin;
  outcome.request = it->second.request;
  remote_origins_.erase({it->second.origin, it->second.request});
  remote_.erase(it);
  if (options_.trace) {
    options_.trace("answer forwarded proposal " + std::to_string(outcome.request) + " of node " +
                   std::to_string(outcome.to) + " (request " + std::to_string(id) +
                   "): status " + std::to_string(static_cast<unsigned>(outcome.status)));
  }
  out_.peer_messages.push_back(std::move(outcome));
}

RequestId Driver::read(Payload query) {
  const RequestId id = start_request(options_.request_timeout_ticks);
  if (stopped_) {
    complete(id, unexpected(*stopped_));
    return id;
  }
  reads_.emplace(id, std::move(query));
  submit(ReadIndex{id});
  return id;
}

RequestId Driver::add_voter(NodeId node) { return change(MembershipChange::AddVoter, node); }
RequestId Driver::add_voter(NodeId node, std::string address) {
  return change(MembershipChange::AddVoter, node, std::move(address));
}
RequestId Driver::add_learner(NodeId node) { return change(MembershipChange::AddLearner, node); }
RequestId Driver::add_learner(NodeId node, std::string address) {
  return change(MembershipChange::AddLearner, node, std::move(address));
}
RequestId Driver::remove_node(NodeId node) { return change(MembershipChange::Remove, node); }

RequestId Driver::change(MembershipChange change, NodeId node, std::string address) {
  flush();  // the change reads the node's leadership and membership: as of every input so far
  const RequestId id = start_request(options_.change_timeout_ticks);
  if (stopped_) {
    complete(id, unexpected(*stopped_));
    return id;
  }
  if (address.size() > kMaxAddressBytes) {
    complete(id, unexpected(InvalidRequest{"an address is at most " + std::to_string(kMaxAddressBytes) + " bytes"}));
    return id;
  }
  writes_.emplace(id, PendingWrite{0, 0, EntryKind::Config});
  changes_.emplace(id, PendingChange{change, node, false, std::move(address)});
  record_address(id);
  if (changes_.count(id) != 0) attempt_change(id);
  return id;
}

// The address goes into the log before the configuration that adds the node, so every node that
// applies the configuration's entries has learnt the address by then. The leader uses it at once:
// it replicates to the new node before either entry commits. Proposed once per request: a record
// lost with a leader change is written again by the next add of the same node.
void Driver::record_address(RequestId id) {
  const PendingChange& pending = changes_.at(id);
  if (pending.address.empty() || !node_.is_leader()) return;  // elsewhere the change is refused
  if (pending.node != kNoNode && pending.node != node_.id()) {
    const auto it = committed_addresses_.find(pending.node);
    if (it == committed_addresses_.end() || it->second != pending.address) {
      proposed_addresses_[pending.node] = pending.address;
      out_.addresses_changed = true;
    }
  }
  // Id 0: no request waits for the record itself; the change's request does.
  step(Propose{encode_address_record(pending.node, pending.address), 0});
}

// A join is two changes under one request: a node that is not a member is first added as a
// learner; once that configuration is in effect, the same request promotes it.
void Driver::attempt_change(RequestId id) {
  PendingChange& pending = changes_.at(id);
  const bool join = pending.change == MembershipChange::AddVoter && !node_.membership().contains(pending.node);
  const bool promotion = pending.change == MembershipChange::AddVoter && node_.membership().is_learner(pending.node);
  if (promotion && node_.is_leader() && !learner_caught_up(pending.node)) {
    pending.retry = true;
    return;
  }
  pending.retry = false;
  step(ChangeMembership{join ? MembershipChange::AddLearner : pending.change, pending.node, id});
}

// Thesis §4.2.1: a new voter that cannot keep up makes the cluster's quorum wait for it. The core
// refuses promotions of learners far behind; the runtime also waits until the learner has
// answered (the leader streams to it) and is within one message of the leader's log, so that a
// node that never came up is never promoted.
bool Driver::learner_caught_up(NodeId node) const {
  for (const FollowerProgress& peer : node_.progress()) {
    if (peer.id != node) continue;
    return peer.state == FollowerProgress::State::Replicate &&
           peer.match + node_.config().max_entries_per_msg >= node_.last_index();
  }
  return false;
}

// Not from inside a step: attempting steps the node again.
void Driver::retry_changes() {
  std::vector<RequestId> due;
  for (const auto& [id, pending] : changes_) {
    if (pending.retry) due.push_back(id);
  }
  for (const RequestId id : due) {
    if (changes_.count(id) != 0 && !stopped_) attempt_change(id);
  }
}

void Driver::on_change_applied(RequestId id) {
  const auto it = changes_.find(id);
  if (it == changes_.end()) return;
  const PendingChange& pending = it->second;
  if (pending.change == MembershipChange::AddVoter && !node_.membership().is_voter(pending.node)) {
    it->second.retry = true;  // the learner step of a join: promote at the next tick
    return;
  }
  complete(id, Payload());
}

RequestId Driver::transfer_leadership(NodeId to) {
  flush();  // the transfer records the node's term: as of every input so far
  const RequestId id = start_request(options_.change_timeout_ticks);
  if (stopped_) {
    complete(id, unexpected(*stopped_));
    return id;
  }
  transfers_.emplace(id, PendingTransfer{to, node_.term()});
  step(TransferLeadership{to, id});
  return id;
}

// A transfer succeeded once this node sees its target lead (the target won an election in a
// newer term, which this node learned from it). It failed once another node leads in a later
// term: the leader stepped down for the target's election, which the target lost. The core
// reports no outcome then (it is no longer the leader that began the transfer).
void Driver::check_transfers() {
  std::vector<std::pair<RequestId, NodeId>> ended;
  for (const auto& [id, transfer] : transfers_) {
    const NodeId leader = node_.leader();
    if (transfer.target != node_.id() && leader == transfer.target) {
      ended.emplace_back(id, kNoNode);
    } else if (leader != kNoNode && node_.term() > transfer.term) {
      ended.emplace_back(id, leader);
    }
  }
  for (const auto& [id, other] : ended) {
    complete(id, other == kNoNode ? Result<Payload, Error>(Payload()) : Result<Payload, Error>(unexpected(TransferFailed{other})));
  }
}

Status Driver::status() const {
  Status status;
  status.id = node_.id();
  status.role = node_.role();
  status.term = node_.term();
  status.leader = node_.leader();
  status.first_index = node_.first_index();
  status.last_index = node_.last_index();
  status.durable_index = node_.durable_index();
  status.commit_index = node_.commit_index();
  status.applied_index = applied_;
  status.membership = node_.membership();
  for (const FollowerProgress& peer : node_.progress()) {
    status.peers.push_back(PeerStatus{peer.id, peer.voter, peer.state, peer.match,
                                      node_.last_index() > peer.match ? node_.last_index() - peer.match : 0,
                                      peer.recent_active});
  }
  status.pending_requests = pending_requests();
  status.stopped = stopped();
  status.addresses = addresses();
  return status;
}

AddressBook Driver::addresses() const {
  AddressBook book = committed_addresses_;
  for (const auto& [node, address] : proposed_addresses_) book.emplace(node, address);  // committed ones win
  return book;
}

void Driver::persisted(Persisted done) { submit(done); }

// At once (after what is queued): the node stops, and requests made after this call end at the
// call with StorageFailed, as unbatched.
void Driver::persist_failed(StorageError error) { step(PersistFailed{std::move(error)}); }

// What was queued is stepped first, as it would have been before an unbatched shutdown.
void Driver::shutdown() {
  flush();
  if (!stopped_) stop(ShuttingDown{});
}

DriverOutput Driver::take_output() {
  DriverOutput taken;
  take_output(taken);
  return taken;
}

void Driver::take_output(DriverOutput& out) {
  flush();
  out.clear();
  std::swap(out, out_);
}

void Driver::submit(Event event) {
  if (stopped_) return;
  if (!options_.batch_inputs) return step(std::move(event));
  if (!std::holds_alternative<Propose>(event) && !std::holds_alternative<ReadIndex>(event)) queue_neutral_ = false;
  queue_.push_back(std::move(event));
}

void Driver::settle_leadership() {
  if (!queue_neutral_) flush();
}

void Driver::flush() {
  if (queue_.empty()) return;
  // Swapped out first: handling the batch's actions may step again (a snapshot), which must not
  // see these events a second time.
  stepping_.swap(queue_);
  queue_neutral_ = true;
  if (stopped_) {
    stepping_.clear();
    return;
  }
  step_events(std::span<Event>(stepping_));
  stepping_.clear();
}

void Driver::step(Event event) {
  if (stopped_) return;
  flush();  // inputs queued before this one are stepped before it
  if (stopped_) return;
  step_events(std::span<Event>(&event, 1));
}

void Driver::step_events(std::span<Event> events) {
  actions_.clear();
  if (options_.trace) {
    if (events.size() > 1) options_.trace("step " + std::to_string(events.size()) + " events as one");
    for (const Event& event : events) options_.trace("step " + describe(event));
  }
  ++core_steps_;
  if (options_.before_step) options_.before_step(std::span<const Event>(events.data(), events.size()));
  node_.step(events, actions_);
  if (options_.after_step) options_.after_step(node_, std::span<const Action>(actions_));
  for (Action& action : actions_) {
    if (options_.trace) options_.trace("  " + describe(action));
    handle(action);
  }
  if (!transfers_.empty() && !stopped_) check_transfers();
  // After the step, so the snapshot covers every entry the step applied.
  if (snapshot_wanted_ && !stopped_) take_snapshot();
}

void Driver::handle(Action& action) {
  if (stopped_) return;
  if (auto* send = std::get_if<Send>(&action)) {
    out_.messages.push_back(std::move(send->message));
  } else if (auto* apply = std::get_if<Apply>(&action)) {
    on_apply(apply->entry);
  } else if (auto* accepted = std::get_if<ProposalAccepted>(&action)) {
    on_accepted(*accepted);
  } else if (auto* ready = std::get_if<ReadReady>(&action)) {
    on_read_ready(*ready);
  } else if (auto* reject = std::get_if<Reject>(&action)) {
    on_reject(*reject);
  } else if (auto* restore = std::get_if<RestoreSnapshot>(&action)) {
    on_restore(restore->snapshot);
  } else if (std::holds_alternative<SnapshotSuggested>(action)) {
    snapshot_wanted_ = true;
  } else if (auto* persist = std::get_if<Persist>(&action)) {
    out_.persists.push_back(std::move(*persist));
  } else if (auto* failed = std::get_if<raftio::StorageFailed>(&action)) {
    stop(StorageFailed{failed->error.context});
  }
  // LeaderChanged needs nothing: leader_id() reads the node, and proposals pending on a leader
  // that lost office end at their index's Apply (ProposalLost) or their deadline.
}

void Driver::on_accepted(const ProposalAccepted& accepted) {
  const auto it = writes_.find(accepted.id);
  if (it == writes_.end()) return;
  if (const auto remote = remote_.find(accepted.id); remote != remote_.end()) remote->second.appended = true;
  it->second.index = accepted.index;
  it->second.term = accepted.term;
  const auto [slot, inserted] = writes_by_index_.try_emplace(accepted.index, accepted.id);
  if (!inserted) {
    // This node led before, appended an older proposal at this index and lost it to a leader
    // that overwrote the index (§5.3 log repair): that proposal can never commit.
    if (writes_.count(slot->second) != 0) complete(slot->second, unexpected(ProposalLost{}));
    slot->second = accepted.id;
  }
}

// Applies one committed entry and answers the proposal that created it. A proposal is ours only
// if the entry at its index carries its term: a different term there means a new leader replaced
// it before it committed (§5.3), so it was not applied.
void Driver::on_apply(const LogEntry& entry) {
  const bool command = entry.kind == EntryKind::Normal;
  std::optional<OpenedEntry> opened;
  if (command) {
    opened = open_entry(entry.data);
    if (!opened) {
      // Every replica holds this entry: applying around it would be guessing. Stop and say where.
      stop(StorageFailed{"the committed entry at index " + std::to_string(entry.index) +
                         " was not written by the runtime (unknown tag or malformed record)"});
      return;
    }
  }
  applied_ = entry.index;
  Payload response;
  if (command) {
    if (opened->tag == EntryTag::Address) {
      apply_address(opened->node, std::move(opened->address));
    } else {
      response = machine_.apply(LogEntry{entry.term, entry.index, entry.kind, std::move(opened->command)});
    }
  }
  std::vector<RequestId> changes_applied;
  while (!writes_by_index_.empty() && writes_by_index_.begin()->first <= entry.index) {
    const auto [index, id] = *writes_by_index_.begin();
    writes_by_index_.erase(writes_by_index_.begin());
    const auto it = writes_.find(id);
    if (it == writes_.end()) continue;  // already ended (timed out)
    const bool ours = index == entry.index && it->second.term == entry.term && it->second.kind == entry.kind;
    if (ours && !command) {
      changes_applied.push_back(id);
    } else if (ours) {
      complete(id, response);
    } else {
      complete(id, unexpected(ProposalLost{}));
    }
  }
  for (const RequestId id : changes_applied) on_change_applied(id);
  serve_reads();
}

void Driver::apply_address(NodeId node, std::string address) {
  proposed_addresses_.erase(node);
  AddressBook::iterator it = committed_addresses_.find(node);
  if (it != committed_addresses_.end() && it->second == address) return;
  committed_addresses_[node] = std::move(address);
  out_.addresses_changed = true;
}

void Driver::on_restore(const Snapshot& snapshot) {
  std::optional<OpenedSnapshot> opened = open_snapshot(snapshot.data);
  if (!opened || !machine_.restore(opened->machine)) {
    // The node has already kept this snapshot: running on would serve a state that differs from
    // every other replica's, so stop and say why.
    stop(StorageFailed{"the state machine could not restore the snapshot at index " +
                       std::to_string(snapshot.last_index)});
    return;
  }
  if (opened->book != committed_addresses_) {
    committed_addresses_ = std::move(opened->book);
    out_.addresses_changed = true;
  }
  applied_ = snapshot.last_index;
  // Entries up to the snapshot were applied somewhere, but not one by one here: whether a pending
  // proposal among them took effect is not known.
  while (!writes_by_index_.empty() && writes_by_index_.begin()->first <= applied_) {
    const RequestId id = writes_by_index_.begin()->second;
    writes_by_index_.erase(writes_by_index_.begin());
    if (writes_.count(id) != 0) complete(id, unexpected(OutcomeUnknown{}));
  }
  serve_reads();
}

void Driver::on_reject(const Reject& reject) {
  if (reject.what == RequestKind::Propose && writes_.count(reject.id) != 0) {
    complete(reject.id, unexpected(error_from(reject)));
  } else if (reject.what == RequestKind::ReadIndex && reads_.count(reject.id) != 0) {
    complete(reject.id, unexpected(error_from(reject)));
  } else if (reject.what == RequestKind::ChangeMembership && changes_.count(reject.id) != 0) {
    // One change at a time (thesis §4.1), and a learner is promoted only once it has nearly
    // caught up (§4.2.1): both pass, so wait and try again.
    if (reject.reason == RejectReason::ChangeInProgress || reject.reason == RejectReason::NotCaughtUp) {
      changes_.at(reject.id).retry = true;
    } else {
      complete(reject.id, unexpected(error_from(reject)));
    }
  } else if (reject.what == RequestKind::TransferLeadership && transfers_.count(reject.id) != 0) {
    complete(reject.id, unexpected(error_from(reject)));
  }
  // A refused SnapshotTaken (InvalidSnapshot, SnapshotTooLarge) leaves the log uncompacted; the
  // core suggests again at the next threshold crossing.
}

// Thesis §6.4 step 4: the read is served once the state machine has applied the read index.
void Driver::on_read_ready(const ReadReady& ready) {
  if (reads_.count(ready.id) == 0) return;
  reads_by_index_.emplace(ready.index, ready.id);
  serve_reads();
}

void Driver::serve_reads() {
  while (!reads_by_index_.empty() && reads_by_index_.begin()->first <= applied_) {
    const RequestId id = reads_by_index_.begin()->second;
    reads_by_index_.erase(reads_by_index_.begin());
    const auto it = reads_.find(id);
    if (it == reads_.end()) continue;
    Payload response = machine_.query(it->second);
    complete(id, std::move(response));
  }
}

void Driver::take_snapshot() {
  snapshot_wanted_ = false;
  if (!options_.background_snapshots) {
    step(SnapshotTaken{applied_, wrap_snapshot(committed_addresses_, machine_.snapshot())});
    return;
  }
  // One job at a time: a suggestion while one is out is dropped (the core suggests again at its
  // next threshold).
  if (snapshot_job_out_) return;
  snapshot_job_out_ = true;
  out_.snapshot_jobs.push_back(SnapshotJob{
      applied_, [book = committed_addresses_, serialize = machine_.snapshot_job()] {
        return wrap_snapshot(book, serialize());
      }});
}

void Driver::snapshot_written(Index index, Payload bytes) {
  if (!snapshot_job_out_) return;
  snapshot_job_out_ = false;
  // A job older than a snapshot installed meanwhile is refused by the core (InvalidSnapshot),
  // which keeps its newer one.
  step(SnapshotTaken{index, std::move(bytes)});
}

void Driver::expire_requests() {
  for (;;) {
    // The earliest (tick, request) over the queues: the order one sorted queue would give.
    std::deque<Deadline>* earliest = nullptr;
    for (auto& [timeout, queue] : deadlines_) {
      if (!queue.empty() && queue.front().first <= ticks_ && (earliest == nullptr || queue.front() < earliest->front())) {
        earliest = &queue;
      }
    }
    if (earliest == nullptr) break;
    const RequestId id = earliest->front().second;
    earliest->pop_front();
    if (writes_.count(id) != 0 || reads_.count(id) != 0 || transfers_.count(id) != 0 || forwarded_.count(id) != 0) {
      complete(id, unexpected(TimedOut{}));
    }
  }
}

void Driver::stop(Error reason) {
  stopped_ = reason;
  std::vector<RequestId> pending;
  pending.reserve(pending_requests());
  for (const auto& [id, write] : writes_) pending.push_back(id);
  for (const auto& [id, query] : reads_) pending.push_back(id);
  for (const auto& [id, transfer] : transfers_) pending.push_back(id);
  for (const auto& [id, leader] : forwarded_) pending.push_back(id);
  std::sort(pending.begin(), pending.end());  // completions in request order, deterministically
  for (const RequestId id : pending) complete(id, unexpected(reason));
  writes_by_index_.clear();
  reads_by_index_.clear();
  deadlines_.clear();
}

void Driver::complete(RequestId id, Result<Payload, Error> result) {
  writes_.erase(id);
  reads_.erase(id);
  changes_.erase(id);
  transfers_.erase(id);
  forwarded_.erase(id);
  if (remote_.count(id) != 0) return answer_remote(id, result);  // a follower's: it gets the answer
  out_.completions.push_back(Completion{id, std::move(result)});
}

}  // namespace raftio::runtime
