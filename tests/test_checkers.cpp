// Checker self-tests: each checker is fed a deliberately broken history and must catch it (and a
// correct one must pass). A checker that cannot fail would make every green sweep meaningless.
#include <gtest/gtest.h>

#include <algorithm>

#include "raftio/sim/linearizability.h"
#include "raftio/sim/safety_checker.h"

namespace raftio::sim {
namespace {

using View = SafetyChecker::NodeView;

LogEntry entry(Index index, Term term, const char* data) { return LogEntry{term, index, EntryKind::Normal, Payload::copy_of(data)}; }

std::vector<LogEntry> entries(std::initializer_list<LogEntry> list) { return std::vector<LogEntry>(list); }

bool caught(const SafetyChecker& checker, const std::string& property) {
  for (const Violation& v : checker.violations()) {
    if (v.property == property) return true;
  }
  return false;
}

TEST(CheckerSelfTest, CorrectHistoryPasses) {
  SafetyChecker checker;
  const auto log = entries({entry(1, 1, "a"), entry(2, 1, "b")});
  for (NodeId id : {1, 2, 3}) checker.on_append(id, log);
  checker.after_step(View{1, Role::Leader, 1, 2, false}, {});
  const std::vector<Action> applies{Apply{log[0]}, Apply{log[1]}};
  for (NodeId id : {1, 2, 3}) checker.after_step(View{id, id == 1 ? Role::Leader : Role::Follower, 1, 2, false}, applies);
  checker.after_step(View{2, Role::Leader, 2, 2, false}, {});
  EXPECT_TRUE(checker.ok()) << checker.report();
}

TEST(CheckerSelfTest, TwoLeadersInOneTermBreakElectionSafety) {
  SafetyChecker checker;
  checker.after_step(View{1, Role::Leader, 5, 0, false}, {});
  checker.after_step(View{2, Role::Leader, 5, 0, false}, {});
  EXPECT_TRUE(caught(checker, "Election Safety")) << checker.report();
}

// A run that keeps breaking a property reports the first violations and counts the rest.
TEST(CheckerSelfTest, ReportShowsTheFirstViolationsAndCountsTheRest) {
  SafetyChecker checker;
  for (Term term = 1; term <= 50; ++term) {
    checker.after_step(View{1, Role::Leader, term, 0, false}, {});
    checker.after_step(View{2, Role::Leader, term, 0, false}, {});
  }
  ASSERT_GE(checker.violations().size(), 50u);
  const std::string report = checker.report();
  EXPECT_EQ(static_cast<std::size_t>(std::count(report.begin(), report.end(), '\n')), 21u) << report;
  const std::string rest = std::to_string(checker.violations().size() - 20);
  EXPECT_NE(report.find("\n... and " + rest + " more: Election Safety " + rest + "\n"), std::string::npos) << report;
  EXPECT_NE(report.find("Election Safety violated"), std::string::npos);
}

TEST(CheckerSelfTest, LeaderOverwritingItsOwnEntryBreaksLeaderAppendOnly) {
  SafetyChecker checker;
  checker.on_append(1, entries({entry(1, 3, "a"), entry(2, 3, "b")}));
  checker.after_step(View{1, Role::Leader, 3, 0, false}, {});
  checker.on_truncate(1, 2);
  checker.on_append(1, entries({entry(2, 3, "c")}));
  checker.after_step(View{1, Role::Leader, 3, 0, false}, {});
  EXPECT_TRUE(caught(checker, "Leader Append-Only")) << checker.report();
}

TEST(CheckerSelfTest, DivergingLogsBreakLogMatching) {
  SafetyChecker checker;
  checker.on_append(1, entries({entry(1, 1, "a"), entry(2, 2, "x")}));
  checker.on_append(2, entries({entry(1, 1, "b"), entry(2, 2, "x")}));  // same (2, t2), different history
  EXPECT_TRUE(caught(checker, "Log Matching")) << checker.report();
}

TEST(CheckerSelfTest, CommittedEntryMissingFromALaterLeaderBreaksLeaderCompleteness) {
  SafetyChecker checker;
  checker.on_append(1, entries({entry(1, 1, "a"), entry(2, 1, "b")}));
  checker.after_step(View{1, Role::Leader, 1, 2, false}, {});  // index 2 committed in term 1
  checker.on_append(2, entries({entry(1, 1, "a")}));
  checker.after_step(View{2, Role::Leader, 2, 0, false}, {});  // the leader of term 2 lacks it
  EXPECT_TRUE(caught(checker, "Leader Completeness")) << checker.report();
}

TEST(CheckerSelfTest, DifferentEntriesAppliedAtOneIndexBreakStateMachineSafety) {
  SafetyChecker checker;
  const auto first = entries({entry(1, 1, "a")});
  const auto second = entries({entry(1, 2, "b")});
  checker.on_append(1, first);
  checker.on_append(2, second);
  checker.after_step(View{1, Role::Follower, 2, 1, false}, std::vector<Action>{Apply{first[0]}});
  checker.after_step(View{2, Role::Follower, 2, 1, false}, std::vector<Action>{Apply{second[0]}});
  EXPECT_TRUE(caught(checker, "State Machine Safety")) << checker.report();
}

TEST(CheckerSelfTest, TruncatingACommittedEntryBreaksCommittedDurability) {
  SafetyChecker checker;
  checker.on_append(1, entries({entry(1, 1, "a"), entry(2, 1, "b")}));
  checker.after_step(View{1, Role::Follower, 1, 2, false}, {});
  checker.on_truncate(1, 2);
  EXPECT_TRUE(caught(checker, "Committed Durability")) << checker.report();
}

// A lost acknowledged write, at the storage level: a node comes back from a crash without an
// entry it had committed.
TEST(CheckerSelfTest, RestartWithoutACommittedEntryIsALostWrite) {
  SafetyChecker checker;
  const auto log = entries({entry(1, 1, "a"), entry(2, 1, "acknowledged")});
  checker.on_append(1, log);
  checker.after_step(View{1, Role::Leader, 1, 2, false}, {});
  checker.on_restart(View{1, Role::Follower, 1, 1, false}, std::vector<LogEntry>{log[0]});
  EXPECT_TRUE(caught(checker, "Durability")) << checker.report();
}

TEST(CheckerSelfTest, RestartWithAlteredEntriesIsCaught) {
  SafetyChecker checker;
  checker.on_append(1, entries({entry(1, 1, "a"), entry(2, 1, "b")}));
  checker.on_restart(View{1, Role::Follower, 1, 0, false}, entries({entry(1, 1, "a"), entry(2, 1, "B")}));
  EXPECT_TRUE(caught(checker, "Durability")) << checker.report();
}

// A crash may undo a truncation that was never synced: recovering the entries it cut is what the
// disk legitimately holds (found by the simulator, seed 67 with membership churn). Once the
// truncation is synced, recovering them is a durability violation again.
TEST(CheckerSelfTest, CrashUndoingAnUnsyncedTruncationIsNotALoss) {
  SafetyChecker checker;
  const auto old_log = entries({entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")});
  checker.on_append(1, old_log);
  checker.on_sync(1);
  checker.on_truncate(1, 2);
  checker.on_append(1, entries({entry(2, 2, "new")}));
  checker.on_restart(View{1, Role::Follower, 2, 0, false}, old_log);
  EXPECT_TRUE(checker.ok()) << checker.report();

  SafetyChecker synced;
  synced.on_append(1, old_log);
  synced.on_truncate(1, 2);
  synced.on_append(1, entries({entry(2, 2, "new")}));
  synced.on_sync(1);
  synced.on_restart(View{1, Role::Follower, 2, 0, false}, old_log);
  EXPECT_TRUE(caught(synced, "Durability")) << synced.report();
}

// Snapshots stand for committed entries only.
TEST(CheckerSelfTest, SnapshotBeyondTheCommittedLogIsCaught) {
  SafetyChecker checker;
  checker.on_append(1, entries({entry(1, 1, "a"), entry(2, 1, "b")}));
  checker.after_step(View{1, Role::Leader, 1, 1, false}, {});
  checker.on_compact(1, 1);
  EXPECT_TRUE(checker.ok()) << checker.report();
  checker.on_compact(1, 2);
  EXPECT_TRUE(caught(checker, "Snapshot Beyond Commit")) << checker.report();
}

// A lost acknowledged write, at the client level: a put was acknowledged, yet a later get does not
// see it.
TEST(CheckerSelfTest, LostAcknowledgedWriteIsNotLinearizable) {
  KvHistory history;
  history.push_back(KvOperation{1, KvOpKind::Put, "k", "v1", "", 0, 10, std::nullopt, false});
  history.push_back(KvOperation{2, KvOpKind::Get, "k", "", "", 20, 30, std::nullopt, false});
  const auto report = check_linearizable(history);
  EXPECT_FALSE(report.linearizable);
  EXPECT_EQ(report.failing_key, "k");
}

TEST(CheckerSelfTest, StaleReadIsNotLinearizable) {
  KvHistory history;
  history.push_back(KvOperation{1, KvOpKind::Put, "k", "old", "", 0, 10, std::nullopt, false});
  history.push_back(KvOperation{1, KvOpKind::Put, "k", "new", "", 20, 30, std::nullopt, false});
  history.push_back(KvOperation{2, KvOpKind::Get, "k", "", "", 40, 50, std::string("old"), false});
  const auto report = check_linearizable(history);
  EXPECT_FALSE(report.linearizable);
  EXPECT_NE(report.explanation.find("old"), std::string::npos) << report.explanation;
}

TEST(CheckerSelfTest, FailedStepsAreNotTakenAsVisibleState) {
  SafetyChecker checker;
  checker.on_append(1, entries({entry(1, 1, "a")}));
  checker.after_step(View{1, Role::Follower, 1, 1, /*storage_failed=*/true}, {});
  checker.on_restart(View{1, Role::Follower, 1, 0, false}, {});
  EXPECT_TRUE(checker.ok()) << "a commit index seen only in a step whose storage failed was never visible";
}


// --- the rules the Raft properties rest on, checked directly ---

const std::vector<NodeId> kFiveVoters{1, 2, 3, 4, 5};

// A node of a five-voter cluster, as a real node reports itself (so the campaign checks run).
View voter(NodeId id, Role role, Term term, Index commit = 0, NodeId voted_for = kNoNode, bool pre_vote = false) {
  View view{id, role, term, commit, false};
  view.voted_for = voted_for;
  view.voters = &kFiveVoters;
  view.pre_vote = pre_vote;
  view.check_quorum = pre_vote;
  view.election_ticks = 10;
  return view;
}

std::vector<Action> grant_vote(NodeId from, NodeId to, Term term) {
  return {Send{RequestVoteReply{from, to, term, true}}};
}

TEST(CheckerSelfTest, LeaderWithoutAMajorityOfDistinctVotersBreaksLeaderQuorum) {
  SafetyChecker checker;
  checker.after_step(voter(1, Role::Candidate, 3, 0, 1), {});
  checker.after_step(voter(2, Role::Follower, 3, 0, 1), grant_vote(2, 1, 3));
  checker.after_step(voter(2, Role::Follower, 3, 0, 1), grant_vote(2, 1, 3));  // the same grant twice
  checker.after_step(voter(1, Role::Leader, 3, 0, 1), {});
  EXPECT_TRUE(caught(checker, "Leader Quorum")) << checker.report();
}

TEST(CheckerSelfTest, LeaderWithAMajorityOfDistinctVotersPasses) {
  SafetyChecker checker;
  checker.after_step(voter(1, Role::Candidate, 3, 0, 1), {});
  checker.after_step(voter(2, Role::Follower, 3, 0, 1), grant_vote(2, 1, 3));
  checker.after_step(voter(3, Role::Follower, 3, 0, 1), grant_vote(3, 1, 3));
  checker.after_step(voter(1, Role::Leader, 3, 0, 1), {});
  EXPECT_TRUE(checker.ok()) << checker.report();
}

TEST(CheckerSelfTest, TwoVotesInOneTermBreakVoteOnce) {
  SafetyChecker checker;
  checker.after_step(voter(1, Role::Candidate, 4, 0, 1), {});
  checker.after_step(voter(2, Role::Follower, 4, 0, 1), grant_vote(2, 1, 4));
  checker.after_step(voter(2, Role::Follower, 4, 0, 3), grant_vote(2, 3, 4));
  EXPECT_TRUE(caught(checker, "Vote Once")) << checker.report();

  SafetyChecker legal;  // one vote per term, in two terms
  legal.after_step(voter(1, Role::Candidate, 4, 0, 1), {});
  legal.after_step(voter(2, Role::Follower, 4, 0, 1), grant_vote(2, 1, 4));
  legal.after_step(voter(3, Role::Candidate, 5, 0, 3), {});
  legal.after_step(voter(2, Role::Follower, 5, 0, 3), grant_vote(2, 3, 5));
  EXPECT_TRUE(legal.ok()) << legal.report();
}

TEST(CheckerSelfTest, RestartForgettingAVoteBreaksDurableVote) {
  for (const View& restarted : {voter(2, Role::Follower, 3), voter(2, Role::Follower, 4, 0, kNoNode),
                                voter(2, Role::Follower, 4, 0, 3)}) {
    SafetyChecker checker;
    checker.after_step(voter(1, Role::Candidate, 4, 0, 1), {});
    checker.after_step(voter(2, Role::Follower, 4, 0, 1), grant_vote(2, 1, 4));
    checker.on_restart(restarted, {});
    EXPECT_TRUE(caught(checker, "Durable Vote")) << "restarted in term " << restarted.term << " voting for "
                                                 << restarted.voted_for;
  }
  for (const View& restarted : {voter(2, Role::Follower, 4, 0, 1), voter(2, Role::Follower, 5)}) {
    SafetyChecker checker;
    checker.after_step(voter(1, Role::Candidate, 4, 0, 1), {});
    checker.after_step(voter(2, Role::Follower, 4, 0, 1), grant_vote(2, 1, 4));
    checker.on_restart(restarted, {});
    EXPECT_TRUE(checker.ok()) << checker.report();
  }
}

TEST(CheckerSelfTest, ReadBelowAnIndexCommittedBeforeItArrivedBreaksReadFreshness) {
  const auto log = entries({entry(1, 1, "a"), entry(2, 1, "b")});
  SafetyChecker checker;
  for (NodeId id : {1, 2}) checker.on_append(id, log);
  checker.after_step(View{1, Role::Leader, 1, 2, false}, {});  // index 2 committed
  checker.before_step(2, Event{ReadIndex{7}});
  checker.after_step(View{2, Role::Follower, 1, 1, false}, std::vector<Action>{ReadReady{7, 1}});
  EXPECT_TRUE(caught(checker, "Read Freshness")) << checker.report();

  SafetyChecker legal;  // the read arrived before index 2 committed: index 1 is fresh enough
  for (NodeId id : {1, 2}) legal.on_append(id, log);
  legal.after_step(View{1, Role::Leader, 1, 1, false}, {});
  legal.before_step(2, Event{ReadIndex{7}});
  legal.after_step(View{1, Role::Leader, 1, 2, false}, {});
  legal.after_step(View{2, Role::Follower, 1, 1, false}, std::vector<Action>{ReadReady{7, 1}});
  legal.before_step(2, Event{ReadIndex{8}});
  legal.after_step(View{2, Role::Follower, 1, 2, false}, std::vector<Action>{ReadReady{8, 2}});
  EXPECT_TRUE(legal.ok()) << legal.report();
}

LogEntry config_entry(Index index, Term term) { return LogEntry{term, index, EntryKind::Config, Payload::copy_of("c")}; }

TEST(CheckerSelfTest, TwoUncommittedConfigurationEntriesBreakSingleConfigChange) {
  SafetyChecker checker;
  checker.on_append(1, entries({entry(1, 1, "a"), config_entry(2, 1), config_entry(3, 1)}));
  checker.after_step(View{1, Role::Leader, 1, 1, false}, {});
  EXPECT_TRUE(caught(checker, "Single Config Change")) << checker.report();

  SafetyChecker legal;  // the second change starts once the first is committed
  legal.on_append(1, entries({entry(1, 1, "a"), config_entry(2, 1)}));
  legal.after_step(View{1, Role::Leader, 1, 2, false}, {});
  legal.on_append(1, entries({config_entry(3, 1)}));
  legal.after_step(View{1, Role::Leader, 1, 2, false}, {});
  EXPECT_TRUE(legal.ok()) << legal.report();
}

// Node 2 hears from leader 1 of term 3, then runs `ticks` ticks and grants node 4 a pre-vote.
SafetyChecker pre_vote_after(std::uint64_t ticks) {
  SafetyChecker checker;
  checker.before_step(2, Event{Receive{AppendEntries{1, 2, 3, 0, 0, 0, EntryBatch(), 0, 1}}});
  checker.after_step(voter(2, Role::Follower, 3, 0, kNoNode, true), {});
  for (std::uint64_t i = 0; i < ticks; ++i) {
    checker.before_step(2, Event{Tick{}});
    checker.after_step(voter(2, Role::Follower, 3, 0, kNoNode, true), {});
  }
  checker.after_step(voter(2, Role::Follower, 3, 0, kNoNode, true),
                     std::vector<Action>{Send{PreVoteReply{2, 4, 4, true}}});
  return checker;
}

TEST(CheckerSelfTest, PreVoteGrantedInsideTheLeaderLeaseBreaksPreVoteLease) {
  const SafetyChecker checker = pre_vote_after(3);
  EXPECT_TRUE(caught(checker, "Pre-Vote Lease")) << checker.report();
  const SafetyChecker legal = pre_vote_after(10);  // a full election timeout without the leader
  EXPECT_TRUE(legal.ok()) << legal.report();
}

TEST(CheckerSelfTest, CampaignWithoutAPreVoteMajorityBreaksPreVoteQuorum) {
  SafetyChecker checker;
  checker.after_step(voter(1, Role::PreCandidate, 3, 0, kNoNode, true), {});
  checker.after_step(voter(2, Role::Follower, 3, 0, kNoNode, true), std::vector<Action>{Send{PreVoteReply{2, 1, 4, true}}});
  checker.after_step(voter(1, Role::Candidate, 4, 0, 1, true), {});
  EXPECT_TRUE(caught(checker, "Pre-Vote Quorum")) << checker.report();

  SafetyChecker legal;  // a pre-vote majority
  legal.after_step(voter(1, Role::PreCandidate, 3, 0, kNoNode, true), {});
  legal.after_step(voter(2, Role::Follower, 3, 0, kNoNode, true), std::vector<Action>{Send{PreVoteReply{2, 1, 4, true}}});
  legal.after_step(voter(3, Role::Follower, 3, 0, kNoNode, true), std::vector<Action>{Send{PreVoteReply{3, 1, 4, true}}});
  legal.after_step(voter(1, Role::Candidate, 4, 0, 1, true), {});
  EXPECT_TRUE(legal.ok()) << legal.report();

  SafetyChecker transfer;  // a leadership transfer skips pre-vote (thesis §3.10)
  transfer.after_step(View{5, Role::Leader, 3, 0, false}, std::vector<Action>{Send{TimeoutNow{5, 2, 3}}});
  transfer.after_step(voter(2, Role::Follower, 3, 0, kNoNode, true), {});
  transfer.after_step(voter(2, Role::Candidate, 4, 0, 2, true), {});
  EXPECT_TRUE(transfer.ok()) << transfer.report();
}

TEST(CheckerSelfTest, TermNobodyCampaignedInBreaksTermWithoutCampaign) {
  SafetyChecker checker;
  checker.after_step(voter(2, Role::Follower, 0), {});
  checker.after_step(voter(2, Role::Follower, 5), {});  // e.g. adopted from a pre-vote
  EXPECT_TRUE(caught(checker, "Term Without Campaign")) << checker.report();

  SafetyChecker legal;
  legal.after_step(voter(2, Role::Follower, 0), {});
  legal.after_step(voter(1, Role::Candidate, 5, 0, 1), {});
  legal.after_step(voter(2, Role::Follower, 5), {});
  EXPECT_TRUE(legal.ok()) << legal.report();
}

TEST(CheckerSelfTest, LeaderCommittingAnOlderTermEntryByCountBreaksLeaderCommitTerm) {
  const auto log = entries({entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 2, "noop")});
  SafetyChecker checker;
  checker.on_append(1, log);
  View leader{1, Role::Leader, 2, 0, false};
  checker.after_step(leader, {});
  leader.commit = 2;
  leader.commit_term = 1;  // Figure 8: index 2 is of term 1
  checker.after_step(leader, {});
  EXPECT_TRUE(caught(checker, "Leader Commit Term")) << checker.report();

  SafetyChecker legal;  // the same log, committed through the entry of term 2
  legal.on_append(1, log);
  View legal_leader{1, Role::Leader, 2, 0, false};
  legal.after_step(legal_leader, {});
  legal_leader.commit = 3;
  legal_leader.commit_term = 2;
  legal.after_step(legal_leader, {});
  EXPECT_TRUE(legal.ok()) << legal.report();
}

// Node 2 holds 1..3 and gets an AppendEntries with prev 1, one entry (last new: 2) and leader
// commit 3; it commits `commit`.
SafetyChecker follower_commits(Index commit) {
  SafetyChecker checker;
  checker.on_append(2, entries({entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")}));
  checker.after_step(View{2, Role::Follower, 1, 0, false}, {});
  checker.before_step(2, Event{Receive{AppendEntries{1, 2, 1, 1, 1, 3, EntryBatch{entry(2, 1, "b")}, 0, 1}}});
  checker.after_step(View{2, Role::Follower, 1, commit, false}, {});
  return checker;
}

TEST(CheckerSelfTest, FollowerCommittingPastTheLastNewEntryBreaksFollowerCommitBound) {
  const SafetyChecker checker = follower_commits(3);
  EXPECT_TRUE(caught(checker, "Follower Commit Bound")) << checker.report();
  const SafetyChecker legal = follower_commits(2);
  EXPECT_TRUE(legal.ok()) << legal.report();
}

}  // namespace
}  // namespace raftio::sim
