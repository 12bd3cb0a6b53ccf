// Proposals on a follower, forwarded by the runtime Driver to the leader it knows: the follower's
// request ends with the outcome the leader sends back, and every hostile or failed path ends it
// with a typed error that says whether the command may have been applied (docs/RUNTIME.md).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "raftio/runtime/driver.h"
#include "raftio/runtime/runtime_wire.h"
#include "raftio/runtime/seen_requests.h"
#include "raftio/wire.h"
#include "support/driver_cluster.h"

namespace raftio::runtime {
namespace {

using test::Cluster;
using test::text;
using test::value_of;

template <class E>
bool ended_with(const std::optional<Result<Payload, Error>>& outcome) {
  return outcome && !outcome->ok() && std::holds_alternative<E>(outcome->error());
}

// A follower that is not `other`.
NodeId third_node(NodeId a, NodeId b) {
  for (NodeId id = 1; id <= 3; ++id) {
    if (id != a && id != b) return id;
  }
  return kNoNode;
}

// Where most tests here start: a leader elected, the runtime's messages held, and `command`
// proposed on a follower, whose one ForwardedProposal is taken off the network for the test to
// deliver, duplicate or lose.
struct HeldForward {
  NodeId leader = kNoNode;
  NodeId follower = kNoNode;
  RequestId request = 0;
  ForwardedProposal proposal;
};

::testing::AssertionResult hold_forwarded(Cluster& cluster, const std::string& command, HeldForward& held) {
  held.leader = cluster.elect();
  if (held.leader == kNoNode) return ::testing::AssertionFailure() << "no leader elected";
  held.follower = cluster.follower_of(held.leader);
  cluster.hold_peer_messages(true);
  held.request = cluster.propose(held.follower, command);
  auto forwarded = cluster.take_peer<ForwardedProposal>();
  if (forwarded.size() != 1) {
    return ::testing::AssertionFailure() << "the follower sent " << forwarded.size() << " forwarded proposals, not 1";
  }
  held.proposal = std::move(forwarded[0]);
  return ::testing::AssertionSuccess();
}

TEST(RuntimeForwarding, AProposalOnAFollowerIsForwardedAndEndsWithTheStateMachinesResponse) {
  Cluster cluster;
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [leader, follower, request, proposal] = held;
  EXPECT_FALSE(cluster.outcome(follower, request).has_value());
  EXPECT_EQ(proposal.from, follower);
  EXPECT_EQ(proposal.to, leader);
  EXPECT_EQ(proposal.command.to_string(), "5");
  EXPECT_EQ(cluster.driver(follower).pending_requests(), 1u);

  cluster.hold_peer_messages(false);
  cluster.deliver_peer(proposal);
  EXPECT_EQ(cluster.driver(leader).forwarded_proposals_held(), 1u);
  EXPECT_EQ(value_of(cluster.wait(follower, request)), "5");
  cluster.tick_all(3);  // the other follower learns the commit with the next heartbeat
  for (NodeId id = 1; id <= 3; ++id) EXPECT_EQ(cluster.machine(id).value(), 5) << "node " << id;
  // The leader answered the follower, not its own embedder: no completion of its own.
  EXPECT_EQ(cluster.driver(leader).forwarded_proposals_held(), 0u);
  EXPECT_EQ(cluster.driver(leader).pending_requests(), 0u);
  EXPECT_EQ(cluster.driver(follower).pending_requests(), 0u);
  for (RequestId id = 1; id < 10; ++id) EXPECT_FALSE(cluster.outcome(leader, id).has_value()) << id;
}

TEST(RuntimeForwarding, WithoutAKnownLeaderAProposalEndsAtOnceWithNotLeaderNoNode) {
  Cluster cluster;  // no tick yet: nobody leads, nobody knows a leader
  const RequestId request = cluster.propose(1, "5");
  const auto outcome = cluster.outcome(1, request);
  ASSERT_TRUE(ended_with<NotLeader>(outcome));
  EXPECT_EQ(std::get<NotLeader>(outcome->error()).leader, kNoNode);
  EXPECT_TRUE(cluster.peer_network().empty());
}

// A node that no longer leads when the proposal arrives names the node it believes leads, and
// never forwards it on: the proposal cannot travel in circles.
TEST(RuntimeForwarding, ANodeThatNoLongerLeadsAnswersNotLeaderWithItsHintAndDoesNotForwardAgain) {
  Cluster cluster;
  const NodeId old_leader = cluster.elect();
  ASSERT_NE(old_leader, kNoNode);
  const NodeId target = cluster.follower_of(old_leader);
  const NodeId stale = third_node(old_leader, target);
  // `stale` hears nothing while leadership moves, so it still believes old_leader leads.
  cluster.network().isolate(stale, {1, 2, 3});
  const RequestId transfer = cluster.request(old_leader, &Driver::transfer_leadership, target);
  ASSERT_TRUE(value_of(cluster.wait(old_leader, transfer)).empty());
  ASSERT_EQ(cluster.driver(stale).leader_id(), old_leader);
  cluster.network().heal();

  cluster.hold_peer_messages(true);
  const RequestId request = cluster.propose(stale, "5");
  auto forwarded = cluster.take_peer<ForwardedProposal>();
  ASSERT_EQ(forwarded.size(), 1u);
  ASSERT_EQ(forwarded[0].to, old_leader);
  const Index last_before = cluster.driver(old_leader).node().last_index();
  cluster.deliver_peer(forwarded[0]);
  EXPECT_TRUE(cluster.take_peer<ForwardedProposal>().empty()) << "the proposal was forwarded again";
  EXPECT_EQ(cluster.driver(old_leader).node().last_index(), last_before);  // not appended
  auto answers = cluster.take_peer<ForwardedOutcome>();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, ForwardStatus::NotLeader);
  EXPECT_EQ(answers[0].leader_hint, target);
  cluster.deliver_peer(answers[0]);
  const auto outcome = cluster.outcome(stale, request);
  ASSERT_TRUE(ended_with<NotLeader>(outcome));
  EXPECT_EQ(std::get<NotLeader>(outcome->error()).leader, target);
}

// Only the node a request went to may end it, once: replies from any other node, for another
// request number, or a second reply, change nothing.
TEST(RuntimeForwarding, ForgedMisnumberedAndDuplicatedOutcomesAreIgnored) {
  Cluster cluster;
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [leader, follower, request, proposal] = held;
  const NodeId other = third_node(leader, follower);

  ForwardedOutcome forged;
  forged.from = other;  // not the node the proposal went to
  forged.to = follower;
  forged.request = proposal.request;
  forged.status = ForwardStatus::Applied;
  forged.response = text("999");
  cluster.deliver_peer(forged);
  ForwardedOutcome misnumbered = forged;
  misnumbered.from = leader;
  misnumbered.request = proposal.request + 1;
  cluster.deliver_peer(misnumbered);
  ForwardedOutcome misaddressed = forged;
  misaddressed.from = leader;
  misaddressed.to = other;  // delivered to the follower anyway
  cluster.driver(follower).receive(misaddressed);
  EXPECT_FALSE(cluster.outcome(follower, request).has_value());
  EXPECT_EQ(cluster.driver(follower).pending_requests(), 1u);

  cluster.deliver_peer(proposal);
  for (int t = 0; t < 20 && cluster.peer_network().empty(); ++t) cluster.tick_all();
  auto answers = cluster.take_peer<ForwardedOutcome>();
  ASSERT_EQ(answers.size(), 1u);
  cluster.deliver_peer(answers[0]);
  EXPECT_EQ(value_of(cluster.outcome(follower, request)), "5");
  cluster.deliver_peer(answers[0]);  // duplicated by the network
  ForwardedOutcome late = answers[0];
  late.response = text("777");
  cluster.deliver_peer(late);
  EXPECT_EQ(cluster.completions(follower, request), 1);
  EXPECT_EQ(value_of(cluster.outcome(follower, request)), "5");
}

// The leader answers once per request: the same forwarded proposal twice is appended once.
TEST(RuntimeForwarding, ADuplicatedForwardedProposalIsAppendedOnce) {
  Cluster cluster;
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [leader, follower, request, proposal] = held;
  const Index last_before = cluster.driver(leader).node().last_index();
  cluster.deliver_peer(proposal);
  cluster.deliver_peer(proposal);
  EXPECT_EQ(cluster.driver(leader).node().last_index(), last_before + 1);
  cluster.hold_peer_messages(false);
  EXPECT_EQ(value_of(cluster.wait(follower, request)), "5");
  EXPECT_EQ(cluster.machine(leader).applied_commands(), 1);
}

// A copy the network delivers after the leader answered is not appended again: the command is
// applied once, and the follower's request keeps its one answer. With the incarnations the Node
// always sets; a follower numbered from incarnation 0 is covered only while the leader holds it.
TEST(RuntimeForwarding, ALateCopyOfAnAnsweredForwardedProposalIsNotAppendedAgain) {
  Cluster cluster;
  for (NodeId id = 1; id <= 3; ++id) cluster.set_incarnation(id, 100 + id);
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [leader, follower, request, proposal] = held;
  cluster.deliver_peer(proposal);
  cluster.hold_peer_messages(false);
  EXPECT_EQ(value_of(cluster.wait(follower, request)), "5");
  ASSERT_EQ(cluster.driver(leader).forwarded_proposals_held(), 0u);
  const Index last_before = cluster.driver(leader).node().last_index();

  cluster.deliver_peer(proposal);  // the late copy
  cluster.tick_all(5);
  EXPECT_EQ(cluster.driver(leader).node().last_index(), last_before);
  EXPECT_EQ(cluster.machine(leader).applied_commands(), 1);
  EXPECT_EQ(cluster.machine(leader).value(), 5);
  EXPECT_EQ(cluster.completions(follower, request), 1);
}

// The follower's deadline ends the request with TimedOut ("may have been applied"); the leader's
// answer that comes later neither completes it again nor changes it, and the command did apply.
TEST(RuntimeForwarding, AnOutcomeArrivingAfterTheRequestTimedOutIsIgnored) {
  DriverOptions options;
  options.request_timeout_ticks = 25;
  Cluster cluster(0, options);
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [leader, follower, request, proposal] = held;
  cluster.tick_all(26);
  ASSERT_TRUE(ended_with<TimedOut>(cluster.outcome(follower, request)));
  EXPECT_EQ(cluster.driver(follower).pending_requests(), 0u);

  cluster.hold_peer_messages(false);
  cluster.deliver_peer(proposal);
  cluster.tick_all(5);
  EXPECT_EQ(cluster.machine(follower).value(), 5);  // applied after all, as TimedOut warned
  EXPECT_EQ(cluster.completions(follower, request), 1);
  EXPECT_TRUE(ended_with<TimedOut>(cluster.outcome(follower, request)));
}

// Request numbers on the wire start from RaftConfig::incarnation: an answer meant for the
// follower's previous life does not complete the request of its new life that has the same
// local id.
TEST(RuntimeForwarding, AnOutcomeForAnEarlierIncarnationDoesNotCompleteANewRequest) {
  Cluster cluster;
  for (NodeId id = 1; id <= 3; ++id) cluster.set_incarnation(id, 100 + id);
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [leader, follower, before, proposal] = held;
  cluster.deliver_peer(proposal);
  for (int t = 0; t < 20 && cluster.peer_network().empty(); ++t) cluster.tick_all();
  auto old_answers = cluster.take_peer<ForwardedOutcome>();
  ASSERT_EQ(old_answers.size(), 1u);
  ASSERT_EQ(old_answers[0].status, ForwardStatus::Applied);

  cluster.restart_as(follower, 200 + follower);
  for (int t = 0; t < 50 && cluster.driver(follower).leader_id() != leader; ++t) cluster.tick_all();
  ASSERT_EQ(cluster.driver(follower).leader_id(), leader);
  const RequestId after = cluster.propose(follower, "7");
  ASSERT_EQ(after, before) << "the test needs the same local id in both lives";
  auto new_forwarded = cluster.take_peer<ForwardedProposal>();
  ASSERT_EQ(new_forwarded.size(), 1u);
  EXPECT_NE(new_forwarded[0].request, proposal.request);

  cluster.deliver_peer(old_answers[0]);
  EXPECT_FALSE(cluster.outcome(follower, after).has_value()) << "an answer of the previous life completed it";
  cluster.deliver_peer(new_forwarded[0]);
  cluster.hold_peer_messages(false);
  EXPECT_EQ(value_of(cluster.wait(follower, after)), "12");
}

// The leader appended the proposal and lost office before it committed; another leader wrote a
// different entry at that index. The follower still waits for the node it forwarded to, which
// learns the entry was replaced (§5.3) and says so: ProposalLost, certainly not applied.
TEST(RuntimeForwarding, ALeaderThatLosesItsAppendedEntrySaysProposalLost) {
  DriverOptions options;
  options.request_timeout_ticks = 2000;
  Cluster cluster(0, options);
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [old_leader, follower, request, proposal] = held;
  // The leader appends it but its AppendEntries never leave: it is cut off from both peers.
  cluster.network().isolate(old_leader, {1, 2, 3});
  cluster.driver(old_leader).receive(proposal);
  cluster.drain(old_leader);
  cluster.hold_peer_messages(false);

  NodeId new_leader = kNoNode;
  for (int t = 0; t < 500 && new_leader == kNoNode; ++t) {
    cluster.tick_all();
    for (NodeId id = 1; id <= 3; ++id) {
      if (id != old_leader && cluster.driver(id).is_leader()) new_leader = id;
    }
  }
  ASSERT_NE(new_leader, kNoNode);
  const RequestId other = cluster.propose(new_leader, "100");
  ASSERT_EQ(value_of(cluster.wait(new_leader, other, 100)), "100");
  EXPECT_FALSE(cluster.outcome(follower, request).has_value()) << "the follower gave up on the old leader";

  cluster.network().heal();
  const auto outcome = cluster.wait(follower, request, 300);
  EXPECT_TRUE(ended_with<ProposalLost>(outcome)) << value_of(outcome);
  for (NodeId id = 1; id <= 3; ++id) EXPECT_EQ(cluster.machine(id).value(), 100) << "node " << id;
}

// The leader replicated the proposal to one follower and was cut off before it learned that the
// entry committed. The follower still waits for it rather than guessing: the next leader commits
// the entry (§5.4.2, behind an entry of its own term), the old leader applies it at its index and
// term, and answers with the state machine's response.
TEST(RuntimeForwarding, ALeaderCutOffAfterReplicatingStillAnswersOnceItsEntryIsApplied) {
  DriverOptions options;
  options.request_timeout_ticks = 2000;
  Cluster cluster(0, options);
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [old_leader, follower, request, proposal] = held;
  const NodeId other = third_node(old_leader, follower);
  cluster.driver(old_leader).receive(proposal);
  cluster.drain(old_leader);
  // The entry reaches `follower` only, and its acknowledgement never reaches the leader.
  const NodeId cut_off = old_leader;  // a lambda may not capture a structured binding before C++20 in clang 14
  cluster.deliver_all_dropping([&](const Envelope& e) { return e.to == other || e.to == cut_off; },
                               [](const Envelope&) { return false; });
  ASSERT_EQ(cluster.driver(follower).node().last_index(), cluster.driver(old_leader).node().last_index());
  ASSERT_EQ(cluster.machine(follower).value(), 0);
  cluster.network().isolate(old_leader, {1, 2, 3});
  cluster.hold_peer_messages(false);

  for (int t = 0; t < 500 && !cluster.driver(follower).is_leader(); ++t) cluster.tick_all();
  ASSERT_TRUE(cluster.driver(follower).is_leader()) << "only the follower holding the entry can win";
  cluster.tick_all(3);
  EXPECT_EQ(cluster.machine(follower).value(), 5) << "the new leader committed the entry";
  EXPECT_FALSE(cluster.outcome(follower, request).has_value()) << "the follower did not wait for the node it asked";

  cluster.network().heal();
  EXPECT_EQ(value_of(cluster.wait(follower, request, 300)), "5");
  for (NodeId id = 1; id <= 3; ++id) EXPECT_EQ(cluster.machine(id).applied_commands(), 1) << "node " << id;
}

// A leader that stops after appending cannot tell whether the entry will commit under its
// successor: OutcomeUnknown. One that was stopped before the proposal came never appended it.
TEST(RuntimeForwarding, ALeaderShuttingDownAnswersOutcomeUnknownOnceAppendedAndNotLeaderBefore) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = cluster.follower_of(leader);
  cluster.hold_peer_messages(true);
  const RequestId appended = cluster.propose(follower, "5");
  const RequestId refused = cluster.propose(follower, "6");
  auto forwarded = cluster.take_peer<ForwardedProposal>();
  ASSERT_EQ(forwarded.size(), 2u);
  // Appended, and its AppendEntries stay queued (nothing is delivered): it cannot commit.
  const Index last_before = cluster.driver(leader).node().last_index();
  cluster.driver(leader).receive(forwarded[0]);
  cluster.drain(leader);
  ASSERT_EQ(cluster.driver(leader).node().last_index(), last_before + 1);
  cluster.driver(leader).shutdown();
  cluster.drain(leader);
  cluster.deliver_peer(forwarded[1]);  // to a leader already stopped
  auto answers = cluster.take_peer<ForwardedOutcome>();
  ASSERT_EQ(answers.size(), 2u);
  for (const ForwardedOutcome& answer : answers) cluster.deliver_peer(answer);
  EXPECT_TRUE(ended_with<OutcomeUnknown>(cluster.outcome(follower, appended))) << value_of(cluster.outcome(follower, appended));
  const auto outcome = cluster.outcome(follower, refused);
  ASSERT_TRUE(ended_with<NotLeader>(outcome)) << value_of(outcome);
  EXPECT_EQ(std::get<NotLeader>(outcome->error()).leader, kNoNode);
}

TEST(RuntimeForwarding, ACommandOverTheForwardingBoundIsRefusedOnBothSides) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = cluster.follower_of(leader);
  cluster.hold_peer_messages(true);
  const std::string huge(peer_wire::kMaxForwardedCommandBytes + 1, '7');
  const RequestId request = cluster.propose(follower, huge);
  EXPECT_TRUE(ended_with<InvalidRequest>(cluster.outcome(follower, request)));
  EXPECT_TRUE(cluster.peer_network().empty());
  const RequestId fits = cluster.propose(follower, std::string(peer_wire::kMaxForwardedCommandBytes, '0'));
  EXPECT_FALSE(cluster.outcome(follower, fits).has_value());
  ASSERT_EQ(cluster.take_peer<ForwardedProposal>().size(), 1u);

  // On the leader itself too: an entry no frame can carry would never reach a follower.
  const Index last_before = cluster.driver(leader).node().last_index();
  const RequestId local = cluster.propose(leader, huge);
  EXPECT_TRUE(ended_with<InvalidRequest>(cluster.outcome(leader, local)));
  EXPECT_EQ(cluster.driver(leader).node().last_index(), last_before);

  // The largest command taken does fit: its entry, in an AppendEntries with every field at its
  // widest, is one frame the default decoder accepts.
  AppendEntries widest;
  widest.from = widest.to = ~NodeId{0};
  widest.term = widest.prev_log_term = ~Term{0};
  widest.prev_log_index = widest.leader_commit = widest.read_round = ~std::uint64_t{0};
  widest.entries = EntryBatch{LogEntry{~Term{0}, ~Index{0}, EntryKind::Normal,
                                       wrap_command(text(std::string(kMaxCommandBytes, '0')))}};
  const std::vector<std::byte> frame = wire::encode(Message{widest});
  EXPECT_LE(frame.size(), wire::kDefaultMaxFrameBytes);
  EXPECT_TRUE(wire::decode(std::span<const std::byte>(frame)).ok());

  // A hostile or buggy peer sends one anyway: the leader refuses it unappended.
  cluster.deliver_peer(ForwardedProposal{follower, leader, 4242, text(huge)});
  EXPECT_EQ(cluster.driver(leader).node().last_index(), last_before);
  auto answers = cluster.take_peer<ForwardedOutcome>();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, ForwardStatus::TooLarge);
  EXPECT_EQ(answers[0].request, 4242u);
}

// What a leader holds for its followers is bounded: beyond the bound it answers Overloaded at
// once, and the proposals it holds still complete.
TEST(RuntimeForwarding, ALeaderHoldsAtMostTheBoundOfForwardedProposals) {
  DriverOptions options;
  options.max_forwarded_proposals = 2;
  options.request_timeout_ticks = 1000;
  Cluster cluster(0, options);
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = cluster.follower_of(leader);
  // Nothing commits while the Raft messages stay queued (none is delivered here).
  cluster.hold_peer_messages(true);
  std::vector<RequestId> requests;
  for (int i = 0; i < 3; ++i) requests.push_back(cluster.propose(follower, "1"));
  auto forwarded = cluster.take_peer<ForwardedProposal>();
  ASSERT_EQ(forwarded.size(), 3u);
  for (const ForwardedProposal& proposal : forwarded) {
    cluster.driver(leader).receive(proposal);
    cluster.drain(leader);
  }
  EXPECT_EQ(cluster.driver(leader).forwarded_proposals_held(), 2u);
  auto answers = cluster.take_peer<ForwardedOutcome>();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, ForwardStatus::Overloaded);
  cluster.deliver_peer(answers[0]);
  EXPECT_TRUE(ended_with<Overloaded>(cluster.outcome(follower, requests[2])));
  EXPECT_FALSE(cluster.outcome(follower, requests[0]).has_value());
  cluster.hold_peer_messages(false);
  EXPECT_EQ(value_of(cluster.wait(follower, requests[0])), "1");
  EXPECT_EQ(value_of(cluster.wait(follower, requests[1])), "2");
  EXPECT_EQ(cluster.driver(leader).forwarded_proposals_held(), 0u);
  EXPECT_EQ(cluster.machine(leader).value(), 2);
}

// A follower that shuts down ends its forwarded requests with ShuttingDown; the leader's answer,
// arriving afterwards, changes nothing.
TEST(RuntimeForwarding, ShutdownEndsForwardedRequestsAndTheirLateAnswerIsIgnored) {
  Cluster cluster;
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [leader, follower, request, proposal] = held;
  cluster.driver(follower).shutdown();
  cluster.drain(follower);
  ASSERT_TRUE(ended_with<ShuttingDown>(cluster.outcome(follower, request)));
  EXPECT_EQ(cluster.driver(follower).pending_requests(), 0u);
  cluster.deliver_peer(proposal);
  for (int t = 0; t < 20 && cluster.peer_network().empty(); ++t) cluster.tick_all();
  auto answers = cluster.take_peer<ForwardedOutcome>();
  ASSERT_EQ(answers.size(), 1u);
  cluster.deliver_peer(answers[0]);
  EXPECT_EQ(cluster.completions(follower, request), 1);
  EXPECT_TRUE(ended_with<ShuttingDown>(cluster.outcome(follower, request)));
}

// The core refusing a forwarded proposal (a leadership transfer under way) reaches the follower
// as the same Refused, with the hint.
TEST(RuntimeForwarding, TheLeadersRefusalReachesTheFollowerWithItsReasonAndHint) {
  Cluster cluster;
  HeldForward held;
  ASSERT_TRUE(hold_forwarded(cluster, "5", held));
  const auto& [leader, follower, request, proposal] = held;
  const NodeId target = third_node(leader, follower);
  cluster.network().isolate(target, {1, 2, 3});  // the transfer stays under way
  cluster.request(leader, &Driver::transfer_leadership, target);
  cluster.deliver_peer(proposal);
  auto answers = cluster.take_peer<ForwardedOutcome>();
  ASSERT_EQ(answers.size(), 1u);
  cluster.deliver_peer(answers[0]);
  const auto outcome = cluster.outcome(follower, request);
  ASSERT_TRUE(ended_with<Refused>(outcome)) << value_of(outcome);
  EXPECT_EQ(std::get<Refused>(outcome->error()).reason, RejectReason::TransferInProgress);
  EXPECT_EQ(std::get<Refused>(outcome->error()).leader_hint, target);
}

// What a leader remembers of one follower's forwarded proposals: each number once, the numbers
// forgotten to stay within the window still known as seen, a restart of the follower (a number
// far from the newest) starting over, and the numbers of incarnation 0 never tracked.
TEST(SeenRequests, EachNumberOnceWithinABoundedWindowAndAgainAfterARestart) {
  using detail::SeenRequests;
  const std::uint64_t base = std::uint64_t{7} << 40;
  SeenRequests seen(4);
  for (std::uint64_t r = 1; r <= 6; ++r) EXPECT_TRUE(seen.first_time(base + r)) << r;
  for (std::uint64_t r = 1; r <= 6; ++r) EXPECT_FALSE(seen.first_time(base + r)) << r;  // 1, 2: below the floor
  EXPECT_TRUE(seen.first_time(base + 8));  // out of order, still new
  EXPECT_TRUE(seen.first_time(base + 7));
  EXPECT_FALSE(seen.first_time(base + 8));

  const std::uint64_t restarted = base - (std::uint64_t{1} << 36);  // a new base, below the old one
  EXPECT_TRUE(seen.first_time(restarted + 1));
  EXPECT_TRUE(seen.first_time(restarted + 2));
  EXPECT_FALSE(seen.first_time(restarted + 1));
  EXPECT_TRUE(seen.first_time(base + 9)) << "back to the old numbering: a restart again";

  for (std::uint64_t r : {std::uint64_t{0}, std::uint64_t{1}, SeenRequests::kStreamGap - 1}) {
    EXPECT_TRUE(seen.first_time(r)) << r;
    EXPECT_TRUE(seen.first_time(r)) << r << " is tracked";
  }
  EXPECT_TRUE(seen.first_time(~std::uint64_t{0}));
  EXPECT_FALSE(seen.first_time(~std::uint64_t{0}));
}

}  // namespace
}  // namespace raftio::runtime
