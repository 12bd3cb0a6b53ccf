// run_system (raftio/sim/system.h): the simulator over runtime Drivers and a user's StateMachine,
// exercised with the bank of docs/examples/bank.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "docs/examples/bank.h"
#include "raftio/sim/system.h"
#include "system_seeded.h"

namespace raftio::sim {
namespace {

// A bank whose reads or responses are wrong in one way, the rest delegated to a correct one.
class Twisted final : public runtime::StateMachine {
 public:
  enum class Twist { StaleReads, GarbledResponses, RefusesSnapshots };
  explicit Twisted(Twist twist) : twist_(twist) {}
  Payload apply(const LogEntry& entry) override {
    Payload response = bank_.apply(entry);
    return twist_ == Twist::GarbledResponses && entry.index % 7 == 0 ? Payload::copy_of("garbled") : response;
  }
  // Stale reads: every read sees the opening balances, whatever was transferred since.
  Payload query(const Payload& request) const override {
    return twist_ == Twist::StaleReads ? fresh_.query(request) : bank_.query(request);
  }
  Payload snapshot() const override { return bank_.snapshot(); }
  bool restore(const Payload& snapshot) override { return twist_ != Twist::RefusesSnapshots && bank_.restore(snapshot); }

 private:
  Twist twist_;
  bank::Bank bank_;
  bank::Bank fresh_;
};

SystemSpec<bank::Model> twisted_spec(Twisted::Twist twist) {
  return {[twist] { return std::make_unique<Twisted>(twist); }, bank::Model{}, bank::workload()};
}

template <class Op>
void expect_same_history(const std::vector<Op>& a, const std::vector<Op>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].client, b[i].client) << i;
    EXPECT_EQ(a[i].input, b[i].input) << i;
    EXPECT_EQ(a[i].invoke_time, b[i].invoke_time) << i;
    EXPECT_EQ(a[i].complete_time, b[i].complete_time) << i;
    EXPECT_EQ(a[i].output.moved, b[i].output.moved) << i;
    EXPECT_EQ(a[i].output.balances, b[i].output.balances) << i;
  }
}

TEST(SystemSim, SameSeedReplaysTheSameRun) {
  const auto spec = bank::spec();
  const auto first = run_system(spec, seeded(11));
  const auto second = run_system(spec, seeded(11));
  EXPECT_EQ(describe(first.counts), describe(second.counts));
  EXPECT_EQ(first.message, second.message);
  expect_same_history(first.history, second.history);
  // And the seed matters: another one runs differently.
  const auto other = run_system(spec, seeded(12));
  EXPECT_NE(describe(first.counts), describe(other.counts));
}

// The trace of a run is the same on a replay too, and shows the Drivers' steps and the faults.
TEST(SystemSim, TheTraceReplaysWithTheSeed) {
  auto traced = [](std::uint64_t seed) {
    std::vector<std::string> lines;
    SystemOptions options = seeded(seed);
    options.trace = [&lines](std::uint64_t time, NodeId node, const std::string& line) {
      lines.push_back(std::to_string(time) + " " + std::to_string(node) + " " + line);
    };
    const auto report = run_system(bank::spec(), options);
    EXPECT_TRUE(report.passed) << report.message;
    EXPECT_GT(report.counts.crashes, 0u);
    // Tracing only watches: the run is the one an untraced run of the seed makes.
    EXPECT_EQ(describe(report.counts), describe(run_system(bank::spec(), seeded(seed)).counts));
    return lines;
  };
  const std::vector<std::string> first = traced(1);
  EXPECT_EQ(first, traced(1));
  auto count = [&](const std::string& part) {
    return std::count_if(first.begin(), first.end(), [&](const std::string& l) { return l.find(part) != std::string::npos; });
  };
  EXPECT_GT(count(" 0 crash node "), 0);
  EXPECT_GT(count(" 0 restart node "), 0);
  EXPECT_GT(count(" apply "), 0);  // the Drivers' own lines
}

TEST(SystemSim, CorrectBankPassesManySeedsUnderEveryFault) {
  const auto spec = bank::spec();
  SystemCounts total;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const auto report = run_system(spec, seeded(seed));
    ASSERT_TRUE(report.passed) << report.message;
    EXPECT_EQ(report.inconclusive, 0u) << "seed " << seed;
    EXPECT_EQ(report.history.size(), report.counts.operations);
    total += report.counts;
  }
  // The faults really happen, and the machine's snapshots are really taken and installed.
  EXPECT_GT(total.crashes, 20u);
  EXPECT_GT(total.restarts, 20u);
  EXPECT_GT(total.pauses, 20u);
  EXPECT_GT(total.partitions, 20u);
  EXPECT_GT(total.messages_lost, 1000u);
  EXPECT_GT(total.messages_duplicated, 100u);
  EXPECT_GT(total.snapshots_installed, 100u);
  EXPECT_GT(total.leaders, 80u);  // leaders change under the faults
  EXPECT_GT(total.completed, 4000u);
  EXPECT_GT(total.unknown_outcome, 0u);
  // The oversized proposal reached a live node (and was refused, or the run would have failed).
  EXPECT_GT(total.oversized_refused, 20u);
  EXPECT_GT(total.transfers, 10u);
  EXPECT_GT(total.membership_changes, 10u);
  EXPECT_GT(total.crash_points, 10u);
  EXPECT_GT(total.persists, 1000u);  // asynchronous nodes' writes, through the simulated disk
}

TEST(SystemSim, FiveNodesPass) {
  const auto spec = bank::spec();
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SystemOptions options = seeded(seed);
    options.nodes = 5;
    const auto report = run_system(spec, options);
    ASSERT_TRUE(report.passed) << report.message;
    EXPECT_GT(report.counts.completed, 100u);
  }
}

TEST(SystemSim, FaultSwitchesTurnFaultsOff) {
  SystemOptions options = seeded(3);
  options.crashes = options.pauses = options.partitions = options.message_faults = false;
  const auto report = run_system(bank::spec(), options);
  ASSERT_TRUE(report.passed) << report.message;
  EXPECT_EQ(report.counts.crashes + report.counts.pauses + report.counts.partitions, 0u);
  EXPECT_EQ(report.counts.messages_lost + report.counts.messages_duplicated, 0u);
  EXPECT_EQ(report.counts.unknown_outcome, 0u);
  EXPECT_EQ(report.counts.leaders, 1u);
}

// The planted bug (snapshot() forgets the last account) is found within a few seeds, by the
// replica agreement check (or, when the run ends before two replicas are compared where they
// differ, by the clients' history), and the failing seed replays to the same violation.
TEST(SystemSim, PlantedSnapshotBugIsFoundAndReplays) {
  const auto spec = bank::spec(/*forget_last_account=*/true);
  std::uint64_t failing = 0, by_agreement = 0;
  std::string message;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto report = run_system(spec, seeded(seed));
    if (report.passed) continue;
    EXPECT_TRUE(report.failed_check == SystemCheck::ReplicaAgreement ||
                report.failed_check == SystemCheck::Linearizability)
        << report.message;
    if (report.failed_check == SystemCheck::ReplicaAgreement) ++by_agreement;
    if (failing != 0) continue;
    failing = seed;
    message = report.message;
  }
  ASSERT_NE(failing, 0u) << "10 seeds did not find the planted bug";
  EXPECT_GT(by_agreement, 5u);
  EXPECT_EQ(message.rfind("seed " + std::to_string(failing) + ": ", 0), 0u) << message;
  const auto replay = run_system(spec, seeded(failing));
  EXPECT_EQ(replay.message, message);
  // The same seed passes with the bug fixed: it is the bug that fails it.
  EXPECT_TRUE(run_system(bank::spec(), seeded(failing)).passed);
}

// Stale reads keep every replica's state right: only the history can show them.
TEST(SystemSim, StaleReadsFailLinearizability) {
  const auto report = run_system(twisted_spec(Twisted::Twist::StaleReads), seeded(1));
  EXPECT_FALSE(report.passed);
  EXPECT_EQ(report.failed_check, SystemCheck::Linearizability) << report.message;
  EXPECT_NE(report.message.find("not linearizable"), std::string::npos) << report.message;
}

TEST(SystemSim, UndecodableResponsesFailTheResponseCheck) {
  const auto report = run_system(twisted_spec(Twisted::Twist::GarbledResponses), seeded(1));
  EXPECT_EQ(report.failed_check, SystemCheck::Response) << report.message;
  EXPECT_NE(report.message.find("Workload::decode rejects"), std::string::npos) << report.message;
}

TEST(SystemSim, ARestoreThatRefusesStopsTheNodeAndFailsTheRun) {
  const auto report = run_system(twisted_spec(Twisted::Twist::RefusesSnapshots), seeded(1));
  EXPECT_EQ(report.failed_check, SystemCheck::NodeStopped) << report.message;
  EXPECT_NE(report.message.find("could not restore the snapshot"), std::string::npos) << report.message;
}

// The network duplicates the runtime's messages too. A leader's Driver once recognized a copy of
// a forwarded proposal only while it held the first, and seed 5 of this sweep applied a late copy
// a second time (a linearizability violation); it now remembers what each follower forwarded
// (SeenRequests). Every seed passes, and copies did happen.
TEST(SystemSim, DuplicatedForwardedProposalsAreAppliedOnce) {
  const auto spec = bank::spec();
  std::uint64_t duplicated = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto report = run_system(spec, seeded(seed));
    EXPECT_TRUE(report.passed) << report.message;
    duplicated += report.counts.messages_duplicated;
  }
  EXPECT_GT(duplicated, 0u);
}

// The checker the history goes through rejects a history no order explains: a transfer that
// completed before a read began, which the read does not see.
TEST(SystemSim, ObviouslyNonLinearizableBankHistoryIsRejected) {
  bank::Op transfer{1, {false, 0, 1, 60}, {true, {}}, 0, 10};
  bank::Op read{2, {true, 0, 0, 0}, {false, {100, 100, 100, 100}}, 20, 30};
  EXPECT_FALSE(check_linearizable(std::vector<bank::Op>{transfer, read}, bank::Model{}).linearizable);
  read.output.balances = {40, 160, 100, 100};
  EXPECT_TRUE(check_linearizable(std::vector<bank::Op>{transfer, read}, bank::Model{}).linearizable);
}

}  // namespace
}  // namespace raftio::sim
