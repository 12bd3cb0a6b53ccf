// raftio::runtime::Driver with DriverOptions::batch_inputs (group commit): the inputs of one turn
// are stepped through the core as one step, with one storage sync, and every request ends as it
// would without batching.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "raftio/memory_log.h"
#include "raftio/raft_log.h"
#include "raftio/runtime/driver.h"

#include "support/driver_cluster.h"
#include "support/runtime_counter.h"

namespace raftio::runtime {
namespace {

using test::Cluster;
using test::text;
using test::value_of;

// A MemoryLog that counts its syncs: one per core step that wrote.
class SyncCountingLog final : public RaftLog {
 public:
  explicit SyncCountingLog(int& syncs) : syncs_(syncs) {}
  HardState hard_state() const override { return inner_.hard_state(); }
  SnapshotMeta snapshot_meta() const override { return inner_.snapshot_meta(); }
  Index first_index() const override { return inner_.first_index(); }
  Index last_index() const override { return inner_.last_index(); }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override { return inner_.read(lo, hi, out); }
  Result<std::optional<Snapshot>, StorageError> load_snapshot() const override { return inner_.load_snapshot(); }
  StorageStatus append(const EntryBatch& entries) override { return inner_.append(entries); }
  StorageStatus truncate_suffix(Index from) override { return inner_.truncate_suffix(from); }
  StorageStatus set_hard_state(const HardState& state) override { return inner_.set_hard_state(state); }
  StorageStatus save_snapshot(const Snapshot& snapshot) override { return inner_.save_snapshot(snapshot); }
  StorageStatus compact(const SnapshotMeta& meta) override { return inner_.compact(meta); }
  StorageStatus sync() override {
    ++syncs_;
    return inner_.sync();
  }

 private:
  int& syncs_;
  MemoryLog inner_;
};

// One node that is the whole cluster, over a counting log: each proposal commits in the step
// that appends it.
struct Solo {
  explicit Solo(bool batch, bool async_storage = false) {
    DriverOptions options;
    options.batch_inputs = batch;
    RaftConfig config = RaftConfig::builder(1).voters({1}).seed(7).async_storage(async_storage).build().value();
    driver = std::make_unique<Driver>(std::move(config), std::make_unique<SyncCountingLog>(syncs), machine, options);
  }
  // In async_storage mode: writes every Persist and reports it, as an embedder's I/O thread would.
  void complete_persists(std::vector<Persist>& persists) {
    for (const Persist& persist : persists) {
      ASSERT_TRUE(write_persist(driver->log(), persist).ok());
      driver->persisted(Persisted{persist.index, persist.term});
    }
    persists.clear();
  }
  void elect() {
    for (int t = 0; t < 100 && !driver->is_leader(); ++t) {
      driver->tick();
      for (int round = 0; round < 10; ++round) {
        DriverOutput out = driver->take_output();
        if (out.persists.empty()) break;
        complete_persists(out.persists);
      }
    }
    ASSERT_TRUE(driver->is_leader());
  }

  int syncs = 0;
  Counter machine;
  std::unique_ptr<Driver> driver;
};

std::vector<std::pair<RequestId, std::string>> outcomes(const std::vector<Completion>& completions) {
  std::vector<std::pair<RequestId, std::string>> out;
  for (const Completion& done : completions) out.emplace_back(done.id, value_of(done.result));
  return out;
}

TEST(RuntimeDriverBatching, ProposalsOfOneTurnShareOneCoreStepAndOneSync) {
  Solo solo(true);
  solo.elect();
  const int syncs_before = solo.syncs;
  const std::uint64_t steps_before = solo.driver->core_steps();

  std::vector<RequestId> ids;
  for (int i = 0; i < 64; ++i) ids.push_back(solo.driver->propose(text("1")));
  EXPECT_EQ(solo.driver->queued_inputs(), 64u);
  EXPECT_EQ(solo.syncs, syncs_before);  // nothing stepped yet
  const DriverOutput out = solo.driver->take_output();

  EXPECT_EQ(solo.driver->core_steps() - steps_before, 1u);
  EXPECT_EQ(solo.syncs - syncs_before, 1);  // group commit: one fdatasync for 64 proposals
  ASSERT_EQ(out.completions.size(), 64u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(out.completions[i].id, ids[i]);
    EXPECT_EQ(value_of(out.completions[i].result), std::to_string(i + 1));  // applied in order
  }
}

// The same requests, turn by turn, with and without batching: the same ids and outcomes in the
// same order, in fewer core steps and syncs. (Each turn's reads come first: a read stepped in the
// same batch as proposals takes its read index before they commit, so on this one-node cluster,
// where an unbatched proposal commits within its own step, it could answer an older value.)
TEST(RuntimeDriverBatching, OutcomesAreTheSameWithAndWithoutBatching) {
  struct Run {
    std::vector<std::pair<RequestId, std::string>> outcomes;
    int syncs = 0;
    std::uint64_t steps = 0;
    std::int64_t value = 0;
  };
  const auto run = [](bool batch) {
    Solo solo(batch);
    solo.elect();
    Run result;
    const int syncs_before = solo.syncs;
    const std::uint64_t steps_before = solo.driver->core_steps();
    for (int turn = 0; turn < 10; ++turn) {
      for (int i = 0; i < 3; ++i) solo.driver->read(text("value"));
      for (int i = 0; i < 8; ++i) solo.driver->propose(text(std::to_string(turn * 8 + i)));
      if (turn % 4 == 3) solo.driver->tick();
      const DriverOutput out = solo.driver->take_output();
      for (auto& outcome : outcomes(out.completions)) result.outcomes.push_back(outcome);
    }
    result.syncs = solo.syncs - syncs_before;
    result.steps = solo.driver->core_steps() - steps_before;
    result.value = solo.machine.value();
    return result;
  };
  const Run unbatched = run(false);
  const Run batched = run(true);
  ASSERT_EQ(unbatched.outcomes.size(), 10u * (8 + 3));
  EXPECT_EQ(batched.outcomes, unbatched.outcomes);
  EXPECT_EQ(batched.value, unbatched.value);
  EXPECT_EQ(unbatched.syncs, 80);  // one per proposal
  EXPECT_EQ(batched.syncs, 10);    // one per turn
  EXPECT_LE(batched.steps, 10u);
  EXPECT_GT(unbatched.steps, batched.steps);
}

TEST(RuntimeDriverBatching, InAsyncModeATurnsProposalsComeOutAsOnePersist) {
  Solo solo(true, /*async_storage=*/true);
  solo.elect();
  std::vector<RequestId> ids;
  for (int i = 0; i < 32; ++i) ids.push_back(solo.driver->propose(text("2")));
  DriverOutput out = solo.driver->take_output();
  ASSERT_EQ(out.persists.size(), 1u);  // one write (and one sync on the I/O thread) for the turn
  EXPECT_EQ(out.persists[0].entries.size() >= 1, true);
  EXPECT_TRUE(out.completions.empty());  // not durable yet: nothing committed
  const int syncs_before = solo.syncs;
  solo.complete_persists(out.persists);
  EXPECT_EQ(solo.syncs - syncs_before, 1);
  out = solo.driver->take_output();
  ASSERT_EQ(out.completions.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(out.completions[i].id, ids[i]);
    EXPECT_EQ(value_of(out.completions[i].result), std::to_string(2 * (i + 1)));
  }
}

// A leader's turn of proposals goes to each follower as one AppendEntries, and every proposal
// commits with the response an unbatched leader gives.
TEST(RuntimeDriverBatching, ALeadersTurnReachesEachFollowerAsOneAppendEntries) {
  DriverOptions options;
  options.batch_inputs = true;
  Cluster cluster(0, options);
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  cluster.deliver_all();
  ASSERT_TRUE(cluster.network().empty());

  std::vector<RequestId> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(cluster.driver(leader).propose(text("1")));
  cluster.drain(leader);
  int appends = 0;
  for (std::size_t i = 0; i < cluster.network().pending(); ++i) {
    if (kind_of(cluster.network().peek(i).message) == MessageKind::AppendEntries) ++appends;
  }
  EXPECT_EQ(appends, 2);  // one per follower for the whole turn
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(value_of(cluster.wait(leader, ids[i])), std::to_string(i + 1));
  }
}

// Forwarding decides on the node as the inputs before the proposal left it: a follower that only
// learns its leader from a message queued in the same turn forwards the proposal to that leader,
// as an unbatched Driver does, instead of refusing it for want of a leader.
TEST(RuntimeDriverBatching, AProposalAfterAQueuedMessageIsForwardedToTheLeaderItNames) {
  DriverOptions options;
  options.batch_inputs = true;
  Cluster cluster(0, options);
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = cluster.follower_of(leader);
  cluster.deliver_all();
  cluster.restart_as(follower, 1);  // comes back knowing its term but no leader
  ASSERT_EQ(cluster.driver(follower).leader_id(), kNoNode);

  std::optional<Message> heartbeat;
  for (int t = 0; t < 50 && !heartbeat; ++t) {
    cluster.driver(leader).tick();
    cluster.drain(leader);
    while (!cluster.network().empty()) {
      std::optional<Envelope> envelope = cluster.network().take_next();
      if (envelope->to == follower && kind_of(envelope->message) == MessageKind::AppendEntries) {
        heartbeat = std::move(envelope->message);
        break;
      }
      cluster.driver(envelope->to).receive(std::move(envelope->message));
      cluster.drain(envelope->to);
    }
  }
  ASSERT_TRUE(heartbeat.has_value());

  cluster.driver(follower).receive(std::move(*heartbeat));
  ASSERT_EQ(cluster.driver(follower).queued_inputs(), 1u);
  const RequestId request = cluster.driver(follower).propose(text("3"));
  const DriverOutput out = cluster.driver(follower).take_output();
  EXPECT_TRUE(out.completions.empty()) << "refused: " << value_of(out.completions.front().result);
  ASSERT_EQ(out.peer_messages.size(), 1u);
  const auto* forwarded = std::get_if<ForwardedProposal>(&out.peer_messages.front());
  ASSERT_NE(forwarded, nullptr);
  EXPECT_EQ(forwarded->to, leader);
  EXPECT_EQ(cluster.driver(follower).pending_requests(), 1u);
  (void)request;
}

// A shutdown steps what was queued first, then ends every request with ShuttingDown, as it does
// unbatched; nothing queued is stepped after it.
TEST(RuntimeDriverBatching, ShutdownStepsTheQueueThenEndsEveryRequest) {
  const auto run = [](bool batch) {
    Solo solo(batch);
    solo.elect();
    std::vector<std::pair<RequestId, std::string>> result;
    solo.driver->read(text("value"));
    solo.driver->propose(text("4"));
    EXPECT_EQ(solo.driver->queued_inputs(), batch ? 2u : 0u);  // batched: neither stepped yet
    solo.driver->shutdown();
    solo.driver->propose(text("5"));
    for (auto& outcome : outcomes(solo.driver->take_output().completions)) result.push_back(outcome);
    EXPECT_EQ(solo.driver->queued_inputs(), 0u);
    EXPECT_EQ(solo.machine.value(), 4);
    return result;
  };
  const auto unbatched = run(false);
  EXPECT_EQ(run(true), unbatched);
  ASSERT_EQ(unbatched.size(), 3u);
  EXPECT_EQ(unbatched[2].second, "<error: " + describe(Error(ShuttingDown{})) + ">");
}

}  // namespace
}  // namespace raftio::runtime
