// Properties over random schedules: RapidCheck generates sequences of ticks, deliveries in any
// order, drops, duplications, partitions, restarts and proposals on 3- and 5-node clusters, and
// (for async_storage nodes) writes completed one at a time, in any interleaving with the rest.
// The SafetyChecker checks Election Safety, Leader Append-Only, Log Matching, Leader Completeness
// and State Machine Safety after every single step. After the schedule the network heals, and
// then a leader must emerge and every acknowledged proposal must be applied on every node.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "raftio/sim/cluster.h"

namespace raftio::test {
namespace {

struct Op {
  enum Kind : int { Round, TickAll, TickOne, DeliverOldest, DeliverAny, Drop, Duplicate, Partition, Heal, Propose, Restart, CompleteWrite };
  Kind kind = TickAll;
  std::uint32_t a = 0;  // a node, a queue position or a partition mask, reduced modulo what exists
  std::uint32_t b = 0;
};

rc::Gen<Op> gen_op() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::weightedElement<Op::Kind>({{12, Op::Round},
                                                                    {16, Op::TickAll},
                                                                    {8, Op::TickOne},
                                                                    {22, Op::DeliverOldest},
                                                                    {12, Op::DeliverAny},
                                                                    {5, Op::Drop},
                                                                    {5, Op::Duplicate},
                                                                    {4, Op::Partition},
                                                                    {4, Op::Heal},
                                                                    {12, Op::Propose},
                                                                    {2, Op::Restart},
                                                                    {10, Op::CompleteWrite}})),
      rc::gen::set(&Op::a, rc::gen::inRange<std::uint32_t>(0, 1u << 16)),
      rc::gen::set(&Op::b, rc::gen::inRange<std::uint32_t>(1, 8)));
}

void apply_op(sim::Cluster& cluster, const Op& op, int& proposals) {
  auto& net = cluster.network();
  const auto node = static_cast<NodeId>(op.a % cluster.size() + 1);
  switch (op.kind) {
    case Op::Round:  // every node ticks, then everything in flight is delivered (or lost)
      cluster.tick_all();
      cluster.deliver_all();
      break;
    case Op::TickAll:
      cluster.tick_all();
      break;
    case Op::TickOne:
      cluster.tick(node);
      break;
    case Op::DeliverOldest:
      for (std::uint32_t i = 0; i < op.b && !net.empty(); ++i) cluster.deliver(0);
      break;
    case Op::DeliverAny:
      if (!net.empty()) cluster.deliver(op.a % net.pending());
      break;
    case Op::Drop:
      if (!net.empty()) net.drop(op.a % net.pending());
      break;
    case Op::Duplicate:
      if (!net.empty()) net.duplicate(op.a % net.pending());
      break;
    case Op::Partition: {
      // Bit i of the mask puts node i + 1 on one side; links across are cut both ways.
      net.heal();
      for (NodeId x : cluster.ids()) {
        for (NodeId y : cluster.ids()) {
          if (x != y && ((op.a >> (x - 1)) & 1u) != ((op.a >> (y - 1)) & 1u)) net.cut(x, y);
        }
      }
      break;
    }
    case Op::Heal:
      net.heal();
      break;
    case Op::Propose: {
      const NodeId target = cluster.leader().value_or(node);
      cluster.propose(target, Payload::copy_of("p" + std::to_string(proposals++)));
      break;
    }
    case Op::Restart:
      cluster.restart(node);
      break;
    case Op::CompleteWrite:  // async_storage nodes: the oldest write of one node finishes
      if (auto report = cluster.write_next(node)) cluster.step(node, std::move(*report));
      break;
  }
}

// After healing, within this many rounds (a tick of every node, then every message delivered) a
// leader exists and all acknowledged writes are everywhere. Generous: pre-vote and check-quorum
// may need a few election timeouts (10-20 ticks each) to settle after a partition.
constexpr int kLivenessRounds = 300;

void check_schedule(std::size_t nodes, const std::vector<Op>& ops, sim::Storage storage = sim::Storage::Memory,
                    std::uint64_t async_nodes = 0) {
  sim::Cluster cluster(sim::ClusterOptions{.nodes = nodes,
                                           .storage = storage,
                                           .seed = *rc::gen::inRange<std::uint64_t>(1, 1000),
                                           .async_storage = async_nodes});
  int proposals = 0;
  for (const Op& op : ops) {
    apply_op(cluster, op, proposals);
    if (!cluster.checker().ok()) RC_FAIL(cluster.checker().report());
  }
  cluster.network().heal();
  int rounds = 0;
  std::uint64_t marker = 0;  // the id of a proposal made after healing (0: none yet)
  for (; rounds < kLivenessRounds; ++rounds) {
    cluster.tick_all();
    cluster.deliver_all();
    cluster.complete_all_writes();
    cluster.deliver_all();
    RC_ASSERT(cluster.checker().ok());
    const auto leader = cluster.leader();
    if (!leader) continue;
    if (marker == 0) marker = cluster.propose(*leader, Payload::copy_of("marker")).value_or(0);
    bool settled = marker != 0 && cluster.missing_acknowledged().empty();
    for (const auto& p : cluster.proposals()) {
      if (p.id != marker) continue;
      if (p.outcome != sim::ClientProposal::Outcome::Acknowledged) settled = false;
      if (p.outcome == sim::ClientProposal::Outcome::Failed) marker = 0;  // lost to an election: retry
    }
    if (settled) break;
  }
  RC_ASSERT(cluster.leader().has_value());
  RC_ASSERT(rounds < kLivenessRounds);
  RC_ASSERT(cluster.missing_acknowledged().empty());
  std::size_t acknowledged = 0;
  for (const auto& p : cluster.proposals()) acknowledged += p.outcome == sim::ClientProposal::Outcome::Acknowledged;
  RC_CLASSIFY(cluster.leader_changes() > 4 * nodes, "many leader changes");
  RC_CLASSIFY(acknowledged > 10, "over 10 writes acknowledged");
  RC_CLASSIFY(rounds > 30, "slow to settle");
}

// Schedules of up to a few hundred operations: long enough for several election timeouts,
// partitions and restarts before the network heals.
rc::Gen<std::vector<Op>> gen_schedule(int max_length) {
  return rc::gen::scale(max_length / 100.0, rc::gen::container<std::vector<Op>>(gen_op()));
}

RC_GTEST_PROP(Properties, SafetyAndLivenessOnThreeNodes, ()) { check_schedule(3, *gen_schedule(300)); }

RC_GTEST_PROP(Properties, SafetyAndLivenessOnFiveNodes, ()) { check_schedule(5, *gen_schedule(300)); }

RC_GTEST_PROP(Properties, SafetyAndLivenessOnLongSchedulesOfFiveNodes, ()) { check_schedule(5, *gen_schedule(1500)); }

// The same on WalLogs over fault-injecting disks: every restart is a crash.
RC_GTEST_PROP(Properties, SafetyAndLivenessOnThreeNodesWithWalAndCrashes, ()) {
  check_schedule(3, *gen_schedule(300), sim::Storage::Wal);
}

// Clusters mixing synchronous and async_storage nodes (which nodes: drawn), on crashing disks.
RC_GTEST_PROP(Properties, SafetyAndLivenessWithAsyncStorageAndCrashes, ()) {
  const auto async_nodes = *rc::gen::element<std::uint64_t>(1, 2, 3, 4, 5, 6, 7);  // uniform, unlike inRange
  RC_CLASSIFY(async_nodes == 7, "every node async");
  check_schedule(3, *gen_schedule(300), sim::Storage::Wal, async_nodes);
}

RC_GTEST_PROP(Properties, SafetyAndLivenessWithAsyncStorageOnFiveNodes, ()) {
  const auto async_nodes = *rc::gen::element<std::uint64_t>(0b00001, 0b00110, 0b10101, 0b01011, 0b11110, 0b11111);
  RC_CLASSIFY(async_nodes == 0b11111, "every node async");
  check_schedule(5, *gen_schedule(300), sim::Storage::Memory, async_nodes);
}

}  // namespace
}  // namespace raftio::test
