// Hostile input: every message from the network is untrusted. Whatever arrives — stale or future
// terms, unknown senders, wrong addressees, indexes past the end or below the start of the log,
// duplicated, reordered or unsolicited replies, malformed batches — is handled or dropped,
// never a crash, an assertion or undefined behaviour (the sanitizer build runs these too).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <limits>

#include "support/harness.h"

namespace raftio::test {
namespace {

constexpr Index kMaxIndex = std::numeric_limits<Index>::max();

// The node's observable state, to show a message changed nothing.
struct Snapshot {
  Role role;
  Term term;
  NodeId vote;
  NodeId leader;
  Index commit;
  Index last;
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};
Snapshot observe(const RaftNode& n) {
  return {n.role(), n.term(), n.voted_for(), n.leader(), n.commit_index(), n.last_index()};
}

TEST(Hostile, MessageAddressedToAnotherNodeIsDropped) {
  NodeHarness h(1, {1, 2, 3});
  const Snapshot before = observe(h.node());
  EXPECT_TRUE(h.receive(AppendEntries{2, 3, 9, 0, 0, 0, EntryBatch(make_entries(1, {9}))}).empty());
  EXPECT_TRUE(h.receive(RequestVote{2, 3, 9, 0, 0, false}).empty());
  EXPECT_EQ(observe(h.node()), before);
}

// Campaign messages from outside the configuration are dropped: a removed server cannot disrupt
// the cluster (thesis §4.2.3). So are messages from nobody and from ourselves.
TEST(Hostile, CampaignFromUnknownSenderIsDropped) {
  NodeHarness h(1, {1, 2, 3});
  const Snapshot before = observe(h.node());
  EXPECT_TRUE(h.receive(RequestVote{9, 1, 4, 100, 100, false}).empty());
  EXPECT_TRUE(h.receive(PreVote{9, 1, 4, 100, 100}).empty());
  EXPECT_TRUE(h.receive(AppendEntries{kNoNode, 1, 4, 0, 0, 0, EntryBatch(make_entries(1, {4}))}).empty());
  EXPECT_TRUE(h.receive(PreVote{kNoNode, 1, 4, 0, 0}).empty());
  EXPECT_TRUE(h.receive(RequestVote{1, 1, 4, 0, 0, false}).empty()) << "a message from ourselves is forged";
  EXPECT_EQ(observe(h.node()), before);
}

// Thesis §4.1: other messages are handled whatever the configuration says, or a server that
// lags behind a membership change would refuse its new leader (one added after the server's last
// known configuration) forever.
TEST(Hostile, LeaderOutsideOurConfigurationIsFollowed_4_1) {
  NodeHarness h(1, {1, 2, 3});
  const auto replies = sent<AppendEntriesReply>(h.receive(AppendEntries{9, 1, 4, 0, 0, 0, EntryBatch(make_entries(1, {4}))}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].success);
  EXPECT_EQ(h.node().leader(), 9u);
  EXPECT_EQ(h.node().term(), 4u);
}

// §5.1: a request with a stale term is refused; a stale leader is told the current term so it
// steps down, and nothing in our log changes.
TEST(Hostile, StaleTermAppendIsAnsweredWithTheCurrentTerm_5_1) {
  NodeHarness h(1, {1, 2, 3});
  h.follow(2, 5);
  const Snapshot before = observe(h.node());
  const auto replies = sent<AppendEntriesReply>(h.receive(AppendEntries{3, 1, 3, 0, 0, 0, EntryBatch(make_entries(1, {3}))}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].success);
  EXPECT_EQ(replies[0].term, 5u);
  EXPECT_EQ(observe(h.node()), before);
}

TEST(Hostile, StaleTermVoteRequestIsIgnored_5_1) {
  NodeHarness h(1, {1, 2, 3});
  h.follow(2, 5);
  const Snapshot before = observe(h.node());
  EXPECT_TRUE(h.receive(RequestVote{3, 1, 4, 50, 4, false}).empty());
  EXPECT_EQ(observe(h.node()), before);
}

// A future term is adopted (§5.1); it cannot be the last term, which would wrap on the next
// campaign.
TEST(Hostile, FutureTermIsAdoptedButNotTheLastTerm_5_1) {
  NodeHarness h(1, {1, 2, 3});
  h.receive(AppendEntries{2, 1, 1000, 0, 0, 0, {}});
  EXPECT_EQ(h.node().term(), 1000u);
  EXPECT_EQ(h.node().leader(), 2u);
  const Snapshot before = observe(h.node());
  EXPECT_TRUE(h.receive(AppendEntries{3, 1, std::numeric_limits<Term>::max(), 0, 0, 0, {}}).empty());
  EXPECT_EQ(observe(h.node()), before);
}

// Past the log limit (kMaxLogIndex) the message is forged and dropped without a reply.
TEST(Hostile, AppendFarPastTheEndOfTheLogIsRefusedWithAHint_5_3) {
  NodeHarness h(1, {1, 2, 3}, {}, log_with({1, 1}, HardState{1, 0, 0}));
  for (Index prev : {Index{3}, Index{1'000'000}, raftio::kMaxLogIndex}) {
    const auto replies = sent<AppendEntriesReply>(h.receive(AppendEntries{2, 1, 2, prev, 2, 0, {}}));
    ASSERT_EQ(replies.size(), 1u) << prev;
    EXPECT_FALSE(replies[0].success);
    EXPECT_EQ(replies[0].conflict_index, 2u);
  }
  for (Index prev : {raftio::kMaxLogIndex + 1, kMaxIndex - 1, kMaxIndex}) {
    EXPECT_TRUE(h.receive(AppendEntries{2, 1, 2, prev, 2, 0, {}}).empty()) << prev;
  }
  EXPECT_EQ(h.node().last_index(), 2u);
}

TEST(Hostile, AppendWhoseIndexesWouldOverflowIsDropped) {
  NodeHarness h(1, {1, 2, 3});
  std::vector<LogEntry> wrap{LogEntry{1, kMaxIndex, EntryKind::Normal, {}}, LogEntry{1, 0, EntryKind::Normal, {}}};
  EXPECT_TRUE(sent<AppendEntriesReply>(h.receive(AppendEntries{2, 1, 1, kMaxIndex - 1, 1, 0, EntryBatch(wrap)})).empty());
  EXPECT_EQ(h.node().last_index(), 0u);
}

// Shapes no correct leader sends are dropped whole, without a reply.
TEST(Hostile, MalformedBatchesAreDropped) {
  const std::vector<AppendEntries> malformed = {
      {2, 1, 2, 0, 0, 0, EntryBatch(make_entries(2, {1}))},                      // gap after prev
      {2, 1, 2, 0, 0, 0, EntryBatch({make_entries(1, {2})[0], make_entries(3, {2})[0]})},  // gap inside
      {2, 1, 2, 0, 0, 0, EntryBatch(make_entries(1, {2, 1}))},                   // term goes backwards
      {2, 1, 2, 0, 0, 0, EntryBatch(make_entries(1, {3}))},                      // term above the leader's
      {2, 1, 2, 0, 0, 0, EntryBatch(make_entries(1, {0}))},                      // term zero
      {2, 1, 2, 1, 0, 0, {}},                                                    // prev entry of term zero
      {2, 1, 2, 0, 1, 0, {}},                                                    // index zero with a term
      {2, 1, 2, 1, 3, 0, {}},                                                    // prev term above the leader's
      {2, 1, 2, 0, 0, 0, EntryBatch({LogEntry{2, 1, static_cast<EntryKind>(7), {}}})},  // unknown kind
  };
  for (std::size_t i = 0; i < malformed.size(); ++i) {
    NodeHarness h(1, {1, 2, 3});
    EXPECT_TRUE(sent<AppendEntriesReply>(h.receive(malformed[i])).empty()) << "case " << i;
    EXPECT_EQ(h.node().last_index(), 0u) << "case " << i;
  }
}

// Entries at or below the commit index are never rewritten, whatever a message claims.
TEST(Hostile, CommittedEntriesAreNeverRewritten) {
  NodeHarness h(1, {1, 2, 3});
  h.receive(AppendEntries{2, 1, 1, 0, 0, 3, EntryBatch(make_entries(1, {1, 1, 1}))});
  ASSERT_EQ(h.node().commit_index(), 3u);
  h.receive(AppendEntries{3, 1, 2, 0, 0, 0, EntryBatch(make_entries(1, {2, 2, 2, 2}))});
  for (Index i = 1; i <= 3; ++i) EXPECT_EQ(h.node().term_at(i), std::optional<Term>(1)) << i;
  EXPECT_EQ(h.memory_log().last_index(), 4u);
}

// prev_log_index below the start of the log (compacted into a snapshot) is answered from the
// committed prefix, not looked up.
TEST(Hostile, AppendBelowTheStartOfTheLogIsAnswered) {
  auto log = log_with({1, 1, 1, 1, 1, 1, 1, 1}, HardState{1, 0, 6});
  ASSERT_TRUE(log->save_snapshot(raftio::Snapshot{5, 1, {}, Payload::copy_of("state")}));
  ASSERT_TRUE(log->compact(SnapshotMeta{5, 1, {}}));
  NodeHarness h(1, {1, 2, 3}, {}, std::move(log));
  ASSERT_EQ(h.node().first_index(), 6u);
  const auto replies = sent<AppendEntriesReply>(h.receive(AppendEntries{2, 1, 1, 1, 1, 6, EntryBatch(make_entries(2, {1, 1}))}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].success);
  EXPECT_EQ(replies[0].match_index, 3u);
  EXPECT_EQ(h.node().last_index(), 8u);
}

struct Leader3 {
  Leader3() {
    h.elect();
    term = h.node().term();
  }
  NodeHarness h{1, {1, 2, 3}};
  Term term = 0;
};

TEST(Hostile, DuplicatedRepliesChangeNothing) {
  Leader3 l;
  l.h.propose("x");
  const AppendEntriesReply ack{2, 1, l.term, true, 2, 0, 0, 0};
  l.h.receive(ack);
  ASSERT_EQ(l.h.node().commit_index(), 2u);
  const auto again = l.h.receive(ack);
  EXPECT_TRUE(applied(again).empty());
  EXPECT_TRUE(sent<AppendEntries>(again).empty());
  EXPECT_EQ(l.h.node().commit_index(), 2u);
}

TEST(Hostile, ReorderedRepliesNeverMoveTheMatchBackwards) {
  Leader3 l;
  for (int i = 0; i < 4; ++i) l.h.propose("x");
  l.h.receive(AppendEntriesReply{2, 1, l.term, true, 5, 0, 0, 0});
  l.h.receive(AppendEntriesReply{2, 1, l.term, true, 3, 0, 0, 0});
  l.h.receive(AppendEntriesReply{2, 1, l.term, false, 0, 2, 1, 1});  // stale refusal of an old probe
  const auto beats = sent<AppendEntries>(l.h.tick());
  bool checked = false;
  for (const auto& beat : beats) {
    if (beat.to == 2 && beat.entries.empty()) {
      EXPECT_EQ(beat.prev_log_index, 5u);
      checked = true;
    }
  }
  EXPECT_TRUE(checked);
  EXPECT_EQ(l.h.node().commit_index(), 5u);
}

TEST(Hostile, RepliesToRequestsNeverSentAreIgnored) {
  NodeHarness follower(1, {1, 2, 3});
  follower.follow(2, 3);
  const Snapshot before = observe(follower.node());
  EXPECT_TRUE(follower.receive(AppendEntriesReply{3, 1, 3, true, 10, 0, 0, 0}).empty());
  EXPECT_TRUE(follower.receive(RequestVoteReply{3, 1, 3, true}).empty());
  EXPECT_TRUE(follower.receive(PreVoteReply{3, 1, 4, true}).empty());
  EXPECT_TRUE(follower.receive(InstallSnapshotReply{3, 1, 3, 5, 0, true}).empty());
  EXPECT_EQ(observe(follower.node()), before);

  Leader3 l;
  const Snapshot leader_before = observe(l.h.node());
  l.h.receive(AppendEntriesReply{2, 1, l.term, true, 99, 0, 0, 0});  // acknowledges entries we never had
  l.h.receive(AppendEntriesReply{3, 1, l.term, true, 99, 0, 0, 0});
  l.h.receive(RequestVoteReply{2, 1, l.term, true});
  l.h.receive(PreVoteReply{2, 1, l.term + 1, true});
  EXPECT_EQ(observe(l.h.node()), leader_before);
  EXPECT_EQ(l.h.node().commit_index(), 0u) << "forged acknowledgements must not commit";
}

TEST(Hostile, ConflictHintsOutsideTheLogAreClamped) {
  Leader3 l;
  for (Index hint : {Index{0}, Index{1}, Index{500}, kMaxIndex}) {
    for (Term hint_term : {Term{0}, Term{1}, std::numeric_limits<Term>::max()}) {
      l.h.receive(AppendEntriesReply{2, 1, l.term, false, 0, 0, hint, hint_term});
      l.h.receive(AppendEntriesReply{2, 1, l.term, false, 0, kMaxIndex, hint, hint_term});
    }
  }
  EXPECT_TRUE(l.h.node().is_leader());
  const auto beats = sent<AppendEntries>(l.h.tick());
  EXPECT_FALSE(beats.empty());
}

// Property: a node in any role survives any sequence of arbitrary messages, and its basic
// invariants hold after every one.
rc::Gen<Message> arbitrary_message() {
  return rc::gen::exec([] {
    const auto id = [] { return *rc::gen::element<NodeId>(0, 1, 1, 1, 2, 3, 4); };
    const auto term = [] {
      return *rc::gen::weightedOneOf<Term>({{8, rc::gen::inRange<Term>(0, 8)},
                                            {1, rc::gen::just(std::numeric_limits<Term>::max())},
                                            {1, rc::gen::arbitrary<Term>()}});
    };
    const auto index = [] {
      return *rc::gen::weightedOneOf<Index>({{8, rc::gen::inRange<Index>(0, 12)},
                                             {1, rc::gen::just(kMaxIndex)},
                                             {1, rc::gen::arbitrary<Index>()}});
    };
    const NodeId from = id();
    const NodeId to = *rc::gen::element<NodeId>(1, 1, 1, 2);
    const Term t = term();
    switch (*rc::gen::inRange(0, 9)) {
      case 0: return Message(RequestVote{from, to, t, index(), term(), *rc::gen::arbitrary<bool>()});
      case 1: return Message(RequestVoteReply{from, to, t, *rc::gen::arbitrary<bool>()});
      case 2: return Message(PreVote{from, to, t, index(), term()});
      case 3: return Message(PreVoteReply{from, to, t, *rc::gen::arbitrary<bool>(), term()});
      case 4: {
        const Index prev = index();
        std::vector<LogEntry> entries;
        const int count = *rc::gen::inRange(0, 4);
        Index next = *rc::gen::arbitrary<bool>() ? prev + 1 : index();
        for (int k = 0; k < count; ++k) entries.push_back(LogEntry{term(), next++, EntryKind::Normal, Payload::copy_of("h")});
        return Message(AppendEntries{from, to, t, prev, term(), index(), EntryBatch(entries)});
      }
      case 5:
        return Message(AppendEntriesReply{from, to, t, *rc::gen::arbitrary<bool>(), index(), index(), index(), term(), 0,
                                          *rc::gen::inRange<std::uint64_t>(0, 40)});
      case 6: {
        const Payload s = Payload::copy_of("s");
        const Membership members{*rc::gen::arbitrary<bool>() ? std::vector<NodeId>{1, 2, 3} : std::vector<NodeId>{}, {}};
        return Message(InstallSnapshot{from, to, t, SnapshotMeta{index(), term(), members}, index(), s, true,
                                       *rc::gen::element<std::uint64_t>(0, 1, 2), snapshot_checksum(s.bytes())});
      }
      case 7: return Message(InstallSnapshotReply{from, to, t, index(), index(), *rc::gen::arbitrary<bool>()});
      default: return Message(TimeoutNow{from, to, t});
    }
  });
}

void check_invariants(const RaftNode& node, Term term_before, const std::vector<Action>& actions, Index& applied) {
  RC_ASSERT(node.term() >= term_before);
  RC_ASSERT(node.commit_index() <= node.last_index());
  RC_ASSERT(node.applied_index() <= node.commit_index());
  RC_ASSERT(node.durable_index() <= node.last_index());
  RC_ASSERT(!node.storage_error().has_value());
  for (Index i = node.first_index(); i <= node.last_index(); ++i) {
    RC_ASSERT(node.entry_at(i) != nullptr);
    RC_ASSERT(node.entry_at(i)->index == i);
    if (i > node.first_index()) RC_ASSERT(node.entry_at(i)->term >= node.entry_at(i - 1)->term);
    RC_ASSERT(node.entry_at(i)->term <= node.term());
  }
  for (const auto& entry : raftio::test::applied(actions)) {
    RC_ASSERT(entry.index == applied + 1);
    applied = entry.index;
  }
}

RC_GTEST_PROP(Hostile, AnyMessageSequenceKeepsTheNodeConsistent, ()) {
  const int role = *rc::gen::inRange(0, 3);
  NodeHarness h(1, {1, 2, 3});
  if (role == 1) h.elect();
  if (role == 2) h.follow(2, 2);
  Index applied = h.node().applied_index();
  const auto messages = *rc::gen::container<std::vector<Message>>(arbitrary_message());
  for (const Message& message : messages) {
    const Term before = h.node().term();
    const int choice = *rc::gen::inRange(0, 10);
    const auto actions = choice < 6 ? h.receive(message) : choice < 9 ? h.tick() : h.propose("p");
    check_invariants(h.node(), before, actions, applied);
  }
}

}  // namespace
}  // namespace raftio::test
