// Pre-vote (thesis §9.6), disruptive servers (thesis §4.2.3), check-quorum (thesis §6.2) and
// TimeoutNow (thesis §3.10).
#include <gtest/gtest.h>

#include "raftio/sim/cluster.h"
#include "support/harness.h"

namespace raftio::test {
namespace {

// §9.6: a node whose timer fires first asks for pre-votes in term + 1 without changing its own
// term or vote.
TEST(PreVote, PreCandidateKeepsItsTermAndVote_9_6) {
  NodeHarness h(1, {1, 2, 3});
  std::vector<Action> actions;
  while (h.node().role() == Role::Follower) actions = h.tick();
  EXPECT_EQ(h.node().role(), Role::PreCandidate);
  EXPECT_EQ(h.node().term(), 0u);
  EXPECT_EQ(h.node().voted_for(), kNoNode);
  const auto requests = sent<PreVote>(actions);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].term, 1u);
  EXPECT_TRUE(sent<RequestVote>(actions).empty());
}

// §9.6: only a majority of pre-votes starts the real election.
TEST(PreVote, MajorityOfPreVotesStartsTheRealElection_9_6) {
  NodeHarness h(1, {1, 2, 3});
  while (h.node().role() == Role::Follower) h.tick();
  const auto actions = h.receive(PreVoteReply{2, 1, 1, true});
  EXPECT_EQ(h.node().role(), Role::Candidate);
  EXPECT_EQ(h.node().term(), 1u);
  EXPECT_EQ(sent<RequestVote>(actions).size(), 2u);
}

// §9.6: refused pre-votes leave the term untouched: the node tried without disturbing anyone.
TEST(PreVote, RefusedPreVoteLeavesTheTermUnchanged_9_6) {
  NodeHarness h(1, {1, 2, 3});
  while (h.node().role() == Role::Follower) h.tick();
  h.receive(PreVoteReply{2, 1, 1, false, 0});
  h.receive(PreVoteReply{3, 1, 1, false, 0});
  EXPECT_EQ(h.node().role(), Role::Follower);
  EXPECT_EQ(h.node().term(), 0u);
}

// A PreVoteReply's `term` is the pre-vote's: answers about a term the node does not probe (a late
// answer to an earlier probe, or a forged one) count neither as grants nor as refusals.
TEST(PreVote, OnlyAnswersAboutTheProbedTermCount_9_6) {
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1}, HardState{3, kNoNode, 0}));
  while (h.node().role() == Role::Follower) h.tick();
  ASSERT_EQ(h.node().role(), Role::PreCandidate);  // probing term 4
  h.receive(PreVoteReply{2, 1, 3, false, 3});
  h.receive(PreVoteReply{3, 1, 5, false, 3});
  EXPECT_EQ(h.node().role(), Role::PreCandidate) << "refusals of other terms are not refusals of term 4";
  h.receive(PreVoteReply{2, 1, 5, true, 3});
  EXPECT_EQ(h.node().role(), Role::PreCandidate) << "a grant of term 5 is not a grant of term 4";
  h.receive(PreVoteReply{2, 1, 4, true, 3});
  EXPECT_EQ(h.node().role(), Role::Candidate);
  EXPECT_EQ(h.node().term(), 4u);
}

// §5.1 through `voter_term`: a refusal from a voter ahead makes the pre-candidate catch up; a
// grant never moves a term, and one that claims a voter ahead of the term it grants is forged.
TEST(PreVote, RefusalFromAVoterAheadRaisesTheTermAndAGrantNever_9_6) {
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1}, HardState{3, kNoNode, 0}));
  while (h.node().role() == Role::Follower) h.tick();
  h.receive(PreVoteReply{2, 1, 4, true, 9});
  EXPECT_EQ(h.node().role(), Role::PreCandidate) << "a grant from a voter past the granted term is impossible";
  EXPECT_EQ(h.node().term(), 3u);
  h.receive(PreVoteReply{3, 1, 4, true, 4});  // the voter is in term 4 and has not voted: it may grant
  EXPECT_EQ(h.node().role(), Role::Candidate);
  EXPECT_EQ(h.node().term(), 4u);

  NodeHarness behind(1, {1, 2, 3}, {}, log_with({1}, HardState{3, kNoNode, 0}));
  while (behind.node().role() == Role::Follower) behind.tick();
  behind.receive(PreVoteReply{2, 1, 4, false, 7});
  EXPECT_EQ(behind.node().role(), Role::Follower);
  EXPECT_EQ(behind.node().term(), 7u);
  EXPECT_EQ(behind.node().voted_for(), kNoNode);
}

// §9.6: granting a pre-vote changes nothing on the voter: no term bump, no vote recorded.
TEST(PreVote, GrantingAPreVoteChangesNothingOnTheVoter_9_6) {
  NodeHarness h(1, {1, 2, 3});
  const auto replies = sent<PreVoteReply>(h.receive(PreVote{2, 1, 4, 0, 0}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].granted);
  EXPECT_EQ(replies[0].term, 4u);
  EXPECT_EQ(replies[0].voter_term, 0u);
  EXPECT_EQ(h.node().term(), 0u);
  EXPECT_EQ(h.node().voted_for(), kNoNode);
  EXPECT_EQ(h.memory_log().hard_state().term, 0u);
}

// §9.6 with §5.4.1: a pre-vote needs an up-to-date log like a real vote.
TEST(PreVote, PreVoteRequiresUpToDateLog_9_6) {
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1, 2}, HardState{2, 0, 0}));
  const auto replies = sent<PreVoteReply>(h.receive(PreVote{2, 1, 3, 5, 1}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].granted);
  EXPECT_EQ(replies[0].term, 3u) << "a refusal is about the pre-vote's term";
  EXPECT_EQ(replies[0].voter_term, 2u) << "and carries the voter's own term";
}

// §4.2.3: a follower that heard from its leader within the election timeout ignores pre-votes and
// votes of higher terms (unless the campaign comes from a leadership transfer).
TEST(PreVote, FollowerInLeaderLeaseIgnoresDisruptiveCandidates_4_2_3) {
  NodeHarness h(1, {1, 2, 3});
  h.follow(2, 3);
  EXPECT_TRUE(all_sent(h.receive(PreVote{3, 1, 4, 10, 3})).empty());
  EXPECT_TRUE(all_sent(h.receive(RequestVote{3, 1, 4, 10, 3, false})).empty());
  EXPECT_EQ(h.node().term(), 3u);
  EXPECT_EQ(h.node().leader(), 2u);
  const auto transfer = sent<RequestVoteReply>(h.receive(RequestVote{3, 1, 4, 10, 3, true}));
  ASSERT_EQ(transfer.size(), 1u);
  EXPECT_TRUE(transfer[0].granted);
  EXPECT_EQ(h.node().term(), 4u);
}

// §4.2.3: once the lease has expired (no word from the leader for an election timeout), votes
// are considered again.
TEST(PreVote, LeaseExpiresAfterAnElectionTimeoutOfSilence_4_2_3) {
  NodeHarness h(1, {1, 2, 3}, [](RaftConfig::Builder& b) { b.election_ticks(50); });
  h.follow(2, 3);
  h.tick(50);
  const auto replies = sent<PreVoteReply>(h.receive(PreVote{3, 1, 4, 10, 3}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].granted);
}

// §9.6 end to end: a node partitioned away for a long time rejoins without forcing a new term on
// the cluster; without pre-vote (and check-quorum) it does.
TEST(PreVote, RejoiningPartitionedNodeDoesNotDisruptTheLeader_9_6) {
  auto run = [](bool pre_vote) {
    sim::Cluster cluster(sim::ClusterOptions{.nodes = 3, .seed = 5, .pre_vote = pre_vote, .check_quorum = pre_vote});
    for (int t = 0; t < 100 && !cluster.leader(); ++t) {
      cluster.tick_all();
      cluster.deliver_all();
    }
    const NodeId leader = *cluster.leader();
    const Term term = cluster.node(leader).term();
    const NodeId outsider = leader == 3 ? 1 : 3;
    cluster.network().isolate(outsider, cluster.ids());
    for (int t = 0; t < 200; ++t) {
      cluster.tick_all();
      cluster.deliver_all();
    }
    cluster.network().heal();
    for (int t = 0; t < 50; ++t) {
      cluster.tick_all();
      cluster.deliver_all();
    }
    EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
    return std::make_pair(cluster.leader() == leader, cluster.node(leader).term() == term);
  };
  const auto [kept_leader, kept_term] = run(true);
  EXPECT_TRUE(kept_leader);
  EXPECT_TRUE(kept_term);
  const auto [kept_leader_without, kept_term_without] = run(false);
  EXPECT_FALSE(kept_term_without) << "without pre-vote the rejoining node should have raised the term";
  (void)kept_leader_without;
}

// §6.2 check-quorum: a leader that hears from no majority for an election timeout steps down.
TEST(CheckQuorum, IsolatedLeaderStepsDown_6_2) {
  sim::Cluster cluster(sim::ClusterOptions{.nodes = 3, .seed = 9});
  for (int t = 0; t < 100 && !cluster.leader(); ++t) {
    cluster.tick_all();
    cluster.deliver_all();
  }
  const NodeId leader = *cluster.leader();
  cluster.network().isolate(leader, cluster.ids());
  int ticks = 0;
  while (cluster.node(leader).is_leader() && ticks < 100) {
    cluster.tick(leader);
    cluster.deliver_all();
    ++ticks;
  }
  EXPECT_FALSE(cluster.node(leader).is_leader());
  EXPECT_LE(ticks, 2 * 10) << "must step down within two election timeouts";
  EXPECT_EQ(cluster.node(leader).leader(), kNoNode);
}

// A leader that keeps hearing from a majority stays leader indefinitely.
TEST(CheckQuorum, LeaderWithAQuorumStaysLeader_6_2) {
  sim::Cluster cluster(sim::ClusterOptions{.nodes = 5, .seed = 11});
  for (int t = 0; t < 100 && !cluster.leader(); ++t) {
    cluster.tick_all();
    cluster.deliver_all();
  }
  const NodeId leader = *cluster.leader();
  const Term term = cluster.node(leader).term();
  // Two of five cut off: the leader still has a majority.
  NodeId cut = 0;
  for (NodeId id : cluster.ids()) {
    if (id != leader && cut < 2) {
      cluster.network().isolate(id, cluster.ids());
      ++cut;
    }
  }
  for (int t = 0; t < 300; ++t) {
    cluster.tick_all();
    cluster.deliver_all();
  }
  EXPECT_TRUE(cluster.node(leader).is_leader());
  EXPECT_EQ(cluster.node(leader).term(), term);
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

// §3.10: TimeoutNow from the current leader makes a voter campaign at once, skipping pre-vote,
// with the transfer flag that lets voters ignore their lease.
TEST(TimeoutNow, FollowerCampaignsImmediatelyWithoutPreVote_3_10) {
  NodeHarness h(1, {1, 2, 3});
  h.follow(2, 3);
  const auto actions = h.receive(TimeoutNow{2, 1, 3});
  EXPECT_EQ(h.node().role(), Role::Candidate);
  EXPECT_EQ(h.node().term(), 4u);
  const auto requests = sent<RequestVote>(actions);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].leadership_transfer);
}

// TimeoutNow from anyone but the current leader is ignored.
TEST(TimeoutNow, IgnoredWhenNotFromTheLeader_3_10) {
  NodeHarness h(1, {1, 2, 3});
  h.follow(2, 3);
  const auto actions = h.receive(TimeoutNow{3, 1, 3});
  EXPECT_EQ(h.node().role(), Role::Follower);
  EXPECT_TRUE(all_sent(actions).empty());
}

}  // namespace
}  // namespace raftio::test
