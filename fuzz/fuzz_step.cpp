// Fuzz target: the fuzzer's bytes become a schedule of events for a 3-node cluster: ticks,
// deliveries in any order, drops, duplications, partitions, restarts, proposals, reads,
// leadership transfers, snapshots and membership changes (to any id, valid or not). The first
// byte picks a mode:
//   - schedule mode: the safety checker runs after every step, and any violation is a finding;
//   - forgery mode: messages decoded from fuzzer-chosen frames are also delivered. Raft does not
//     survive Byzantine peers, so only crash-freedom and each node's local invariants are
//     checked (commit <= last, applied <= commit, durable <= last, no storage failure).
// Crashes and sanitizer reports are findings in both modes.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>

#include "fuzz_common.h"
#include "raftio/sim/cluster.h"

namespace {

void check_local_invariants(const raftio::sim::Cluster& cluster) {
  for (raftio::NodeId id : cluster.ids()) {
    const raftio::RaftNode& node = cluster.node(id);
    RAFTIO_FUZZ_CHECK(node.commit_index() <= node.last_index());
    RAFTIO_FUZZ_CHECK(node.applied_index() <= node.commit_index());
    RAFTIO_FUZZ_CHECK(node.durable_index() <= node.last_index());
    RAFTIO_FUZZ_CHECK(!node.storage_error().has_value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace raftio;
  FuzzedDataProvider provider(data, size);
  const bool forgery = provider.ConsumeBool();
  sim::Cluster cluster(sim::ClusterOptions{.nodes = 3,
                                           .seed = provider.ConsumeIntegral<std::uint8_t>(),
                                           .pre_vote = provider.ConsumeBool(),
                                           .check_quorum = provider.ConsumeBool(),
                                           .check_safety = !forgery,
                                           .trace = false});
  auto& net = cluster.network();
  for (int op = 0; op < 2000 && provider.remaining_bytes() > 0; ++op) {
    const NodeId node = provider.ConsumeIntegralInRange<NodeId>(1, 3);
    switch (provider.ConsumeIntegralInRange(0, forgery ? 15 : 14)) {
      case 0:
      case 1: cluster.tick_all(); break;
      case 2: cluster.tick(node); break;
      case 3:
      case 4:
        if (!net.empty()) cluster.deliver(provider.ConsumeIntegralInRange<std::size_t>(0, net.pending() - 1));
        break;
      case 5: cluster.deliver_all(64); break;
      case 6:
        if (!net.empty()) net.drop(provider.ConsumeIntegralInRange<std::size_t>(0, net.pending() - 1));
        break;
      case 7:
        if (!net.empty()) net.duplicate(provider.ConsumeIntegralInRange<std::size_t>(0, net.pending() - 1));
        break;
      case 8: provider.ConsumeBool() ? net.heal() : net.isolate(node, cluster.ids()); break;
      case 9: cluster.propose(cluster.leader().value_or(node), Payload::copy_of(provider.ConsumeRandomLengthString(32))); break;
      case 10: cluster.restart(node); break;
      case 11: cluster.step(node, ReadIndex{provider.ConsumeIntegral<std::uint8_t>()}); break;
      case 12: cluster.step(cluster.leader().value_or(node), TransferLeadership{provider.ConsumeIntegralInRange<NodeId>(0, 4)}); break;
      case 13: {
        // The application snapshots at (or, hostile, beyond) what it applied.
        const Index applied = cluster.node(node).applied_index();
        cluster.step(node, SnapshotTaken{applied + provider.ConsumeIntegralInRange<Index>(0, 1), Payload::copy_of("state")});
        break;
      }
      case 14: {
        const auto change = static_cast<MembershipChange>(provider.ConsumeIntegralInRange(0, 2));
        cluster.step(cluster.leader().value_or(node), ChangeMembership{change, provider.ConsumeIntegralInRange<NodeId>(0, 4), 0});
        break;
      }
      case 15: {
        const auto frame = provider.ConsumeBytes<std::uint8_t>(provider.ConsumeIntegralInRange<std::size_t>(0, 256));
        auto decoded = wire::decode(raftio::fuzz::resealed(raftio::fuzz::as_bytes(frame.data(), frame.size())));
        if (decoded.ok()) cluster.step(node, Receive{std::move(decoded.value())});
        break;
      }
    }
    if (!cluster.checker().ok()) {
      std::fprintf(stderr, "%s", cluster.checker().report().c_str());
      __builtin_trap();
    }
    check_local_invariants(cluster);
  }
  return 0;
}
