// Trust boundaries of the core: a forged or absurd value from the network never crashes a node,
// never stalls a cluster for good, and never makes the node break a promise it documented
// (docs/PROTOCOL.md, "Bounds on what the network can make a node do"). Each test pins one defect
// found by a distrustful user (issue #11, items 1-5 and the core half of item 8); fuzz_step's
// forgery mode finds the same defects by itself.
#include <gtest/gtest.h>

#include <limits>

#include "support/harness.h"

namespace raftio::test {
namespace {

constexpr Term kLastTerm = std::numeric_limits<Term>::max();
constexpr Index kLastIndex = std::numeric_limits<Index>::max();

// --- 1. Term exhaustion ----------------------------------------------------------------------

// A heartbeat two terms short of the end of the term space would leave room for one campaign;
// adopted, it would leave the cluster leaderless forever.
TEST(TrustBoundaries, TermNearTheEndOfTheTermSpaceIsNotAdopted) {
  for (Term forged : {kLastTerm, kLastTerm - 1, kLastTerm - 2, kLastTerm - (Term{1} << 32), kMaxFreeTerm + kMaxTermStep + 1}) {
    NodeHarness h(1, {1, 2, 3});
    h.follow(2, 3);
    h.receive(AppendEntries{2, 1, forged, 0, 0, 0, {}});
    EXPECT_EQ(h.node().term(), 3u) << forged;
    // The node still campaigns in term 4 once the real leader goes quiet.
    h.tick(40);
    EXPECT_EQ(h.node().role(), Role::PreCandidate) << forged;
  }
}

// Below kMaxFreeTerm every term is adopted as §5.1 says; above it only in steps of at most
// kMaxTermStep, so walking a cluster to the end of the term space takes ~2^43 forged messages.
TEST(TrustBoundaries, TermsPastTheFreeRangeAreAdoptedOnlyInSmallSteps) {
  NodeHarness h(1, {1, 2, 3});
  h.receive(AppendEntries{2, 1, kMaxFreeTerm - 1, 0, 0, 0, {}});
  EXPECT_EQ(h.node().term(), kMaxFreeTerm - 1);
  h.receive(AppendEntries{2, 1, kMaxFreeTerm - 1 + kMaxTermStep, 0, 0, 0, {}});
  EXPECT_EQ(h.node().term(), kMaxFreeTerm - 1 + kMaxTermStep);
  const Term now = h.node().term();
  h.receive(AppendEntries{2, 1, now + kMaxTermStep + 1, 0, 0, 0, {}});
  EXPECT_EQ(h.node().term(), now) << "a step larger than kMaxTermStep past the free range";
  // (A transfer campaign, so the voter's leader lease does not hide it.)
  h.receive(RequestVote{3, 1, now + 1, 0, 0, true});
  EXPECT_EQ(h.node().term(), now + 1) << "an ordinary campaign past the free range is still heard";
}

// Every node of a cluster got a forged heartbeat at 2^64-2: the cluster still elects a leader and
// commits (before the fix it stayed leaderless forever, restarts included).
TEST(TrustBoundaries, ClusterElectsAfterEveryNodeSawAForgedTermAtTheEnd) {
  for (bool pre_vote : {true, false}) {
    sim::Cluster cluster(sim::ClusterOptions{.nodes = 3, .seed = 5, .pre_vote = pre_vote});
    for (NodeId id : cluster.ids()) {
      cluster.step(id, Receive{AppendEntries{id % 3 + 1, id, kLastTerm - 1, 0, 0, 0, {}}});
    }
    const NodeId leader = elect_leader(cluster);
    ASSERT_NE(leader, kNoNode) << "pre_vote " << pre_vote;
    EXPECT_LT(cluster.node(leader).term(), 100u);
    ASSERT_TRUE(cluster.propose(leader, Payload::copy_of("after")));
    for (int i = 0; i < 20; ++i) {
      cluster.tick_all();
      cluster.deliver_all();
    }
    EXPECT_TRUE(cluster.missing_acknowledged().empty()) << cluster.missing_acknowledged();
    EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
  }
}

// A node that already holds the last term (a log written before this rule existed) stays a
// follower rather than campaign in a term that wraps to 0: a term never goes backwards.
TEST(TrustBoundaries, TermNeverWrapsOnACampaign) {
  for (bool pre_vote : {true, false}) {
    NodeHarness h(1, {1, 2, 3}, [&](RaftConfig::Builder& b) { b.pre_vote(pre_vote); },
                  log_with({}, HardState{kLastTerm, kNoNode, 0}));
    const auto actions = h.tick(60);
    EXPECT_EQ(h.node().term(), kLastTerm);
    for (const Message& m : all_sent(actions)) EXPECT_EQ(term_of(m), kLastTerm) << describe(m);
    EXPECT_TRUE(sent<RequestVote>(actions).empty());
  }
}

// --- 2. Indexes past the log limit ------------------------------------------------------------

// An InstallSnapshot from the current leader whose metadata says index 2^64-1 crashed the follower
// (the entry store's first index wrapped during compaction: a use after free under ASan).
TEST(TrustBoundaries, InstallSnapshotAtAnAbsurdIndexIsDropped) {
  for (Index absurd : {kLastIndex, kLastIndex - 1, kMaxLogIndex + 1, Index{1} << 63}) {
    NodeHarness h(2, {1, 2, 3});
    h.follow(1, 3);
    const Payload data = Payload::copy_of("state");
    const auto actions = h.receive(InstallSnapshot{1, 2, 3, SnapshotMeta{absurd, 3, Membership{{1, 2, 3}, {}}}, 0, data,
                                                   true, data.size(), snapshot_checksum(data.bytes())});
    EXPECT_TRUE(actions_of<RestoreSnapshot>(actions).empty()) << absurd;
    EXPECT_TRUE(sent<InstallSnapshotReply>(actions).empty()) << absurd;
    EXPECT_EQ(h.node().last_index(), 0u) << absurd;
    EXPECT_EQ(h.node().first_index(), 1u) << absurd;
    EXPECT_EQ(h.node().commit_index(), 0u) << absurd;
  }
}

// Every index field of every message is bounded by kMaxLogIndex before it is used.
TEST(TrustBoundaries, MessagesCarryingIndexesPastTheLimitChangeNothing) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 3);
  h.receive(AppendEntries{1, 2, 3, 0, 0, 0, EntryBatch(make_entries(1, {3, 3}))});
  const Index last = h.node().last_index();
  for (Index absurd : {kMaxLogIndex + 1, kLastIndex - 1, kLastIndex}) {
    EXPECT_TRUE(h.receive(AppendEntries{1, 2, 3, 2, 3, absurd, {}}).empty()) << "leader_commit " << absurd;
    EXPECT_TRUE(h.receive(AppendEntries{1, 2, 3, absurd, 3, 0, {}}).empty()) << "prev_log_index " << absurd;
    EXPECT_TRUE(h.receive(RequestVote{3, 2, 4, absurd, 3, true}).empty()) << "last_log_index " << absurd;
    EXPECT_TRUE(h.receive(ReadIndexReply{1, 2, 3, 1, absurd, true}).empty()) << "read index " << absurd;
    EXPECT_EQ(h.node().commit_index(), 0u);
    EXPECT_EQ(h.node().last_index(), last);
    EXPECT_EQ(h.node().term(), 3u);
  }
  // The same append with an honest commit index is taken.
  h.receive(AppendEntries{1, 2, 3, 2, 3, 2, {}});
  EXPECT_EQ(h.node().commit_index(), 2u);
}

// --- 3. Snapshot assembly is bounded -----------------------------------------------------------

RaftConfig::Builder& small_snapshots(RaftConfig::Builder& b) { return b.max_snapshot_bytes(1000); }

TEST(TrustBoundaries, SnapshotDeclaredLargerThanTheLimitIsRefusedAtTheFirstChunk) {
  NodeHarness h(2, {1, 2, 3}, [](RaftConfig::Builder& b) { small_snapshots(b); });
  h.follow(1, 3);
  const SnapshotMeta meta{20, 3, Membership{{1, 2, 3}, {}}};
  const Payload chunk = Payload::copy_of(std::string(600, 'x'));
  const auto actions = h.receive(InstallSnapshot{1, 2, 3, meta, 0, chunk, false, 1001, 77});
  EXPECT_TRUE(sent<InstallSnapshotReply>(actions).empty());
  EXPECT_EQ(h.node().incoming_snapshot_bytes(), 0u);
}

// Chunks of an unfinished snapshot were kept without limit (64 chunks of 3 MiB kept 200 MB): the
// node keeps at most max_snapshot_bytes, whatever the chunks claim.
TEST(TrustBoundaries, ChunksPastTheLimitAreNotKept) {
  NodeHarness h(2, {1, 2, 3}, [](RaftConfig::Builder& b) { small_snapshots(b); });
  h.follow(1, 3);
  const SnapshotMeta meta{20, 3, Membership{{1, 2, 3}, {}}};
  const Payload chunk = Payload::copy_of(std::string(600, 'x'));
  auto reply = sent<InstallSnapshotReply>(h.receive(InstallSnapshot{1, 2, 3, meta, 0, chunk, false, 1000, 77}));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].next_offset, 600u);
  EXPECT_EQ(h.node().incoming_snapshot_bytes(), 600u);
  // A chunk that runs past the declared size (and past the limit) drops the partial snapshot.
  reply = sent<InstallSnapshotReply>(h.receive(InstallSnapshot{1, 2, 3, meta, 600, chunk, false, 1000, 77}));
  EXPECT_TRUE(reply.empty());
  EXPECT_EQ(h.node().incoming_snapshot_bytes(), 0u);
  // Resuming where it was is now answered with "start again".
  reply = sent<InstallSnapshotReply>(h.receive(InstallSnapshot{1, 2, 3, meta, 600, Payload::copy_of("y"), false, 1000, 77}));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].next_offset, 0u);
}

TEST(TrustBoundaries, SnapshotTakenLargerThanTheLimitIsRejected) {
  SteadyLeader l([](RaftConfig::Builder& b) { small_snapshots(b); });
  const auto actions = l.h.step(SnapshotTaken{1, Payload::copy_of(std::string(1001, 's')), 9});
  const auto rejects = rejects_for(actions, RequestKind::SnapshotTaken);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::SnapshotTooLarge);
  EXPECT_EQ(rejects[0].id, 9u);
  EXPECT_EQ(l.h.node().first_index(), 1u) << "nothing was compacted";
}

// --- 8 (core). Snapshot data carries its checksum ----------------------------------------------

// A snapshot whose assembled bytes do not match the checksum its leader computed (chunks of two
// different serializations, or corrupted ones) is never saved or restored: the follower asks for
// it again from the start.
TEST(TrustBoundaries, SnapshotWhoseBytesDoNotMatchItsChecksumIsNotInstalled) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 3);
  const SnapshotMeta meta{20, 3, Membership{{1, 2, 3}, {}}};
  const Payload good = Payload::copy_of("abcdef");
  const std::uint64_t sum = snapshot_checksum(good.bytes());
  h.receive(InstallSnapshot{1, 2, 3, meta, 0, Payload::copy_of("abc"), false, 6, sum});
  const auto actions = h.receive(InstallSnapshot{1, 2, 3, meta, 3, Payload::copy_of("deX"), true, 6, sum});
  EXPECT_TRUE(actions_of<RestoreSnapshot>(actions).empty());
  const auto reply = sent<InstallSnapshotReply>(actions);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_FALSE(reply[0].done);
  EXPECT_EQ(reply[0].next_offset, 0u);
  EXPECT_EQ(h.node().last_index(), 0u);
  EXPECT_FALSE(h.memory_log().snapshot_meta().last_index > 0) << "nothing was saved";
  // The right bytes are installed.
  h.receive(InstallSnapshot{1, 2, 3, meta, 0, Payload::copy_of("abc"), false, 6, sum});
  const auto restored = actions_of<RestoreSnapshot>(h.receive(InstallSnapshot{1, 2, 3, meta, 3, Payload::copy_of("def"), true, 6, sum}));
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0].snapshot.data.to_string(), "abcdef");
}

// A chunk of a snapshot with the same position but other bytes (another leader's serialization)
// is never installed spliced onto the one being assembled: the transfer starts over.
TEST(TrustBoundaries, ChunksOfAnotherSerializationAreNeverInstalledSpliced) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 3);
  const SnapshotMeta meta{20, 3, Membership{{1, 2, 3}, {}}};
  const std::uint64_t first = snapshot_checksum(Payload::copy_of("abcdef").bytes());
  const std::uint64_t other = snapshot_checksum(Payload::copy_of("uvwxyz").bytes());
  h.receive(InstallSnapshot{1, 2, 3, meta, 0, Payload::copy_of("abc"), false, 6, first});
  const auto actions = h.receive(InstallSnapshot{1, 2, 3, meta, 3, Payload::copy_of("xyz"), true, 6, other});
  EXPECT_TRUE(actions_of<RestoreSnapshot>(actions).empty());
  const auto reply = sent<InstallSnapshotReply>(actions);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].next_offset, 0u);
}

// --- 4. matchIndex never moves backwards on a stale refusal -----------------------------------

Index match_of(const RaftNode& node, NodeId peer) {
  for (const FollowerProgress& p : node.progress()) {
    if (p.id == peer) return p.match;
  }
  ADD_FAILURE() << "no progress for " << peer;
  return 0;
}

// Figure 2: matchIndex increases monotonically. A duplicated refusal of an old probe, arriving
// after the follower caught up and the leader went back to probing (a stalled pipeline), reset
// the match to 0.
TEST(TrustBoundaries, DuplicatedOldRefusalDoesNotMoveTheMatchBackward) {
  SteadyLeader l;
  const Term term = l.term();
  for (int i = 0; i < 3; ++i) l.h.propose("x");
  l.ack(2, 4);
  ASSERT_EQ(match_of(l.h.node(), 2), 4u);
  // More entries go out to 2 and are never acknowledged: the pipeline stalls, the leader probes
  // again from match + 1.
  l.h.propose("y");
  l.h.propose("z");
  l.ack(3, 6);
  l.h.tick(6);
  ASSERT_EQ(match_of(l.h.node(), 2), 4u);
  // The refusal of a probe at 4, sent back when 2 lagged, arrives now (duplicated by the network).
  l.h.receive(AppendEntriesReply{2, 1, term, false, 0, 4, 1, 1});
  EXPECT_EQ(match_of(l.h.node(), 2), 4u);
  l.h.receive(AppendEntriesReply{2, 1, term, false, 0, 4, 1, 1});
  EXPECT_EQ(match_of(l.h.node(), 2), 4u);
}

// A follower that really lost entries it acknowledged (restarted on a shorter log: its storage
// broke a promise) refuses a message sent after its acknowledgement: the leader forgets the match
// and rebuilds it from below, instead of probing at the lost index forever.
TEST(TrustBoundaries, FollowerThatLostAcknowledgedEntriesIsRebuilt) {
  // The checker would rightly call the lost entries a durability violation: unchecked here.
  sim::Cluster cluster(sim::ClusterOptions{.nodes = 3, .seed = 3, .check_safety = false});
  const NodeId leader = elect_leader(cluster);
  ASSERT_NE(leader, kNoNode);
  for (int i = 0; i < 5; ++i) cluster.propose(leader, Payload::copy_of("v" + std::to_string(i)));
  for (int i = 0; i < 5; ++i) {
    cluster.tick_all();
    cluster.deliver_all();
  }
  const NodeId follower = leader % 3 + 1;
  const Index acknowledged = match_of(cluster.node(leader), follower);
  ASSERT_GE(acknowledged, 6u);
  // The follower's disk loses everything from index 3 on: a node restarted on a shorter log.
  cluster.restart_with_log_change(follower, [](MemoryLog& log) { EXPECT_TRUE(log.truncate_suffix(3)); });
  ASSERT_EQ(cluster.node(follower).last_index(), 2u);
  for (int i = 0; i < 30; ++i) {
    cluster.tick_all();
    cluster.deliver_all();
  }
  EXPECT_EQ(cluster.node(follower).last_index(), cluster.node(leader).last_index());
  EXPECT_EQ(match_of(cluster.node(leader), follower), cluster.node(leader).last_index());
}

// --- 5. Apply is never repeated after a restart -------------------------------------------------

// The commit index is made durable lazily (a commit-only change rides on the next sync), so a log
// may recover a commit index below what the state machine already applied. A node restarted with
// RaftConfig::applied = 5 and a recovered commit of 2 emitted Apply for 3, 4 and 5 again.
TEST(TrustBoundaries, RestartWithAppliedAboveTheRecoveredCommitDoesNotApplyAgain) {
  NodeHarness h(2, {1, 2, 3}, [](RaftConfig::Builder& b) { b.applied(5); },
                log_with({1, 1, 1, 1, 1}, HardState{1, 1, 2}));
  EXPECT_EQ(h.node().applied_index(), 5u);
  EXPECT_EQ(h.node().commit_index(), 5u) << "an applied entry was committed";
  const auto actions = h.receive(AppendEntries{1, 2, 1, 5, 1, 6, EntryBatch(make_entries(6, {1}))});
  const auto entries = applied(actions);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].index, 6u);
}

// A state machine ahead of the log means the log lost entries the application applied: the node
// refuses to run on it, with a message naming both positions.
TEST(TrustBoundaries, AppliedPastTheEndOfTheLogStopsTheNode) {
  NodeHarness h(2, {1, 2, 3}, [](RaftConfig::Builder& b) { b.applied(9); }, log_with({1, 1, 1}, HardState{1, 1, 3}));
  ASSERT_TRUE(h.node().storage_error().has_value());
  EXPECT_EQ(h.node().storage_error()->code, StorageError::Code::Corruption);
  EXPECT_NE(h.node().storage_error()->context.find("applied 9"), std::string::npos) << h.node().storage_error()->context;
  EXPECT_NE(h.node().storage_error()->context.find("last index 3"), std::string::npos) << h.node().storage_error()->context;
}

}  // namespace
}  // namespace raftio::test
