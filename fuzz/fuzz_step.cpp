// Fuzz target: the fuzzer's bytes become a schedule of events for a 3-node cluster: ticks,
// deliveries in any order, drops, duplications, partitions, restarts, proposals, reads,
// leadership transfers, snapshots and membership changes (to any id, valid or not). The first
// value consumed (FuzzedDataProvider takes integers from the end: the input's last byte) picks a
// mode (bit 0) and options (bits 1-2):
//   - schedule mode: the safety checker runs after every step, and any violation is a finding;
//     so is a leader's match index for a follower moving backwards within its term (Figure 2:
//     matchIndex only increases; restarts here keep every acknowledged entry);
//   - forgery mode: messages decoded from fuzzer-chosen frames are also delivered, and so are
//     forged messages built field by field from extreme values (terms, indexes, offsets and
//     lengths at 0, 1, near 2^62, 2^63 and 2^64) with a plausible sender and term, so that they
//     reach every handler, snapshot chunks included (some as a leader would send them, with only
//     the declared snapshot size extreme, so that chunks get assembled). Raft does not survive
//     Byzantine peers, so only crash-freedom and each node's local invariants are checked
//     (commit <= last, applied <= commit, durable <= last, no storage failure, a term that
//     leaves room to campaign (no forged term may exhaust the term space), and an unfinished
//     snapshot that holds at most max_snapshot_bytes whatever the chunks claim).
//   - bit 1: the application keeps its state machine across restarts (RaftConfig::applied), and
//     the checker requires that nothing at or below it is applied again;
//   - bit 2: nodes keep their logs in a WalLog on a simulated disk, so a restart is a crash that
//     loses what was not synced (a commit index that only moved, for one).
// Crashes and sanitizer reports are findings in every mode. To see what a finding did, replay it
// with RAFTIO_FUZZ_VERBOSE=1: every operation and every event and action of the cluster is printed.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

#include "fuzz_common.h"
#include "raftio/sim/cluster.h"

namespace {

using namespace raftio;

constexpr std::uint64_t kMaxSnapshotBytes = 4096;

void check_local_invariants(const sim::Cluster& cluster) {
  for (NodeId id : cluster.ids()) {
    const RaftNode& node = cluster.node(id);
    RAFTIO_FUZZ_CHECK(node.commit_index() <= node.last_index());
    RAFTIO_FUZZ_CHECK(node.applied_index() <= node.commit_index());
    RAFTIO_FUZZ_CHECK(node.durable_index() <= node.last_index());
    RAFTIO_FUZZ_CHECK(!node.storage_error().has_value());
    // A run has at most a few thousand steps: a term this close to the end of the term space can
    // only come from a forged term that was adopted, and would leave the cluster unable to elect.
    RAFTIO_FUZZ_CHECK(node.term() < std::numeric_limits<Term>::max() - (Term{1} << 32));
    RAFTIO_FUZZ_CHECK(node.incoming_snapshot_bytes() <= kMaxSnapshotBytes);
  }
}

// Figure 2: a leader's matchIndex for a follower only increases (within its term, while the
// follower stays a member: one removed and added again starts over).
class MatchMonotonicity {
 public:
  void check(const sim::Cluster& cluster) {
    std::map<std::tuple<NodeId, Term, NodeId>, Index> now;
    for (NodeId id : cluster.ids()) {
      const RaftNode& node = cluster.node(id);
      for (const FollowerProgress& peer : node.progress()) {
        const auto key = std::make_tuple(id, node.term(), peer.id);
        const auto before = match_.find(key);
        if (before != match_.end()) RAFTIO_FUZZ_CHECK(peer.match >= before->second);
        now[key] = peer.match;
      }
    }
    match_ = std::move(now);
  }

 private:
  std::map<std::tuple<NodeId, Term, NodeId>, Index> match_;
};

// Values that break arithmetic: the ends of the range, the bounds raftio documents, and values
// next to what the node holds now.
std::uint64_t extreme(FuzzedDataProvider& provider, std::uint64_t near) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  switch (provider.ConsumeIntegralInRange(0, 12)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return near;
    case 3: return near + 1;
    case 4: return near - 1;
    case 5: return std::uint64_t{1} << 62;
    case 6: return (std::uint64_t{1} << 62) + 1;
    case 7: return std::uint64_t{1} << 63;
    case 8: return kMax - 1;
    case 9: return kMax;
    case 10: return kMax - (std::uint64_t{1} << 32);
    case 11: return near + provider.ConsumeIntegralInRange<std::uint64_t>(2, 64);
    default: return provider.ConsumeIntegral<std::uint64_t>();
  }
}

// A message of any kind to `to`, from a sender that usually passes the node's first checks (its
// leader, a member) with a term near its own, and numeric fields drawn from extreme().
// `previous` is the last InstallSnapshot forged for this node: a forger that follows along sends
// the next chunk of the same snapshot, so chunks add up the way a leader's do.
Message forge_extreme(FuzzedDataProvider& provider, const RaftNode& node, std::optional<InstallSnapshot>& previous) {
  const NodeId to = node.id();
  // Usually another member (a quarter of the time the node's leader, when it knows one), and any
  // id (0, itself, a non-member) a quarter of the time: the prelude drops a message from 0 or from
  // the node itself unread, and with every sender drawn from 0..4 that was two forged messages in
  // five, so too few reached their handler.
  NodeId from = static_cast<NodeId>(1 + (to + provider.ConsumeIntegralInRange<NodeId>(0, 1)) % 3);
  switch (provider.ConsumeIntegralInRange(0, 3)) {
    case 0:
      if (node.leader() != kNoNode && node.leader() != to) from = node.leader();
      break;
    case 1: from = provider.ConsumeIntegralInRange<NodeId>(0, 4); break;
    default: break;
  }
  const Term term = provider.ConsumeBool() ? node.term() : extreme(provider, node.term());
  const auto index = [&] { return extreme(provider, node.last_index()); };
  const auto a_term = [&] { return provider.ConsumeBool() ? term : extreme(provider, node.term()); };
  switch (provider.ConsumeIntegralInRange(0, 10)) {
    case 0: return RequestVote{from, to, term, index(), a_term(), provider.ConsumeBool()};
    case 1: return RequestVoteReply{from, to, term, provider.ConsumeBool()};
    case 2: return PreVote{from, to, term, index(), a_term()};
    case 3: return PreVoteReply{from, to, a_term(), provider.ConsumeBool(), term};
    case 4: {
      const Index prev = index();
      std::vector<LogEntry> entries;
      const int count = provider.ConsumeIntegralInRange(0, 3);
      Term entry_term = provider.ConsumeBool() ? term : a_term();
      for (int k = 0; k < count; ++k) {
        entries.push_back(LogEntry{entry_term, prev + 1 + static_cast<Index>(k), EntryKind::Normal, Payload::copy_of("forged")});
      }
      return AppendEntries{from, to, term, prev, a_term(), index(), EntryBatch(entries), extreme(provider, 0)};
    }
    case 5:
      return AppendEntriesReply{from, to, term, provider.ConsumeBool(), index(), index(), index(), a_term(),
                                extreme(provider, 0)};
    case 6: {
      Membership members;
      members.voters = {1, 2, 3};
      if (provider.ConsumeBool()) members.voters = {provider.ConsumeIntegralInRange<NodeId>(0, 5)};
      const SnapshotMeta meta{index(), a_term(), members};
      // Bytes from the input, or a large chunk of one repeated byte: an input of a few KiB must be
      // able to push a partial snapshot past max_snapshot_bytes.
      auto bytes = provider.ConsumeBytes<std::uint8_t>(provider.ConsumeIntegralInRange<std::size_t>(0, 64));
      if (provider.ConsumeBool()) {
        bytes.assign(provider.ConsumeIntegralInRange<std::size_t>(0, 2 * kMaxSnapshotBytes), provider.ConsumeIntegral<std::uint8_t>());
      }
      const Payload chunk = Payload::copy_of(bytes.data(), bytes.size());
      if (provider.ConsumeBool()) {
        // The first chunk of a snapshot as a leader would send it: from a plausible sender in the
        // node's term, just past its commit index, with a size and done flag that agree with the
        // chunk. Only the declared size is extreme, so a snapshot larger than the bound (or one
        // whose chunks would add up past it) reaches the assembly. Built field by field from
        // extreme values, a chunk passes every check at once too rarely to be assembled at all.
        constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
        const Term leader_term = std::max<Term>(node.term(), 1);
        const Index past_commit = node.commit_index() + 1 + provider.ConsumeIntegralInRange<Index>(0, 8);
        const SnapshotMeta leader_meta{past_commit, leader_term, members};
        const std::uint64_t total = chunk.size() + std::min(extreme(provider, 0), kMax - chunk.size());
        const std::uint64_t checksum =
            provider.ConsumeBool() ? snapshot_checksum(chunk.bytes()) : extreme(provider, 0);
        const bool done = chunk.size() == total;
        previous = InstallSnapshot{from, to, leader_term, leader_meta, 0, chunk, done, total, checksum};
        return *previous;
      }
      if (previous && provider.ConsumeBool()) {
        InstallSnapshot next = *previous;
        next.offset = node.incoming_snapshot_bytes();
        next.chunk = chunk;
        next.done = provider.ConsumeBool();
        previous = next;
        return next;
      }
      // At 0, where the partial snapshot ends (a forger that follows along), or anywhere.
      const std::uint64_t offset = provider.ConsumeBool() ? node.incoming_snapshot_bytes() : extreme(provider, 0);
      // Usually a size and checksum that fit the chunk, so that forged chunks get assembled.
      const std::uint64_t total = provider.ConsumeBool() ? offset + chunk.size() : extreme(provider, chunk.size());
      const std::uint64_t checksum = provider.ConsumeBool() ? snapshot_checksum(chunk.bytes()) : extreme(provider, 0);
      previous = InstallSnapshot{from, to, term, meta, offset, chunk, provider.ConsumeBool(), total, checksum};
      return *previous;
    }
    case 7: return InstallSnapshotReply{from, to, term, index(), extreme(provider, 0), provider.ConsumeBool()};
    case 8: return TimeoutNow{from, to, term};
    case 9: return ReadIndexRequest{from, to, term, extreme(provider, 0)};
    default: return ReadIndexReply{from, to, term, extreme(provider, 0), index(), provider.ConsumeBool()};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const auto mode = provider.ConsumeIntegral<std::uint8_t>();
  const bool forgery = (mode & 1) != 0;
  static const bool verbose = std::getenv("RAFTIO_FUZZ_VERBOSE") != nullptr;
  sim::Cluster cluster(sim::ClusterOptions{.nodes = 3,
                                           .storage = (mode & 4) != 0 ? sim::Storage::Wal : sim::Storage::Memory,
                                           .seed = provider.ConsumeIntegral<std::uint8_t>(),
                                           .pre_vote = provider.ConsumeBool(),
                                           .check_quorum = provider.ConsumeBool(),
                                           .check_safety = !forgery,
                                           .max_snapshot_bytes = kMaxSnapshotBytes,
                                           .trace = verbose,
                                           .durable_state_machine = (mode & 2) != 0,
                                           .record_applied = !forgery,
                                           .trace_sink = verbose ? [](NodeId id, const std::string& line) {
                                             std::fprintf(stderr, "  node %llu: %s\n", static_cast<unsigned long long>(id), line.c_str());
                                           } : std::function<void(NodeId, const std::string&)>()});
  auto& net = cluster.network();
  MatchMonotonicity match;
  std::map<NodeId, std::optional<InstallSnapshot>> forged_snapshots;
  for (int op = 0; op < 2000 && provider.remaining_bytes() > 0; ++op) {
    const NodeId node = provider.ConsumeIntegralInRange<NodeId>(1, 3);
    const int what = provider.ConsumeIntegralInRange(0, forgery ? 17 : 14);
    if (verbose) std::fprintf(stderr, "op %d: %d on node %llu (network: %zu pending)\n", op, what, static_cast<unsigned long long>(node), net.pending());
    switch (what) {
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
      case 16:
      case 17: cluster.step(node, Receive{forge_extreme(provider, cluster.node(node), forged_snapshots[node])}); break;
    }
    if (!cluster.checker().ok()) {
      std::fprintf(stderr, "%s", cluster.checker().report().c_str());
      __builtin_trap();
    }
    check_local_invariants(cluster);
    if (!forgery) match.check(cluster);
  }
  return 0;
}
