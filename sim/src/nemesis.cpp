// The nemesis: faults drawn from the seed at random intervals until the faults stop. Network
// faults replace one another (a heal clears them); crashes, pauses and disk errors come and go on
// their own, and at most a minority of the nodes is down or paused at once.
#include <algorithm>
#include <numeric>

#include "sim_engine.h"
#include "trace_json.h"

namespace raftio::sim {

namespace {

std::string group_text(const std::vector<NodeId>& group) {
  std::string out = "{";
  for (std::size_t i = 0; i < group.size(); ++i) out += (i ? "," : "") + std::to_string(group[i]);
  return out + "}";
}

}  // namespace

std::vector<NodeId> Simulation::Engine::random_subset(std::size_t size) {
  std::vector<NodeId> ids(options_.nodes);
  std::iota(ids.begin(), ids.end(), NodeId{1});
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) std::swap(ids[i], ids[i + rng_.below(ids.size() - i)]);
  ids.resize(size);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void Simulation::Engine::open_fault(std::string_view kind, const std::string& fields, std::string description) {
  if (open_fault_) {
    open_fault_->end = now_;
    if (options_.timeline) timeline_.faults.push_back(*open_fault_);
  }
  open_fault_ = Timeline::Fault{now_, 0, std::move(description)};
  trace_fault(kind, fields);
}

void Simulation::Engine::heal_network(bool count) {
  network_.heal_cuts();
  network_.set_profile(base_profile_);
  network_.unclog_all();
  burst_loss_ = 0;
  if (open_fault_) {
    open_fault_->end = now_;
    if (options_.timeline) timeline_.faults.push_back(*open_fault_);
    open_fault_.reset();
    trace_fault("heal", "");
  }
  if (count) ++counts_.heals;
}

void Simulation::Engine::stop_faults() {
  faults_stopped_ = true;
  heal_network(false);
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    if (wal::FaultyFileSystem* disk = cluster_.disk(id)) disk->clear_faults();
    if (nodes_[id - 1].paused) resume(id);
    if (nodes_[id - 1].down) restart(id);
  }
  if (options_.timeline) timeline_.markers.push_back({now_, "faults stop"});
  trace_fault("faults-stop", "");
}

// Membership churn (profile all): the leader is asked for one single-server change, drawn among
// every change the current configuration allows: add a removed node back as a learner, promote a
// learner, demote or remove a voter (the leader itself included) while more than one is left,
// remove a learner. Voters grow and shrink between 1 and the cluster size. Refusals (a change in
// progress, a learner not caught up) are part of the test.
void Simulation::Engine::churn_membership() {
  const int changes = rng_.chance(0.3) ? 2 : 1;
  for (int i = 0; i < changes; ++i) request_membership_change();
}

void Simulation::Engine::request_membership_change() {
  const std::optional<NodeId> leader = cluster_.leader();
  if (!leader || nodes_[*leader - 1].down || nodes_[*leader - 1].paused) return;
  const Membership& members = cluster_.node(*leader).membership();
  std::vector<std::pair<MembershipChange, NodeId>> options;
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    if (!members.contains(id)) {
      options.emplace_back(MembershipChange::AddLearner, id);
    } else if (members.is_learner(id)) {
      options.emplace_back(MembershipChange::AddVoter, id);
      options.emplace_back(MembershipChange::Remove, id);
    } else if (members.voters.size() > 1) {
      options.emplace_back(MembershipChange::AddLearner, id);
      options.emplace_back(MembershipChange::Remove, id);
    }
  }
  if (options.empty()) return;
  const auto [change, node] = options[rng_.below(options.size())];
  static constexpr const char* kNames[] = {"add voter", "add learner", "remove"};
  const std::string text = std::string(kNames[static_cast<int>(change)]) + " " + std::to_string(node);
  ++counts_.membership_changes;
  static constexpr const char* kKinds[] = {"add-voter", "add-learner", "remove"};
  trace_fault("membership", std::string("\"change\":\"") + kKinds[static_cast<int>(change)] + "\",\"target\":" +
                                std::to_string(node) + ",\"leader\":" + std::to_string(*leader));
  if (options_.timeline) timeline_.markers.push_back({now_, "membership: " + text});
  step_node(*leader, ChangeMembership{change, node, counts_.membership_changes});
}

// Thesis §3.10: the leader hands over to another node (it may be lagging, partitioned or down:
// the transfer then times out and the leader carries on).
void Simulation::Engine::transfer_leadership() {
  const std::size_t n = options_.nodes;
  const std::optional<NodeId> leader = cluster_.leader();
  if (n < 2 || !leader || nodes_[*leader - 1].down || nodes_[*leader - 1].paused) return;
  NodeId target = 1 + rng_.below(n - 1);
  if (target >= *leader) ++target;
  ++counts_.transfers;
  trace_fault("transfer", "\"from\":" + std::to_string(*leader) + ",\"to\":" + std::to_string(target));
  step_node(*leader, TransferLeadership{target});
  if (options_.timeline) timeline_.markers.push_back({now_, "transfer " + std::to_string(*leader) + " -> " + std::to_string(target)});
}

// Network faults replace one another: each first heals the one before.
void Simulation::Engine::network_fault(FaultKind kind) {
  const std::size_t n = options_.nodes;
  heal_network(kind == FaultKind::Heal);
  if (kind == FaultKind::Heal || n < 2) return;
  NetworkProfile profile = base_profile_;
  switch (kind) {
    case FaultKind::Partition: {
      const auto side = random_subset(1 + rng_.below(n - 1));
      std::vector<NodeId> other;
      for (NodeId id = 1; id <= n; ++id) {
        if (!std::binary_search(side.begin(), side.end(), id)) other.push_back(id);
      }
      network_.partition({side, other});
      ++counts_.partitions;
      open_fault("partition", "\"sides\":[" + nodes_json(side) + "," + nodes_json(other) + "]",
                 "partition " + group_text(side) + " | " + group_text(other));
      break;
    }
    case FaultKind::IsolateLeader: {
      const NodeId leader = cluster_.leader().value_or(1 + rng_.below(n));
      std::vector<NodeId> rest;
      for (NodeId id = 1; id <= n; ++id) {
        if (id != leader) rest.push_back(id);
      }
      network_.partition({{leader}, rest});
      ++counts_.leader_isolations;
      open_fault("isolate-leader", "\"node\":" + std::to_string(leader), "isolate leader " + std::to_string(leader));
      break;
    }
    case FaultKind::Bridge: {
      if (n < 3) return;
      // A bridge: two sides that cannot talk, and one node that talks to both.
      const auto order = random_subset(n);
      const NodeId bridge = order[0];
      const std::size_t split = 1 + rng_.below(n - 2);
      std::vector<NodeId> left(order.begin() + 1, order.begin() + 1 + static_cast<std::ptrdiff_t>(split));
      std::vector<NodeId> right(order.begin() + 1 + static_cast<std::ptrdiff_t>(split), order.end());
      for (NodeId a : left) {
        for (NodeId b : right) network_.cut_both(a, b);
      }
      ++counts_.bridges;
      open_fault("bridge",
                 "\"node\":" + std::to_string(bridge) + ",\"sides\":[" + nodes_json(left) + "," + nodes_json(right) + "]",
                 "bridge " + std::to_string(bridge) + " between " + group_text(left) + " and " + group_text(right));
      break;
    }
    case FaultKind::OneWay: {
      const NodeId from = 1 + rng_.below(n);
      const auto targets = random_subset(1 + rng_.below(n - 1));
      for (NodeId to : targets) {
        if (to != from) network_.cut(from, to);
      }
      ++counts_.one_way;
      open_fault("one-way", "\"from\":" + std::to_string(from) + ",\"to\":" + nodes_json(targets),
                 "one way: " + std::to_string(from) + " cannot send to " + group_text(targets));
      break;
    }
    case FaultKind::Loss:
      profile.loss = 0.05 + 0.3 * rng_.unit();
      network_.set_profile(profile);
      burst_loss_ = profile.loss;  // clients are on the same network
      ++counts_.loss_bursts;
    {
      const std::string percent = std::to_string(static_cast<int>(profile.loss * 100));
      open_fault("loss", "\"percent\":" + percent, "loss " + percent + "%");
      break;
    }
    case FaultKind::Duplication:
      profile.duplicate = 0.05 + 0.2 * rng_.unit();
      profile.jitter_us *= 4;  // and more reordering
      network_.set_profile(profile);
      ++counts_.duplication_bursts;
    {
      const std::string percent = std::to_string(static_cast<int>(profile.duplicate * 100));
      open_fault("duplication", "\"percent\":" + percent + ",\"jitter_us\":" + std::to_string(profile.jitter_us),
                 "duplication " + percent + "% with long delays");
      break;
    }
    default: {
      const std::uint64_t links = 1 + rng_.below(3);
      std::string text = "clogged";
      std::string links_json;
      for (std::uint64_t i = 0; i < links; ++i) {
        const NodeId from = 1 + rng_.below(n);
        const NodeId to = 1 + rng_.below(n);
        if (from == to) continue;
        network_.clog(from, to);
        text += " " + std::to_string(from) + "->" + std::to_string(to);
        links_json += (links_json.empty() ? "[" : ",[") + std::to_string(from) + "," + std::to_string(to) + "]";
      }
      ++counts_.clogs;
      open_fault("clog", "\"links\":[" + links_json + "]", text);
      break;
    }
  }
}

std::uint64_t Simulation::Engine::pause_ticks() {
  return config_.swarm ? rng_.between(1, config_.max_pause_ticks) : rng_.between(20, 200);
}

// Crashes, pauses and disk errors come and go on their own; at most a minority is unavailable.
void Simulation::Engine::crash_fault(FaultKind kind) {
  const std::size_t n = options_.nodes;
  const std::uint64_t tick = options_.tick_us;
  if (unavailable() >= (n - 1) / 2 + (n == 1 ? 1 : 0)) return;  // keep a majority up
  switch (kind) {
    case FaultKind::Crash: {
      const NodeId victim = 1 + rng_.below(n);
      if (nodes_[victim - 1].down) return;
      ++counts_.crashes;
      crash(victim, tick * rng_.between(20, 300));
      break;
    }
    case FaultKind::CrashLeader: {
      const std::optional<NodeId> leader = cluster_.leader();
      if (!leader || nodes_[*leader - 1].down) return;
      ++counts_.crashes;
      crash(*leader, tick * rng_.between(20, 300));
      break;
    }
    case FaultKind::Pause: {
      if (config_.max_pause_ticks == 0) return;
      const NodeId victim = 1 + rng_.below(n);
      if (nodes_[victim - 1].down || nodes_[victim - 1].paused) return;
      ++counts_.pauses;
      pause(victim);
      at(now_ + tick * pause_ticks(), Kind::Resume, victim);
      break;
    }
    case FaultKind::DiskFault: {
      // A disk error at the next write or sync: the node stops, and recovers when it restarts.
      const NodeId victim = 1 + rng_.below(n);
      wal::FaultyFileSystem* disk = cluster_.disk(victim);
      if (disk == nullptr || nodes_[victim - 1].down) return;
      const auto op = rng_.chance(0.5) ? wal::FaultyFileSystem::Op::Sync : wal::FaultyFileSystem::Op::Append;
      const StorageError::Code code = rng_.chance(0.5) ? StorageError::Code::Io : StorageError::Code::NoSpace;
      disk->fail_next(op, code);
      ++counts_.disk_faults;
      trace_fault("disk-fault", "\"node\":" + std::to_string(victim) + ",\"op\":\"" +
                                    (op == wal::FaultyFileSystem::Op::Sync ? "sync" : "append") + "\",\"code\":\"" +
                                    std::string(to_string(code)) + "\"");
      break;
    }
    default: arm_crash_point(); break;
  }
}

// One nemesis step: a fault kind drawn by the weights (SwarmConfig), now and then a quiet stretch.
void Simulation::Engine::nemesis_step() {
  if (faults_stopped_) return;
  const std::uint64_t tick = options_.tick_us;
  std::uint64_t wait = rng_.between(config_.nemesis_min_ticks, config_.nemesis_max_ticks);
  if (config_.quiet_chance > 0 && rng_.chance(config_.quiet_chance)) {
    // A quiet stretch of 5-30 s: the network heals and nothing new happens.
    heal_network(false);
    at(now_ + tick * rng_.between(500, 3000), Kind::Nemesis);
    return;
  }
  at(now_ + tick * wait, Kind::Nemesis);
  std::uint64_t total = 0;
  for (std::uint32_t weight : config_.weights) total += weight;
  if (total == 0) return;
  std::uint64_t draw = rng_.below(total);
  std::size_t k = 0;
  while (draw >= config_.weights[k]) draw -= config_.weights[k++];
  const auto kind = static_cast<FaultKind>(k);
  switch (kind) {
    case FaultKind::Membership:
      if (options_.nodes >= 2) churn_membership();
      return;
    case FaultKind::Transfer: return transfer_leadership();
    case FaultKind::Crash:
    case FaultKind::CrashLeader:
    case FaultKind::Pause:
    case FaultKind::DiskFault:
    case FaultKind::CrashPoint: return crash_fault(kind);
    default: return network_fault(kind);
  }
}

}  // namespace raftio::sim
