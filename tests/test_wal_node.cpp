// RaftNode on WalLog: a crash and restart recovers term, vote and log from the write-ahead log,
// and the node rejoins its cluster; a disk error stops the node, not the cluster.
#include <gtest/gtest.h>

#include "raftio/sim/cluster.h"

namespace raftio::test {
namespace {

void rounds(sim::Cluster& cluster, int count) {
  for (int i = 0; i < count; ++i) {
    cluster.tick_all();
    cluster.deliver_all();
  }
}

NodeId elect(sim::Cluster& cluster) {
  for (int i = 0; i < 200 && !cluster.leader(); ++i) rounds(cluster, 1);
  EXPECT_TRUE(cluster.leader().has_value());
  return cluster.leader().value_or(1);
}

std::vector<LogEntry> log_of(const RaftNode& node) {
  std::vector<LogEntry> entries;
  for (Index i = node.first_index(); i <= node.last_index(); ++i) entries.push_back(*node.entry_at(i));
  return entries;
}

TEST(WalNode, RestartRecoversTermVoteAndLogAndRejoins) {
  sim::Cluster cluster(sim::ClusterOptions{.nodes = 3, .storage = sim::Storage::Wal, .seed = 21});
  NodeId leader = elect(cluster);
  for (int i = 0; i < 300; ++i) {
    cluster.propose(leader, Payload::copy_of("before " + std::to_string(i)));
    if (i % 10 == 0) rounds(cluster, 1);
  }
  rounds(cluster, 5);
  const NodeId follower = leader == 3 ? 1 : 3;
  const RaftNode& before = cluster.node(follower);
  const Term term = before.term();
  const NodeId vote = before.voted_for();
  const auto entries = log_of(before);
  ASSERT_GT(entries.size(), 300u);

  cluster.restart(follower);  // a crash: only what was synced survives
  const RaftNode& after = cluster.node(follower);
  EXPECT_EQ(after.term(), term);
  EXPECT_EQ(after.voted_for(), vote);
  EXPECT_EQ(log_of(after), entries) << "every step synced, so the whole log survives";
  EXPECT_FALSE(after.storage_error().has_value());

  for (int i = 0; i < 50; ++i) cluster.propose(cluster.leader().value_or(leader), Payload::copy_of("after " + std::to_string(i)));
  rounds(cluster, 30);
  EXPECT_EQ(cluster.node(follower).commit_index(), cluster.node(*cluster.leader()).commit_index());
  EXPECT_EQ(cluster.applied(follower).size(), cluster.applied(*cluster.leader()).size()) << "re-applied from the start";
  EXPECT_TRUE(cluster.missing_acknowledged().empty()) << cluster.missing_acknowledged();
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

TEST(WalNode, LeaderCrashAndRestartLosesNoAcknowledgedWrite) {
  sim::Cluster cluster(sim::ClusterOptions{.nodes = 5, .storage = sim::Storage::Wal, .seed = 4});
  for (int wave = 0; wave < 5; ++wave) {
    const NodeId leader = elect(cluster);
    for (int i = 0; i < 40; ++i) cluster.propose(leader, Payload::copy_of("w" + std::to_string(wave) + "." + std::to_string(i)));
    rounds(cluster, 3);
    cluster.restart(leader);
    rounds(cluster, 40);
  }
  rounds(cluster, 40);
  std::size_t acknowledged = 0;
  for (const auto& p : cluster.proposals()) acknowledged += p.outcome == sim::ClientProposal::Outcome::Acknowledged;
  EXPECT_GT(acknowledged, 100u);
  EXPECT_TRUE(cluster.missing_acknowledged().empty()) << cluster.missing_acknowledged();
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

TEST(WalNode, DiskErrorStopsTheNodeButNotTheCluster) {
  sim::Cluster cluster(sim::ClusterOptions{.nodes = 3, .storage = sim::Storage::Wal, .seed = 7});
  const NodeId leader = elect(cluster);
  const NodeId victim = leader == 2 ? 3 : 2;
  cluster.disk(victim)->fail_next(wal::FaultyFileSystem::Op::Sync, StorageError::Code::Io);
  for (int i = 0; i < 20; ++i) cluster.propose(leader, Payload::copy_of("x"));
  rounds(cluster, 20);
  ASSERT_TRUE(cluster.node(victim).storage_error().has_value());
  EXPECT_EQ(cluster.node(victim).storage_error()->code, StorageError::Code::Io);
  ASSERT_TRUE(cluster.storage_failure().has_value());
  const Index commit = cluster.node(leader).commit_index();
  EXPECT_GE(commit, 21u) << "the other two still form a majority";
  cluster.restart(victim);  // a fresh start reopens (and recovers) the log
  rounds(cluster, 30);
  EXPECT_FALSE(cluster.node(victim).storage_error().has_value());
  EXPECT_EQ(cluster.node(victim).commit_index(), cluster.node(leader).commit_index());
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

}  // namespace
}  // namespace raftio::test
