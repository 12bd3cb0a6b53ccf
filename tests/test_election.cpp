// Elections: Raft §5.2 (leader election), §5.4.1 (election restriction), §5.1 (terms).
#include <gtest/gtest.h>

#include <set>

#include "raftio/sim/cluster.h"
#include "support/harness.h"

namespace raftio::test {
namespace {

const Tweak kNoPreVote = [](RaftConfig::Builder& b) { b.pre_vote(false); };

// §5.2: a follower that hears nothing for an election timeout becomes a candidate: it increments
// its term, votes for itself and asks every other voter for a vote.
TEST(Election, FollowerCampaignsAfterElectionTimeout_5_2) {
  NodeHarness h(1, {1, 2, 3}, kNoPreVote);
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(sent<RequestVote>(h.tick()).empty()) << "too early at tick " << i;
  std::vector<Action> actions;
  for (int i = 0; i < 20 && h.node().role() == Role::Follower; ++i) actions = h.tick();
  ASSERT_EQ(h.node().role(), Role::Candidate);
  EXPECT_EQ(h.node().term(), 1u);
  EXPECT_EQ(h.node().voted_for(), 1u);
  const auto requests = sent<RequestVote>(actions);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].to, 2u);
  EXPECT_EQ(requests[1].to, 3u);
  EXPECT_EQ(requests[0].term, 1u);
  EXPECT_EQ(requests[0].last_log_index, 0u);
  EXPECT_FALSE(requests[0].leadership_transfer);
}

// §5.2: timeouts are randomized in [election_ticks, 2 * election_ticks) from the seeded PRNG, so
// they differ between seeds (split votes resolve) but repeat for the same seed.
TEST(Election, TimeoutIsRandomizedBySeedWithinOneToTwoElectionTimeouts_5_2) {
  std::set<int> observed;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    auto ticks_to_campaign = [seed] {
      NodeHarness h(1, {1, 2, 3}, [seed](RaftConfig::Builder& b) { b.pre_vote(false).seed(seed); });
      int ticks = 0;
      while (h.node().role() == Role::Follower) {
        h.tick();
        ++ticks;
      }
      return ticks;
    };
    const int ticks = ticks_to_campaign();
    EXPECT_GE(ticks, 10);
    EXPECT_LT(ticks, 20);
    EXPECT_EQ(ticks, ticks_to_campaign()) << "same seed must give the same timeout";
    observed.insert(ticks);
  }
  EXPECT_GE(observed.size(), 5u) << "timeouts should spread over the range";
}

// §5.2: a candidate that receives votes from a majority becomes leader, announces it, and (§5.4.2)
// appends a no-op entry of its term that it starts replicating at once.
TEST(Election, CandidateWithMajorityBecomesLeaderAndAppendsNoop_5_2) {
  NodeHarness h(1, {1, 2, 3}, kNoPreVote);
  while (h.node().role() == Role::Follower) h.tick();
  const auto actions = h.receive(RequestVoteReply{2, 1, 1, true});
  ASSERT_EQ(h.node().role(), Role::Leader);
  EXPECT_EQ(h.node().leader(), 1u);
  const auto changes = actions_of<LeaderChanged>(actions);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].leader, 1u);
  EXPECT_EQ(changes[0].term, 1u);
  ASSERT_EQ(h.node().last_index(), 1u);
  EXPECT_EQ(h.node().entry_at(1)->kind, EntryKind::Noop);
  EXPECT_EQ(h.node().entry_at(1)->term, 1u);
  const auto appends = sent<AppendEntries>(actions);
  ASSERT_EQ(appends.size(), 2u);
  EXPECT_EQ(appends[0].entries.size(), 1u);
  EXPECT_EQ(appends[0].prev_log_index, 0u);
}

// §5.2: a candidate refused by a majority cannot win; it returns to follower and waits.
TEST(Election, CandidateRefusedByMajorityBecomesFollower_5_2) {
  NodeHarness h(1, {1, 2, 3}, kNoPreVote);
  while (h.node().role() == Role::Follower) h.tick();
  h.receive(RequestVoteReply{2, 1, 1, false});
  EXPECT_EQ(h.node().role(), Role::Candidate) << "one refusal of three leaves the election open";
  h.receive(RequestVoteReply{3, 1, 1, false});
  EXPECT_EQ(h.node().role(), Role::Follower);
  EXPECT_EQ(h.node().term(), 1u);
}

// §5.2: a split vote ends in a timeout and a new election in a higher term.
TEST(Election, CandidateStartsNewTermAfterTimeout_5_2) {
  NodeHarness h(1, {1, 2, 3}, kNoPreVote);
  while (h.node().role() == Role::Follower) h.tick();
  ASSERT_EQ(h.node().term(), 1u);
  std::vector<Action> actions;
  for (int i = 0; i < 20 && h.node().term() == 1; ++i) actions = h.tick();
  EXPECT_EQ(h.node().term(), 2u);
  EXPECT_EQ(h.node().role(), Role::Candidate);
  EXPECT_EQ(sent<RequestVote>(actions).size(), 2u);
}

// §5.2: each server votes for at most one candidate in a term, first come first served; a repeated
// request from the same candidate gets the same answer.
TEST(Election, OneVotePerTerm_5_2) {
  NodeHarness h(1, {1, 2, 3});
  auto first = sent<RequestVoteReply>(h.receive(RequestVote{2, 1, 5, 0, 0, false}));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(first[0].granted);
  EXPECT_EQ(first[0].term, 5u);
  auto second = sent<RequestVoteReply>(h.receive(RequestVote{3, 1, 5, 0, 0, false}));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_FALSE(second[0].granted);
  auto repeat = sent<RequestVoteReply>(h.receive(RequestVote{2, 1, 5, 0, 0, false}));
  ASSERT_EQ(repeat.size(), 1u);
  EXPECT_TRUE(repeat[0].granted);
  EXPECT_EQ(h.node().voted_for(), 2u);
}

// Figure 2: currentTerm and votedFor are persisted before responding to RPCs.
TEST(Election, VoteIsDurableBeforeTheReplyLeaves_5_2) {
  NodeHarness h(1, {1, 2, 3});
  const auto syncs_before = h.memory_log().sync_count();
  const auto actions = h.receive(RequestVote{2, 1, 7, 0, 0, false});
  ASSERT_EQ(sent<RequestVoteReply>(actions).size(), 1u);
  EXPECT_EQ(h.memory_log().hard_state().term, 7u);
  EXPECT_EQ(h.memory_log().hard_state().vote, 2u);
  EXPECT_EQ(h.memory_log().sync_count(), syncs_before + 1);
}

// §5.4.1: a vote goes only to a candidate whose log is at least as up-to-date: a later last term
// wins; with equal last terms, the longer log wins.
TEST(Election, VoteRequiresUpToDateLog_5_4_1) {
  struct Case {
    Index last_index;
    Term last_term;
    bool granted;
  };
  const Case cases[] = {
      {5, 1, false},  // older last term, longer log
      {2, 2, false},  // same last term, shorter log
      {3, 2, true},   // same last term, same length
      {4, 2, true},   // same last term, longer log
      {1, 3, true},   // newer last term, shorter log
  };
  for (const Case& c : cases) {
    NodeHarness h(1, {1, 2, 3}, {}, log_with({1, 1, 2}, HardState{2, 0, 0}));
    const auto replies = sent<RequestVoteReply>(h.receive(RequestVote{2, 1, 3, c.last_index, c.last_term, false}));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].granted, c.granted) << "candidate last index " << c.last_index << " term " << c.last_term;
  }
}

// §5.1: any message with a higher term makes a leader step down and adopt the term.
TEST(Election, LeaderStepsDownOnHigherTerm_5_1) {
  NodeHarness h(1, {1, 2, 3});
  h.elect();
  const Term term = h.node().term();
  const auto actions = h.receive(AppendEntriesReply{2, 1, term + 3, false, 0, 0, 0, 0});
  EXPECT_EQ(h.node().role(), Role::Follower);
  EXPECT_EQ(h.node().term(), term + 3);
  EXPECT_EQ(h.node().voted_for(), kNoNode);
  const auto changes = actions_of<LeaderChanged>(actions);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].leader, kNoNode);
}

// §5.2: a candidate that hears from a leader of its own term recognizes it and steps down.
TEST(Election, CandidateYieldsToLeaderOfSameTerm_5_2) {
  NodeHarness h(1, {1, 2, 3}, kNoPreVote);
  while (h.node().role() == Role::Follower) h.tick();
  h.receive(AppendEntries{3, 1, h.node().term(), 0, 0, 0, {}});
  EXPECT_EQ(h.node().role(), Role::Follower);
  EXPECT_EQ(h.node().leader(), 3u);
  EXPECT_EQ(h.node().term(), 1u);
}

// §5.2 (Figure 2, Followers): granting a vote resets the election timer.
TEST(Election, GrantingAVoteResetsTheElectionTimer_5_2) {
  NodeHarness h(1, {1, 2, 3}, kNoPreVote);
  h.tick(9);  // one tick short of the shortest possible timeout
  h.receive(RequestVote{2, 1, 1, 0, 0, false});
  h.tick(9);
  EXPECT_EQ(h.node().role(), Role::Follower) << "the vote should have restarted the countdown";
}

// Learners replicate but never campaign: they are not voters.
TEST(Election, LearnerNeverCampaigns) {
  NodeHarness h(4, {1, 2, 3}, [](RaftConfig::Builder& b) { b.learners({4}); });
  const auto actions = h.tick(500);
  EXPECT_EQ(h.node().role(), Role::Follower);
  EXPECT_TRUE(all_sent(actions).empty());
}

// A candidate counts only voters: a reply from a learner is not a vote.
TEST(Election, VotesFromLearnersDoNotCount_5_2) {
  NodeHarness h(1, {1, 2, 3}, [](RaftConfig::Builder& b) { b.pre_vote(false).learners({4}); });
  while (h.node().role() == Role::Follower) h.tick();
  h.receive(RequestVoteReply{4, 1, 1, true});
  EXPECT_EQ(h.node().role(), Role::Candidate);
}

// A one-voter cluster elects itself and commits alone.
TEST(Election, SingleVoterElectsItselfAndCommits) {
  RaftNode node(RaftConfig::single(1));
  std::vector<Action> out;
  for (int i = 0; i < 30 && !node.is_leader(); ++i) node.step(Tick{}, out);
  ASSERT_TRUE(node.is_leader());
  EXPECT_EQ(node.commit_index(), 1u) << "the no-op commits on its own";
  out.clear();
  node.step(Propose{Payload::copy_of("x"), 9}, out);
  EXPECT_EQ(node.commit_index(), 2u);
  const auto applies = applied(out);
  ASSERT_EQ(applies.size(), 1u);
  EXPECT_EQ(applies[0].data.as_string_view(), "x");
}

// §5.2 in a live cluster: exactly one leader emerges and every node learns who it is.
TEST(Election, ClusterElectsOneLeaderKnownToAll_5_2) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::Cluster cluster(sim::ClusterOptions{.nodes = 5, .seed = seed});
    for (int t = 0; t < 100 && !cluster.leader(); ++t) {
      cluster.tick_all();
      cluster.deliver_all();
    }
    ASSERT_TRUE(cluster.leader().has_value()) << "seed " << seed;
    cluster.tick_all();
    cluster.deliver_all();
    int leaders = 0;
    for (NodeId id : cluster.ids()) {
      leaders += cluster.node(id).is_leader();
      EXPECT_EQ(cluster.node(id).leader(), *cluster.leader()) << "node " << id << " seed " << seed;
    }
    EXPECT_EQ(leaders, 1);
    EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
  }
}

}  // namespace
}  // namespace raftio::test
