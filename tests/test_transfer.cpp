// Leadership transfer (thesis §3.10): TransferLeadership, TimeoutNow, and what the leader refuses
// while a transfer runs.
#include <gtest/gtest.h>

#include "support/harness.h"

namespace raftio::test {
namespace {

// §3.10: a target that already holds the leader's whole log is told to campaign at once.
TEST(Transfer, UpToDateTargetGetsTimeoutNowImmediately) {
  SteadyLeader leader;
  const auto actions = leader.h.step(TransferLeadership{2});
  const auto timeouts = sent<TimeoutNow>(actions);
  ASSERT_EQ(timeouts.size(), 1u);
  EXPECT_EQ(timeouts[0].to, 2u);
  EXPECT_EQ(timeouts[0].term, leader.term());
  EXPECT_TRUE(rejects_for(actions, RequestKind::TransferLeadership).empty());
}

// A transfer to a lagging node first brings it up to date; TimeoutNow goes out only with the
// reply that shows it holds everything.
TEST(Transfer, LaggingTargetIsCaughtUpBeforeTimeoutNow) {
  SteadyLeader leader;
  leader.h.propose("a");
  leader.h.propose("b");  // index 3; follower 2 has acknowledged only index 1
  const auto start = leader.h.step(TransferLeadership{2});
  EXPECT_TRUE(sent<TimeoutNow>(start).empty());
  const auto partial = leader.h.receive(AppendEntriesReply{2, 1, leader.term(), true, 2, 0, 0, 0});
  EXPECT_TRUE(sent<TimeoutNow>(partial).empty());
  const auto caught_up = leader.h.receive(AppendEntriesReply{2, 1, leader.term(), true, 3, 0, 0, 0});
  ASSERT_EQ(sent<TimeoutNow>(caught_up).size(), 1u);
  EXPECT_EQ(sent<TimeoutNow>(caught_up)[0].to, 2u);
}

// §3.10: no new entries while the leader hands over; the reject names the target.
TEST(Transfer, ProposalsAreRefusedDuringTransfer) {
  SteadyLeader leader;
  leader.h.propose("a");
  leader.h.step(TransferLeadership{3});
  const Index last = leader.h.node().last_index();
  const auto rejects = actions_of<Reject>(leader.h.propose("refused", 9));
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].what, RequestKind::Propose);
  EXPECT_EQ(rejects[0].reason, RejectReason::TransferInProgress);
  EXPECT_EQ(rejects[0].leader_hint, 3u);
  EXPECT_EQ(rejects[0].id, 9u);
  EXPECT_EQ(leader.h.node().last_index(), last);
}

// The transfer is abandoned after an election timeout without a new leader; proposals resume.
TEST(Transfer, AbandonedAfterElectionTimeoutAndProposalsResume) {
  SteadyLeader leader;
  leader.h.propose("a");  // follower 3 never acknowledges it, so it never catches up
  leader.h.step(TransferLeadership{3});
  const std::uint32_t election_ticks = leader.h.node().config().election_ticks;
  std::vector<Action> ticks;
  for (std::uint32_t t = 0; t + 1 < election_ticks; ++t) {
    // Keep the quorum active (node 2 answers) so check-quorum does not end the leadership.
    leader.h.receive(AppendEntriesReply{2, 1, leader.term(), true, leader.h.node().last_index(), 0, 0, 0});
    const auto tick = leader.h.tick();
    ticks.insert(ticks.end(), tick.begin(), tick.end());
  }
  EXPECT_TRUE(rejects_for(ticks, RequestKind::TransferLeadership).empty());
  EXPECT_EQ(actions_of<Reject>(leader.h.propose("still refused")).size(), 1u);
  const auto last_tick = leader.h.tick();
  const auto rejects = rejects_for(last_tick, RequestKind::TransferLeadership);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::TimedOut);
  EXPECT_EQ(rejects[0].leader_hint, 3u);
  ASSERT_TRUE(leader.h.node().is_leader());
  EXPECT_EQ(actions_of<ProposalAccepted>(leader.h.propose("accepted again")).size(), 1u);
}

// Only another voter can become leader: transfers to oneself, a learner or a stranger are refused.
TEST(Transfer, InvalidTargetsAreRejected) {
  NodeHarness h(1, {1, 2, 3}, [](RaftConfig::Builder& b) { b.learners({4}); });
  h.elect();
  for (NodeId target : {NodeId{1}, NodeId{4}, NodeId{9}, kNoNode}) {
    const auto actions = h.step(TransferLeadership{target});
    const auto rejects = rejects_for(actions, RequestKind::TransferLeadership);
    ASSERT_EQ(rejects.size(), 1u) << "target " << target;
    EXPECT_EQ(rejects[0].reason, RejectReason::InvalidTarget);
    EXPECT_TRUE(sent<TimeoutNow>(actions).empty());
  }
  EXPECT_EQ(actions_of<ProposalAccepted>(h.propose("x")).size(), 1u);  // no transfer started
}

TEST(Transfer, SecondTransferWhileOneRunsIsRejected) {
  SteadyLeader leader;
  leader.h.propose("a");
  leader.h.step(TransferLeadership{2});
  const auto rejects = rejects_for(leader.h.step(TransferLeadership{3}), RequestKind::TransferLeadership);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::TransferInProgress);
  EXPECT_EQ(rejects[0].leader_hint, 2u);
}

TEST(Transfer, FollowerRejectsTransferWithLeaderHint) {
  NodeHarness h(1, {1, 2, 3});
  h.follow(2, 3);
  const auto rejects = rejects_for(h.step(TransferLeadership{3}), RequestKind::TransferLeadership);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::NotLeader);
  EXPECT_EQ(rejects[0].leader_hint, 2u);
}

// The target of TimeoutNow campaigns at once, without pre-vote, and marks its RequestVotes as a
// transfer so voters inside their leader lease still answer (§3.10, §4.2.3).
TEST(Transfer, TimeoutNowMakesTargetCampaignPastTheLease) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 4);
  const auto actions = h.receive(TimeoutNow{1, 2, 4});
  EXPECT_EQ(h.node().role(), Role::Candidate);
  EXPECT_EQ(h.node().term(), 5u);
  const auto votes = sent<RequestVote>(actions);
  ASSERT_EQ(votes.size(), 2u);
  for (const auto& vote : votes) EXPECT_TRUE(vote.leadership_transfer);
  EXPECT_TRUE(sent<PreVote>(actions).empty());
}

// TimeoutNow from anyone but the current leader is ignored (hostile input).
TEST(Transfer, TimeoutNowFromNonLeaderIsIgnored) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 4);
  h.receive(TimeoutNow{3, 2, 4});
  EXPECT_EQ(h.node().role(), Role::Follower);
  EXPECT_EQ(h.node().term(), 4u);
}

// End to end: in a three-node cluster the target becomes leader, the old leader follows it, and
// nothing committed is lost.
TEST(Transfer, ClusterHandsLeadershipToTarget) {
  sim::ClusterOptions options;
  options.seed = 7;
  sim::Cluster cluster(options);
  elect_leader(cluster);
  ASSERT_TRUE(cluster.leader());
  const NodeId old_leader = *cluster.leader();
  for (int i = 0; i < 5; ++i) cluster.propose(old_leader, Payload::copy_of("v" + std::to_string(i)));
  cluster.deliver_all();
  const NodeId target = old_leader == 3 ? 1 : old_leader + 1;
  cluster.step(old_leader, TransferLeadership{target});
  for (int i = 0; i < 20 && cluster.leader() != target; ++i) {
    cluster.deliver_all();
    cluster.tick_all();
  }
  cluster.deliver_all();
  EXPECT_EQ(cluster.leader(), target);
  EXPECT_EQ(cluster.node(old_leader).role(), Role::Follower);
  EXPECT_EQ(cluster.node(old_leader).leader(), target);
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
  EXPECT_EQ(cluster.missing_acknowledged(), "");
}

}  // namespace
}  // namespace raftio::test
