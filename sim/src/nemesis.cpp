// The nemesis: faults drawn from the seed at random intervals until the faults stop. Network
// faults replace one another (a heal clears them); crashes, pauses and disk errors come and go on
// their own, and at most a minority of the nodes is down or paused at once.
//
// Each fault is first decided (every random choice drawn from the nemesis's own stream and
// resolved: which node, which sides, how long) and then applied. The faults that took effect are
// recorded (SimReport::schedule); a run given a Schedule applies those instead of deciding, at the
// same moments, and its other streams of choices are where they were.
#include <algorithm>
#include <numeric>
#include <tuple>

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
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) std::swap(ids[i], ids[i + nemesis_rng_.below(ids.size() - i)]);
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

// A nemesis event sorts before every other event of its moment (sequence 0): a replayed fault then
// lands exactly where the decided one did, however the two runs numbered their other events.
void Simulation::Engine::at_nemesis(std::uint64_t time) {
  const std::uint64_t sequence = sequence_;
  sequence_ = 0;
  at(time, Kind::Nemesis);
  sequence_ = sequence;
}

bool Simulation::Engine::perform(ScheduledFault fault) {
  fault.time_us = now_;
  if (!apply_fault(fault)) return false;
  applied_faults_.push_back(std::move(fault));
  return true;
}

void Simulation::Engine::replay_faults() {
  const std::vector<ScheduledFault>& faults = options_.schedule->faults;
  while (next_fault_ < faults.size() && faults[next_fault_].time_us <= now_) perform(faults[next_fault_++]);
  if (next_fault_ < faults.size()) at_nemesis(faults[next_fault_].time_us);
}

bool Simulation::Engine::apply_fault(const ScheduledFault& fault) {
  switch (fault.kind) {
    case FaultKind::Membership: return apply_membership_change(fault);
    case FaultKind::Transfer: return apply_transfer(fault);
    case FaultKind::Crash:
    case FaultKind::CrashLeader:
    case FaultKind::Pause:
    case FaultKind::DiskFault: return apply_crash_fault(fault);
    case FaultKind::CrashPoint: return apply_crash_point(fault);
    default: return apply_network_fault(fault);
  }
}

// Membership churn (profile all): the leader is asked for one single-server change, drawn among
// every change the current configuration allows: add a removed node back as a learner, promote a
// learner, demote or remove a voter (the leader itself included) while more than one is left,
// remove a learner. Voters grow and shrink between 1 and the cluster size. Refusals (a change in
// progress, a learner not caught up) are part of the test.
void Simulation::Engine::churn_membership() {
  const int changes = nemesis_rng_.chance(0.3) ? 2 : 1;
  for (int i = 0; i < changes; ++i) {
    if (std::optional<ScheduledFault> change = decide_membership_change()) perform(std::move(*change));
  }
}

std::vector<std::pair<MembershipChange, NodeId>> Simulation::Engine::membership_options(NodeId leader) const {
  const Membership& members = cluster_.node(leader).membership();
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
  return options;
}

std::optional<ScheduledFault> Simulation::Engine::decide_membership_change() {
  const std::optional<NodeId> leader = cluster_.leader();
  if (!leader || nodes_[*leader - 1].down || nodes_[*leader - 1].paused) return std::nullopt;
  const std::vector<std::pair<MembershipChange, NodeId>> options = membership_options(*leader);
  if (options.empty()) return std::nullopt;
  ScheduledFault fault;
  fault.kind = FaultKind::Membership;
  std::tie(fault.change, fault.node) = options[nemesis_rng_.below(options.size())];
  return fault;
}

// Asked of whichever node leads when the change is applied (the one it was decided for, unless a
// shrunk schedule changed the run), and only if the nemesis could have decided it there: a shrunk
// schedule that left out earlier changes must not ask what the nemesis never asks (a removed
// node straight back as a voter), or its failure is no longer the seed's.
bool Simulation::Engine::apply_membership_change(const ScheduledFault& fault) {
  const std::optional<NodeId> leader = cluster_.leader();
  if (!leader || nodes_[*leader - 1].down || nodes_[*leader - 1].paused) return false;
  const std::vector<std::pair<MembershipChange, NodeId>> options = membership_options(*leader);
  if (std::find(options.begin(), options.end(), std::pair{fault.change, fault.node}) == options.end()) return false;
  static constexpr const char* kNames[] = {"add voter", "add learner", "remove"};
  const std::string text = std::string(kNames[static_cast<int>(fault.change)]) + " " + std::to_string(fault.node);
  ++counts_.membership_changes;
  static constexpr const char* kKinds[] = {"add-voter", "add-learner", "remove"};
  trace_fault("membership", std::string("\"change\":\"") + kKinds[static_cast<int>(fault.change)] + "\",\"target\":" +
                                std::to_string(fault.node) + ",\"leader\":" + std::to_string(*leader));
  if (options_.timeline) timeline_.markers.push_back({now_, "membership: " + text});
  step_node(*leader, ChangeMembership{fault.change, fault.node, counts_.membership_changes});
  return true;
}

// Thesis §3.10: the leader hands over to another node (it may be lagging, partitioned or down:
// the transfer then times out and the leader carries on).
std::optional<ScheduledFault> Simulation::Engine::decide_transfer() {
  const std::size_t n = options_.nodes;
  const std::optional<NodeId> leader = cluster_.leader();
  if (n < 2 || !leader || nodes_[*leader - 1].down || nodes_[*leader - 1].paused) return std::nullopt;
  ScheduledFault fault;
  fault.kind = FaultKind::Transfer;
  fault.node = static_cast<NodeId>(1 + nemesis_rng_.below(n - 1));
  if (fault.node >= *leader) ++fault.node;
  return fault;
}

bool Simulation::Engine::apply_transfer(const ScheduledFault& fault) {
  const std::optional<NodeId> leader = cluster_.leader();
  if (!leader || *leader == fault.node || nodes_[*leader - 1].down || nodes_[*leader - 1].paused) return false;
  ++counts_.transfers;
  trace_fault("transfer", "\"from\":" + std::to_string(*leader) + ",\"to\":" + std::to_string(fault.node));
  step_node(*leader, TransferLeadership{fault.node});
  if (options_.timeline) timeline_.markers.push_back({now_, "transfer " + std::to_string(*leader) + " -> " + std::to_string(fault.node)});
  return true;
}

// Network faults replace one another: each first heals the one before.
std::optional<ScheduledFault> Simulation::Engine::decide_network_fault(FaultKind kind) {
  const std::size_t n = options_.nodes;
  ScheduledFault fault;
  fault.kind = kind;
  if (kind == FaultKind::Heal) return fault;
  if (n < 2) return std::nullopt;
  switch (kind) {
    case FaultKind::Partition: {
      fault.side = random_subset(1 + nemesis_rng_.below(n - 1));
      for (NodeId id = 1; id <= n; ++id) {
        if (!std::binary_search(fault.side.begin(), fault.side.end(), id)) fault.other.push_back(id);
      }
      break;
    }
    case FaultKind::IsolateLeader:
      fault.node = cluster_.leader().value_or(static_cast<NodeId>(1 + nemesis_rng_.below(n)));
      break;
    case FaultKind::Bridge: {
      if (n < 3) {  // no bridge in a cluster this small: what is left of the step is its heal
        fault.kind = FaultKind::Heal;
        fault.quiet = true;
        return fault;
      }
      // A bridge: two sides that cannot talk, and one node that talks to both.
      const auto order = random_subset(n);
      fault.node = order[0];
      const std::size_t split = 1 + nemesis_rng_.below(n - 2);
      fault.side.assign(order.begin() + 1, order.begin() + 1 + static_cast<std::ptrdiff_t>(split));
      fault.other.assign(order.begin() + 1 + static_cast<std::ptrdiff_t>(split), order.end());
      break;
    }
    case FaultKind::OneWay:
      fault.node = static_cast<NodeId>(1 + nemesis_rng_.below(n));
      fault.side = random_subset(1 + nemesis_rng_.below(n - 1));
      break;
    case FaultKind::Loss: fault.ppm = static_cast<std::uint32_t>(50'000 + nemesis_rng_.below(300'000)); break;
    case FaultKind::Duplication: fault.ppm = static_cast<std::uint32_t>(50'000 + nemesis_rng_.below(200'000)); break;
    default: {
      fault.kind = FaultKind::Clog;
      const std::uint64_t links = 1 + nemesis_rng_.below(3);
      for (std::uint64_t i = 0; i < links; ++i) {
        const auto from = static_cast<NodeId>(1 + nemesis_rng_.below(n));
        const auto to = static_cast<NodeId>(1 + nemesis_rng_.below(n));
        if (from != to) fault.links.emplace_back(from, to);
      }
      break;
    }
  }
  return fault;
}

bool Simulation::Engine::apply_network_fault(const ScheduledFault& fault) {
  const std::size_t n = options_.nodes;
  const auto valid = [n](NodeId id) { return id >= 1 && id <= n; };
  heal_network(fault.kind == FaultKind::Heal && !fault.quiet);
  NetworkProfile profile = base_profile_;
  switch (fault.kind) {
    case FaultKind::Heal: break;
    case FaultKind::Partition:
      network_.partition({fault.side, fault.other});
      ++counts_.partitions;
      open_fault("partition", "\"sides\":[" + nodes_json(fault.side) + "," + nodes_json(fault.other) + "]",
                 "partition " + group_text(fault.side) + " | " + group_text(fault.other));
      break;
    case FaultKind::IsolateLeader: {
      if (!valid(fault.node)) return false;
      std::vector<NodeId> rest;
      for (NodeId id = 1; id <= n; ++id) {
        if (id != fault.node) rest.push_back(id);
      }
      network_.partition({{fault.node}, rest});
      ++counts_.leader_isolations;
      open_fault("isolate-leader", "\"node\":" + std::to_string(fault.node), "isolate leader " + std::to_string(fault.node));
      break;
    }
    case FaultKind::Bridge:
      for (NodeId a : fault.side) {
        for (NodeId b : fault.other) network_.cut_both(a, b);
      }
      ++counts_.bridges;
      open_fault("bridge",
                 "\"node\":" + std::to_string(fault.node) + ",\"sides\":[" + nodes_json(fault.side) + "," +
                     nodes_json(fault.other) + "]",
                 "bridge " + std::to_string(fault.node) + " between " + group_text(fault.side) + " and " +
                     group_text(fault.other));
      break;
    case FaultKind::OneWay:
      for (NodeId to : fault.side) {
        if (to != fault.node) network_.cut(fault.node, to);
      }
      ++counts_.one_way;
      open_fault("one-way", "\"from\":" + std::to_string(fault.node) + ",\"to\":" + nodes_json(fault.side),
                 "one way: " + std::to_string(fault.node) + " cannot send to " + group_text(fault.side));
      break;
    case FaultKind::Loss: {
      profile.loss = fault.ppm / 1e6;
      network_.set_profile(profile);
      burst_loss_ = profile.loss;  // clients are on the same network
      ++counts_.loss_bursts;
      const std::string percent = std::to_string(fault.ppm / 10'000);
      open_fault("loss", "\"percent\":" + percent, "loss " + percent + "%");
      break;
    }
    case FaultKind::Duplication: {
      profile.duplicate = fault.ppm / 1e6;
      profile.jitter_us *= 4;  // and more reordering
      network_.set_profile(profile);
      ++counts_.duplication_bursts;
      const std::string percent = std::to_string(fault.ppm / 10'000);
      open_fault("duplication", "\"percent\":" + percent + ",\"jitter_us\":" + std::to_string(profile.jitter_us),
                 "duplication " + percent + "% with long delays");
      break;
    }
    default: {
      std::string text = "clogged";
      std::string links_json;
      for (const auto& [from, to] : fault.links) {
        network_.clog(from, to);
        text += " " + std::to_string(from) + "->" + std::to_string(to);
        links_json += (links_json.empty() ? "[" : ",[") + std::to_string(from) + "," + std::to_string(to) + "]";
      }
      ++counts_.clogs;
      open_fault("clog", "\"links\":[" + links_json + "]", text);
      break;
    }
  }
  return true;
}

std::uint64_t Simulation::Engine::pause_ticks() {
  return config_.swarm ? nemesis_rng_.between(1, config_.max_pause_ticks) : nemesis_rng_.between(20, 200);
}

bool Simulation::Engine::majority_would_be_lost() const {
  const std::size_t n = options_.nodes;
  return unavailable() >= (n - 1) / 2 + (n == 1 ? 1 : 0);
}

// Crashes, pauses and disk errors come and go on their own; at most a minority is unavailable.
std::optional<ScheduledFault> Simulation::Engine::decide_crash_fault(FaultKind kind) {
  const std::size_t n = options_.nodes;
  const std::uint64_t tick = options_.tick_us;
  if (majority_would_be_lost()) return std::nullopt;
  ScheduledFault fault;
  fault.kind = kind;
  switch (kind) {
    case FaultKind::Crash:
    case FaultKind::CrashLeader: {
      fault.kind = FaultKind::Crash;
      if (kind == FaultKind::Crash) {
        fault.node = static_cast<NodeId>(1 + nemesis_rng_.below(n));
      } else {
        const std::optional<NodeId> leader = cluster_.leader();
        if (!leader) return std::nullopt;
        fault.node = *leader;
      }
      fault.duration_us = tick * nemesis_rng_.between(20, 300);
      break;
    }
    case FaultKind::Pause:
      if (config_.max_pause_ticks == 0) return std::nullopt;
      fault.node = static_cast<NodeId>(1 + nemesis_rng_.below(n));
      fault.duration_us = tick * pause_ticks();
      break;
    case FaultKind::DiskFault:
      // A disk error at the next write or sync: the node stops, and recovers when it restarts.
      fault.node = static_cast<NodeId>(1 + nemesis_rng_.below(n));
      fault.disk_sync = nemesis_rng_.chance(0.5);
      fault.disk_no_space = nemesis_rng_.chance(0.5);
      break;
    default: return decide_crash_point();
  }
  return fault;
}

bool Simulation::Engine::apply_crash_fault(const ScheduledFault& fault) {
  if (fault.node < 1 || fault.node > options_.nodes || majority_would_be_lost()) return false;
  NodeState& node = nodes_[fault.node - 1];
  switch (fault.kind) {
    case FaultKind::Crash:
    case FaultKind::CrashLeader:
      if (node.down) return false;
      ++counts_.crashes;
      crash(fault.node, fault.duration_us);
      return true;
    case FaultKind::Pause:
      if (node.down || node.paused) return false;
      ++counts_.pauses;
      pause(fault.node);
      at(now_ + fault.duration_us, Kind::Resume, fault.node);
      return true;
    default: {
      wal::FaultyFileSystem* disk = cluster_.disk(fault.node);
      if (disk == nullptr || node.down) return false;
      const auto op = fault.disk_sync ? wal::FaultyFileSystem::Op::Sync : wal::FaultyFileSystem::Op::Append;
      const StorageError::Code code = fault.disk_no_space ? StorageError::Code::NoSpace : StorageError::Code::Io;
      disk->fail_next(op, code);
      ++counts_.disk_faults;
      trace_fault("disk-fault", "\"node\":" + std::to_string(fault.node) + ",\"op\":\"" +
                                    (fault.disk_sync ? "sync" : "append") + "\",\"code\":\"" +
                                    std::string(to_string(code)) + "\"");
      return true;
    }
  }
}

// One nemesis step: a fault kind drawn by the weights (SwarmConfig), now and then a quiet stretch.
void Simulation::Engine::nemesis_step() {
  if (faults_stopped_) return;
  if (options_.schedule != nullptr) return replay_faults();
  const std::uint64_t tick = options_.tick_us;
  const std::uint64_t wait = nemesis_rng_.between(config_.nemesis_min_ticks, config_.nemesis_max_ticks);
  if (config_.quiet_chance > 0 && nemesis_rng_.chance(config_.quiet_chance)) {
    // A quiet stretch of 5-30 s: the network heals and nothing new happens.
    ScheduledFault quiet;
    quiet.kind = FaultKind::Heal;
    quiet.quiet = true;
    perform(std::move(quiet));
    at_nemesis(now_ + tick * nemesis_rng_.between(500, 3000));
    return;
  }
  at_nemesis(now_ + tick * wait);
  std::uint64_t total = 0;
  for (std::uint32_t weight : config_.weights) total += weight;
  if (total == 0) return;
  std::uint64_t draw = nemesis_rng_.below(total);
  std::size_t k = 0;
  while (draw >= config_.weights[k]) draw -= config_.weights[k++];
  const auto kind = static_cast<FaultKind>(k);
  std::optional<ScheduledFault> fault;
  switch (kind) {
    case FaultKind::Membership:
      if (options_.nodes >= 2) churn_membership();
      return;
    case FaultKind::Transfer: fault = decide_transfer(); break;
    case FaultKind::Crash:
    case FaultKind::CrashLeader:
    case FaultKind::Pause:
    case FaultKind::DiskFault:
    case FaultKind::CrashPoint: fault = decide_crash_fault(kind); break;
    default: fault = decide_network_fault(kind); break;
  }
  if (!fault) return;
  const bool mid_membership = fault->kind == FaultKind::CrashPoint && fault->point == CrashPoint::MidMembership;
  if (perform(std::move(*fault)) && mid_membership && options_.faults == FaultProfile::All && options_.nodes >= 2) {
    // Changes come seconds apart and commit in milliseconds: ask for one now, so that there is a
    // change half done for the point to catch.
    churn_membership();
  }
}

}  // namespace raftio::sim
