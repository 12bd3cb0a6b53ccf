// raftio::runtime::Driver: three drivers over a counter state machine, their messages carried by
// an in-memory transport (no sockets, no threads, no clock): every run is the same run.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raftio/memory_log.h"
#include "raftio/runtime/driver.h"

#include "support/driver_cluster.h"

namespace raftio::runtime {
namespace {

using test::Cluster;
using test::text;
using test::value_of;

TEST(RuntimeDriver, ElectsALeaderAndAProposalCompletesWithTheStateMachinesResponse) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);

  const RequestId first = cluster.propose(leader, "5");
  EXPECT_EQ(value_of(cluster.wait(leader, first)), "5");
  const RequestId second = cluster.propose(leader, "37");
  EXPECT_EQ(value_of(cluster.wait(leader, second)), "42");  // apply's response: the new value

  cluster.tick_all(3);  // followers learn the commit index from the next heartbeat
  for (NodeId id = 1; id <= 3; ++id) {
    EXPECT_EQ(cluster.machine(id).value(), 42) << "node " << id;
    EXPECT_EQ(cluster.machine(id).applied_commands(), 2) << "node " << id;
  }
  EXPECT_EQ(cluster.driver(leader).pending_requests(), 0u);
}

TEST(RuntimeDriver, WithoutForwardingAProposalOnAFollowerIsRefusedWithTheLeadersId) {
  DriverOptions options;
  options.forward_proposals = false;
  Cluster cluster(0, options);
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = cluster.follower_of(leader);

  const RequestId request = cluster.propose(follower, "1");
  const auto outcome = cluster.outcome(follower, request);  // refused at once, no round trip
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(outcome->ok());
  ASSERT_TRUE(std::holds_alternative<NotLeader>(outcome->error())) << describe(outcome->error());
  EXPECT_EQ(std::get<NotLeader>(outcome->error()).leader, leader);
  EXPECT_TRUE(cluster.peer_network().empty());  // nothing was forwarded
  cluster.tick_all(3);
  EXPECT_EQ(cluster.machine(leader).value(), 0);  // nothing was appended
}

TEST(RuntimeDriver, AReadOnAnyNodeReturnsTheValueCommittedBeforeItBegan) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);

  const RequestId write = cluster.propose(leader, "9");
  // Deliver only until the leader has answered the write: the followers hold the entry but have
  // not yet heard that it committed, so their state machines are still at 0.
  while (!cluster.outcome(leader, write) && cluster.deliver_one()) {
  }
  ASSERT_EQ(value_of(cluster.outcome(leader, write)), "9");

  std::map<NodeId, RequestId> reads;
  for (NodeId id = 1; id <= 3; ++id) {
    if (id == leader) continue;
    ASSERT_EQ(cluster.machine(id).value(), 0) << "node " << id << " applied the write already: the test proves nothing";
    reads[id] = cluster.read(id);
    // A follower's read needs the leader's read index first (thesis §6.4): it cannot be served
    // from the follower's stale state at once.
    EXPECT_FALSE(cluster.outcome(id, reads[id]).has_value()) << "node " << id;
  }
  for (const auto& [id, read] : reads) EXPECT_EQ(value_of(cluster.wait(id, read)), "9") << "node " << id;
  const RequestId leader_read = cluster.read(leader);
  EXPECT_EQ(value_of(cluster.wait(leader, leader_read)), "9");
}

TEST(RuntimeDriver, AFollowerServesAReadOnlyOnceItHasAppliedTheReadIndex) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = cluster.follower_of(leader);
  const auto to_follower = [&](const Envelope& e, MessageKind kind) {
    return e.to == follower && kind_of(e.message) == kind;
  };
  const auto no = [](const Envelope&) { return false; };

  // The write commits while the follower hears nothing from the leader: its state stays at 0.
  const RequestId write = cluster.propose(leader, "9");
  cluster.deliver_all_dropping([&](const Envelope& e) { return to_follower(e, MessageKind::AppendEntries); }, no);
  ASSERT_EQ(value_of(cluster.outcome(leader, write)), "9");
  ASSERT_EQ(cluster.machine(follower).value(), 0);

  // The follower's read gets its read index from the leader (confirmed by the other follower),
  // but the entries and commit index still do not reach it.
  const RequestId read = cluster.read(follower);
  const int replies = cluster.deliver_all_dropping(
      [&](const Envelope& e) { return to_follower(e, MessageKind::AppendEntries); },
      [&](const Envelope& e) { return to_follower(e, MessageKind::ReadIndexReply); });
  ASSERT_EQ(replies, 1) << "the read index never reached the follower: the test proves nothing";
  ASSERT_EQ(cluster.machine(follower).value(), 0);
  // Thesis §6.4: serving now would return 0, a value older than a write that completed before
  // the read began.
  EXPECT_FALSE(cluster.outcome(follower, read).has_value()) << value_of(cluster.outcome(follower, read));

  EXPECT_EQ(value_of(cluster.wait(follower, read)), "9");  // once the follower caught up
}

TEST(RuntimeDriver, AProposalWithoutAQuorumTimesOut) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  cluster.network().isolate(leader, {1, 2, 3});

  const RequestId request = cluster.propose(leader, "1");
  const auto outcome = cluster.wait(leader, request, 150);
  ASSERT_TRUE(outcome.has_value()) << "the request hangs";
  ASSERT_FALSE(outcome->ok());
  EXPECT_TRUE(std::holds_alternative<TimedOut>(outcome->error())) << describe(outcome->error());
}

TEST(RuntimeDriver, ShutdownEndsPendingAndLaterRequests) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  cluster.network().isolate(leader, {1, 2, 3});  // the proposal stays pending

  const RequestId pending = cluster.propose(leader, "1");
  ASSERT_FALSE(cluster.outcome(leader, pending).has_value());
  EXPECT_FALSE(cluster.driver(leader).stop_reason().has_value());
  cluster.driver(leader).shutdown();
  cluster.drain(leader);
  ASSERT_TRUE(cluster.driver(leader).stop_reason().has_value());
  EXPECT_TRUE(std::holds_alternative<ShuttingDown>(*cluster.driver(leader).stop_reason()));
  const RequestId later = cluster.propose(leader, "2");
  for (const RequestId id : {pending, later}) {
    const auto outcome = cluster.outcome(leader, id);
    ASSERT_TRUE(outcome.has_value()) << "request " << id;
    ASSERT_FALSE(outcome->ok());
    EXPECT_TRUE(std::holds_alternative<ShuttingDown>(outcome->error())) << describe(outcome->error());
  }
}

TEST(RuntimeDriver, ARestartedNodeRestoresItsSnapshotAndLogAndKeepsTheValue) {
  Cluster cluster(/*snapshot_threshold=*/4);
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  std::int64_t expected = 0;
  for (int i = 1; i <= 10; ++i) {
    expected += i;
    EXPECT_EQ(value_of(cluster.wait(leader, cluster.propose(leader, std::to_string(i)))), std::to_string(expected));
  }
  cluster.tick_all(3);
  const NodeId follower = cluster.follower_of(leader);
  ASSERT_GT(cluster.machine(follower).snapshots_taken(), 0) << "the driver never took a snapshot";
  ASSERT_GT(cluster.driver(follower).node().first_index(), 1u) << "the log was never compacted";

  cluster.restart(follower);
  cluster.tick_all(3);
  EXPECT_EQ(cluster.machine(follower).restores(), 1);  // its own snapshot, then the entries after it
  EXPECT_EQ(cluster.machine(follower).value(), expected);
  EXPECT_EQ(value_of(cluster.wait(follower, cluster.read(follower))), std::to_string(expected));
}

TEST(RuntimeDriver, ANodeThatFellBehindIsRestoredFromTheLeadersSnapshot) {
  Cluster cluster(/*snapshot_threshold=*/4);
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId behind = cluster.follower_of(leader);
  cluster.network().isolate(behind, {1, 2, 3});
  std::int64_t expected = 0;
  for (int i = 1; i <= 12; ++i) {
    expected += i;
    EXPECT_EQ(value_of(cluster.wait(leader, cluster.propose(leader, std::to_string(i)))), std::to_string(expected));
  }
  ASSERT_GT(cluster.driver(leader).node().first_index(), 2u) << "the leader kept its whole log";
  EXPECT_EQ(cluster.machine(behind).value(), 0);

  cluster.restart(behind);  // fresh state machine, and a log that lacks everything above
  cluster.network().heal();
  cluster.tick_all(20);
  EXPECT_EQ(cluster.machine(behind).restores(), 1);  // InstallSnapshot from the leader
  EXPECT_EQ(cluster.machine(behind).value(), expected);
  EXPECT_EQ(value_of(cluster.wait(behind, cluster.read(behind))), std::to_string(expected));
}

// Membership and transfers: requests that end once the cluster's configuration (or leader) says
// they happened, or with a typed error; none can hang.

bool is_error(const std::optional<Result<Payload, Error>>& outcome) { return outcome && !outcome->ok(); }

TEST(RuntimeDriver, AddVoterTakesAnEmptyNodeFromLearnerToVoterInOneRequest) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  for (const char* amount : {"3", "4", "5"}) ASSERT_EQ(cluster.wait(leader, cluster.propose(leader, amount))->ok(), true);
  cluster.start_new_node(4);

  const RequestId join = cluster.request(leader, &Driver::add_voter, 4);
  // The first step commits with 4 as a learner; the request is still pending then.
  for (int t = 0; t < 200 && !cluster.driver(leader).node().membership().is_learner(4); ++t) cluster.tick_all();
  ASSERT_TRUE(cluster.driver(leader).node().membership().is_learner(4));
  EXPECT_FALSE(cluster.outcome(leader, join).has_value()) << "a learner is not yet a voter";

  EXPECT_EQ(value_of(cluster.wait(leader, join)), "");
  EXPECT_TRUE(cluster.driver(leader).node().membership().is_voter(4));
  EXPECT_EQ(cluster.driver(leader).node().commit_index(), cluster.driver(leader).node().last_index());
  cluster.tick_all(3);
  EXPECT_EQ(cluster.machine(4).value(), 12) << "the new voter holds the state";
  EXPECT_TRUE(cluster.driver(4).node().membership().is_voter(4));
  EXPECT_EQ(cluster.driver(leader).pending_requests(), 0u);
}

TEST(RuntimeDriver, AJoinOfANodeThatNeverAnswersTimesOutAndOtherRequestsKeepTheirOwnDeadline) {
  // Proposals end after 5 ticks without an outcome (before check-quorum's 10 would depose a
  // leader cut off from its quorum), changes after 300.
  Cluster cluster(0, DriverOptions{.request_timeout_ticks = 5, .change_timeout_ticks = 300});
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const RequestId join = cluster.request(leader, &Driver::add_voter, 9);  // no node 9 exists
  // The learner step commits (learners count toward no quorum) but 9 never catches up.
  cluster.tick_all(50);
  EXPECT_TRUE(cluster.driver(leader).node().membership().is_learner(9));
  EXPECT_FALSE(cluster.outcome(leader, join).has_value()) << value_of(cluster.outcome(leader, join));

  // A proposal started after the join, on a leader cut off from its quorum, ends at its own
  // deadline, not behind the join's.
  cluster.network().isolate(leader, {1, 2, 3});
  const RequestId proposal = cluster.propose(leader, "1");
  cluster.tick_all(5);
  ASSERT_TRUE(is_error(cluster.outcome(leader, proposal))) << value_of(cluster.outcome(leader, proposal));
  EXPECT_TRUE(std::holds_alternative<TimedOut>(cluster.outcome(leader, proposal)->error()));
  EXPECT_TRUE(cluster.driver(leader).is_leader());
  EXPECT_FALSE(cluster.outcome(leader, join).has_value());

  cluster.network().heal();
  const auto outcome = cluster.wait(leader, join, 300);
  ASSERT_TRUE(is_error(outcome));
  EXPECT_TRUE(std::holds_alternative<TimedOut>(outcome->error())) << describe(outcome->error());
  EXPECT_TRUE(cluster.driver(leader).node().membership().is_learner(9)) << "never promoted";
}

TEST(RuntimeDriver, RemoveNodeEndsOnceTheConfigurationWithoutItIsApplied) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = cluster.follower_of(leader);
  const RequestId removal = cluster.request(leader, &Driver::remove_node, follower);
  EXPECT_EQ(value_of(cluster.wait(leader, removal)), "");
  EXPECT_FALSE(cluster.driver(leader).node().membership().contains(follower));
  EXPECT_GE(cluster.driver(leader).applied_index(), cluster.driver(leader).node().last_index());

  // Twice: the node is no member now, a typed refusal rather than silence.
  const auto again = cluster.outcome(leader, cluster.request(leader, &Driver::remove_node, follower));
  ASSERT_TRUE(is_error(again));
  ASSERT_TRUE(std::holds_alternative<Refused>(again->error())) << describe(again->error());
  EXPECT_EQ(std::get<Refused>(again->error()).reason, RejectReason::InvalidTarget);
}

TEST(RuntimeDriver, MembershipRequestsOnAFollowerAreRefusedWithTheLeadersId) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = cluster.follower_of(leader);
  for (auto call : {&Driver::add_voter, &Driver::add_learner, &Driver::remove_node, &Driver::transfer_leadership}) {
    const auto outcome = cluster.outcome(follower, cluster.request(follower, call, 3));
    ASSERT_TRUE(is_error(outcome));
    ASSERT_TRUE(std::holds_alternative<NotLeader>(outcome->error())) << describe(outcome->error());
    EXPECT_EQ(std::get<NotLeader>(outcome->error()).leader, leader);
  }
  EXPECT_EQ(cluster.driver(follower).pending_requests(), 0u);
}

TEST(RuntimeDriver, TransferLeadershipEndsOnceTheTargetLeads) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId target = cluster.follower_of(leader);
  const RequestId transfer = cluster.request(leader, &Driver::transfer_leadership, target);
  EXPECT_EQ(value_of(cluster.wait(leader, transfer)), "");
  EXPECT_EQ(cluster.driver(leader).leader_id(), target);
  EXPECT_TRUE(cluster.driver(target).is_leader());

  const auto to_stranger = cluster.outcome(target, cluster.request(target, &Driver::transfer_leadership, 9));
  ASSERT_TRUE(is_error(to_stranger));
  ASSERT_TRUE(std::holds_alternative<Refused>(to_stranger->error())) << describe(to_stranger->error());
  EXPECT_EQ(std::get<Refused>(to_stranger->error()).reason, RejectReason::InvalidTarget);
}

// The leader steps down for the target's election (it grants its vote), the target loses it, and
// another node is elected: the core, no longer that leader, reports nothing, so the Driver ends
// the transfer once a later term has a leader other than the target.
TEST(RuntimeDriver, ATransferWhoseTargetLosesItsElectionEndsWithTransferFailed) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId target = cluster.follower_of(leader);
  const NodeId third = 6 - leader - target;
  const RequestId transfer = cluster.request(leader, &Driver::transfer_leadership, target);
  // The target's vote requests reach the old leader only, and the old leader's grant is lost.
  cluster.deliver_all_dropping(
      [&](const Envelope& e) {
        const MessageKind kind = kind_of(e.message);
        return (kind == MessageKind::RequestVote && e.to == third) ||
               (kind == MessageKind::RequestVoteReply && e.to == target);
      },
      [](const Envelope&) { return false; });
  EXPECT_FALSE(cluster.driver(leader).is_leader()) << "the old leader stepped down for the election";
  EXPECT_FALSE(cluster.outcome(leader, transfer).has_value());

  cluster.network().isolate(target, {1, 2, 3});
  for (int t = 0; t < 300 && !cluster.outcome(leader, transfer); ++t) cluster.tick_all();
  const auto outcome = cluster.outcome(leader, transfer);
  ASSERT_TRUE(is_error(outcome));
  ASSERT_TRUE(std::holds_alternative<TransferFailed>(outcome->error())) << describe(outcome->error());
  const NodeId elected = std::get<TransferFailed>(outcome->error()).leader;
  EXPECT_NE(elected, target);
  EXPECT_TRUE(cluster.driver(elected).is_leader());
}

TEST(RuntimeDriver, ShutdownEndsPendingChangesAndTransfers) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  cluster.network().isolate(leader, {1, 2, 3});
  const NodeId removed = cluster.follower_of(leader);
  const NodeId target = 6 - leader - removed;  // the third node
  const RequestId removal = cluster.request(leader, &Driver::remove_node, removed);
  const RequestId transfer = cluster.request(leader, &Driver::transfer_leadership, target);
  EXPECT_EQ(cluster.driver(leader).pending_requests(), 2u) << value_of(cluster.outcome(leader, removal)) << value_of(cluster.outcome(leader, transfer));
  cluster.driver(leader).shutdown();
  cluster.drain(leader);
  for (const RequestId id : {removal, transfer}) {
    const auto outcome = cluster.outcome(leader, id);
    ASSERT_TRUE(is_error(outcome));
    EXPECT_TRUE(std::holds_alternative<ShuttingDown>(outcome->error())) << describe(outcome->error());
  }
}

TEST(RuntimeDriver, StatusReportsRoleTermIndexesMembershipAndEachPeersLag) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId behind = cluster.follower_of(leader);
  cluster.network().isolate(behind, {1, 2, 3});
  for (const char* amount : {"1", "2"}) ASSERT_TRUE(cluster.wait(leader, cluster.propose(leader, amount))->ok());

  const Status status = cluster.driver(leader).status();
  EXPECT_EQ(status.id, leader);
  EXPECT_EQ(status.role, Role::Leader);
  EXPECT_EQ(status.leader, leader);
  EXPECT_EQ(status.term, cluster.driver(leader).node().term());
  EXPECT_EQ(status.commit_index, status.last_index);
  EXPECT_EQ(status.applied_index, status.last_index);
  EXPECT_EQ(status.durable_index, status.last_index);
  EXPECT_EQ(status.membership.voters, (std::vector<NodeId>{1, 2, 3}));
  ASSERT_EQ(status.peers.size(), 2u);
  for (const PeerStatus& peer : status.peers) {
    EXPECT_TRUE(peer.voter);
    if (peer.id == behind) {
      EXPECT_EQ(peer.lag, 2u) << "the isolated follower misses both proposals";
    } else {
      EXPECT_EQ(peer.lag, 0u);
      EXPECT_EQ(peer.match, status.last_index);
    }
  }
  const Status follower = cluster.driver(behind).status();
  EXPECT_EQ(follower.role, Role::Follower);
  EXPECT_TRUE(follower.peers.empty());
  EXPECT_EQ(follower.last_index, status.last_index - 2);
}

// background_snapshots: the state is captured in the loop and serialized outside it; the Driver
// goes on applying meanwhile, and the log is compacted only once the bytes are reported.
TEST(RuntimeDriver, BackgroundSnapshotsAreSerializedOutsideTheLoopAndCompactOnceWritten) {
  Cluster cluster(/*snapshot_threshold=*/4, DriverOptions{.background_snapshots = true});
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  std::int64_t expected = 0;
  int proposed = 0;
  while (cluster.snapshot_jobs(leader).empty() && proposed < 20) {
    expected += ++proposed;
    ASSERT_EQ(value_of(cluster.wait(leader, cluster.propose(leader, std::to_string(proposed)))), std::to_string(expected));
  }
  ASSERT_EQ(cluster.snapshot_jobs(leader).size(), 1u) << "no snapshot job after " << proposed << " proposals";
  const std::int64_t at_job = expected;
  const Index job_index = cluster.snapshot_jobs(leader).front().index;
  EXPECT_EQ(cluster.machine(leader).snapshots_taken(), 0) << "nothing serialized inside the loop";
  EXPECT_EQ(cluster.machine(leader).jobs_run(), 0);

  // The loop goes on: more entries are applied, the next threshold passes, and the one job out
  // stays the only one; nothing is compacted yet.
  for (int i = 0; i < 6; ++i) {
    expected += ++proposed;
    ASSERT_EQ(value_of(cluster.wait(leader, cluster.propose(leader, std::to_string(proposed)))), std::to_string(expected));
  }
  EXPECT_EQ(cluster.snapshot_jobs(leader).size(), 1u);
  EXPECT_EQ(cluster.driver(leader).node().first_index(), 1u);

  // The job serializes the state it captured, not the current one.
  SnapshotJob job = std::move(cluster.snapshot_jobs(leader).front());
  cluster.snapshot_jobs(leader).clear();
  const Payload bytes = job.serialize();
  const std::optional<OpenedSnapshot> opened = open_snapshot(bytes);  // the address book, then the machine's
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->machine.to_string(), std::to_string(at_job));
  EXPECT_EQ(cluster.machine(leader).jobs_run(), 1);
  cluster.driver(leader).snapshot_written(job.index, bytes);
  cluster.drain(leader);
  EXPECT_EQ(cluster.driver(leader).node().first_index(), job_index + 1) << "compacted up to the job's index";
  EXPECT_EQ(cluster.machine(leader).value(), expected);

  // A repeated report is ignored; a later suggestion hands out the next job.
  cluster.driver(leader).snapshot_written(job.index, bytes);
  for (int i = 0; i < 8 && cluster.snapshot_jobs(leader).empty(); ++i) {
    expected += ++proposed;
    ASSERT_TRUE(cluster.wait(leader, cluster.propose(leader, std::to_string(proposed)))->ok());
  }
  ASSERT_EQ(cluster.snapshot_jobs(leader).size(), 1u);
  EXPECT_GT(cluster.snapshot_jobs(leader).front().index, job_index);
}

// The observers see every core step: the events going in, then the node and the actions coming
// out, before the Driver handles them (a simulator feeds its safety checker from them).
TEST(RuntimeDriver, ObserversSeeEveryCoreStepsEventsAndActions) {
  Counter machine;
  DriverOptions options;
  std::vector<std::string> seen;
  std::size_t steps_before = 0, steps_after = 0;
  options.before_step = [&](std::span<const Event> events) {
    ++steps_before;
    for (const Event& event : events) {
      if (const auto* propose = std::get_if<Propose>(&event)) seen.push_back("propose " + std::to_string(propose->id));
    }
  };
  options.after_step = [&](const RaftNode& node, std::span<const Action> actions) {
    ++steps_after;
    EXPECT_EQ(node.id(), 1u);
    for (const Action& action : actions) {
      if (const auto* apply = std::get_if<Apply>(&action)) seen.push_back("apply " + std::to_string(apply->entry.index));
    }
  };
  Driver driver(RaftConfig::builder(1).voters({1}).seed(7).build().value(), std::make_unique<MemoryLog>(), machine,
                options);
  for (int t = 0; t < 50 && !driver.is_leader(); ++t) driver.tick();
  ASSERT_TRUE(driver.is_leader());
  seen.clear();
  const RequestId id = driver.propose(text("5"));
  for (int t = 0; t < 5; ++t) driver.tick();
  const DriverOutput out = driver.take_output();
  ASSERT_EQ(out.completions.size(), 1u);
  EXPECT_EQ(out.completions[0].id, id);
  EXPECT_EQ(steps_before, steps_after);
  EXPECT_EQ(steps_after, driver.core_steps());
  // The proposal went in (numbered by the Driver), and its entry came out to be applied.
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].rfind("propose ", 0), 0u) << seen[0];
  EXPECT_EQ(seen[1], "apply " + std::to_string(driver.applied_index()));
}

}  // namespace
}  // namespace raftio::runtime

namespace raftio::runtime {
namespace {

// The address book: where a node that joined listens, learnt by every member from the log.

TEST(RuntimeDriver, AddVoterWithAnAddressTeachesEveryMemberWhereTheNewNodeListens) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  cluster.start_new_node(4);
  const RequestId join = cluster.request(leader, &Driver::add_voter, 4, "node-4.example:7004");
  // The leader replicates to 4 before anything commits, so it uses the address at once.
  EXPECT_TRUE(cluster.addresses_changed(leader));
  EXPECT_EQ(cluster.driver(leader).addresses(), (AddressBook{{4, "node-4.example:7004"}}));
  EXPECT_EQ(cluster.driver(cluster.follower_of(leader)).addresses(), AddressBook{}) << "nothing committed yet";

  EXPECT_EQ(value_of(cluster.wait(leader, join)), "");
  cluster.tick_all(3);
  for (const NodeId id : cluster.ids()) {
    EXPECT_EQ(cluster.driver(id).addresses(), (AddressBook{{4, "node-4.example:7004"}})) << "node " << id;
    EXPECT_EQ(cluster.driver(id).status().addresses, cluster.driver(id).addresses()) << "node " << id;
  }
  EXPECT_EQ(cluster.machine(4).applied_commands(), 0) << "an address record is not the user's command";

  // A later change of address replaces the old one everywhere.
  const RequestId moved = cluster.request(leader, &Driver::add_learner, 4, "10.0.0.44:7004");
  EXPECT_EQ(value_of(cluster.wait(leader, moved)), "");
  cluster.tick_all(3);
  for (const NodeId id : cluster.ids()) {
    EXPECT_EQ(cluster.driver(id).addresses().at(4), "10.0.0.44:7004") << "node " << id;
  }
}

TEST(RuntimeDriver, TheAddressBookSurvivesCompactionARestartAndAnInstalledSnapshot) {
  Cluster cluster(/*snapshot_threshold=*/4);
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId behind = cluster.follower_of(leader);
  cluster.start_new_node(4);
  ASSERT_EQ(value_of(cluster.wait(leader, cluster.request(leader, &Driver::add_learner, 4, "[::1]:7004"))), "");
  cluster.network().isolate(behind, {1, 2, 3, 4});
  for (int i = 1; i <= 12; ++i) ASSERT_TRUE(cluster.wait(leader, cluster.propose(leader, std::to_string(i)))->ok());
  cluster.tick_all(3);
  ASSERT_GT(cluster.driver(leader).node().first_index(), 4u) << "the record was never compacted away";

  const NodeId restarted = 6 - leader - behind;  // the third original member
  cluster.restart(restarted);
  cluster.tick_all(3);
  EXPECT_EQ(cluster.driver(restarted).addresses(), (AddressBook{{4, "[::1]:7004"}})) << "from its own snapshot";

  cluster.restart(behind);
  cluster.network().heal();
  cluster.tick_all(20);
  EXPECT_EQ(cluster.machine(behind).restores(), 1) << "the leader's snapshot was installed";
  EXPECT_EQ(cluster.driver(behind).addresses(), (AddressBook{{4, "[::1]:7004"}}));
  EXPECT_EQ(cluster.machine(behind).value(), 78);
}

TEST(RuntimeDriver, AnAddressLongerThanTheBoundIsAnInvalidRequest) {
  Cluster cluster;
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const RequestId id = cluster.request(leader, &Driver::add_voter, 4, std::string(kMaxAddressBytes + 1, 'a'));
  ASSERT_TRUE(is_error(cluster.outcome(leader, id)));
  EXPECT_TRUE(std::holds_alternative<InvalidRequest>(cluster.outcome(leader, id)->error()));
  EXPECT_EQ(cluster.driver(leader).addresses(), AddressBook{});
  EXPECT_FALSE(cluster.driver(leader).node().membership().contains(4));
}

// A log holding a committed entry that the runtime did not write (another program's log, or a
// damaged one that still passed the checksums): the node stops with the index rather than guess.
TEST(RuntimeDriver, ACommittedEntryTheRuntimeDidNotWriteStopsTheNodeAndSaysWhere) {
  MemoryLog::Contents contents;
  contents.hard_state = HardState{1, kNoNode};
  contents.entries.push_back(LogEntry{1, 1, EntryKind::Normal, Payload::copy_of("\x07not ours")});
  auto log = MemoryLog::from(std::move(contents));
  ASSERT_TRUE(log.ok());
  Counter machine;
  Driver driver(RaftConfig::builder(1).voters({1}).seed(7).build().value(),
                std::make_unique<MemoryLog>(std::move(log.value())), machine);
  for (int t = 0; t < 100 && !driver.stopped(); ++t) driver.tick();
  ASSERT_TRUE(driver.stopped());
  EXPECT_EQ(machine.applied_commands(), 0);
  EXPECT_EQ(driver.applied_index(), 0u) << "nothing past the foreign entry was applied";
  const RequestId later = driver.propose(text("5"));  // every request now ends with the reason
  const DriverOutput out = driver.take_output();
  ASSERT_FALSE(out.completions.empty());
  const Completion& done = out.completions.back();
  ASSERT_EQ(done.id, later);
  ASSERT_FALSE(done.result.ok());
  ASSERT_TRUE(std::holds_alternative<StorageFailed>(done.result.error()));
  EXPECT_NE(describe(done.result.error()).find("index 1 "), std::string::npos) << describe(done.result.error());
}

// The envelope's decoders, on hostile bytes: never a book from a truncated or forged snapshot.
TEST(RuntimeAddressBook, RecordsAndSnapshotsRoundTripAndEveryTruncationOfTheBookIsRefused) {
  const AddressBook book{{1, "127.0.0.1:7001"}, {2, ""}, {~NodeId{0}, std::string(kMaxAddressBytes, 'x')}};
  const Payload machine = text("state");
  const Payload wrapped = wrap_snapshot(book, machine);
  const auto opened = open_snapshot(wrapped);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->book, book);
  EXPECT_EQ(opened->machine, machine);
  EXPECT_TRUE(opened->machine.shares_buffer_with(wrapped)) << "the state machine's bytes are not copied";
  const std::size_t book_bytes = wrapped.size() - machine.size();
  for (std::size_t cut = 0; cut < book_bytes; ++cut) {
    EXPECT_FALSE(open_snapshot(wrapped.slice(0, cut)).has_value()) << "cut at " << cut;
  }
  std::string forged = wrapped.to_string();
  forged[1] = forged[2] = forged[3] = forged[4] = '\xff';  // 2^32 - 1 records
  EXPECT_FALSE(open_snapshot(text(forged)).has_value());
  forged = wrapped.to_string();
  forged[0] = 2;  // an unknown version
  EXPECT_FALSE(open_snapshot(text(forged)).has_value());

  const auto record = open_entry(encode_address_record(9, "h:1"));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->tag, EntryTag::Address);
  EXPECT_EQ(record->node, 9u);
  EXPECT_EQ(record->address, "h:1");
  EXPECT_FALSE(open_entry(encode_address_record(kNoNode, "h:1")).has_value());
  EXPECT_FALSE(open_entry(encode_address_record(9, "h:1").slice(0, 5)).has_value());
  EXPECT_FALSE(open_entry(Payload()).has_value());
  EXPECT_FALSE(open_entry(text("\x02")).has_value());
  const auto command = open_entry(wrap_command(text("SET k v")));
  ASSERT_TRUE(command.has_value());
  EXPECT_EQ(command->tag, EntryTag::Command);
  EXPECT_EQ(command->command, text("SET k v"));
  EXPECT_TRUE(open_entry(wrap_command(Payload()))->command.empty());
}

}  // namespace
}  // namespace raftio::runtime
