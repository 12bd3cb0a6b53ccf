// The end of a run: liveness, durability and linearizability checks, and the report.
#include <algorithm>
#include <cstdio>

#include "sim_engine.h"

namespace raftio::sim {

namespace {

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace

void Simulation::Engine::finish(SimReport& report) {
  report.options = options_;
  report.options.trace = nullptr;
  report.config = config_;
  report.client_requests = client_requests_;
  report.client_messages_lost = client_messages_lost_;
  report.virtual_us = now_;
  report.steps = steps_;
  report.delivered = network_.stats().delivered;
  report.messages_sent = network_.stats().sent;
  report.messages_lost = network_.stats().lost;
  report.faults = counts_;
  report.elections = leaders_by_term_.size();
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    report.max_term = std::max(report.max_term, cluster_.node(id).term());
    report.max_commit = std::max(report.max_commit, cluster_.node(id).commit_index());
  }
  report.violations = cluster_.checker().violations();
  auto violation = [&report, this](std::string property, std::vector<NodeId> nodes, std::string detail) {
    if (report.violations.empty() && first_violation_step_ == 0) {
      first_violation_step_ = steps_;
      first_violation_us_ = now_;
      frozen_last_events_.assign(last_events_.begin(), last_events_.end());
      freeze_sequence("violation: " + property);
    }
    report.violations.push_back(Violation{std::move(property), std::move(nodes), std::move(detail)});
  };

  // Liveness: kLivenessTicks after the faults stopped, one leader that every member of its
  // configuration follows (nodes the membership churn removed are idle by design), and no
  // operation still waiting or given up after the cluster healed.
  const std::optional<NodeId> leader = cluster_.leader();
  const Membership members = leader ? cluster_.node(*leader).membership() : Membership{};
  if (!leader) {
    violation("Liveness", {}, "no leader " + std::to_string(kLivenessTicks) + " ticks after the faults stopped");
  } else {
    for (NodeId id = 1; id <= options_.nodes; ++id) {
      if (!members.contains(id)) continue;
      if (cluster_.node(id).leader() != *leader || cluster_.node(id).term() != cluster_.node(*leader).term()) {
        violation("Liveness", {id, *leader},
                  "node " + std::to_string(id) + " does not follow leader " + std::to_string(*leader) + " at the end");
        break;
      }
    }
  }
  const std::uint64_t settled = faults_stop_time_ + kLivenessTicks / 4 * options_.tick_us;
  report.read_index_gets = read_index_gets_;
  report.snapshots_taken = snapshots_taken_;
  report.snapshots_restored = snapshots_restored_;
  report.persists = persists_;
  report.persists_lost = persists_lost_;
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    if (cluster_.async_storage(id)) ++report.async_nodes;
  }
  for (const KvOperation& op : history_) {
    ++report.ops_invoked;
    if (op.complete_time) {
      ++report.ops_completed;
      continue;
    }
    ++report.ops_unknown;
    if (op.invoke_time >= settled) {
      violation("Liveness", {}, "client " + std::to_string(op.client) + "'s operation on " + op.key + " invoked at " +
                                    std::to_string(op.invoke_time / 1000) + " ms, after the faults stopped, never completed");
    }
  }
  for (const Client& client : clients_) {
    if (client.op) trace_client("unknown", *client.op);  // the run ended while it waited
    if (client.op && history_[*client.op].invoke_time < settled) {
      violation("Liveness", {}, "client " + std::to_string(client.id) + " still waits at the end of the run");
    }
  }
  // Durability: every acknowledged write is applied, with its payload, on every member.
  if (const std::string missing = cluster_.missing_acknowledged(leader ? &members : nullptr); !missing.empty()) {
    violation("Durability", {}, missing);
  }
  report.linearizability = check_linearizable(history_);
  if (!report.linearizability.linearizable) {
    // The explanation lists every operation on the key; a hot key can have thousands.
    std::string explanation = report.linearizability.explanation;
    std::size_t lines = 0;
    for (std::size_t at = 0; at < explanation.size(); ++at) {
      if (explanation[at] == '\n' && ++lines == 60) {
        explanation = explanation.substr(0, at) + "\n  ... (" +
                      std::to_string(std::count(explanation.begin() + static_cast<std::ptrdiff_t>(at), explanation.end(), '\n')) +
                      " more lines)";
        break;
      }
    }
    violation("Linearizability", {}, explanation);
  }
  report.first_violation_step = first_violation_step_;
  report.first_violation_us = first_violation_us_;
  report.last_events = frozen_last_events_;
  report.trace_hash = trace_hash_;
  report.schedule.options = report.options;
  report.schedule.options.schedule = nullptr;
  report.schedule.faults = std::move(applied_faults_);
  report.schedule.client_ops = std::move(invoked_ops_);
  report.invoke_us = std::move(invoke_us_);
  if (!report.violations.empty()) report.schedule.property = report.violations.front().property;
  if (options_.timeline) {
    for (NodeId id = 1; id <= options_.nodes; ++id) {
      const NodeState& node = nodes_[id - 1];
      if (now_ > node.role_since) timeline_.roles.push_back({id, node.role, node.term, node.role_since, now_});
    }
    if (open_fault_) timeline_.faults.push_back(Timeline::Fault{open_fault_->start, now_, open_fault_->description});
    // The first violation at the time it was found (end-of-run checks find theirs at the end).
    for (std::size_t i = 0; i < report.violations.size(); ++i) {
      timeline_.markers.push_back({i == 0 && timeline_.focus ? *timeline_.focus : now_, "violation: " + report.violations[i].property});
    }
    finish_sequence();
  }
}

std::string command_line(const SimOptions& o) {
  return "raftio-sim --seed " + std::to_string(o.seed) + " --nodes " + std::to_string(o.nodes) + " --ticks " +
         std::to_string(o.ticks) + (o.swarm ? "" : " --swarm off") +
         (o.clients != SimOptions{}.clients ? " --clients " + std::to_string(o.clients) : "") + " --faults " +
         std::string(to_string(o.faults)) + " --storage " + (o.storage == Storage::Wal ? "wal" : "mem") +
         " --storage-mode " + std::string(to_string(o.storage_mode)) +
         (o.snapshot_every != SimOptions{}.snapshot_every ? " --snapshot-every " + std::to_string(o.snapshot_every) : "") +
         (o.planted_bug != PlantedBug::None ? " --plant-bug " + std::string(to_string(o.planted_bug)) : "");
}

std::string format_report(const SimReport& r) {
  const SimOptions& o = r.options;
  std::string out = "raftio-sim seed=" + std::to_string(o.seed) + " nodes=" + std::to_string(o.nodes) +
                    " ticks=" + std::to_string(o.ticks) + " faults=" + std::string(to_string(o.faults)) +
                    " storage=" + (o.storage == Storage::Wal ? "wal" : "mem") + " " +
                    std::string(to_string(o.storage_mode)) + (o.swarm ? " swarm" : "") + "\n";
  {
    const std::string drawn = r.config.describe();
    const std::size_t split = drawn.find('\n');
    out += std::string(o.swarm ? "  swarm drew          " : "  fixed profile       ") + drawn.substr(0, split) + "\n";
    out += "                      " + drawn.substr(split + 1) + "\n";
  }
  out += "  virtual time        " + fixed(static_cast<double>(r.virtual_us) / 1e6, 1) + " s\n";
  out += "  elections           " + std::to_string(r.elections) + " (highest term " + std::to_string(r.max_term) + ")\n";
  out += "  committed           " + std::to_string(r.max_commit) + " entries\n";
  out += "  messages            " + std::to_string(r.messages_sent) + " sent, " + std::to_string(r.delivered) +
         " delivered, " + std::to_string(r.messages_lost) + " lost\n";
  const FaultCounts& f = r.faults;
  out += "  faults injected     " + std::to_string(f.total()) + ": " + std::to_string(f.partitions) + " partitions, " +
         std::to_string(f.leader_isolations) + " leader isolations, " + std::to_string(f.bridges) + " bridges, " +
         std::to_string(f.one_way) + " one-way cuts, " + std::to_string(f.loss_bursts) + " loss bursts, " +
         std::to_string(f.duplication_bursts) + " duplication bursts, " + std::to_string(f.clogs) + " clogged links, " +
         std::to_string(f.crashes) + " crashes, " + std::to_string(f.pauses) + " pauses, " +
         std::to_string(f.disk_faults) + " disk errors, " + std::to_string(f.transfers) + " leadership transfers, " +
         std::to_string(f.membership_changes) + " membership changes, " + std::to_string(f.crash_points_fired()) +
         " crash points; " + std::to_string(f.heals) + " heals\n";
  if (f.crash_points_armed > 0) {
    out += "  crash points        " + std::to_string(f.crash_points_armed) + " armed, fired:";
    for (std::size_t p = 0; p < kCrashPoints; ++p) {
      out += " " + std::string(to_string(static_cast<CrashPoint>(p))) + " " + std::to_string(f.crash_points[p]);
    }
    out += "\n";
  }
  out += "  snapshots           " + std::to_string(r.snapshots_taken) + " taken, " +
         std::to_string(r.snapshots_restored) + " restored (installed from the leader or at restart)\n";
  if (r.async_nodes > 0) {
    out += "  async storage       " + std::to_string(r.async_nodes) + " of " + std::to_string(o.nodes) + " nodes; " +
           std::to_string(r.persists) + " writes completed, " + std::to_string(r.persists_lost) +
           " lost in crashes\n";
  }
  out += "  client operations   " + std::to_string(r.ops_invoked) + " invoked, " + std::to_string(r.ops_completed) +
         " completed, " + std::to_string(r.ops_unknown) + " with unknown outcome (" +
         std::to_string(r.read_index_gets) + " gets through ReadIndex); " + std::to_string(r.client_requests) +
         " requests sent, " + std::to_string(r.client_messages_lost) + " requests or answers lost\n";
  out += "  linearizability     " +
         std::string(r.linearizability.linearizable ? "linearizable" : "NOT linearizable") + " (" +
         std::to_string(r.linearizability.keys) + " keys, " + std::to_string(r.linearizability.operations) +
         " operations, " + std::to_string(r.linearizability.states_explored) + " states explored" +
         (r.linearizability.inconclusive_keys ? ", " + std::to_string(r.linearizability.inconclusive_keys) + " keys inconclusive" : "") + ")\n";
  out += "  speed               " + std::to_string(r.steps) + " events in " + fixed(r.wall_seconds, 3) + " s = " +
         fixed(r.events_per_second(), 0) + " events/s\n";
  out += "  safety              " + std::string(r.ok() ? "all properties held" : "VIOLATED") + "\n";
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(r.trace_hash));
  out += "  trace hash          " + std::string(hash) + "\n";
  if (!r.ok()) {
    out += "\nVIOLATION";
    for (const Violation& v : r.violations) {
      out += "\n  " + v.property + " (nodes";
      for (NodeId n : v.nodes) out += " " + std::to_string(n);
      out += "): " + v.detail;
    }
    if (!r.last_events.empty()) {
      out += "\n\nlast events before step " + std::to_string(r.first_violation_step) + ":\n";
      for (const std::string& line : r.last_events) out += "  " + line + "\n";
    }
    out += "\nreplay: " + command_line(o) + "\n";
  }
  return out;
}

}  // namespace raftio::sim
