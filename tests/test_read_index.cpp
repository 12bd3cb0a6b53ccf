// Linearizable reads (thesis §6.4): ReadIndex on the leader, confirmation rounds, forwarded reads
// from followers, and the cases where a read must not be answered.
#include <gtest/gtest.h>

#include "support/harness.h"

namespace raftio::test {
namespace {

// §6.4: the read index is the commit index when the read arrived; the answer waits until a
// quorum has acknowledged a heartbeat round that started after it.
TEST(ReadIndex, LeaderAnswersAfterQuorumConfirmsTheRound) {
  SteadyLeader leader;
  ASSERT_EQ(leader.h.node().commit_index(), 1u);
  const auto start = leader.h.step(ReadIndex{42});
  EXPECT_TRUE(actions_of<ReadReady>(start).empty());
  const auto heartbeats = sent<AppendEntries>(start);
  ASSERT_EQ(heartbeats.size(), 2u);
  const std::uint64_t round = heartbeats[0].read_round;
  EXPECT_NE(round, 0u);
  EXPECT_EQ(heartbeats[1].read_round, round);

  // A reply from before the round (round 0) proves nothing.
  EXPECT_TRUE(actions_of<ReadReady>(leader.ack(2, 1, 0)).empty());
  const auto ready = actions_of<ReadReady>(leader.ack(2, 1, round));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].id, 42u);
  EXPECT_EQ(ready[0].index, 1u);
  // The second acknowledgement changes nothing: each read is answered once.
  EXPECT_TRUE(actions_of<ReadReady>(leader.ack(3, 1, round)).empty());
}

// Reads arriving in one step share one round, and so one message per follower.
TEST(ReadIndex, ReadsInOneStepShareOneRound) {
  SteadyLeader leader;
  std::vector<Event> events{ReadIndex{1}, ReadIndex{2}, ReadIndex{3}};
  std::vector<Action> actions;
  leader.h.node().step(std::span<Event>(events), actions);
  const auto heartbeats = sent<AppendEntries>(actions);
  ASSERT_EQ(heartbeats.size(), 2u);
  const auto ready = actions_of<ReadReady>(leader.ack(3, 1, heartbeats[0].read_round));
  ASSERT_EQ(ready.size(), 3u);
  EXPECT_EQ(ready[0].id, 1u);
  EXPECT_EQ(ready[2].id, 3u);
}

// A round the leader never sent is forged: it must not confirm anything.
TEST(ReadIndex, ForgedFutureRoundConfirmsNothing) {
  SteadyLeader leader;
  const auto start = leader.h.step(ReadIndex{7});
  const std::uint64_t round = sent<AppendEntries>(start).at(0).read_round;
  EXPECT_TRUE(actions_of<ReadReady>(leader.ack(2, 1, round + 100)).empty());
  EXPECT_EQ(actions_of<ReadReady>(leader.ack(2, 1, round)).size(), 1u);
}

// §6.4 step 1: a new leader answers no read before an entry of its own term has committed,
// because its commit index may trail what the previous leader committed.
TEST(ReadIndex, NewLeaderWaitsForCommitInItsTerm) {
  // Node 1 holds entries of term 1 that it does not know are committed.
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1, 1}, HardState{1, kNoNode, 0}));
  h.elect();
  const Term term = h.node().term();
  ASSERT_EQ(h.node().commit_index(), 0u);
  const auto start = h.step(ReadIndex{5});
  // Even a full quorum of round acknowledgements cannot answer it yet.
  const std::uint64_t round = 1;
  auto early = h.receive(AppendEntriesReply{2, 1, term, true, 0, 0, 0, 0, round});
  EXPECT_TRUE(actions_of<ReadReady>(early).empty());
  // The no-op (index 3) commits: the read is registered at index 3 and needs a round of its own.
  const auto commit = h.receive(AppendEntriesReply{2, 1, term, true, 3, 0, 0, 0});
  EXPECT_EQ(h.node().commit_index(), 3u);
  EXPECT_TRUE(actions_of<ReadReady>(commit).empty());
  std::uint64_t new_round = 0;
  for (const auto& append : sent<AppendEntries>(commit)) new_round = std::max(new_round, append.read_round);
  ASSERT_GT(new_round, 0u);
  const auto ready = actions_of<ReadReady>(h.receive(AppendEntriesReply{3, 1, term, true, 3, 0, 0, 0, new_round}));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].id, 5u);
  EXPECT_EQ(ready[0].index, 3u);
}

// A single-voter cluster is its own quorum: the read is ready in the same step.
TEST(ReadIndex, SingleNodeAnswersAtOnce) {
  RaftNode node(RaftConfig::single(1));
  std::vector<Action> actions;
  for (int i = 0; i < 30 && !node.is_leader(); ++i) node.step(Tick{});
  ASSERT_TRUE(node.is_leader());
  node.step(Propose{Payload::copy_of("x"), 1});
  const auto ready = actions_of<ReadReady>(node.step(ReadIndex{9}));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].index, node.commit_index());
  EXPECT_EQ(ready[0].index, 2u);
}

// A leader cut off from the majority never answers: its reads time out (or are refused when it
// steps down), because another leader may already be serving newer writes.
TEST(ReadIndex, PartitionedOldLeaderNeverAnswers) {
  SteadyLeader leader;
  leader.h.step(ReadIndex{11});
  std::vector<Action> all;
  for (int t = 0; t < 40; ++t) {
    const auto tick = leader.h.tick();
    all.insert(all.end(), tick.begin(), tick.end());
  }
  EXPECT_TRUE(actions_of<ReadReady>(all).empty());
  const auto rejects = rejects_for(all, RequestKind::ReadIndex);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].id, 11u);
  EXPECT_FALSE(leader.h.node().is_leader());  // check-quorum deposed it
}

// A leader that learns of a higher term refuses the reads it still holds.
TEST(ReadIndex, DeposedLeaderRefusesPendingReads) {
  SteadyLeader leader;
  leader.h.step(ReadIndex{3});
  const auto actions = leader.h.receive(AppendEntries{2, 1, leader.term() + 1, 0, 0, 0, {}});
  EXPECT_TRUE(actions_of<ReadReady>(actions).empty());
  const auto rejects = rejects_for(actions, RequestKind::ReadIndex);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::NotLeader);
  EXPECT_EQ(rejects[0].leader_hint, 2u);
}

// A follower forwards the read to its leader and relays the answer.
TEST(ReadIndex, FollowerForwardsToLeaderAndRelaysTheAnswer) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 3);
  const auto forwarded = sent<ReadIndexRequest>(h.step(ReadIndex{8}));
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_EQ(forwarded[0].to, 1u);
  const std::uint64_t wire_id = forwarded[0].id;  // the follower's own number for this read
  // A reply from anyone but the leader is ignored.
  EXPECT_TRUE(actions_of<ReadReady>(h.receive(ReadIndexReply{3, 2, 3, wire_id, 5, true})).empty());
  const auto ready = actions_of<ReadReady>(h.receive(ReadIndexReply{1, 2, 3, wire_id, 5, true}));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].id, 8u) << "relayed under the application's id";
  EXPECT_EQ(ready[0].index, 5u);
  // A duplicate of the answer is ignored.
  EXPECT_TRUE(actions_of<ReadReady>(h.receive(ReadIndexReply{1, 2, 3, wire_id, 5, true})).empty());
}

// An application may reuse a read id. A duplicated answer to the earlier read must not answer the
// new one with the earlier, possibly stale, index: each forwarded read travels under a number of
// the follower's own (a stale read fuzz_step found, fuzz/corpus/step/regress_duplicated_read_answer).
TEST(ReadIndex, ADuplicatedAnswerToAnEarlierReadDoesNotAnswerAReusedId) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 3);
  const auto first = sent<ReadIndexRequest>(h.step(ReadIndex{8}));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(actions_of<ReadReady>(h.receive(ReadIndexReply{1, 2, 3, first[0].id, 5, true})).size(), 1u);

  const auto second = sent<ReadIndexRequest>(h.step(ReadIndex{8}));  // the same application id
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].id, first[0].id);
  EXPECT_TRUE(actions_of<ReadReady>(h.receive(ReadIndexReply{1, 2, 3, first[0].id, 5, true})).empty())
      << "the duplicate of the first answer must not answer the second read";
  const auto ready = actions_of<ReadReady>(h.receive(ReadIndexReply{1, 2, 3, second[0].id, 9, true}));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].id, 8u);
  EXPECT_EQ(ready[0].index, 9u);
}

// Found by fuzz_step in CI: a follower forwarded a read, restarted in the same term, and forwarded
// a new read under the same number (it started again from 1), so the answer to the read from
// before the restart, still in flight, answered the new one with an old index (a stale read).
// Each start has its own incarnation, and numbers reads from a base derived from it.
TEST(ReadIndex, AnAnswerToAReadFromBeforeARestartDoesNotAnswerAReadAfterIt) {
  const auto incarnation = [](std::uint64_t n) { return [n](RaftConfig::Builder& b) { b.incarnation(n); }; };
  NodeHarness before(2, {1, 2, 3}, incarnation(0));
  before.follow(1, 3);
  const auto first = sent<ReadIndexRequest>(before.step(ReadIndex{8}));
  ASSERT_EQ(first.size(), 1u);

  NodeHarness after(2, {1, 2, 3}, incarnation(1), std::make_unique<MemoryLog>(before.memory_log()));
  after.follow(1, 3);
  const auto second = sent<ReadIndexRequest>(after.step(ReadIndex{8}));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].id, first[0].id);
  EXPECT_TRUE(actions_of<ReadReady>(after.receive(ReadIndexReply{1, 2, 3, first[0].id, 5, true})).empty())
      << "the answer to the read from before the restart must not answer the new read";
  const auto ready = actions_of<ReadReady>(after.receive(ReadIndexReply{1, 2, 3, second[0].id, 9, true}));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].index, 9u);

  // Incarnation 0 keeps the numbering from 1, as before incarnations existed.
  EXPECT_EQ(first[0].id, 1u);
}

TEST(ReadIndex, FollowerWithoutLeaderRejects) {
  NodeHarness h(2, {1, 2, 3});
  const auto rejects = rejects_for(h.step(ReadIndex{4}), RequestKind::ReadIndex);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::NotLeader);
  EXPECT_EQ(rejects[0].leader_hint, kNoNode);
}

// A forwarded read whose leader changes, or whose answer never comes, is refused, never lost.
TEST(ReadIndex, ForwardedReadIsRefusedWhenLeaderChangesOrTimesOut) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 3);
  h.step(ReadIndex{1});
  const auto changed = rejects_for(h.receive(AppendEntries{3, 2, 4, 0, 0, 0, {}}), RequestKind::ReadIndex);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].leader_hint, 3u);

  h.step(ReadIndex{2});
  std::vector<Action> all;
  for (int t = 0; t < 20; ++t) {
    h.receive(AppendEntries{3, 2, 4, 0, 0, 0, {}});  // the leader stays, the answer never comes
    const auto tick = h.tick();
    all.insert(all.end(), tick.begin(), tick.end());
  }
  const auto timed_out = rejects_for(all, RequestKind::ReadIndex);
  ASSERT_EQ(timed_out.size(), 1u);
  EXPECT_EQ(timed_out[0].id, 2u);
  EXPECT_EQ(timed_out[0].reason, RejectReason::TimedOut);
}

// The leader serves forwarded reads like its own and answers the follower by message.
TEST(ReadIndex, LeaderAnswersForwardedRead) {
  SteadyLeader leader;
  const auto start = leader.h.receive(ReadIndexRequest{2, 1, leader.term(), 77});
  const std::uint64_t round = sent<AppendEntries>(start).at(0).read_round;
  const auto replies = sent<ReadIndexReply>(leader.ack(3, 1, round));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].to, 2u);
  EXPECT_EQ(replies[0].id, 77u);
  EXPECT_TRUE(replies[0].ok);
  EXPECT_EQ(replies[0].index, 1u);
  EXPECT_TRUE(actions_of<ReadReady>(leader.ack(2, 1, round)).empty());  // not ours to answer
}

// A non-leader that receives a forwarded read says so at once.
TEST(ReadIndex, NonLeaderRefusesForwardedRead) {
  NodeHarness h(1, {1, 2, 3});
  h.follow(3, 2);
  const auto replies = sent<ReadIndexReply>(h.receive(ReadIndexRequest{2, 1, 2, 5}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].ok);
}

// End to end through a cluster: a read on a follower returns the index of the last write
// committed before it, and every node's state machine reaches it.
TEST(ReadIndex, ClusterReadSeesCommittedWrite) {
  sim::ClusterOptions options;
  options.seed = 3;
  sim::Cluster cluster(options);
  elect_leader(cluster);
  ASSERT_TRUE(cluster.leader());
  const NodeId leader = *cluster.leader();
  cluster.propose(leader, Payload::copy_of("write"));
  cluster.deliver_all();
  const Index written = cluster.node(leader).commit_index();
  const NodeId follower = leader == 1 ? 2 : 1;
  std::optional<ReadReady> ready;
  cluster.set_action_observer([&](NodeId id, const Action& action) {
    if (const auto* r = std::get_if<ReadReady>(&action); r != nullptr && id == follower) ready = *r;
  });
  cluster.step(follower, ReadIndex{1});
  for (int i = 0; i < 10 && !ready; ++i) {
    cluster.deliver_all();
    cluster.tick_all();
  }
  ASSERT_TRUE(ready);
  EXPECT_GE(ready->index, written);
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

// --- lease reads (thesis §6.4.1) ---

Tweak lease(std::uint32_t drift = 2) {
  return [drift](RaftConfig::Builder& b) { b.lease_reads(true).lease_drift_ticks(drift); };
}

// With a lease, a leader that heard from a quorum recently answers at once, without a round.
TEST(LeaseRead, AnsweredAtOnceWithinTheLease) {
  NodeHarness h(1, {1, 2, 3}, lease());
  h.elect();
  const Term term = h.node().term();
  h.receive(AppendEntriesReply{2, 1, term, true, 1, 0, 0, 0});  // the no-op commits
  // A heartbeat round, acknowledged by a majority, starts the lease.
  std::uint64_t round = 0;
  for (const auto& m : sent<AppendEntries>(h.tick())) round = std::max(round, m.read_round);
  ASSERT_GT(round, 0u);
  h.receive(AppendEntriesReply{2, 1, term, true, 1, 0, 0, 0, round});
  const auto actions = h.step(ReadIndex{5});
  const auto ready = actions_of<ReadReady>(actions);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].index, 1u);
}

// Past the lease (election_ticks - lease_drift_ticks since the acknowledged round began), a read
// needs a round again.
TEST(LeaseRead, ExpiredLeaseFallsBackToARound) {
  NodeHarness h(1, {1, 2, 3}, [](RaftConfig::Builder& b) { b.lease_reads(true).check_quorum(true).election_ticks(20); });
  h.elect();
  const Term term = h.node().term();
  h.receive(AppendEntriesReply{2, 1, term, true, 1, 0, 0, 0});
  std::uint64_t round = 0;
  for (const auto& m : sent<AppendEntries>(h.tick())) round = std::max(round, m.read_round);
  h.receive(AppendEntriesReply{2, 1, term, true, 1, 0, 0, 0, round});
  for (int t = 0; t < 18; ++t) h.tick();  // node 2 and 3 silent since
  ASSERT_TRUE(h.node().is_leader());
  EXPECT_TRUE(actions_of<ReadReady>(h.step(ReadIndex{6})).empty());
}

// A leader handing over leadership stops serving from its lease: TimeoutNow lets the target win
// an election inside it.
TEST(LeaseRead, NoLeaseReadsDuringATransfer) {
  NodeHarness h(1, {1, 2, 3}, lease());
  h.elect();
  const Term term = h.node().term();
  h.receive(AppendEntriesReply{2, 1, term, true, 1, 0, 0, 0});
  h.receive(AppendEntriesReply{3, 1, term, true, 1, 0, 0, 0});
  std::uint64_t round = 0;
  for (const auto& m : sent<AppendEntries>(h.tick())) round = std::max(round, m.read_round);
  h.receive(AppendEntriesReply{2, 1, term, true, 1, 0, 0, 0, round});
  h.step(TransferLeadership{3});
  EXPECT_TRUE(actions_of<ReadReady>(h.step(ReadIndex{7})).empty());
}

TEST(LeaseRead, ConfigNeedsCheckQuorumAndASaneDriftBound) {
  auto no_quorum = RaftConfig::builder(1).voters({1, 2, 3}).lease_reads(true).check_quorum(false).build();
  ASSERT_FALSE(no_quorum);
  EXPECT_EQ(no_quorum.error().field, "lease_reads");
  auto drift = RaftConfig::builder(1).voters({1, 2, 3}).lease_reads(true).lease_drift_ticks(10).build();
  ASSERT_FALSE(drift);
  EXPECT_EQ(drift.error().field, "lease_drift_ticks");
}

}  // namespace
}  // namespace raftio::test
