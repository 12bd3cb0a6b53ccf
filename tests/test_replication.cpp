// Log replication: Raft §5.3 (consistency check, conflicts, fast backtracking), pipelining,
// batching, heartbeats and proposals.
#include <gtest/gtest.h>

#include "support/harness.h"

namespace raftio::test {
namespace {

// §5.3: the leader appends a proposal to its log and sends it to every follower, with the index
// and term of the entry before it.
TEST(Replication, LeaderAppendsProposalAndSendsItToEveryFollower_5_3) {
  SteadyLeader leader;
  const auto actions = leader.h.propose("x", 77);
  const auto accepted = actions_of<ProposalAccepted>(actions);
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0].id, 77u);
  EXPECT_EQ(accepted[0].index, 2u);
  EXPECT_EQ(accepted[0].term, leader.term());
  const auto appends = sent<AppendEntries>(actions);
  ASSERT_EQ(appends.size(), 2u);
  for (const auto& append : appends) {
    EXPECT_EQ(append.prev_log_index, 1u);
    EXPECT_EQ(append.prev_log_term, leader.term());
    ASSERT_EQ(append.entries.size(), 1u);
    EXPECT_EQ(append.entries[0].index, 2u);
    EXPECT_EQ(append.entries[0].data.as_string_view(), "x");
  }
}

// Design rule: no copies per follower. The payload is one buffer shared by the log, every
// AppendEntries and the Apply action.
TEST(Replication, PayloadIsSharedNotCopiedPerFollower) {
  SteadyLeader leader;
  const Payload payload = Payload::copy_of("shared bytes");
  const auto actions = leader.h.step(Propose{payload, 1});
  const auto appends = sent<AppendEntries>(actions);
  ASSERT_EQ(appends.size(), 2u);
  EXPECT_TRUE(appends[0].entries[0].data.shares_buffer_with(payload));
  EXPECT_TRUE(appends[1].entries[0].data.shares_buffer_with(payload));
  EXPECT_TRUE(leader.h.node().entry_at(2)->data.shares_buffer_with(payload));
  const auto applies = applied(leader.h.receive(AppendEntriesReply{2, 1, leader.term(), true, 2, 0, 0, 0}));
  ASSERT_EQ(applies.size(), 1u);
  EXPECT_TRUE(applies[0].data.shares_buffer_with(payload));
}

// A follower or candidate cannot accept proposals; it names the leader when it knows one.
TEST(Replication, ProposalOnFollowerIsRejectedWithLeaderHint) {
  NodeHarness h(1, {1, 2, 3});
  h.follow(3, 2);
  const auto rejects = actions_of<Reject>(h.propose("x", 5));
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].what, RequestKind::Propose);
  EXPECT_EQ(rejects[0].reason, RejectReason::NotLeader);
  EXPECT_EQ(rejects[0].leader_hint, 3u);
  EXPECT_EQ(rejects[0].id, 5u);
  EXPECT_EQ(h.node().last_index(), 0u);

  NodeHarness lonely(1, {1, 2, 3});
  const auto unknown = actions_of<Reject>(lonely.propose("x", 6));
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].leader_hint, kNoNode);
}

// §5.3: a follower appends entries that follow a matching prev entry and acknowledges the last
// one, after making them durable.
TEST(Replication, FollowerAppendsAndAcknowledgesDurably_5_3) {
  NodeHarness h(1, {1, 2, 3});
  const auto actions = h.receive(AppendEntries{2, 1, 1, 0, 0, 0, EntryBatch(make_entries(1, {1, 1}))});
  ASSERT_EQ(h.node().last_index(), 2u);
  EXPECT_EQ(h.memory_log().last_index(), 2u);
  EXPECT_EQ(h.node().durable_index(), 2u);
  const auto replies = sent<AppendEntriesReply>(actions);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].success);
  EXPECT_EQ(replies[0].match_index, 2u);
}

// §5.3: if the follower has no entry at prev_log_index, it refuses, and hints at its last index.
TEST(Replication, ConsistencyCheckRefusesMissingPrevEntry_5_3) {
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1, 1}, HardState{1, 0, 0}));
  const auto replies = sent<AppendEntriesReply>(h.receive(AppendEntries{2, 1, 2, 5, 2, 0, {}}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].success);
  EXPECT_EQ(replies[0].reject_index, 5u);
  EXPECT_EQ(replies[0].conflict_index, 2u);
  EXPECT_EQ(replies[0].conflict_term, 1u);
  EXPECT_EQ(h.node().last_index(), 2u);
}

// §5.3: if the entry at prev_log_index has another term, the follower refuses. The hint is the
// last index whose term is at most prev_log_term, so the leader can skip whole terms.
TEST(Replication, ConsistencyCheckRefusesTermMismatchWithTermHint_5_3) {
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1, 1, 2, 2, 2}, HardState{2, 0, 0}));
  const auto replies = sent<AppendEntriesReply>(h.receive(AppendEntries{3, 1, 3, 5, 3, 0, {}}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].success);
  EXPECT_EQ(replies[0].conflict_index, 5u);
  EXPECT_EQ(replies[0].conflict_term, 2u);
  const auto lower = sent<AppendEntriesReply>(h.receive(AppendEntries{3, 1, 3, 5, 1, 0, {}}));
  ASSERT_EQ(lower.size(), 1u);
  EXPECT_EQ(lower[0].conflict_index, 2u) << "skip every term-2 entry at once";
  EXPECT_EQ(lower[0].conflict_term, 1u);
}

// §5.3: an existing entry that conflicts with a new one is deleted with all that follow it.
TEST(Replication, ConflictingSuffixIsTruncated_5_3) {
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1, 1, 2, 2}, HardState{2, 0, 0}));
  h.receive(AppendEntries{3, 1, 3, 2, 1, 0, EntryBatch(make_entries(3, {3}))});
  ASSERT_EQ(h.node().last_index(), 3u);
  EXPECT_EQ(*h.node().term_at(3), 3u);
  EXPECT_EQ(h.memory_log().last_index(), 3u);
}

// §5.3: entries the follower already holds are not touched, so a stale AppendEntries that arrives
// after a newer one cannot cut off what the newer one appended.
TEST(Replication, StaleAppendDoesNotTruncateMatchingEntries_5_3) {
  NodeHarness h(1, {1, 2, 3});
  h.receive(AppendEntries{2, 1, 1, 0, 0, 0, EntryBatch(make_entries(1, {1, 1, 1, 1}))});
  const auto replies = sent<AppendEntriesReply>(h.receive(AppendEntries{2, 1, 1, 0, 0, 0, EntryBatch(make_entries(1, {1, 1}))}));
  EXPECT_EQ(h.node().last_index(), 4u);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].success);
  EXPECT_EQ(replies[0].match_index, 2u);
}

// Figure 2: a follower sets commitIndex = min(leaderCommit, index of last new entry): it never
// commits past what the leader has shown it to match.
TEST(Replication, FollowerCommitsOnlyWhatItHoldsFromTheLeader_5_3) {
  NodeHarness h(1, {1, 2, 3});
  auto actions = h.receive(AppendEntries{2, 1, 1, 0, 0, 9, EntryBatch(make_entries(1, {1, 1}))});
  EXPECT_EQ(h.node().commit_index(), 2u);
  EXPECT_EQ(applied(actions).size(), 2u);
  h.receive(AppendEntries{2, 1, 1, 2, 1, 1, {}});
  EXPECT_EQ(h.node().commit_index(), 2u) << "commit never goes backwards";
}

// Figure 2: "index of last new entry", not the follower's last index. Entries past the message
// may be stale leftovers of an old leader that the new leader will overwrite; committing them
// because the leader's commit index is high would commit the wrong entries.
TEST(Replication, FollowerDoesNotCommitEntriesTheMessageDidNotVouchFor_5_3) {
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1, 1, 1, 1}, HardState{1, 0, 0}));
  h.receive(AppendEntries{2, 1, 2, 2, 1, 4, {}});
  EXPECT_EQ(h.node().commit_index(), 2u);
}

// Fast backtracking end to end: a follower with a long log of a stale term catches up in one
// refusal instead of one per entry.
TEST(Replication, FastBacktrackingSkipsWholeTerms_5_3) {
  std::vector<Term> leader_terms(50, 1);
  leader_terms.insert(leader_terms.end(), 50, 3);
  std::vector<Term> follower_terms(50, 1);
  follower_terms.insert(follower_terms.end(), 100, 2);
  NodeHarness leader(1, {1, 2}, {}, log_with(leader_terms, HardState{3, 0, 50}));
  NodeHarness follower(2, {1, 2}, {}, log_with(follower_terms, HardState{3, 0, 50}));
  std::vector<Message> in_flight = all_sent(leader.elect());
  int refusals = 0;
  for (int round = 0; round < 20 && !in_flight.empty(); ++round) {
    std::vector<Message> next;
    for (Message& message : in_flight) {
      NodeHarness& target = receiver_of(message) == 1 ? leader : follower;
      if (auto* reply = std::get_if<AppendEntriesReply>(&message)) refusals += !reply->success;
      for (auto& m : all_sent(target.receive(std::move(message)))) next.push_back(std::move(m));
    }
    in_flight = std::move(next);
  }
  EXPECT_LE(refusals, 2);
  EXPECT_EQ(follower.node().last_index(), leader.node().last_index());
  EXPECT_EQ(*follower.node().term_at(100), 3u);
  // The commit index reaches the follower with the next heartbeat.
  for (auto& beat : all_sent(leader.tick())) follower.receive(std::move(beat));
  EXPECT_EQ(follower.node().commit_index(), leader.node().commit_index());
}

// Found by swarm testing (raftio-sim seed 77, a clogged link released thousands of old
// acknowledgements at once): a probing leader sent a new probe for every success reply behind its
// probe, stale ones included, and the replies to those probes kept the streams going; the run grew
// to millions of messages. Only a reply to the latest message sent re-arms the probe.
TEST(Replication, StaleAcknowledgementDoesNotSendAnotherProbe) {
  NodeHarness leader(1, {1, 2, 3}, {}, log_with(std::vector<Term>(10, 1), HardState{1, 0, 0}));
  std::uint64_t probe_seq = 0;
  for (const auto& append : sent<AppendEntries>(leader.elect())) {
    if (append.to == 2) probe_seq = append.seq;
  }
  ASSERT_GT(probe_seq, 0u);
  const Term term = leader.node().term();
  // A success behind the probe, from a message sent before it: no new probe.
  auto resent = sent<AppendEntries>(leader.receive(AppendEntriesReply{2, 1, term, true, 5, 0, 0, 0, 0, probe_seq - 1}));
  EXPECT_TRUE(resent.empty());
  // The same from the probe itself (the follower is behind it): probe again, from lower down.
  resent = sent<AppendEntries>(leader.receive(AppendEntriesReply{2, 1, term, true, 5, 0, 0, 0, 0, probe_seq}));
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].to, 2u);
}

// Pipelining: a streaming leader sends without waiting for replies, but never more messages than
// the inflight window allows; each acknowledgement reopens the window.
TEST(Replication, PipelineIsBoundedByTheInflightWindow) {
  SteadyLeader leader([](RaftConfig::Builder& b) { b.max_inflight_msgs(2); });
  int to_follower_2 = 0;
  for (int i = 0; i < 5; ++i) {
    for (const auto& append : sent<AppendEntries>(leader.h.propose("p"))) to_follower_2 += append.to == 2;
  }
  EXPECT_EQ(to_follower_2, 2);
  const auto after_ack = sent<AppendEntries>(leader.h.receive(AppendEntriesReply{2, 1, leader.term(), true, 2, 0, 0, 0}));
  int resumed = 0;
  for (const auto& append : after_ack) resumed += append.to == 2;
  EXPECT_EQ(resumed, 1);
}

// Batching: one step with many proposals sends one AppendEntries per follower, within the
// per-message entry limit.
TEST(Replication, BatchOfProposalsGoesOutInMessagesOfBoundedCount) {
  SteadyLeader leader([](RaftConfig::Builder& b) { b.max_entries_per_msg(8); });
  std::vector<Event> batch;
  for (int i = 0; i < 20; ++i) batch.push_back(Propose{Payload::copy_of("p" + std::to_string(i)), 0});
  std::vector<Action> out;
  leader.h.node().step(std::span<Event>(batch), out);
  std::vector<std::size_t> sizes;
  for (const auto& append : sent<AppendEntries>(out)) {
    if (append.to == 2) sizes.push_back(append.entries.size());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{8, 8, 4}));
}

// Batching by bytes: entries are packed up to max_bytes_per_msg, and an entry larger than the
// limit still goes out, alone.
TEST(Replication, AppendEntriesRespectsTheByteLimit) {
  SteadyLeader leader([](RaftConfig::Builder& b) { b.max_bytes_per_msg(100); });
  std::vector<Event> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(Propose{Payload::copy_of(std::string(40, 'a')), 0});
  batch.push_back(Propose{Payload::copy_of(std::string(300, 'b')), 0});
  std::vector<Action> out;
  leader.h.node().step(std::span<Event>(batch), out);
  std::vector<std::size_t> sizes;
  for (const auto& append : sent<AppendEntries>(out)) {
    if (append.to == 3) sizes.push_back(append.entries.size());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1, 1}));
}

// Heartbeats: an idle leader sends an empty AppendEntries to every follower each heartbeat_ticks.
TEST(Replication, IdleLeaderSendsHeartbeatsEveryHeartbeatInterval) {
  SteadyLeader leader([](RaftConfig::Builder& b) { b.heartbeat_ticks(3); });
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(sent<AppendEntries>(leader.h.tick(2)).empty());
    const auto beats = sent<AppendEntries>(leader.h.tick());
    ASSERT_EQ(beats.size(), 2u);
    EXPECT_TRUE(beats[0].entries.empty());
    EXPECT_EQ(beats[0].prev_log_index, 1u) << "heartbeats check the follower's known match point";
  }
}

// A pipelined message that was lost is sent again: when a follower acknowledges nothing for a
// while, the leader falls back to probing from the last acknowledged index.
TEST(Replication, LostAppendIsResentAfterThePipelineStalls) {
  SteadyLeader leader;
  leader.h.propose("lost");  // the AppendEntries carrying index 2 is never delivered
  bool resent = false;
  for (int i = 0; i < 20 && !resent; ++i) {
    for (const auto& append : sent<AppendEntries>(leader.h.tick())) {
      resent = resent || (append.to == 2 && !append.entries.empty() && append.entries[0].index == 2);
    }
  }
  EXPECT_TRUE(resent);
}

}  // namespace
}  // namespace raftio::test
