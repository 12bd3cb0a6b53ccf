// The API a hand-written test (or an embedder's codec) touches directly: MemoryLog built from
// contents and crashed, the replies' named constructors and the meaning of their terms, and the
// correlation id on every request the node can reject (issue 15).
#include <gtest/gtest.h>

#include "support/harness.h"

namespace raftio::test {
namespace {

LogEntry entry(Index index, Term term, std::string_view data = "") {
  return LogEntry{term, index, EntryKind::Normal, Payload::copy_of(data)};
}

std::vector<LogEntry> read_all(const MemoryLog& log) {
  std::vector<LogEntry> out;
  if (log.last_index() >= log.first_index()) {
    EXPECT_TRUE(log.read(log.first_index(), log.last_index(), out));
  }
  return out;
}

// --- MemoryLog::from ---

TEST(MemoryLogFrom, StartsANodeFromSnapshotEntriesAndHardState) {
  Snapshot snapshot{4, 2, Membership{{1, 2, 3}, {}}, Payload::copy_of("state")};
  auto log = MemoryLog::from({snapshot, {entry(5, 2), entry(6, 3)}, HardState{3, 2, 5}});
  ASSERT_TRUE(log) << log.error().context;
  EXPECT_EQ(log->first_index(), 5u);
  EXPECT_EQ(log->last_index(), 6u);
  RaftNode node(make_config(1, {1, 2, 3}), std::make_unique<MemoryLog>(std::move(log).value()));
  EXPECT_EQ(node.term(), 3u);
  EXPECT_EQ(node.voted_for(), 2u);
  EXPECT_EQ(node.commit_index(), 5u);
  EXPECT_EQ(node.first_index(), 5u);
  EXPECT_EQ(node.last_index(), 6u);
  EXPECT_EQ(node.term_at(4), Term{2});
  EXPECT_EQ(node.term_at(6), Term{3});
}

TEST(MemoryLogFrom, RefusesEntriesThatDoNotFollowOrWhoseTermsGoDown) {
  EXPECT_FALSE(MemoryLog::from({std::nullopt, {entry(2, 1)}, {}}));  // a gap before index 2
  EXPECT_FALSE(MemoryLog::from({std::nullopt, {entry(1, 2), entry(2, 1)}, {}}));
  Snapshot snapshot{3, 4, Membership{{1}, {}}, {}};
  EXPECT_FALSE(MemoryLog::from({snapshot, {entry(5, 4)}, {}}));       // must start at 4
  EXPECT_FALSE(MemoryLog::from({snapshot, {entry(4, 3)}, {}}));       // below the snapshot's term
  EXPECT_TRUE(MemoryLog::from({snapshot, {entry(4, 4)}, {}}));
}

// --- MemoryLog::crash ---

MemoryLog tracked_log_with_two_synced_entries() {
  auto built = MemoryLog::from({std::nullopt, {entry(1, 1, "a"), entry(2, 1, "b")}, HardState{1, 1, 2}});
  EXPECT_TRUE(built);
  MemoryLog log = std::move(built).value();
  log.track_durability();
  return log;
}

TEST(MemoryLogCrash, WithoutTrackingNothingIsLost) {
  MemoryLog log;
  ASSERT_TRUE(log.append(std::vector<LogEntry>{entry(1, 1)}));
  log.crash();
  EXPECT_EQ(log.last_index(), 1u);
}

TEST(MemoryLogCrash, DropsWhatWasNotSynced) {
  MemoryLog log = tracked_log_with_two_synced_entries();
  ASSERT_TRUE(log.append(std::vector<LogEntry>{entry(3, 2, "c")}));
  ASSERT_TRUE(log.set_hard_state(HardState{2, 3, 2}));
  EXPECT_EQ(log.unsynced_writes(), 2u);
  log.crash();
  EXPECT_EQ(log.last_index(), 2u);
  EXPECT_EQ(log.hard_state(), (HardState{1, 1, 2}));
  EXPECT_EQ(log.unsynced_writes(), 0u);
}

TEST(MemoryLogCrash, KeepsWhatWasSynced) {
  MemoryLog log = tracked_log_with_two_synced_entries();
  ASSERT_TRUE(log.append(std::vector<LogEntry>{entry(3, 2, "c")}));
  ASSERT_TRUE(log.sync());
  ASSERT_TRUE(log.set_hard_state(HardState{5, 0, 0}));
  log.crash();
  EXPECT_EQ(log.last_index(), 3u);
  EXPECT_EQ(log.hard_state(), (HardState{1, 1, 2}));
}

TEST(MemoryLogCrash, AnUnsyncedTruncationComesUndone) {
  MemoryLog log = tracked_log_with_two_synced_entries();
  ASSERT_TRUE(log.truncate_suffix(2));
  ASSERT_TRUE(log.append(std::vector<LogEntry>{entry(2, 3, "x")}));
  log.crash();
  const auto entries = read_all(log);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1], entry(2, 1, "b"));
}

TEST(MemoryLogCrash, KeepsTheFirstUnsyncedWritesAndTearsTheNext) {
  MemoryLog log = tracked_log_with_two_synced_entries();
  ASSERT_TRUE(log.set_hard_state(HardState{2, 0, 2}));
  ASSERT_TRUE(log.append(std::vector<LogEntry>{entry(3, 2), entry(4, 2), entry(5, 2), entry(6, 2)}));
  ASSERT_TRUE(log.append(std::vector<LogEntry>{entry(7, 2)}));
  log.crash({.keep = 1, .tear_next = true});
  EXPECT_EQ(log.hard_state().term, 2u);  // the first write landed
  EXPECT_EQ(log.last_index(), 4u);       // the second was torn in half, the third never landed
  // What survived a crash is durable: a second crash loses nothing more.
  log.crash();
  EXPECT_EQ(log.last_index(), 4u);
}

TEST(MemoryLogCrash, ASavedSnapshotSurvivesWithoutSync) {
  MemoryLog log = tracked_log_with_two_synced_entries();
  Snapshot snapshot{2, 1, Membership{{1}, {}}, Payload::copy_of("ab")};
  ASSERT_TRUE(log.save_snapshot(snapshot));
  ASSERT_TRUE(log.compact(snapshot.meta()));
  log.crash();
  // The compaction was not synced, but the snapshot's data was saved durably (the RaftLog
  // contract); a node starting on this log finishes the compaction.
  EXPECT_EQ(log.snapshot_meta().last_index, 0u);
  const auto loaded = log.load_snapshot();
  ASSERT_TRUE(loaded && loaded.value());
  EXPECT_EQ(loaded.value()->last_index, 2u);
  RaftNode node(make_config(1, {1}), std::make_unique<MemoryLog>(log));
  EXPECT_EQ(node.first_index(), 3u);
}

// --- replies: named constructors and the meaning of term ---

TEST(Replies, AppendEntriesReplyAnswersItsRequest) {
  AppendEntries request{1, 2, 7, 10, 6, 9, {}, 3, 42};
  EXPECT_EQ(AppendEntriesReply::accept(request, 12), (AppendEntriesReply{2, 1, 7, true, 12, 0, 0, 0, 3, 42}));
  EXPECT_EQ(AppendEntriesReply::reject(request, 8, 5), (AppendEntriesReply{2, 1, 7, false, 0, 10, 8, 5, 3, 42}));
  EXPECT_EQ(AppendEntriesReply::stale_term(request, 9), (AppendEntriesReply{2, 1, 9, false, 0, 0, 0, 0, 0, 0}));
  // Designated initializers name the fields that matter.
  EXPECT_EQ(AppendEntriesReply::accept(request, 12),
            (AppendEntriesReply{.from = 2, .to = 1, .term = 7, .success = true, .match_index = 12, .read_round = 3, .seq = 42}));
}

// A voter in term 5 that never heard from a leader.
NodeHarness voter_in_term_5() { return NodeHarness(2, {1, 2, 3}, {}, log_with({1, 1}, HardState{5, kNoNode, 0})); }

// One meaning of `term` per message: a PreVoteReply's is always the pre-vote's term, granted or
// refused; the voter's own term travels in `voter_term`.
TEST(Replies, APreVoteReplyCarriesThePreVotesTermAndTheVotersTerm) {
  auto h = voter_in_term_5();
  const PreVote request{1, 2, 7, 2, 1};
  auto replies = sent<PreVoteReply>(h.receive(request));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], PreVoteReply::grant(request, 5));
  EXPECT_EQ(replies[0], (PreVoteReply{.from = 2, .to = 1, .term = 7, .granted = true, .voter_term = 5}));
  EXPECT_EQ(h.node().term(), 5u);  // a pre-vote changes no term

  const PreVote behind{1, 2, 6, 1, 1};  // log shorter than the voter's
  replies = sent<PreVoteReply>(h.receive(behind));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], PreVoteReply::refuse(behind, 5));
  EXPECT_EQ(replies[0], (PreVoteReply{.from = 2, .to = 1, .term = 6, .granted = false, .voter_term = 5}));
  const PreVote stale{1, 2, 4, 2, 1};  // a term the voter has passed
  replies = sent<PreVoteReply>(h.receive(stale));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], (PreVoteReply{.from = 2, .to = 1, .term = 4, .granted = false, .voter_term = 5}));
}

TEST(Replies, RequestVoteRepliesCarryTheVotersTerm) {
  auto h = voter_in_term_5();
  const RequestVote request{1, 2, 6, 2, 1};
  auto replies = sent<RequestVoteReply>(h.receive(request));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], RequestVoteReply::grant(request));
  const RequestVote rival{3, 2, 6, 2, 1};  // same term: the vote is taken
  replies = sent<RequestVoteReply>(h.receive(rival));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], RequestVoteReply::refuse(rival, 6));
}

// --- correlation ids ---

TEST(CorrelationIds, EveryRejectableRequestGetsItsIdBack) {
  NodeHarness h(1, {1, 2, 3});  // a follower that knows no leader
  const auto rejected = [&](Event event) {
    const auto rejects = actions_of<Reject>(h.step(std::move(event)));
    EXPECT_EQ(rejects.size(), 1u);
    return rejects.empty() ? Reject{} : rejects[0];
  };
  EXPECT_EQ(rejected(Propose{Payload::copy_of("x"), 11}).id, 11u);
  EXPECT_EQ(rejected(ReadIndex{12}).id, 12u);
  EXPECT_EQ(rejected(TransferLeadership{2, 13}).id, 13u);
  EXPECT_EQ(rejected(SnapshotTaken{5, Payload::copy_of("s"), 14}).id, 14u);  // beyond the applied index
  EXPECT_EQ(rejected(ChangeMembership{MembershipChange::AddLearner, 4, 15}).id, 15u);
}

}  // namespace
}  // namespace raftio::test
