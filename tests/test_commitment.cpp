// Commitment: Raft §5.4.2 (only current-term entries commit by counting), Figure 8, and applying
// committed entries in order, exactly once.
#include <gtest/gtest.h>

#include <algorithm>

#include "raftio/sim/cluster.h"
#include "support/harness.h"

namespace raftio::test {
namespace {

// §5.3: an entry is committed once the leader has replicated it on a majority; the leader then
// applies it, and the next AppendEntries or heartbeat tells the followers.
TEST(Commitment, LeaderCommitsOnMajorityAndApplies_5_3) {
  NodeHarness h(1, {1, 2, 3, 4, 5});
  h.elect();
  const Term term = h.node().term();
  h.propose("x");
  EXPECT_EQ(h.node().commit_index(), 0u);
  h.receive(AppendEntriesReply{2, 1, term, true, 2, 0, 0, 0});
  EXPECT_EQ(h.node().commit_index(), 0u) << "two of five is not a majority";
  const auto actions = h.receive(AppendEntriesReply{3, 1, term, true, 2, 0, 0, 0});
  EXPECT_EQ(h.node().commit_index(), 2u);
  const auto applies = applied(actions);
  ASSERT_EQ(applies.size(), 2u);
  EXPECT_EQ(applies[0].kind, EntryKind::Noop);
  EXPECT_EQ(applies[1].data.as_string_view(), "x");
  const auto heartbeats = sent<AppendEntries>(h.tick());
  ASSERT_EQ(heartbeats.size(), 4u);
  for (const auto& beat : heartbeats) EXPECT_EQ(beat.leader_commit, 2u) << "the next message carries the commit";
}

// §5.4.2: a leader never commits an entry of an earlier term by counting replicas; it commits its
// own no-op and the older entries along with it.
TEST(Commitment, EntriesOfEarlierTermsDoNotCommitByCounting_5_4_2) {
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1, 2}, HardState{2, 0, 1}));
  h.elect();
  const Term term = h.node().term();
  ASSERT_EQ(term, 3u);
  ASSERT_EQ(h.node().last_index(), 3u);  // 1@1, 2@2, no-op 3@3
  h.receive(AppendEntriesReply{2, 1, term, true, 2, 0, 0, 0});
  EXPECT_EQ(h.node().commit_index(), 1u) << "index 2 (term 2) is on a majority but must not commit";
  const auto actions = h.receive(AppendEntriesReply{2, 1, term, true, 3, 0, 0, 0});
  EXPECT_EQ(h.node().commit_index(), 3u);
  EXPECT_EQ(applied(actions).size(), 2u);
}

// Ticks one node alone, delivering after each tick, until it leads (the other nodes never tick,
// so nobody else campaigns). Stops delivering the moment it wins.
void elect_node(sim::Cluster& cluster, NodeId id) {
  for (int i = 0; i < 200 && !cluster.node(id).is_leader(); ++i) {
    cluster.tick(id);
    while (!cluster.network().empty() && !cluster.node(id).is_leader()) cluster.deliver(0);
  }
  ASSERT_TRUE(cluster.node(id).is_leader()) << "node " << id << " could not win an election";
}

void only_links(sim::Cluster& cluster, std::vector<NodeId> group) {
  auto& net = cluster.network();
  net.heal();
  for (NodeId a : cluster.ids()) {
    for (NodeId b : cluster.ids()) {
      const bool inside = std::count(group.begin(), group.end(), a) && std::count(group.begin(), group.end(), b);
      if (a != b && !inside) net.cut(a, b);
    }
  }
}

int holders_of(sim::Cluster& cluster, Index index, Term term) {
  int holders = 0;
  for (NodeId id : cluster.ids()) holders += cluster.node(id).term_at(index) == std::optional<Term>(term);
  return holders;
}

// Raft Figure 8 (a)-(c) on five nodes: S1 (term 1) replicates index 2 to S2 only; S5 wins term 2
// with S3, S4 and appends entries nobody receives; S1 wins term 3 and starts re-replicating its
// index 2. Returns once index 2 of term 1 is on a majority (S1, S2, S3), uncommitted.
void figure8_until_old_entry_on_majority(sim::Cluster& cluster) {
  auto& net = cluster.network();
  elect_node(cluster, 1);
  cluster.deliver_all();
  only_links(cluster, {1, 2});
  ASSERT_TRUE(cluster.propose(1, Payload::copy_of("from S1")));
  cluster.deliver_all();
  ASSERT_EQ(holders_of(cluster, 2, 1), 2);
  only_links(cluster, {3, 4, 5});
  elect_node(cluster, 5);
  ASSERT_TRUE(cluster.propose(5, Payload::copy_of("from S5")));
  net.clear();  // S5's entries reach nobody
  cluster.restart(5);  // S5 crashes; S1 comes back (both restart from their logs)
  cluster.restart(1);
  only_links(cluster, {1, 2, 3, 4});
  elect_node(cluster, 1);
  ASSERT_GE(cluster.node(1).term(), 3u);
  while (!net.empty() && holders_of(cluster, 2, 1) < 3) {
    cluster.deliver(0);
    ASSERT_LT(cluster.node(1).commit_index(), 2u);
  }
  ASSERT_EQ(holders_of(cluster, 2, 1), 3) << "the scenario should reach the Figure 8 (c) state";
}

sim::ClusterOptions figure8_options() {
  return sim::ClusterOptions{.nodes = 5, .seed = 8, .pre_vote = false, .check_quorum = false, .max_entries_per_msg = 1};
}

// Figure 8 (c): index 2 of an old term sits on a majority, yet the leader of term 3 must not
// commit it by counting; its commit index jumps from 1 to its own entry at 3.
TEST(Commitment, Figure8OldTermEntryOnMajorityIsNotCommitted_5_4_2) {
  sim::Cluster cluster(figure8_options());
  figure8_until_old_entry_on_majority(cluster);
  EXPECT_EQ(cluster.node(1).commit_index(), 1u);
  while (!cluster.network().empty()) {
    cluster.deliver(0);
    ASSERT_NE(cluster.node(1).commit_index(), 2u) << "index 2 committed by counting replicas";
  }
  EXPECT_GE(cluster.node(1).commit_index(), 3u);
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

// Figure 8 (d): that same majority-held entry may be overwritten by S5, whose last term is newer —
// which is why (c) must not commit it. The safety checker sees every step and finds nothing.
TEST(Commitment, Figure8UncommittedOldEntryIsOverwrittenSafely_5_4_2) {
  sim::Cluster cluster(figure8_options());
  figure8_until_old_entry_on_majority(cluster);
  cluster.network().clear();
  cluster.restart(1);  // S1 crashes; S5 comes back
  cluster.restart(5);
  only_links(cluster, {2, 3, 4, 5});
  elect_node(cluster, 5);
  for (int t = 0; t < 30; ++t) {
    cluster.tick(5);
    cluster.deliver_all();
  }
  const Term s5_term = cluster.node(5).term();
  for (NodeId id : {2, 3, 4}) {
    EXPECT_EQ(cluster.node(id).term_at(2), std::optional<Term>(2)) << "S" << id << " should hold S5's index 2";
    EXPECT_EQ(cluster.node(id).entry_at(3)->data.as_string_view(), "from S5");
    EXPECT_EQ(cluster.node(id).term_at(4), std::optional<Term>(s5_term));
  }
  EXPECT_EQ(cluster.node(5).commit_index(), 4u);
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

// Every node applies every committed entry once, in index order, with identical contents.
TEST(Commitment, EveryNodeAppliesCommittedEntriesInOrderExactlyOnce) {
  sim::Cluster cluster(sim::ClusterOptions{.nodes = 5, .seed = 3});
  cluster.network().set_loss(0.2);
  int proposed = 0;
  for (int t = 0; t < 2000 && proposed < 100; ++t) {
    cluster.tick_all();
    cluster.deliver_all();
    if (auto leader = cluster.leader()) proposed += cluster.propose(*leader, Payload::copy_of(std::to_string(t))).has_value();
  }
  cluster.network().set_loss(0);
  for (int t = 0; t < 100; ++t) {
    cluster.tick_all();
    cluster.deliver_all();
  }
  const auto& reference = cluster.applied(1);
  ASSERT_GE(reference.size(), 100u);
  for (NodeId id : cluster.ids()) {
    const auto& log = cluster.applied(id);
    ASSERT_EQ(log.size(), reference.size()) << "node " << id;
    for (std::size_t i = 0; i < log.size(); ++i) {
      ASSERT_EQ(log[i].index, i + 1);
      ASSERT_EQ(log[i], reference[i]);
    }
  }
  EXPECT_TRUE(cluster.missing_acknowledged().empty()) << cluster.missing_acknowledged();
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

}  // namespace
}  // namespace raftio::test
