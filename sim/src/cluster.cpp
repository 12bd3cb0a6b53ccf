#include "raftio/sim/cluster.h"

#include <stdexcept>

#include <xxhash.h>

#include "raftio/describe.h"
#include "raftio/wal/wal_log.h"

#include "raftio/sim/recording_log.h"

namespace raftio::sim {

Cluster::Cluster(ClusterOptions options) : options_(options), network_(options.seed ^ 0x5eed) {
  if (options_.nodes == 0 || options_.learners >= options_.nodes) {
    throw std::invalid_argument("Cluster needs at least one node and one voter");
  }
  for (std::size_t i = 1; i <= options_.nodes; ++i) ids_.push_back(i);
  for (NodeId id : ids_) {
    if (async_storage(id)) checker_.set_async_storage(id);
  }
  pending_writes_.resize(options_.nodes);
  starts_.resize(options_.nodes, 0);
  for (NodeId id : ids_) {
    if (options_.storage == Storage::Wal) {
      disks_.push_back(std::make_shared<wal::FaultyFileSystem>(options_.seed * 1000 + id));
    }
    logs_.push_back(open_log(id));
    nodes_.push_back(make_node(id));
    applied_.emplace_back();
    state_machine_applied_.push_back(0);
    awaiting_.emplace_back();
  }
}

Cluster::~Cluster() = default;

std::unique_ptr<RaftLog> Cluster::open_log(NodeId id) {
  if (options_.storage == Storage::Memory) return std::make_unique<MemoryLog>();
  auto log = wal::WalLog::open(disks_[id - 1], "/node" + std::to_string(id), wal::WalOptions{std::uint64_t{1} << 16});
  if (log) return std::move(log).value();
  checker_.record_violation("Durability", {id}, "the log did not recover after a crash: " + log.error().context);
  return std::make_unique<MemoryLog>();
}

std::unique_ptr<RaftNode> Cluster::make_node(NodeId id, Index applied) {
  const auto voter_count = static_cast<std::ptrdiff_t>(ids_.size() - options_.learners);
  auto config = RaftConfig::builder(id)
                    .voters(std::vector<NodeId>(ids_.begin(), ids_.begin() + voter_count))
                    .learners(std::vector<NodeId>(ids_.begin() + voter_count, ids_.end()))
                    .election_ticks(options_.election_ticks)
                    .heartbeat_ticks(options_.heartbeat_ticks)
                    .pre_vote(options_.pre_vote)
                    .check_quorum(options_.check_quorum)
                    .max_entries_per_msg(options_.max_entries_per_msg)
                    .max_bytes_per_msg(options_.max_bytes_per_msg)
                    .max_inflight_msgs(options_.max_inflight_msgs)
                    .seed(options_.seed)
                    .incarnation(starts_[id - 1]++)  // 0 at the first start, then 1, 2, ...
                    .snapshot_threshold(options_.snapshot_threshold)
                    .lease_reads(options_.lease_reads)
                    .snapshot_chunk_bytes(options_.snapshot_chunk_bytes)
                    .max_snapshot_bytes(options_.max_snapshot_bytes)
                    .async_storage(async_storage(id))
                    .applied(applied)
                    .build();
  if (!config) throw std::invalid_argument(config.error().describe());
  auto log = std::make_unique<RecordingLog>(*logs_[id - 1], id, options_.check_safety ? &checker_ : nullptr,
                                            async_storage(id));
  return std::make_unique<RaftNode>(std::move(config).value(), std::move(log));
}

void Cluster::trace(NodeId id, const std::string& line) {
  trace_hash_ = XXH3_64bits_withSeed(line.data(), line.size(), trace_hash_ ^ id);
  if (options_.trace_sink) options_.trace_sink(id, line);
}

void Cluster::step(NodeId id, Event event) {
  RaftNode& target = node(id);
  if (options_.trace) {
    trace(id, describe(event));
    if (const auto* propose = std::get_if<Propose>(&event)) trace(id, propose->data.to_string());
  }
  actions_.clear();
  if (options_.check_safety) checker_.before_step(id, event);
  target.step(std::move(event), actions_);
  ++steps_;
  if (options_.trace) {
    for (const Action& action : actions_) {
      trace(id, describe(action));
      if (const auto* apply = std::get_if<Apply>(&action)) trace(id, apply->entry.data.to_string());
    }
  }
  if (options_.check_safety) {
    // async_storage: the checker follows the log as handed out (the disk view follows the writes).
    if (async_storage(id)) checker_.on_handed_out(id, actions_);
    checker_.after_step(target, actions_);
  }
  for (Action& action : actions_) {
    if (observer_) observer_(id, action);
    if (auto* send = std::get_if<Send>(&action)) {
      const NodeId to = receiver_of(send->message);
      transport_->send(to, std::move(send->message));
    } else if (auto* apply = std::get_if<Apply>(&action)) {
      state_machine_applied_[id - 1] = apply->entry.index;
      if (options_.record_applied) applied_[id - 1].push_back(apply->entry);
      auto& awaiting = awaiting_[id - 1];
      auto it = awaiting.find(apply->entry.index);
      if (it != awaiting.end()) {
        ClientProposal& proposal = proposals_[it->second];
        proposal.outcome = apply->entry.term == proposal.term ? ClientProposal::Outcome::Acknowledged
                                                              : ClientProposal::Outcome::Failed;
        awaiting.erase(it);
      }
    } else if (auto* restore = std::get_if<RestoreSnapshot>(&action)) {
      // The snapshot stands for every entry up to its index; their outcomes are known elsewhere.
      auto& applied = applied_[id - 1];
      const Index index = restore->snapshot.last_index;
      state_machine_applied_[id - 1] = index;
      if (options_.record_applied) {
        applied.resize(std::min<std::size_t>(applied.size(), index));
        while (applied.size() < index) applied.push_back(LogEntry{0, applied.size() + 1, EntryKind::Noop, Payload()});
      }
      auto& awaiting = awaiting_[id - 1];
      for (auto it = awaiting.begin(); it != awaiting.end() && it->first <= index;) {
        proposals_[it->second].outcome = ClientProposal::Outcome::Unknown;
        it = awaiting.erase(it);
      }
    } else if (std::holds_alternative<LeaderChanged>(action)) {
      ++leader_changes_;
    } else if (auto* failed = std::get_if<StorageFailed>(&action)) {
      storage_failure_ = failed->error;
    } else if (auto* persist = std::get_if<Persist>(&action)) {
      pending_writes_[id - 1].push_back(std::move(*persist));
    }
  }
}

std::optional<Event> Cluster::write_next(NodeId id) {
  auto& queue = pending_writes_.at(id - 1);
  if (queue.empty()) return std::nullopt;
  const Persist persist = std::move(queue.front());
  queue.pop_front();
  auto status = write_persist(node(id).log(), persist);
  if (!status) return Event{PersistFailed{std::move(status).error()}};
  return Event{Persisted{persist.index, persist.term}};
}

void Cluster::complete_writes(NodeId id) {
  while (std::optional<Event> report = write_next(id)) step(id, std::move(*report));
}

void Cluster::complete_all_writes() {
  for (NodeId id : ids_) complete_writes(id);
}

void Cluster::tick(NodeId id) { step(id, Tick{}); }

void Cluster::tick_all() {
  for (NodeId id : ids_) tick(id);
}

std::optional<std::uint64_t> Cluster::propose(NodeId id, Payload data) {
  const std::uint64_t proposal_id = next_proposal_id_++;
  RaftNode& target = node(id);
  const Index expected_index = target.last_index() + 1;
  const bool leader = target.is_leader();
  if (leader) {
    proposals_.push_back(ClientProposal{proposal_id, id, expected_index, target.term(), data,
                                        ClientProposal::Outcome::Pending});
    awaiting_[id - 1][expected_index] = proposals_.size() - 1;
  }
  step(id, Propose{std::move(data), proposal_id});
  if (!leader) return std::nullopt;
  // A leader may still refuse (a leadership transfer is running): only ProposalAccepted counts.
  for (const Action& action : actions_) {
    if (const auto* accepted = std::get_if<ProposalAccepted>(&action); accepted != nullptr && accepted->id == proposal_id) {
      return proposal_id;
    }
  }
  auto& awaiting = awaiting_[id - 1];
  if (auto it = awaiting.find(expected_index); it != awaiting.end() && it->second == proposals_.size() - 1) awaiting.erase(it);
  proposals_.pop_back();
  return std::nullopt;
}

bool Cluster::deliver(std::size_t i) {
  std::optional<Envelope> envelope = network_.take(i);
  if (!envelope) return false;
  // A node can be told about members that do not exist here (a configuration naming an unknown
  // server): nobody listens at that address.
  if (envelope->to == kNoNode || envelope->to > nodes_.size()) return false;
  step(envelope->to, Receive{std::move(envelope->message)});
  return true;
}

std::size_t Cluster::deliver_all(std::size_t max_messages) {
  std::size_t delivered = 0;
  while (!network_.empty() && delivered < max_messages) {
    if (deliver(0)) ++delivered;
  }
  return delivered;
}

void Cluster::restart(NodeId id) {
  nodes_[id - 1].reset();
  pending_writes_[id - 1].clear();
  if (options_.storage == Storage::Wal) {
    logs_[id - 1].reset();
    disks_[id - 1]->crash(/*tear_last_write=*/true);
    logs_[id - 1] = open_log(id);
  }
  const Index state_machine = options_.durable_state_machine ? state_machine_applied_[id - 1] : 0;
  nodes_[id - 1] = make_node(id, state_machine);
  if (!options_.durable_state_machine) {
    applied_[id - 1].clear();
    state_machine_applied_[id - 1] = 0;
  }
  for (auto& [index, slot] : awaiting_[id - 1]) proposals_[slot].outcome = ClientProposal::Outcome::Unknown;
  awaiting_[id - 1].clear();
  if (options_.check_safety) checker_.on_restart(node(id), state_machine);
}

void Cluster::restart_with_log_change(NodeId id, const std::function<void(MemoryLog&)>& change) {
  if (options_.storage != Storage::Memory) throw std::logic_error("restart_with_log_change needs Memory storage");
  change(static_cast<MemoryLog&>(*logs_[id - 1]));
  restart(id);
}

std::optional<NodeId> Cluster::leader() const {
  std::optional<NodeId> best;
  for (NodeId id : ids_) {
    const RaftNode& candidate = node(id);
    if (candidate.is_leader() && (!best || candidate.term() > node(*best).term())) best = id;
  }
  return best;
}

std::string Cluster::missing_acknowledged(const Membership* members) const {
  for (const ClientProposal& proposal : proposals_) {
    if (proposal.outcome != ClientProposal::Outcome::Acknowledged) continue;
    for (NodeId id : ids_) {
      if (members != nullptr && !members->contains(id)) continue;
      const auto& applied = applied_[id - 1];
      if (applied.size() < proposal.index) {
        return "node " + std::to_string(id) + " has not applied acknowledged proposal " +
               std::to_string(proposal.id) + " at index " + std::to_string(proposal.index);
      }
      const LogEntry& entry = applied[proposal.index - 1];
      if (entry.term == 0) continue;  // inside a snapshot this node restored
      if (entry.term != proposal.term || !(entry.data == proposal.data)) {
        return "node " + std::to_string(id) + " applied a different entry at index " +
               std::to_string(proposal.index) + " than acknowledged proposal " + std::to_string(proposal.id);
      }
    }
  }
  return {};
}

}  // namespace raftio::sim
