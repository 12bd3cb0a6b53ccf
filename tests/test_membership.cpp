// Membership changes, one server at a time (thesis §4.1-4.2): learners, promotion, removal, the
// leader removing itself, and the rules that keep a change safe.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/harness.h"

namespace raftio::test {
namespace {

// A steady leader of {1, 2, 3} (+ learners per the tweak) that is asked for changes.
struct Leader : SteadyLeader {
  using SteadyLeader::SteadyLeader;
  std::vector<Action> change(MembershipChange kind, NodeId node, std::uint64_t id = 7) {
    return h.step(ChangeMembership{kind, node, id});
  }
};

Tweak with_learner(NodeId id) {
  return [id](RaftConfig::Builder& b) { b.learners({id}); };
}

TEST(Membership, ConfigEntryPayloadRoundTripsAndRejectsMalformedBytes) {
  const Membership m{{1, 2, 5}, {7}};
  const Payload bytes = encode_membership(m);
  EXPECT_EQ(decode_membership(bytes), m);
  EXPECT_FALSE(decode_membership(Payload()));
  EXPECT_FALSE(decode_membership(encode_membership(Membership{{}, {3}})));     // no voter
  EXPECT_FALSE(decode_membership(encode_membership(Membership{{2, 1}, {}})));  // unsorted
  EXPECT_FALSE(decode_membership(encode_membership(Membership{{1, 2}, {2}})));  // overlap
  EXPECT_FALSE(decode_membership(encode_membership(Membership{{0, 1}, {}})));  // node 0
  EXPECT_FALSE(decode_membership(bytes.slice(0, bytes.size() - 1)));          // truncated
}

// A configuration takes effect when its entry is appended, before it commits (thesis §4.1).
TEST(Membership, AddLearnerTakesEffectWhenAppended) {
  Leader leader;
  const auto actions = leader.change(MembershipChange::AddLearner, 4, 9);
  const auto accepted = actions_of<ProposalAccepted>(actions);
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0].id, 9u);
  EXPECT_EQ(leader.h.node().entry_at(accepted[0].index)->kind, EntryKind::Config);
  EXPECT_EQ(leader.h.node().membership().learners, (std::vector<NodeId>{4}));
  EXPECT_EQ(leader.h.node().membership().voters, (std::vector<NodeId>{1, 2, 3}));
  bool sent_to_learner = false;
  for (const auto& m : sent<AppendEntries>(actions)) sent_to_learner |= m.to == 4;
  EXPECT_TRUE(sent_to_learner) << "the learner starts receiving the log at once";
}

// Learners receive the log but count toward no quorum.
TEST(Membership, LearnerAcknowledgementsDoNotCommit) {
  Leader leader(with_learner(4));
  leader.h.propose("x");  // index 2
  leader.h.receive(AppendEntriesReply{4, 1, leader.term(), true, 2, 0, 0, 0});
  EXPECT_EQ(leader.h.node().commit_index(), 1u);
  leader.ack(2, 2);
  EXPECT_EQ(leader.h.node().commit_index(), 2u);
}

TEST(Membership, SecondChangeIsRejectedWhileOneIsInProgress) {
  Leader leader;
  leader.change(MembershipChange::AddLearner, 4);
  const auto rejects = rejects_for(leader.change(MembershipChange::AddLearner, 5, 8), RequestKind::ChangeMembership);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::ChangeInProgress);
  EXPECT_EQ(rejects[0].id, 8u);
  // Once the first commits, the next is accepted.
  leader.ack(2, leader.h.node().last_index());
  EXPECT_TRUE(rejects_for(leader.change(MembershipChange::AddLearner, 5), RequestKind::ChangeMembership).empty());
}

// The 2015 erratum: a new leader must commit an entry of its own term before it changes the
// configuration.
TEST(Membership, NewLeaderChangesNothingBeforeCommittingInItsTerm) {
  NodeHarness h(1, {1, 2, 3});
  h.elect();  // its no-op is not acknowledged yet
  const auto rejects = rejects_for(h.step(ChangeMembership{MembershipChange::AddLearner, 4, 1}), RequestKind::ChangeMembership);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::ChangeInProgress);
}

TEST(Membership, InvalidChangesAreRejected) {
  Leader leader(with_learner(4));
  const std::vector<std::pair<MembershipChange, NodeId>> invalid = {
      {MembershipChange::AddVoter, 2},   {MembershipChange::AddLearner, 4}, {MembershipChange::Remove, 9},
      {MembershipChange::AddVoter, 0},   {MembershipChange::Remove, 0},
  };
  for (const auto& [kind, node] : invalid) {
    const auto rejects = rejects_for(leader.change(kind, node), RequestKind::ChangeMembership);
    ASSERT_EQ(rejects.size(), 1u) << node;
    EXPECT_EQ(rejects[0].reason, RejectReason::InvalidTarget) << node;
  }
  NodeHarness single(1, {1});
  single.elect();
  for (int i = 0; i < 3; ++i) single.tick();
  const auto last = rejects_for(single.step(ChangeMembership{MembershipChange::Remove, 1, 1}), RequestKind::ChangeMembership);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].reason, RejectReason::InvalidTarget) << "the last voter cannot leave";
}

// Thesis §4.2.1: a learner is promoted only once it has (nearly) caught up.
TEST(Membership, LearnerIsPromotedOnlyWhenCaughtUp) {
  Leader leader(with_learner(4));
  for (int i = 0; i < 100; ++i) leader.h.propose("p");
  leader.ack(2, leader.h.node().last_index());
  const auto behind = rejects_for(leader.change(MembershipChange::AddVoter, 4), RequestKind::ChangeMembership);
  ASSERT_EQ(behind.size(), 1u);
  EXPECT_EQ(behind[0].reason, RejectReason::NotCaughtUp);
  leader.h.receive(AppendEntriesReply{4, 1, leader.term(), true, leader.h.node().last_index(), 0, 0, 0});
  EXPECT_TRUE(rejects_for(leader.change(MembershipChange::AddVoter, 4), RequestKind::ChangeMembership).empty());
  EXPECT_EQ(leader.h.node().membership().voters, (std::vector<NodeId>{1, 2, 3, 4}));
  EXPECT_TRUE(leader.h.node().membership().learners.empty());
  // Four voters: a commit now needs three.
  leader.h.propose("after");
  leader.ack(2, leader.h.node().last_index());
  EXPECT_LT(leader.h.node().commit_index(), leader.h.node().last_index());
  leader.h.receive(AppendEntriesReply{4, 1, leader.term(), true, leader.h.node().last_index(), 0, 0, 0});
  EXPECT_EQ(leader.h.node().commit_index(), leader.h.node().last_index());
}

// Thesis §4.2.2: a leader that removes itself keeps leading (without counting itself) until the
// change commits, then steps down and never campaigns again.
TEST(Membership, LeaderRemovingItselfStepsDownOnceTheChangeCommits) {
  Leader leader;
  leader.change(MembershipChange::Remove, 1);
  EXPECT_TRUE(leader.h.node().is_leader());
  EXPECT_EQ(leader.h.node().membership().voters, (std::vector<NodeId>{2, 3}));
  const Index config = leader.h.node().last_index();
  leader.ack(2, config);
  EXPECT_TRUE(leader.h.node().is_leader()) << "one of two remaining voters is not a majority";
  const auto stepped_down = leader.ack(3, config);
  EXPECT_EQ(leader.h.node().commit_index(), config);
  EXPECT_FALSE(leader.h.node().is_leader());
  // It hands over to a voter holding its whole log instead of leaving them to time out.
  const auto handover = sent<TimeoutNow>(stepped_down);
  ASSERT_EQ(handover.size(), 1u);
  EXPECT_EQ(handover[0].to, 2u);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(sent<PreVote>(leader.h.tick()).empty());
  EXPECT_EQ(leader.h.node().role(), Role::Follower);
}

// A follower follows the configuration in its log: appended, it takes effect; truncated by a new
// leader, it is undone.
TEST(Membership, FollowerAdoptsAndRevertsConfigurationWithItsLog) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 2);
  LogEntry config{2, 1, EntryKind::Config, encode_membership(Membership{{1, 2, 3}, {4}})};
  h.receive(AppendEntries{1, 2, 2, 0, 0, 0, EntryBatch({config})});
  EXPECT_EQ(h.node().membership().learners, (std::vector<NodeId>{4}));
  // Leader 3 of term 3 overwrites index 1.
  h.receive(AppendEntries{3, 2, 3, 0, 0, 0, EntryBatch({LogEntry{3, 1, EntryKind::Noop, Payload()}})});
  EXPECT_TRUE(h.node().membership().learners.empty());
}

// A malformed configuration entry changes nothing (and crashes nothing).
TEST(Membership, MalformedConfigEntryIsIgnored) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 2);
  h.receive(AppendEntries{1, 2, 2, 0, 0, 0, EntryBatch({LogEntry{2, 1, EntryKind::Config, Payload::copy_of("junk")}})});
  EXPECT_EQ(h.node().membership().voters, (std::vector<NodeId>{1, 2, 3}));
  EXPECT_EQ(h.node().last_index(), 1u);
}

// Messages from a node outside the configuration are ignored: a removed server cannot disrupt
// the cluster with elections (thesis §4.2.3).
TEST(Membership, RemovedServerCannotDisrupt) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 2);
  h.receive(AppendEntries{1, 2, 2, 0, 0, 0,
                          EntryBatch({LogEntry{2, 1, EntryKind::Config, encode_membership(Membership{{1, 2}, {}})}})});
  const Term before = h.node().term();
  const auto actions = h.receive(RequestVote{3, 2, before + 5, 100, before + 5, false});
  EXPECT_EQ(h.node().term(), before);
  EXPECT_TRUE(all_sent(actions).empty());
}

// Thesis §4.1: a node outside its own configuration (removed, then re-added and promoted while it
// was cut off) must answer a candidate it does not know: the new configuration may need its vote.
// Dropping such requests left the simulator's seed 350 (sync) without a leader forever.
TEST(Membership, ANodeOutsideItsOwnConfigurationStillVotes_4_1) {
  NodeHarness h(3, {1, 2, 3});
  h.follow(1, 2);
  // Node 3 learns of its removal, and nothing after it.
  h.receive(AppendEntries{1, 3, 2, 0, 0, 0,
                          EntryBatch({LogEntry{2, 1, EntryKind::Config, encode_membership(Membership{{1, 2}, {}})}})});
  ASSERT_FALSE(h.node().membership().contains(3));
  h.tick(50);  // no word from the leader for long: no lease
  // Node 4 leads a configuration node 3 never saw ({3, 4}, say), and needs 3's vote.
  const auto pre = sent<PreVoteReply>(h.receive(PreVote{4, 3, 4, 10, 3}));
  ASSERT_EQ(pre.size(), 1u);
  EXPECT_TRUE(pre[0].granted);
  const auto vote = sent<RequestVoteReply>(h.receive(RequestVote{4, 3, 4, 10, 3, false}));
  ASSERT_EQ(vote.size(), 1u);
  EXPECT_TRUE(vote[0].granted);
  EXPECT_EQ(h.node().term(), 4u);
}

// The configuration survives a restart: rebuilt from the Config entries in the log, and carried
// by snapshots.
TEST(Membership, ConfigurationSurvivesRestartAndSnapshot) {
  auto log = std::make_unique<MemoryLog>();
  MemoryLog* raw = log.get();
  {
    NodeHarness h(1, {1, 2, 3}, {}, std::move(log));
    h.elect();
    h.receive(AppendEntriesReply{2, 1, h.node().term(), true, 1, 0, 0, 0});
    h.step(ChangeMembership{MembershipChange::AddLearner, 4, 1});
    h.receive(AppendEntriesReply{2, 1, h.node().term(), true, 2, 0, 0, 0});
    ASSERT_EQ(h.node().applied_index(), 2u);
    h.step(SnapshotTaken{2, Payload::copy_of("s")});
    EXPECT_EQ(raw->snapshot_meta().membership.learners, (std::vector<NodeId>{4}));
    const MemoryLog copy = *raw;
    RaftNode restarted(make_config(1, {1, 2, 3}), std::make_unique<MemoryLog>(copy));
    EXPECT_EQ(restarted.membership().learners, (std::vector<NodeId>{4}));
  }
}

// End to end: a learner partitioned while being promoted. The configuration with four voters
// commits with three of them, and the cluster keeps committing without the new voter.
TEST(Membership, LearnerPartitionedDuringPromotion) {
  sim::ClusterOptions options;
  options.nodes = 4;
  options.learners = 1;
  options.seed = 5;
  sim::Cluster cluster(options);
  elect_leader(cluster);
  ASSERT_TRUE(cluster.leader());
  const NodeId leader = *cluster.leader();
  ASSERT_NE(leader, 4u);
  for (int i = 0; i < 5; ++i) cluster.tick_all(), cluster.deliver_all();  // the learner catches up
  cluster.step(leader, ChangeMembership{MembershipChange::AddVoter, 4, 1});
  ASSERT_TRUE(cluster.node(leader).membership().is_voter(4));
  cluster.network().isolate(4, cluster.ids());
  for (int i = 0; i < 10; ++i) cluster.tick_all(), cluster.deliver_all();
  EXPECT_EQ(cluster.node(leader).commit_index(), cluster.node(leader).last_index());
  cluster.propose(leader, Payload::copy_of("still writable"));
  cluster.deliver_all();
  EXPECT_EQ(cluster.node(leader).commit_index(), cluster.node(leader).last_index());
  cluster.network().heal();
  for (int i = 0; i < 20; ++i) cluster.tick_all(), cluster.deliver_all();
  EXPECT_TRUE(cluster.node(4).membership().is_voter(4));
  EXPECT_EQ(cluster.node(4).commit_index(), cluster.node(leader).commit_index());
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

// Found by fuzz_step: a configuration naming a server the cluster harness does not run (4 of a
// 3-node cluster) made the harness deliver to a node that does not exist. Nobody listens there:
// the messages are dropped and the cluster goes on.
TEST(Membership, LearnerThatDoesNotExistIsHarmless) {
  sim::Cluster cluster(sim::ClusterOptions{});
  elect_leader(cluster);
  ASSERT_TRUE(cluster.leader());
  const NodeId leader = *cluster.leader();
  for (int i = 0; i < 3; ++i) cluster.tick_all(), cluster.deliver_all();
  cluster.step(leader, ChangeMembership{MembershipChange::AddLearner, 4, 1});
  for (int i = 0; i < 10; ++i) cluster.tick_all(), cluster.deliver_all();
  EXPECT_TRUE(cluster.node(leader).membership().is_learner(4));
  EXPECT_EQ(cluster.node(leader).commit_index(), cluster.node(leader).last_index());
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

// End to end: the leader removes itself; the others elect a new leader and go on.
TEST(Membership, ClusterSurvivesLeaderRemovingItself) {
  sim::ClusterOptions options;
  options.seed = 8;
  sim::Cluster cluster(options);
  elect_leader(cluster);
  ASSERT_TRUE(cluster.leader());
  const NodeId old = *cluster.leader();
  cluster.step(old, ChangeMembership{MembershipChange::Remove, old, 1});
  int ticks = 0;
  for (; ticks < 200 && (!cluster.leader() || cluster.leader() == old); ++ticks) cluster.tick_all(), cluster.deliver_all();
  ASSERT_TRUE(cluster.leader());
  EXPECT_LT(ticks, 5) << "the removed leader hands over at once (no election timeout to wait out)";
  const NodeId fresh = *cluster.leader();
  EXPECT_NE(fresh, old);
  EXPECT_FALSE(cluster.node(fresh).membership().contains(old));
  cluster.propose(fresh, Payload::copy_of("after"));
  for (int i = 0; i < 5; ++i) cluster.tick_all(), cluster.deliver_all();
  EXPECT_EQ(cluster.node(fresh).commit_index(), cluster.node(fresh).last_index());
  EXPECT_FALSE(cluster.node(old).is_leader());
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

// A node with its own removal in the log, not yet committed (a leader deposed right after
// appending it): it must still campaign, or — holding the longest log, so refusing every other
// candidate — it would leave the cluster without a leader for good (found by the simulator).
std::unique_ptr<MemoryLog> log_removing_node_1(Index commit) {
  auto log = std::make_unique<MemoryLog>();
  std::vector<LogEntry> entries{LogEntry{1, 1, EntryKind::Noop, Payload()},
                                LogEntry{1, 2, EntryKind::Config, encode_membership(Membership{{2, 3}, {}})}};
  EXPECT_TRUE(log->append(EntryBatch(entries)));
  EXPECT_TRUE(log->set_hard_state(HardState{1, 1, commit}));
  EXPECT_TRUE(log->sync());
  return log;
}

TEST(Membership, ServerWhoseRemovalIsUncommittedStillCampaigns) {
  NodeHarness h(1, {1, 2, 3}, {}, log_removing_node_1(1));
  ASSERT_FALSE(h.node().membership().is_voter(1));
  const auto actions = h.tick(40);
  EXPECT_EQ(h.node().role(), Role::PreCandidate);
  std::vector<NodeId> asked;
  for (const auto& m : sent<PreVote>(actions)) asked.push_back(m.to);
  std::sort(asked.begin(), asked.end());
  asked.erase(std::unique(asked.begin(), asked.end()), asked.end());
  EXPECT_EQ(asked, (std::vector<NodeId>{2, 3})) << "votes count in its newest configuration";
  // Winning there, it leads until the removal commits (and then hands over).
  h.receive(PreVoteReply{2, 1, 2, true});
  h.receive(PreVoteReply{3, 1, 2, true});
  h.receive(RequestVoteReply{2, 1, 2, true});
  EXPECT_EQ(h.node().role(), Role::Candidate) << "its own vote does not count: {2, 3} needs both";
  h.receive(RequestVoteReply{3, 1, 2, true});
  EXPECT_EQ(h.node().role(), Role::Leader);
}

TEST(Membership, ServerWhoseRemovalCommittedStaysQuiet) {
  NodeHarness h(1, {1, 2, 3}, {}, log_removing_node_1(2));
  const auto actions = h.tick(100);
  EXPECT_EQ(h.node().role(), Role::Follower);
  EXPECT_TRUE(all_sent(actions).empty()) << describe_all(actions);
}

}  // namespace
}  // namespace raftio::test
