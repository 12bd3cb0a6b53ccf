// Durable before visible: the node syncs its RaftLog once per step that wrote, before any message
// that depends on the write leaves, and a storage failure stops the node instead of letting it
// run on half-written state. Restarts recover everything that was synced.
#include <gtest/gtest.h>

#include "support/harness.h"

namespace raftio::test {
namespace {

// A MemoryLog that fails on demand and counts calls (storage-failure surgery, LevelDB style).
class FaultyLog final : public RaftLog {
 public:
  explicit FaultyLog(std::unique_ptr<MemoryLog> inner = std::make_unique<MemoryLog>()) : inner_(std::move(inner)) {}

  std::optional<StorageError> fail_append, fail_sync, fail_hard_state, fail_truncate, fail_read;
  int syncs = 0;
  int appends = 0;

  HardState hard_state() const override { return inner_->hard_state(); }
  SnapshotMeta snapshot_meta() const override { return inner_->snapshot_meta(); }
  Index first_index() const override { return inner_->first_index(); }
  Index last_index() const override { return inner_->last_index(); }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override {
    if (fail_read) return unexpected(*fail_read);
    return inner_->read(lo, hi, out);
  }
  StorageStatus append(const EntryBatch& entries) override {
    ++appends;
    if (fail_append) return unexpected(*fail_append);
    return inner_->append(entries);
  }
  StorageStatus truncate_suffix(Index from) override {
    if (fail_truncate) return unexpected(*fail_truncate);
    return inner_->truncate_suffix(from);
  }
  StorageStatus compact(const SnapshotMeta& meta) override { return inner_->compact(meta); }
  StorageStatus save_snapshot(const Snapshot& snapshot) override { return inner_->save_snapshot(snapshot); }
  Result<std::optional<Snapshot>, StorageError> load_snapshot() const override { return inner_->load_snapshot(); }
  StorageStatus set_hard_state(const HardState& state) override {
    if (fail_hard_state) return unexpected(*fail_hard_state);
    return inner_->set_hard_state(state);
  }
  StorageStatus sync() override {
    ++syncs;
    if (fail_sync) return unexpected(*fail_sync);
    return inner_->sync();
  }

 private:
  std::unique_ptr<MemoryLog> inner_;
};

const StorageError kEio{StorageError::Code::Io, "fdatasync: EIO (injected)"};
const StorageError kNoSpace{StorageError::Code::NoSpace, "write: ENOSPC (injected)"};

FaultyLog& faulty(NodeHarness& h) { return const_cast<FaultyLog&>(dynamic_cast<const FaultyLog&>(h.node().log())); }

// Group commit: one sync per step that wrote, however many entries it appended; none for a step
// that changed nothing durable.
TEST(Durability, OneSyncPerStepThatWrote) {
  NodeHarness h(1, {1, 2, 3}, {}, std::make_unique<FaultyLog>());
  h.elect();
  h.receive(AppendEntriesReply{2, 1, h.node().term(), true, 1, 0, 0, 0});
  const int before = faulty(h).syncs;
  std::vector<Event> batch;
  for (int i = 0; i < 64; ++i) batch.push_back(Propose{Payload::copy_of("x"), 0});
  std::vector<Action> out;
  h.node().step(std::span<Event>(batch), out);
  EXPECT_EQ(faulty(h).syncs, before + 1);
  EXPECT_EQ(h.node().durable_index(), 65u);
  h.tick();
  EXPECT_EQ(faulty(h).syncs, before + 1) << "a heartbeat writes nothing";
}

// A failed sync means nothing the step produced may leave: the step returns only StorageFailed,
// and the node refuses every later step, answering requests so none hangs.
TEST(Durability, FailedSyncWithholdsEveryActionAndStopsTheNode) {
  NodeHarness h(1, {1, 2, 3}, {}, std::make_unique<FaultyLog>());
  faulty(h).fail_sync = kEio;
  const auto actions = h.receive(RequestVote{2, 1, 3, 0, 0, false});
  ASSERT_EQ(actions.size(), 1u) << describe_all(actions);
  const auto* failed = std::get_if<StorageFailed>(&actions[0]);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->error, kEio);
  ASSERT_TRUE(h.node().storage_error().has_value());
  faulty(h).fail_sync.reset();
  const auto later = h.propose("x", 4);
  ASSERT_EQ(later.size(), 2u) << describe_all(later);
  EXPECT_TRUE(std::holds_alternative<StorageFailed>(later[0]));
  const auto rejects = actions_of<Reject>(later);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, RejectReason::StorageFailed);
  EXPECT_EQ(rejects[0].id, 4u);
  EXPECT_TRUE(all_sent(h.tick(30)).empty());
}

TEST(Durability, FailedAppendStopsTheLeaderBeforeItReplicates) {
  NodeHarness h(1, {1, 2, 3}, {}, std::make_unique<FaultyLog>());
  h.elect();
  faulty(h).fail_append = kNoSpace;
  const auto actions = h.propose("x");
  ASSERT_EQ(actions.size(), 1u) << describe_all(actions);
  EXPECT_EQ(std::get<StorageFailed>(actions[0]).error.code, StorageError::Code::NoSpace);
}

TEST(Durability, FailedHardStateWriteWithholdsTheVote_5_2) {
  NodeHarness h(1, {1, 2, 3}, {}, std::make_unique<FaultyLog>());
  faulty(h).fail_hard_state = kEio;
  const auto actions = h.receive(RequestVote{2, 1, 3, 0, 0, false});
  EXPECT_TRUE(sent<RequestVoteReply>(actions).empty());
  EXPECT_EQ(actions_of<StorageFailed>(actions).size(), 1u);
}

TEST(Durability, FailedTruncateStopsTheFollower_5_3) {
  auto inner = log_with({1, 1, 1}, HardState{1, 0, 0});
  NodeHarness h(1, {1, 2, 3}, {}, std::make_unique<FaultyLog>(std::move(inner)));
  faulty(h).fail_truncate = kEio;
  const auto actions = h.receive(AppendEntries{2, 1, 2, 1, 1, 0, EntryBatch(make_entries(2, {2}))});
  EXPECT_TRUE(sent<AppendEntriesReply>(actions).empty());
  EXPECT_EQ(actions_of<StorageFailed>(actions).size(), 1u);
}

// A log written in order and torn by a crash keeps a prefix: so the hard state must be written
// before the entries of its term, or a crash could keep entries of a term the log never recorded
// (which recovery rightly refuses). Found by the simulator, seed 5.
TEST(Durability, HardStateIsWrittenBeforeTheEntriesOfItsTerm) {
  class OrderLog final : public RaftLog {
   public:
    std::vector<std::string> calls;
    HardState hard_state() const override { return inner.hard_state(); }
    SnapshotMeta snapshot_meta() const override { return inner.snapshot_meta(); }
    Index first_index() const override { return inner.first_index(); }
    Index last_index() const override { return inner.last_index(); }
    StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override { return inner.read(lo, hi, out); }
    StorageStatus append(const EntryBatch& entries) override {
      calls.push_back("append");
      return inner.append(entries);
    }
    StorageStatus truncate_suffix(Index from) override {
      calls.push_back("truncate");
      return inner.truncate_suffix(from);
    }
    StorageStatus compact(const SnapshotMeta& meta) override { return inner.compact(meta); }
    StorageStatus save_snapshot(const Snapshot& snapshot) override { return inner.save_snapshot(snapshot); }
    Result<std::optional<Snapshot>, StorageError> load_snapshot() const override { return inner.load_snapshot(); }
    StorageStatus set_hard_state(const HardState& state) override {
      calls.push_back("hard_state");
      return inner.set_hard_state(state);
    }
    StorageStatus sync() override {
      calls.push_back("sync");
      return inner.sync();
    }
    MemoryLog inner;
  };
  NodeHarness h(1, {1, 2, 3}, {}, std::make_unique<OrderLog>());
  auto& log = const_cast<OrderLog&>(dynamic_cast<const OrderLog&>(h.node().log()));
  log.calls.clear();
  h.receive(AppendEntries{2, 1, 5, 0, 0, 0, EntryBatch(make_entries(1, {5, 5}))});  // a new term and its entries
  EXPECT_EQ(log.calls, (std::vector<std::string>{"hard_state", "append", "sync"}));
}

// A candidate's own vote and term are durable before its RequestVotes leave (Figure 2).
TEST(Durability, CandidateTermAndSelfVoteAreDurableBeforeRequestVotes_5_2) {
  NodeHarness h(1, {1, 2, 3}, [](RaftConfig::Builder& b) { b.pre_vote(false); });
  std::vector<Action> actions;
  while (h.node().role() == Role::Follower) actions = h.tick();
  ASSERT_FALSE(sent<RequestVote>(actions).empty());
  EXPECT_EQ(h.memory_log().hard_state().term, 1u);
  EXPECT_EQ(h.memory_log().hard_state().vote, 1u);
}

// Restart: term, vote, commit and entries come back from the log; the state machine is rebuilt by
// applying the committed entries again, unless the application says it already has them.
TEST(Durability, RestartRecoversTermVoteCommitAndEntries) {
  NodeHarness h(1, {1, 2, 3});
  h.receive(RequestVote{2, 1, 4, 0, 0, false});
  h.receive(AppendEntries{2, 1, 4, 0, 0, 2, EntryBatch(make_entries(1, {4, 4, 4}))});
  auto copy = std::make_unique<MemoryLog>(h.memory_log());

  RaftNode restarted(make_config(1, {1, 2, 3}), std::move(copy));
  EXPECT_EQ(restarted.term(), 4u);
  EXPECT_EQ(restarted.voted_for(), 2u);
  EXPECT_EQ(restarted.commit_index(), 2u);
  EXPECT_EQ(restarted.last_index(), 3u);
  EXPECT_EQ(restarted.durable_index(), 3u);
  EXPECT_EQ(restarted.entry_at(3)->data.as_string_view(), "e3");
  const auto replay = applied(restarted.step(Tick{}));
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0].index, 1u);

  auto second_copy = std::make_unique<MemoryLog>(h.memory_log());
  RaftNode resumed(make_config(1, {1, 2, 3}, [](RaftConfig::Builder& b) { b.applied(1); }), std::move(second_copy));
  const auto rest = applied(resumed.step(Tick{}));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].index, 2u);
}

// §5.2 across a crash: the persisted vote still binds the restarted node in that term.
TEST(Durability, RestartedNodeDoesNotVoteTwiceInATerm_5_2) {
  NodeHarness h(1, {1, 2, 3});
  h.receive(RequestVote{2, 1, 4, 0, 0, false});
  RaftNode restarted(make_config(1, {1, 2, 3}), std::make_unique<MemoryLog>(h.memory_log()));
  const auto replies = sent<RequestVoteReply>(restarted.step(Receive{RequestVote{3, 1, 4, 0, 0, false}}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].granted);
}

// A log that contradicts itself is corruption: the node starts failed and says why.
TEST(Durability, InconsistentLogStartsTheNodeFailed) {
  auto log = log_with({1, 3}, HardState{2, 0, 0});  // an entry of term 3 but a persisted term of 2
  RaftNode node(make_config(1, {1, 2, 3}), std::move(log));
  ASSERT_TRUE(node.storage_error().has_value());
  EXPECT_EQ(node.storage_error()->code, StorageError::Code::Corruption);
  const auto actions = node.step(Tick{});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<StorageFailed>(actions[0]));
}

TEST(Durability, UnreadableLogStartsTheNodeFailed) {
  auto faulty_log = std::make_unique<FaultyLog>(log_with({1, 1}, HardState{1, 0, 0}));
  faulty_log->fail_read = kEio;
  RaftNode node(make_config(1, {1, 2, 3}), std::move(faulty_log));
  ASSERT_TRUE(node.storage_error().has_value());
  EXPECT_EQ(*node.storage_error(), kEio);
}

// The commit index in the hard state is a hint: recovery never trusts it past the last entry.
TEST(Durability, RecoveredCommitIsClampedToTheLog) {
  RaftNode node(make_config(1, {1, 2, 3}), log_with({1, 1}, HardState{1, 0, 9}));
  EXPECT_FALSE(node.storage_error().has_value());
  EXPECT_EQ(node.commit_index(), 2u);
}

}  // namespace
}  // namespace raftio::test
