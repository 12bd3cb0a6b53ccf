// Snapshots (Raft §7, thesis chapter 5): compaction on SnapshotTaken, InstallSnapshot in chunks,
// RestoreSnapshot, recovery, and the hostile and out-of-order cases.
#include <gtest/gtest.h>

#include <set>

#include "raftio/sim/cluster.h"
#include "raftio/wal/faulty_file_system.h"
#include "raftio/wal/wal_log.h"
#include "support/harness.h"

namespace raftio::test {
namespace {

// Node 1 leads {1, 2, 3} with `count` proposals committed and applied (follower 2 acknowledged
// them; follower 3 acknowledged nothing).
struct Leader {
  explicit Leader(int count, Tweak tweak = {}) : h(1, {1, 2, 3}, std::move(tweak)) {
    h.elect();
    for (int i = 0; i < count; ++i) h.propose("v" + std::to_string(i));
    h.receive(AppendEntriesReply{2, 1, term(), true, h.node().last_index(), 0, 0, 0});
  }
  Term term() { return h.node().term(); }
  NodeHarness h;
};

Tweak chunks_of(std::uint32_t bytes) {
  return [bytes](RaftConfig::Builder& b) { b.snapshot_chunk_bytes(bytes); };
}

TEST(Snapshot, SnapshotTakenCompactsTheLogAndKeepsTheData) {
  Leader leader(5);
  ASSERT_EQ(leader.h.node().applied_index(), 6u);
  const auto actions = leader.h.step(SnapshotTaken{4, Payload::copy_of("state@4")});
  EXPECT_TRUE(rejects_for(actions, RequestKind::SnapshotTaken).empty());
  EXPECT_EQ(leader.h.node().first_index(), 5u);
  EXPECT_EQ(leader.h.node().entry_at(4), nullptr);
  EXPECT_NE(leader.h.node().entry_at(5), nullptr);
  EXPECT_EQ(leader.h.node().term_at(4), leader.term());  // the snapshot's position keeps its term
  const auto& log = leader.h.memory_log();
  EXPECT_EQ(log.snapshot_meta().last_index, 4u);
  EXPECT_EQ(log.snapshot_meta().membership.voters, (std::vector<NodeId>{1, 2, 3}));
  const auto saved = log.load_snapshot().value();
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->data.as_string_view(), "state@4");
  EXPECT_EQ(saved->last_term, leader.term());
}

TEST(Snapshot, SnapshotBeyondAppliedOrNotNewerIsRejected) {
  Leader leader(3);
  for (Index index : {Index{9}, Index{0}}) {
    const auto rejects = rejects_for(leader.h.step(SnapshotTaken{index, Payload::copy_of("x")}), RequestKind::SnapshotTaken);
    ASSERT_EQ(rejects.size(), 1u) << index;
    EXPECT_EQ(rejects[0].reason, RejectReason::InvalidSnapshot);
  }
  leader.h.step(SnapshotTaken{3, Payload::copy_of("x")});
  EXPECT_EQ(rejects_for(leader.h.step(SnapshotTaken{2, Payload::copy_of("y")}), RequestKind::SnapshotTaken).size(), 1u);
  EXPECT_EQ(leader.h.node().first_index(), 4u);
}

TEST(Snapshot, SuggestedOnceWhenTheLogPassesTheThreshold) {
  Leader leader(0, [](RaftConfig::Builder& b) { b.snapshot_threshold(4); });
  std::vector<SnapshotSuggested> suggestions;
  for (int i = 0; i < 6; ++i) {
    leader.h.propose("p");
    const auto actions = leader.h.receive(AppendEntriesReply{2, 1, leader.term(), true, leader.h.node().last_index(), 0, 0, 0});
    for (const auto& s : actions_of<SnapshotSuggested>(actions)) suggestions.push_back(s);
  }
  ASSERT_EQ(suggestions.size(), 1u);
  EXPECT_EQ(suggestions[0].applied, 4u);
  EXPECT_EQ(suggestions[0].entries, 4u);
  leader.h.step(SnapshotTaken{leader.h.node().applied_index(), Payload::copy_of("s")});
  std::size_t after = 0;
  for (int i = 0; i < 4; ++i) {
    leader.h.propose("p");
    after += actions_of<SnapshotSuggested>(
                 leader.h.receive(AppendEntriesReply{2, 1, leader.term(), true, leader.h.node().last_index(), 0, 0, 0}))
                 .size();
  }
  EXPECT_EQ(after, 1u);  // re-armed by the snapshot
}

// §7: a follower that needs compacted entries gets the snapshot, in chunks of bounded size, each
// sent when the previous one is acknowledged; afterwards replication resumes after it.
TEST(Snapshot, LaggingFollowerReceivesTheSnapshotInChunks) {
  Leader leader(5, chunks_of(4));
  leader.h.step(SnapshotTaken{6, Payload::copy_of("0123456789")});  // 10 bytes: chunks 4, 4, 2
  // Follower 3 answers a heartbeat: it is alive and holds nothing, which the log no longer covers.
  const auto chunks = sent<InstallSnapshot>(leader.h.receive(AppendEntriesReply{3, 1, leader.term(), true, 0, 0, 0, 0}));
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].to, 3u);
  EXPECT_EQ(chunks[0].offset, 0u);
  EXPECT_EQ(chunks[0].chunk.as_string_view(), "0123");
  EXPECT_FALSE(chunks[0].done);
  EXPECT_EQ(chunks[0].meta.last_index, 6u);

  auto next = sent<InstallSnapshot>(leader.h.receive(InstallSnapshotReply{3, 1, leader.term(), 6, 4, false}));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].offset, 4u);
  EXPECT_EQ(next[0].chunk.as_string_view(), "4567");
  next = sent<InstallSnapshot>(leader.h.receive(InstallSnapshotReply{3, 1, leader.term(), 6, 8, false}));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].chunk.as_string_view(), "89");
  EXPECT_TRUE(next[0].done);
  // Installed: the leader continues with entries after the snapshot.
  const auto appends = sent<AppendEntries>(leader.h.receive(InstallSnapshotReply{3, 1, leader.term(), 6, 10, true}));
  ASSERT_FALSE(appends.empty());
  EXPECT_EQ(appends[0].to, 3u);
  EXPECT_EQ(appends[0].prev_log_index, 6u);
}

// A lost chunk (or its reply) is sent again after a stall, from the same offset.
TEST(Snapshot, LostChunkIsResent) {
  Leader leader(5, chunks_of(4));
  leader.h.step(SnapshotTaken{6, Payload::copy_of("0123456789")});
  // Follower 3 answers a heartbeat: it is alive with nothing, so it needs the snapshot.
  auto first = sent<InstallSnapshot>(leader.h.receive(AppendEntriesReply{3, 1, leader.term(), true, 0, 0, 0, 0}));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].offset, 0u);
  std::vector<InstallSnapshot> resent;
  for (int t = 0; t < 10 && resent.empty(); ++t) {
    leader.h.receive(AppendEntriesReply{2, 1, leader.term(), true, 6, 0, 0, 0});  // keeps the quorum
    resent = sent<InstallSnapshot>(leader.h.tick(1));
  }
  ASSERT_EQ(resent.size(), 1u);  // nobody answered: the same chunk again
  EXPECT_EQ(resent[0].offset, 0u);
  EXPECT_EQ(resent[0].to, 3u);
}

// Found by swarm testing (raftio-sim seed 5: one-byte chunks and duplication bursts): a duplicated
// reply made the leader send the chunk in flight a second time, and from then on both copies were
// answered and each answer sent a chunk; every duplication added a stream of chunks that lived as
// long as the transfer, until the run held millions of messages. A repeat of the request in
// flight is now ignored; a request for another offset (the follower lost its partial copy) is not.
TEST(Snapshot, DuplicatedReplyDoesNotSendTheChunkAgain) {
  Leader leader(5, chunks_of(4));
  leader.h.step(SnapshotTaken{6, Payload::copy_of("0123456789")});
  ASSERT_EQ(sent<InstallSnapshot>(leader.h.receive(AppendEntriesReply{3, 1, leader.term(), true, 0, 0, 0, 0})).size(), 1u);
  const InstallSnapshotReply more{3, 1, leader.term(), 6, 4, false};
  auto next = sent<InstallSnapshot>(leader.h.receive(more));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].offset, 4u);
  EXPECT_TRUE(sent<InstallSnapshot>(leader.h.receive(more)).empty()) << "the chunk at 4 is already on its way";
  next = sent<InstallSnapshot>(leader.h.receive(InstallSnapshotReply{3, 1, leader.term(), 6, 0, false}));
  ASSERT_EQ(next.size(), 1u) << "a follower that lost its partial snapshot starts over";
  EXPECT_EQ(next[0].offset, 0u);
}

// Found by the simulator (seed 1): a new leader whose log is compacted knows no term for a
// follower's match of 0, and used to send it no heartbeat at all; a lost first probe then cut the
// follower off for good. Index 0 always matches, so the heartbeat anchors there.
TEST(Snapshot, NewLeaderHeartbeatsFollowersBelowItsSnapshot) {
  auto log = log_with({1, 1, 1, 1}, HardState{1, kNoNode, 4});
  ASSERT_TRUE(log->save_snapshot(raftio::Snapshot{3, 1, Membership{{1, 2, 3}, {}}, Payload::copy_of("s")}));
  ASSERT_TRUE(log->compact(SnapshotMeta{3, 1, Membership{{1, 2, 3}, {}}}));
  NodeHarness h(1, {1, 2, 3}, {}, std::move(log));
  h.elect();  // its first AppendEntries (the probes) are lost
  ASSERT_TRUE(h.node().is_leader());
  std::vector<AppendEntries> heartbeats;
  for (int t = 0; t < 3; ++t) {
    for (const auto& m : sent<AppendEntries>(h.tick())) heartbeats.push_back(m);
  }
  std::set<NodeId> reached;
  for (const auto& m : heartbeats) reached.insert(m.to);
  EXPECT_EQ(reached, (std::set<NodeId>{2, 3}));
  // The answer to such a heartbeat (the latest: it echoes its seq) restarts the probing, which
  // leads to the snapshot it needs.
  const Term term = h.node().term();
  std::uint64_t last_seq = 0;
  for (const auto& m : heartbeats) {
    if (m.to == 2) last_seq = m.seq;
  }
  const auto probes = sent<AppendEntries>(h.receive(AppendEntriesReply{2, 1, term, true, 0, 0, 0, 0, 0, last_seq}));
  ASSERT_EQ(probes.size(), 1u);
  const auto chunks = sent<InstallSnapshot>(h.receive(AppendEntriesReply{2, 1, term, false, 0, probes[0].prev_log_index, 0, 0}));
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].meta.last_index, 3u);
}

// The follower side: chunks in order, a duplicate or reordered chunk is answered with the offset
// it expects, and the last one installs the snapshot.
TEST(Snapshot, DuplicatedOrReorderedChunkIsAnsweredWithTheExpectedOffset) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 3);
  const SnapshotMeta meta{20, 2, Membership{{1, 2, 3}, {}}};
  const std::string_view data = "abcdefghi";
  auto reply = sent<InstallSnapshotReply>(h.receive(snapshot_chunk(1, 2, 3, meta, data, 0, 3)));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].next_offset, 3u);
  // Duplicate of the first chunk: nothing appended twice.
  reply = sent<InstallSnapshotReply>(h.receive(snapshot_chunk(1, 2, 3, meta, data, 0, 3)));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].next_offset, 3u);
  // A chunk from the future (the one in between was lost).
  reply = sent<InstallSnapshotReply>(h.receive(snapshot_chunk(1, 2, 3, meta, data, 6, 3)));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].next_offset, 3u);
  EXPECT_FALSE(reply[0].done);
  h.receive(snapshot_chunk(1, 2, 3, meta, data, 3, 3));
  const auto actions = h.receive(snapshot_chunk(1, 2, 3, meta, data, 6, 3));
  const auto restores = actions_of<RestoreSnapshot>(actions);
  ASSERT_EQ(restores.size(), 1u);
  EXPECT_EQ(restores[0].snapshot.data.as_string_view(), "abcdefghi");
  EXPECT_EQ(restores[0].snapshot.last_index, 20u);
  reply = sent<InstallSnapshotReply>(actions);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_TRUE(reply[0].done);
  EXPECT_EQ(h.node().first_index(), 21u);
  EXPECT_EQ(h.node().last_index(), 20u);
  EXPECT_EQ(h.node().commit_index(), 20u);
  EXPECT_EQ(h.node().applied_index(), 20u);
  EXPECT_EQ(h.memory_log().snapshot_meta().last_index, 20u);
  // Entries after the snapshot append normally.
  const auto acks = sent<AppendEntriesReply>(h.receive(AppendEntries{1, 2, 3, 20, 2, 20, EntryBatch(make_entries(21, {3}))}));
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].success);
  EXPECT_EQ(acks[0].match_index, 21u);
  EXPECT_EQ(applied(h.receive(AppendEntries{1, 2, 3, 21, 3, 21, {}})).size(), 1u);
}

// Figure 13 step 6: a follower mid-append whose log already agrees with the snapshot at its index
// keeps the entries after it; one that disagrees discards its log.
TEST(Snapshot, ArrivingWhileFollowerIsMidAppendKeepsAgreeingSuffix) {
  NodeHarness agree(2, {1, 2, 3}, {}, log_with({1, 1, 2, 2, 2}, HardState{2, kNoNode, 1}));
  agree.follow(1, 2);
  const SnapshotMeta meta{3, 2, Membership{{1, 2, 3}, {}}};
  agree.receive(snapshot_chunk(1, 2, 2, meta, "s", 0, 1));
  EXPECT_EQ(agree.node().first_index(), 4u);
  EXPECT_EQ(agree.node().last_index(), 5u);  // entries 4 and 5 survive
  EXPECT_EQ(agree.node().term_at(5), 2u);

  NodeHarness disagree(2, {1, 2, 3}, {}, log_with({1, 1, 1, 1, 1}, HardState{2, kNoNode, 1}));
  disagree.follow(1, 2);
  disagree.receive(snapshot_chunk(1, 2, 2, meta, "s", 0, 1));
  EXPECT_EQ(disagree.node().first_index(), 4u);
  EXPECT_EQ(disagree.node().last_index(), 3u);  // its entries 4, 5 (term 1) were not the leader's
  EXPECT_EQ(disagree.memory_log().last_index(), 3u);
}

// A snapshot the follower's commit index already covers is acknowledged without installing.
TEST(Snapshot, StaleSnapshotIsAcknowledgedNotInstalled) {
  NodeHarness h(2, {1, 2, 3}, {}, log_with({1, 1, 1, 1}, HardState{1, kNoNode, 4}));
  h.follow(1, 1);
  const auto actions = h.receive(snapshot_chunk(1, 2, 1, SnapshotMeta{3, 1, Membership{{1, 2, 3}, {}}}, "s", 0, 1));
  EXPECT_TRUE(actions_of<RestoreSnapshot>(actions).empty());
  const auto reply = sent<InstallSnapshotReply>(actions);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_TRUE(reply[0].done);
  EXPECT_EQ(h.node().first_index(), 1u);
}

// When leadership changes mid-transfer, the new leader's snapshot starts over at offset 0; a
// chunk of it at another offset is answered "from 0".
TEST(Snapshot, NewLeaderSnapshotRestartsTheTransfer) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 3);
  h.receive(snapshot_chunk(1, 2, 3, SnapshotMeta{20, 2, Membership{{1, 2, 3}, {}}}, "abcdef", 0, 3));
  const SnapshotMeta newer{25, 4, Membership{{1, 2, 3}, {}}};
  auto reply = sent<InstallSnapshotReply>(h.receive(snapshot_chunk(3, 2, 4, newer, "newxyz", 3, 3)));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].next_offset, 0u);
  EXPECT_EQ(reply[0].last_index, 25u);
  const auto restores = actions_of<RestoreSnapshot>(h.receive(snapshot_chunk(3, 2, 4, newer, "newxyz", 0, 6)));
  ASSERT_EQ(restores.size(), 1u);
  EXPECT_EQ(restores[0].snapshot.data.as_string_view(), "newxyz");
}

TEST(Snapshot, MalformedInstallSnapshotIsIgnored) {
  NodeHarness h(2, {1, 2, 3});
  h.follow(1, 3);
  const Membership members{{1, 2, 3}, {}};
  const std::uint64_t x = snapshot_checksum(Payload::copy_of("x").bytes());
  for (const InstallSnapshot& m : {snapshot_chunk(1, 2, 3, SnapshotMeta{0, 2, members}, "x", 0, 1),
                                   snapshot_chunk(1, 2, 3, SnapshotMeta{9, 0, members}, "x", 0, 1),
                                   snapshot_chunk(1, 2, 3, SnapshotMeta{9, 4, members}, "x", 0, 1),
                                   snapshot_chunk(1, 2, 3, SnapshotMeta{9, 2, {}}, "x", 0, 1),
                                   InstallSnapshot{1, 2, 3, SnapshotMeta{9, 2, members}, ~std::uint64_t{0}, Payload::copy_of("x"), true, 1, x},
                                   InstallSnapshot{1, 2, 3, SnapshotMeta{9, 2, members}, 0, Payload::copy_of("x"), false, 1, x},
                                   InstallSnapshot{1, 2, 3, SnapshotMeta{9, 2, members}, 0, Payload::copy_of("x"), true, 2, x},
                                   // no size and checksum (a sender older than wire version 3)
                                   InstallSnapshot{1, 2, 3, SnapshotMeta{9, 2, members}, 0, Payload::copy_of("x"), true}}) {
    const auto actions = h.receive(m);
    EXPECT_TRUE(actions_of<RestoreSnapshot>(actions).empty());
    EXPECT_TRUE(sent<InstallSnapshotReply>(actions).empty());
  }
  EXPECT_EQ(h.node().first_index(), 1u);
}

// At start-up, an application older than the log's snapshot is told to restore it first.
TEST(Snapshot, RestartWithCompactedLogRestoresFirst) {
  auto log = log_with({1, 1, 1, 1, 1}, HardState{1, kNoNode, 5});
  ASSERT_TRUE(log->save_snapshot(raftio::Snapshot{3, 1, Membership{{1, 2, 3}, {}}, Payload::copy_of("at3")}));
  ASSERT_TRUE(log->compact(SnapshotMeta{3, 1, Membership{{1, 2, 3}, {}}}));
  NodeHarness h(1, {1, 2, 3}, {}, std::move(log));
  const auto actions = h.tick();
  ASSERT_FALSE(actions.empty());
  const auto* restore = std::get_if<RestoreSnapshot>(&actions.front());
  ASSERT_NE(restore, nullptr);
  EXPECT_EQ(restore->snapshot.data.as_string_view(), "at3");
  const auto entries = applied(actions);
  ASSERT_EQ(entries.size(), 2u);  // 4 and 5, after the snapshot
  EXPECT_EQ(entries[0].index, 4u);
  EXPECT_TRUE(actions_of<RestoreSnapshot>(h.tick()).empty());  // once
}

// A log compacted past a snapshot it does not hold cannot be trusted.
TEST(Snapshot, CompactedLogWithoutSnapshotFailsToStart) {
  auto log = log_with({1, 1, 1}, HardState{1, kNoNode, 3});
  ASSERT_TRUE(log->compact(SnapshotMeta{2, 1, {}}));
  NodeHarness h(1, {1, 2, 3}, {}, std::move(log));
  ASSERT_TRUE(h.node().storage_error().has_value());
  EXPECT_EQ(h.node().storage_error()->code, StorageError::Code::Corruption);
}

// A follower that restarted with fewer entries than the leader believes it has: the pipelined
// messages it had not made durable are gone, so it refuses the next one; the leader probes back
// to what it holds instead of crashing or stalling.
TEST(Snapshot, FollowerThatRestartedWithFewerEntriesCatchesUp) {
  Leader leader(5);  // follower 2 acknowledged index 6
  for (int i = 0; i < 4; ++i) leader.h.propose("more");  // sent to 2 as prev 6, [7..10]
  const auto actions = leader.h.propose("last");         // prev 10, [11]: the leader believes 2 holds 10
  ASSERT_FALSE(sent<AppendEntries>(actions).empty());
  // Follower 2 crashed before syncing 7..10 and refuses the message after them.
  const auto probes = sent<AppendEntries>(leader.h.receive(AppendEntriesReply{2, 1, leader.term(), false, 0, 10, 6, leader.term()}));
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].to, 2u);
  EXPECT_EQ(probes[0].prev_log_index, 6u);
  ASSERT_FALSE(probes[0].entries.empty());
  EXPECT_EQ(probes[0].entries[0].index, 7u);
}

// The WAL keeps the snapshot and its compaction across a restart; the data comes back with it.
TEST(Snapshot, WalLogSnapshotSurvivesRestart) {
  auto disk = std::make_shared<wal::FaultyFileSystem>(3);
  const auto config = make_config(1, {1});
  {
    RaftNode node(config, wal::WalLog::open(disk, "/n", wal::WalOptions{4096}).value());
    for (int i = 0; i < 40 && !node.is_leader(); ++i) node.step(Tick{});
    ASSERT_TRUE(node.is_leader());
    for (int i = 0; i < 50; ++i) node.step(Propose{Payload::copy_of(std::string(100, 'a' + i % 26)), 0});
    const auto actions = node.step(SnapshotTaken{40, Payload::copy_of("state-40")});
    ASSERT_TRUE(rejects_for(actions, RequestKind::SnapshotTaken).empty());
    ASSERT_FALSE(node.storage_error());
  }
  disk->crash(/*tear_last_write=*/true);
  RaftNode node(config, wal::WalLog::open(disk, "/n", wal::WalOptions{4096}).value());
  ASSERT_FALSE(node.storage_error()) << node.storage_error()->context;
  EXPECT_EQ(node.first_index(), 41u);
  EXPECT_EQ(node.last_index(), 51u);
  const auto actions = node.step(Tick{});
  const auto restores = actions_of<RestoreSnapshot>(actions);
  ASSERT_EQ(restores.size(), 1u);
  EXPECT_EQ(restores[0].snapshot.data.as_string_view(), "state-40");
}

// End to end: a follower that was cut off while the others compacted their logs catches up
// through InstallSnapshot, and every property holds.
TEST(Snapshot, ClusterCatchesUpPartitionedFollowerThroughSnapshot) {
  sim::ClusterOptions options;
  options.seed = 11;
  options.snapshot_chunk_bytes = 16;
  sim::Cluster cluster(options);
  std::map<NodeId, std::pair<Index, std::string>> state;  // per node: applied index, a fake state
  std::vector<std::pair<NodeId, std::string>> restored;
  cluster.set_action_observer([&](NodeId id, const Action& action) {
    if (const auto* apply = std::get_if<Apply>(&action)) {
      state[id].first = apply->entry.index;
      state[id].second += apply->entry.data.to_string();
    } else if (const auto* restore = std::get_if<RestoreSnapshot>(&action)) {
      state[id] = {restore->snapshot.last_index, restore->snapshot.data.to_string()};
      restored.emplace_back(id, restore->snapshot.data.to_string());
    }
  });
  elect_leader(cluster);
  ASSERT_TRUE(cluster.leader());
  const NodeId leader = *cluster.leader();
  const NodeId lagging = leader == 3 ? 1 : 3;
  cluster.network().isolate(lagging, cluster.ids());
  for (int i = 0; i < 30; ++i) cluster.propose(leader, Payload::copy_of("w" + std::to_string(i)));
  cluster.deliver_all();
  for (NodeId id : cluster.ids()) {
    if (id == lagging) continue;
    cluster.step(id, SnapshotTaken{state[id].first, Payload::copy_of(state[id].second)});
  }
  ASSERT_GT(cluster.node(leader).first_index(), 2u);
  cluster.network().heal();
  for (int i = 0; i < 100 && cluster.node(lagging).applied_index() < cluster.node(leader).commit_index(); ++i) {
    cluster.tick_all();
    cluster.deliver_all();
  }
  EXPECT_EQ(cluster.node(lagging).applied_index(), cluster.node(leader).commit_index());
  EXPECT_EQ(state[lagging], state[leader]);
  ASSERT_FALSE(restored.empty());
  EXPECT_EQ(restored.back().first, lagging);
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
}

}  // namespace
}  // namespace raftio::test
