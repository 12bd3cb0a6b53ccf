// async_storage mode: the node hands its writes out as Persist actions and holds back, until the
// matching Persisted, everything that promises durability (votes, append acknowledgements, its
// own vote toward commitment, Apply, RestoreSnapshot), while it keeps replicating.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "support/harness.h"

namespace raftio::test {
namespace {

Tweak async_mode(Tweak more = {}) {
  return [more](RaftConfig::Builder& b) {
    b.async_storage(true);
    if (more) more(b);
  };
}

// Writes every Persist among `actions` to the node's own log, in order, and reports each one (and
// any Persist those reports produce); returns the actions of the reports.
std::vector<Action> complete(NodeHarness& h, const std::vector<Action>& actions) {
  std::vector<Action> out;
  for (const Persist& persist : actions_of<Persist>(actions)) {
    auto status = write_persist(h.node().log(), persist);
    EXPECT_TRUE(status) << status.error().context;
    auto reported = h.step(Persisted{persist.index, persist.term});
    auto nested = complete(h, reported);
    out.insert(out.end(), reported.begin(), reported.end());
    out.insert(out.end(), nested.begin(), nested.end());
  }
  return out;
}

std::vector<LogEntry> log_entries(const RaftLog& log) {
  std::vector<LogEntry> out;
  if (log.last_index() >= log.first_index()) {
    EXPECT_TRUE(log.read(log.first_index(), log.last_index(), out));
  }
  return out;
}

std::vector<LogEntry> node_entries(const RaftNode& node) {
  std::vector<LogEntry> out;
  for (Index i = node.first_index(); i <= node.last_index(); ++i) out.push_back(*node.entry_at(i));
  return out;
}

// Node 1 leading {1, 2, 3} in async mode, every write so far reported; its no-op is committed
// and applied, and followers 2 and 3 are streaming.
struct AsyncLeader {
  AsyncLeader() : h(1, {1, 2, 3}, async_mode()) {
    for (int i = 0; i < 1000 && h.node().role() == Role::Follower; ++i) complete(h, h.tick());
    complete(h, h.receive(PreVoteReply{2, 1, h.node().term() + 1, true}));
    EXPECT_EQ(h.node().role(), Role::Candidate);
    complete(h, h.receive(RequestVoteReply{2, 1, h.node().term(), true}));
    EXPECT_EQ(h.node().role(), Role::Leader);
    ack(2, 1);
    ack(3, 1);
    EXPECT_EQ(h.node().applied_index(), 1u);
  }
  Term term() { return h.node().term(); }
  std::vector<Action> ack(NodeId from, Index match) {
    return h.receive(AppendEntriesReply{from, 1, term(), true, match, 0, 0, 0, 0});
  }
  NodeHarness h;
};

TEST(AsyncStorage, StepWritesNothingAndHandsOutOnePersist) {
  AsyncLeader leader;
  const Index before = leader.h.node().log().last_index();
  const auto actions = leader.h.propose("x", 5);
  const auto persists = actions_of<Persist>(actions);
  ASSERT_EQ(persists.size(), 1u);
  ASSERT_EQ(persists[0].entries.size(), 1u);
  EXPECT_EQ(persists[0].entries[0].front().data.to_string(), "x");
  EXPECT_EQ(persists[0].index, before + 1);
  EXPECT_EQ(persists[0].term, leader.term());
  // The commit index that moved since the last Persist rides along; term and vote are the same.
  ASSERT_TRUE(persists[0].hard_state);
  EXPECT_EQ(persists[0].hard_state->commit, 1u);
  EXPECT_EQ(persists[0].hard_state->term, leader.term());
  EXPECT_EQ(persists[0].hard_state->vote, 1u);
  EXPECT_EQ(leader.h.node().log().last_index(), before) << "the node itself wrote nothing";
  EXPECT_EQ(leader.h.node().durable_index(), before);
}

// Thesis §10.2.1: the leader sends AppendEntries in the same step as its own Persist.
TEST(AsyncStorage, LeaderReplicatesWhileItsOwnWriteIsInFlight) {
  AsyncLeader leader;
  const auto actions = leader.h.propose("x");
  ASSERT_EQ(actions_of<Persist>(actions).size(), 1u);
  std::vector<NodeId> to;
  for (const auto& m : sent<AppendEntries>(actions)) {
    if (!m.entries.empty()) to.push_back(m.to);
  }
  EXPECT_EQ(to, (std::vector<NodeId>{2, 3}));
}

TEST(AsyncStorage, LeaderCountsItselfTowardCommitOnlyAfterPersisted) {
  AsyncLeader leader;
  const Index index = leader.h.node().last_index() + 1;
  const auto proposed = leader.h.propose("x");
  leader.ack(2, index);  // with the leader's own vote this would be a quorum of {1, 2, 3}
  EXPECT_EQ(leader.h.node().commit_index(), index - 1) << "the leader's entry is not durable yet";
  const auto reported = complete(leader.h, proposed);
  EXPECT_EQ(leader.h.node().commit_index(), index);
  ASSERT_EQ(applied(reported).size(), 1u);
  EXPECT_EQ(applied(reported)[0].data.to_string(), "x");
}

// Two followers are a quorum of three: the entry commits, but this node applies it only once its
// own copy is durable (durable before visible).
TEST(AsyncStorage, ApplyWaitsForTheLocalWriteEvenWhenCommitted) {
  AsyncLeader leader;
  const Index index = leader.h.node().last_index() + 1;
  const auto proposed = leader.h.propose("x");
  auto actions = leader.ack(2, index);
  const auto more = leader.ack(3, index);
  actions.insert(actions.end(), more.begin(), more.end());
  EXPECT_EQ(leader.h.node().commit_index(), index);
  EXPECT_TRUE(applied(actions).empty());
  EXPECT_EQ(applied(complete(leader.h, proposed)).size(), 1u);
  EXPECT_EQ(leader.h.node().applied_index(), index);
}

TEST(AsyncStorage, FollowerAcknowledgesAppendOnlyAfterPersisted) {
  NodeHarness h(2, {1, 2, 3}, async_mode());
  auto first = h.follow(1, 1);
  auto reported = complete(h, first);
  const auto actions = h.receive(AppendEntries{1, 2, 1, 0, 0, 0, EntryBatch(make_entries(1, {1, 1}))});
  EXPECT_TRUE(sent<AppendEntriesReply>(actions).empty()) << describe_all(actions);
  ASSERT_EQ(actions_of<Persist>(actions).size(), 1u);
  // A heartbeat meanwhile must not acknowledge the entries in flight either.
  const auto heartbeat = h.receive(AppendEntries{1, 2, 1, 2, 1, 0, {}});
  EXPECT_TRUE(sent<AppendEntriesReply>(heartbeat).empty()) << describe_all(heartbeat);
  reported = complete(h, actions);
  const auto replies = sent<AppendEntriesReply>(reported);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_TRUE(replies[0].success);
  EXPECT_EQ(replies[0].match_index, 2u);
  EXPECT_EQ(log_entries(h.node().log()), make_entries(1, {1, 1}));
}

TEST(AsyncStorage, VoteIsSentOnlyAfterItIsDurable) {
  NodeHarness h(2, {1, 2, 3}, async_mode());
  const auto actions = h.receive(RequestVote{3, 2, 4, 0, 0, false});
  EXPECT_TRUE(sent<RequestVoteReply>(actions).empty());
  const auto persists = actions_of<Persist>(actions);
  ASSERT_EQ(persists.size(), 1u);
  ASSERT_TRUE(persists[0].hard_state);
  EXPECT_EQ(persists[0].hard_state->term, 4u);
  EXPECT_EQ(persists[0].hard_state->vote, 3u);
  const auto replies = sent<RequestVoteReply>(complete(h, actions));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].granted);
  EXPECT_EQ(h.node().log().hard_state().vote, 3u);
}

TEST(AsyncStorage, CandidateAsksForVotesOnlyOnceItsTermAndVoteAreDurable) {
  NodeHarness h(1, {1, 2, 3}, async_mode([](RaftConfig::Builder& b) { b.pre_vote(false); }));
  std::vector<Action> actions;
  for (int i = 0; i < 100 && h.node().role() != Role::Candidate; ++i) actions = h.tick();
  ASSERT_EQ(h.node().role(), Role::Candidate);
  EXPECT_TRUE(sent<RequestVote>(actions).empty());
  const auto requests = sent<RequestVote>(complete(h, actions));
  EXPECT_EQ(requests.size(), 2u);
}

TEST(AsyncStorage, PersistedOutOfOrderOrUnaskedStopsTheNodeWithMisuse) {
  {
    AsyncLeader leader;
    const auto first = actions_of<Persist>(leader.h.propose("a"));
    leader.h.propose("b");
    ASSERT_EQ(first.size(), 1u);
    const auto actions = leader.h.step(Persisted{first[0].index + 1, first[0].term});  // the second one
    const auto failed = actions_of<StorageFailed>(actions);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].error.code, StorageError::Code::Misuse);
    EXPECT_NE(failed[0].error.context.find("in order"), std::string::npos) << failed[0].error.context;
  }
  {
    AsyncLeader leader;
    const auto actions = leader.h.step(Persisted{1, 1});
    ASSERT_EQ(actions_of<StorageFailed>(actions).size(), 1u);
  }
  {
    SteadyLeader sync_leader;
    const auto actions = sync_leader.h.step(Persisted{1, 1});
    ASSERT_EQ(actions_of<StorageFailed>(actions).size(), 1u);
    EXPECT_EQ(actions_of<StorageFailed>(actions)[0].error.code, StorageError::Code::Misuse);
  }
}

TEST(AsyncStorage, PersistFailedStopsTheNode) {
  AsyncLeader leader;
  leader.h.propose("a");
  const StorageError error{StorageError::Code::NoSpace, "disk full"};
  auto actions = leader.h.step(PersistFailed{error});
  ASSERT_EQ(actions_of<StorageFailed>(actions).size(), 1u);
  EXPECT_EQ(actions_of<StorageFailed>(actions)[0].error, error);
  actions = leader.h.propose("b", 9);
  ASSERT_EQ(rejects_for(actions, RequestKind::Propose).size(), 1u);
  EXPECT_EQ(rejects_for(actions, RequestKind::Propose)[0].reason, RejectReason::StorageFailed);
}

// §5.3 conflict: the cut travels in the Persist, and write_persist leaves the log equal to the
// node's own view.
TEST(AsyncStorage, ConflictTruncationTravelsInThePersist) {
  NodeHarness h(2, {1, 2, 3}, async_mode(), log_with({1, 1, 2, 2}, HardState{2, kNoNode, 1}));
  const auto actions = h.receive(AppendEntries{1, 2, 3, 2, 1, 1, EntryBatch(make_entries(3, {3}))});
  const auto persists = actions_of<Persist>(actions);
  ASSERT_EQ(persists.size(), 1u);
  EXPECT_EQ(persists[0].truncate_from, 3u);
  complete(h, actions);
  EXPECT_EQ(log_entries(h.node().log()), node_entries(h.node()));
  EXPECT_EQ(h.node().log().last_index(), 3u);
  EXPECT_EQ(h.node().durable_index(), 3u);
}

// An entry cut while its write is in flight is not durable once that write is reported.
TEST(AsyncStorage, TruncationWhileAWriteIsInFlightLowersWhatItMakesDurable) {
  NodeHarness h(2, {1, 2, 3}, async_mode());
  const auto first = h.receive(AppendEntries{1, 2, 1, 0, 0, 0, EntryBatch(make_entries(1, {1, 1, 1}))});
  const auto second = h.receive(AppendEntries{3, 2, 2, 1, 1, 0, EntryBatch(make_entries(2, {2}))});
  const auto persists = actions_of<Persist>(second);
  ASSERT_EQ(persists.size(), 1u);
  EXPECT_EQ(persists[0].truncate_from, 2u);
  complete(h, first);
  EXPECT_EQ(h.node().durable_index(), 1u) << "entries 2 and 3 of term 1 were cut";
  complete(h, second);
  EXPECT_EQ(h.node().durable_index(), 2u);
  EXPECT_EQ(log_entries(h.node().log()), node_entries(h.node()));
}

TEST(AsyncStorage, InstalledSnapshotIsRestoredOnlyOnceDurable) {
  NodeHarness h(2, {1, 2, 3}, async_mode());
  complete(h, h.follow(1, 2));
  const SnapshotMeta meta{10, 2, Membership{{1, 2, 3}, {}}};
  const auto actions = h.receive(snapshot_chunk(1, 2, 2, meta, "state", 0, 5));
  EXPECT_TRUE(actions_of<RestoreSnapshot>(actions).empty());
  EXPECT_TRUE(sent<InstallSnapshotReply>(actions).empty());
  const auto persists = actions_of<Persist>(actions);
  ASSERT_EQ(persists.size(), 1u);
  ASSERT_TRUE(persists[0].snapshot);
  EXPECT_EQ(persists[0].snapshot->last_index, 10u);
  // An entry after the snapshot, committed, arrives before the snapshot's write completes: its
  // Apply must wait behind the RestoreSnapshot.
  const auto next = h.receive(AppendEntries{1, 2, 2, 10, 2, 11, EntryBatch(make_entries(11, {2}))});
  EXPECT_TRUE(applied(next).empty());
  auto reported = complete(h, actions);
  ASSERT_EQ(actions_of<RestoreSnapshot>(reported).size(), 1u);
  EXPECT_EQ(sent<InstallSnapshotReply>(reported).size(), 1u);
  EXPECT_TRUE(applied(reported).empty()) << "entry 11 is not durable yet";
  reported = complete(h, next);
  ASSERT_EQ(applied(reported).size(), 1u);
  EXPECT_EQ(applied(reported)[0].index, 11u);
  auto saved = h.node().log().load_snapshot();
  ASSERT_TRUE(saved);
  ASSERT_TRUE(saved.value());
  EXPECT_EQ(saved.value()->last_index, 10u);
  EXPECT_EQ(h.node().log().first_index(), 11u);
}

// A follower learns a commit index before its own write of those entries completes. Asked then to
// install a snapshot its commit index already covers, it answered "done" at once: the leader took
// entries the follower could still lose for acknowledged (found by the simulator's
// match-monotonicity check: the follower crashed, lost them, and the leader's match went back).
TEST(AsyncStorage, SnapshotTheCommitIndexCoversIsAcknowledgedOnlyOnceDurable) {
  NodeHarness h(2, {1, 2, 3}, async_mode());
  complete(h, h.follow(1, 2));
  const auto writes = h.receive(AppendEntries{1, 2, 2, 0, 0, 2, EntryBatch(make_entries(1, {2, 2}))});
  ASSERT_EQ(actions_of<Persist>(writes).size(), 1u);
  ASSERT_EQ(h.node().commit_index(), 2u);
  ASSERT_LT(h.node().durable_index(), 2u);
  const SnapshotMeta meta{2, 2, Membership{{1, 2, 3}, {}}};
  const auto early = h.receive(snapshot_chunk(1, 2, 2, meta, "state", 0, 5));
  EXPECT_TRUE(sent<InstallSnapshotReply>(early).empty()) << "entries 1 and 2 are not durable yet";
  const auto reported = complete(h, writes);
  const auto replies = sent<InstallSnapshotReply>(reported);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].done);
  EXPECT_EQ(replies[0].last_index, 2u);
}

TEST(AsyncStorage, SnapshotTakenCompactsThroughAPersist) {
  AsyncLeader leader;
  for (int i = 0; i < 3; ++i) complete(leader.h, leader.h.propose("x"));
  const Index index = leader.h.node().last_index();
  leader.ack(2, index);
  ASSERT_EQ(leader.h.node().applied_index(), index);
  const auto actions = leader.h.step(SnapshotTaken{index, Payload::copy_of("image")});
  const auto persists = actions_of<Persist>(actions);
  ASSERT_EQ(persists.size(), 1u);
  ASSERT_TRUE(persists[0].snapshot);
  EXPECT_EQ(leader.h.node().first_index(), index + 1) << "the node's own view is compacted at once";
  EXPECT_EQ(leader.h.node().log().first_index(), 1u) << "the log is compacted by the write";
  complete(leader.h, actions);
  EXPECT_EQ(leader.h.node().log().first_index(), index + 1);
}

// A lone voter must not lead a term a crash can undo: it counts its own vote, and so leads, only
// once its term and vote are durable (the simulator found two leaderships of one term otherwise).
TEST(AsyncStorage, LoneVoterLeadsOnlyOnceItsTermIsDurable) {
  NodeHarness h(1, {1}, async_mode([](RaftConfig::Builder& b) { b.learners({2}); }));
  std::vector<Action> actions;
  for (int i = 0; i < 100 && h.node().role() == Role::Follower; ++i) actions = h.tick();
  if (h.node().role() == Role::PreCandidate) actions = h.tick(0);  // pre-vote alone wins at once
  ASSERT_EQ(h.node().role(), Role::Candidate);
  EXPECT_TRUE(sent<AppendEntries>(actions).empty());
  const auto reported = complete(h, actions);
  EXPECT_EQ(h.node().role(), Role::Leader);
  EXPECT_FALSE(sent<AppendEntries>(reported).empty()) << "now it replicates to its learner";
  EXPECT_EQ(h.node().log().hard_state().term, h.node().term());
}

// A MemoryLog that records the order of the write calls.
class CallOrderLog final : public RaftLog {
 public:
  std::vector<std::string> calls;
  MemoryLog inner;

  HardState hard_state() const override { return inner.hard_state(); }
  SnapshotMeta snapshot_meta() const override { return inner.snapshot_meta(); }
  Index first_index() const override { return inner.first_index(); }
  Index last_index() const override { return inner.last_index(); }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override { return inner.read(lo, hi, out); }
  Result<std::optional<Snapshot>, StorageError> load_snapshot() const override { return inner.load_snapshot(); }
  StorageStatus append(const EntryBatch& e) override { return record("append", inner.append(e)); }
  StorageStatus truncate_suffix(Index from) override { return record("truncate", inner.truncate_suffix(from)); }
  StorageStatus set_hard_state(const HardState& s) override { return record("hard_state", inner.set_hard_state(s)); }
  StorageStatus save_snapshot(const Snapshot& s) override { return record("save_snapshot", inner.save_snapshot(s)); }
  StorageStatus compact(const SnapshotMeta& m) override { return record("compact", inner.compact(m)); }
  StorageStatus sync() override { return record("sync", inner.sync()); }

 private:
  StorageStatus record(const char* name, StorageStatus status) {
    calls.emplace_back(name);
    return status;
  }
};

// The cut before the hard state (whose commit index may cover the new entries), the hard state
// before anything of its term, one sync at the end.
TEST(AsyncStorage, WritePersistOrdersTheParts) {
  CallOrderLog log;
  ASSERT_TRUE(log.append(EntryBatch(make_entries(1, {1, 1, 1}))));
  log.calls.clear();
  Persist persist;
  persist.truncate_from = 2;
  persist.hard_state = HardState{2, 1, 2};
  persist.snapshot = Snapshot{1, 1, Membership{{1}, {}}, Payload::copy_of("s")};
  persist.entries.push_back(EntryBatch(make_entries(2, {2})));
  persist.index = 2;
  persist.term = 2;
  ASSERT_TRUE(write_persist(log, persist));
  EXPECT_EQ(log.calls, (std::vector<std::string>{"truncate", "hard_state", "save_snapshot", "compact", "append", "sync"}));
  EXPECT_EQ(log.first_index(), 2u);
  EXPECT_EQ(log.last_index(), 2u);
  // Entries that do not follow the log are refused, not written.
  Persist gap;
  gap.entries.push_back(EntryBatch(make_entries(5, {2})));
  auto status = write_persist(log, gap);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, StorageError::Code::Misuse);
}

// A writer that batches: several Persists in order, one sync for all of them.
TEST(AsyncStorage, WritePersistOfASpanSyncsOnce) {
  CallOrderLog log;
  std::vector<Persist> batch(2);
  batch[0].hard_state = HardState{1, 1, 0};
  batch[0].entries.push_back(EntryBatch(make_entries(1, {1})));
  batch[1].entries.push_back(EntryBatch(make_entries(2, {1})));
  ASSERT_TRUE(write_persist(log, batch));
  EXPECT_EQ(log.calls, (std::vector<std::string>{"hard_state", "append", "append", "sync"}));
  EXPECT_EQ(log.last_index(), 2u);
}

// A cluster whose nodes all run async on crashing WAL disks: a leader that crashes with its own
// write in flight loses no acknowledged entry, and every node recovers what it wrote.
TEST(AsyncStorage, CrashWithWritesInFlightLosesNoAcknowledgedEntry) {
  sim::ClusterOptions options;
  options.nodes = 3;
  options.storage = sim::Storage::Wal;
  options.async_storage = sim::kAllNodes;
  sim::Cluster cluster(options);
  const NodeId leader = elect_leader(cluster);
  ASSERT_NE(leader, kNoNode);
  for (int i = 0; i < 20; ++i) {
    cluster.propose(leader, Payload::copy_of("v" + std::to_string(i)));
    cluster.deliver_all();
    // Followers write; the leader's own writes stay in flight.
    for (NodeId id : cluster.ids()) {
      if (id != leader) cluster.complete_writes(id);
    }
    cluster.deliver_all();
  }
  EXPECT_GT(cluster.pending_writes(leader), 0u);
  EXPECT_GE(cluster.node(leader).commit_index(), 21u) << "the followers' acknowledgements commit";
  cluster.restart(leader);
  ASSERT_NE(elect_leader(cluster), kNoNode);
  for (int round = 0; round < 50; ++round) {
    cluster.tick_all();
    cluster.deliver_all();
    cluster.complete_all_writes();
    cluster.deliver_all();
  }
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
  // Committed before the crash, so on every node afterwards, the crashed one included.
  for (NodeId id : cluster.ids()) {
    std::set<std::string> values;
    for (const LogEntry& entry : cluster.applied(id)) values.insert(entry.data.to_string());
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(values.count("v" + std::to_string(i))) << "node " << id << " v" << i;
  }
}

// Sync and async nodes in one cluster share the protocol: mixing them changes nothing visible.
TEST(AsyncStorage, MixedClusterReplicatesAndStaysSafe) {
  sim::ClusterOptions options;
  options.nodes = 5;
  options.async_storage = 0b10110;
  sim::Cluster cluster(options);
  ASSERT_NE(elect_leader(cluster), kNoNode);
  for (int i = 0; i < 50; ++i) {
    if (auto leader = cluster.leader()) cluster.propose(*leader, Payload::copy_of("m" + std::to_string(i)));
    cluster.tick_all();
    cluster.deliver_all();
    cluster.complete_all_writes();
    cluster.deliver_all();
  }
  for (int round = 0; round < 20; ++round) {
    cluster.tick_all();
    cluster.deliver_all();
    cluster.complete_all_writes();
  }
  EXPECT_TRUE(cluster.checker().ok()) << cluster.checker().report();
  EXPECT_EQ(cluster.missing_acknowledged(), "");
  std::size_t acknowledged = 0;
  for (const auto& p : cluster.proposals()) acknowledged += p.outcome == sim::ClientProposal::Outcome::Acknowledged;
  EXPECT_EQ(acknowledged, 50u);
}

}  // namespace
}  // namespace raftio::test
