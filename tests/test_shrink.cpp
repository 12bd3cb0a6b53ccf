// Schedules and shrinking: a run records the faults it applied and the client operations it
// invoked; replaying that schedule is the same run, and a failing run shrinks to a smaller
// schedule that still violates the same property, also when read back from its file.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "raftio/sim/schedule_io.h"
#include "raftio/sim/shrink.h"
#include "raftio/sim/simulation.h"

namespace raftio::sim {
namespace {

SimOptions options(std::uint64_t seed, std::uint64_t ticks, Storage storage = Storage::Wal) {
  SimOptions o;
  o.seed = seed;
  o.ticks = ticks;
  o.storage = storage;
  return o;
}

// Client operations as (client, session number) pairs: a file leaves out clients without any.
std::vector<std::pair<std::size_t, std::uint64_t>> operations(const Schedule& s) {
  std::vector<std::pair<std::size_t, std::uint64_t>> out;
  for (std::size_t c = 0; c < s.client_ops.size(); ++c) {
    for (std::uint64_t seq : s.client_ops[c]) out.emplace_back(c + 1, seq);
  }
  return out;
}

Schedule round_trip(const Schedule& schedule) {
  std::stringstream file;
  write_schedule(file, schedule);
  const ScheduleReadResult read = read_schedule(file);
  EXPECT_TRUE(read.ok()) << read.error << "\n" << file.str();
  return read.schedule;
}

std::size_t count_kinds(const Schedule& s) {
  std::vector<bool> seen(kFaultKinds);
  for (const ScheduledFault& f : s.faults) seen[static_cast<std::size_t>(f.kind)] = true;
  return static_cast<std::size_t>(std::count(seen.begin(), seen.end(), true));
}

TEST(Schedule, ReplayingARecordedRunIsTheSameRun) {
  std::size_t faults = 0;
  for (const auto& [seed, mode] : {std::pair{3, StorageMode::Mixed}, {8, StorageMode::Sync}, {12, StorageMode::Async}}) {
    SimOptions o = options(seed, 3000);
    o.storage_mode = mode;
    const SimReport recorded = Simulation(o).run();
    ASSERT_TRUE(recorded.ok()) << format_report(recorded);
    ASSERT_GT(recorded.schedule.operations(), 0u);
    faults += recorded.schedule.faults.size();
    const SimReport replayed = replay(recorded.schedule);
    EXPECT_EQ(replayed.trace_hash, recorded.trace_hash) << "seed " << seed;
    EXPECT_EQ(replayed.steps, recorded.steps);
    EXPECT_EQ(replayed.faults.total(), recorded.faults.total());
    EXPECT_EQ(replayed.schedule.faults, recorded.schedule.faults);
    EXPECT_EQ(operations(replayed.schedule), operations(recorded.schedule));
    // And from its file.
    const Schedule read = round_trip(recorded.schedule);
    EXPECT_EQ(read.faults, recorded.schedule.faults);
    EXPECT_EQ(operations(read), operations(recorded.schedule));
    EXPECT_EQ(replay(read).trace_hash, recorded.trace_hash) << "seed " << seed;
  }
  EXPECT_GT(faults, 10u) << "the runs replay faults, not only the clients";
}

TEST(Schedule, EveryFaultKindSurvivesTheFile) {
  Schedule all;
  std::size_t kinds = 0;
  for (std::uint64_t seed = 1; seed <= 6 && kinds < 12; ++seed) {
    const SimReport report = Simulation(options(seed, 4000)).run();
    const Schedule read = round_trip(report.schedule);
    EXPECT_EQ(read.faults, report.schedule.faults) << "seed " << seed;
    EXPECT_EQ(read.options.seed, seed);
    EXPECT_EQ(read.options.ticks, 4000u);
    all.faults.insert(all.faults.end(), report.schedule.faults.begin(), report.schedule.faults.end());
    kinds = count_kinds(all);
  }
  EXPECT_GE(kinds, 12u) << "crash-leader resolves to crash, so at most 14 kinds appear";
}

// The streams of choices are apart: a replay without any fault invokes the same operations, each
// doing what it did in the seed's run (same kind, key and value), though at other moments.
TEST(Schedule, LeavingOutFaultsKeepsWhatEachOperationDoes) {
  const SimReport recorded = Simulation(options(4, 3000)).run();
  ASSERT_TRUE(recorded.ok()) << format_report(recorded);
  ASSERT_FALSE(recorded.schedule.faults.empty());
  Schedule without_faults = recorded.schedule;
  without_faults.faults.clear();
  SimOptions o = without_faults.options;
  o.schedule = &without_faults;
  Simulation replay_run(o);
  const SimReport replayed = replay_run.run();
  EXPECT_EQ(replayed.faults.total(), 0u);
  EXPECT_NE(replayed.trace_hash, recorded.trace_hash);
  Simulation original(recorded.options);
  original.run();
  std::map<std::pair<std::uint64_t, std::string>, std::tuple<KvOpKind, std::string, std::string>> before;
  for (const KvOperation& op : original.history()) before[{op.client, op.value}] = {op.kind, op.key, op.expected};
  std::size_t compared = 0;
  for (const KvOperation& op : replay_run.history()) {
    const auto it = before.find({op.client, op.value});
    ASSERT_NE(it, before.end()) << "an operation the seed's run never invoked: client " << op.client << " " << op.value;
    EXPECT_EQ(std::get<0>(it->second), op.kind);
    EXPECT_EQ(std::get<1>(it->second), op.key);
    if (op.kind != KvOpKind::Cas) ++compared;  // a swap's expected value follows what its client saw
  }
  EXPECT_GT(compared, 100u);
}

// Fewer operations listed: each client invokes only those.
TEST(Schedule, ClientsInvokeOnlyTheListedOperations) {
  const SimReport recorded = Simulation(options(5, 3000)).run();
  Schedule few = recorded.schedule;
  for (auto& ops : few.client_ops) {
    std::vector<std::uint64_t> kept;
    for (std::uint64_t seq : ops) {
      if (seq % 3 == 0 && seq < 40) kept.push_back(seq);
    }
    ops = kept;
  }
  ASSERT_GT(few.operations(), 0u);
  const SimReport replayed = replay(few);
  EXPECT_TRUE(replayed.ok()) << format_report(replayed);
  EXPECT_EQ(operations(replayed.schedule), operations(few));
  EXPECT_EQ(replayed.ops_invoked, few.operations());
}

// A replayed membership change is asked only where the nemesis could have decided it: a shrunk
// schedule that lost the change adding a node back as a learner must not promote it straight
// from removed to voter (seed 350 of the sync sweep shrank to such a path).
TEST(Schedule, MembershipChangesTheNemesisWouldNotAskAreLeftOut) {
  const auto change = [](std::uint64_t time_us, MembershipChange kind, NodeId node) {
    ScheduledFault f;
    f.time_us = time_us;
    f.kind = FaultKind::Membership;
    f.change = kind;
    f.node = node;
    return f;
  };
  Schedule schedule;
  schedule.options = options(3, 2000);
  schedule.options.swarm = false;
  schedule.faults = {change(4'000'000, MembershipChange::Remove, 2), change(8'000'000, MembershipChange::AddVoter, 2)};
  const SimReport removed_then_voter = replay(schedule);
  ASSERT_EQ(removed_then_voter.schedule.faults.size(), 1u) << "a removed node is added back as a learner first";
  EXPECT_EQ(removed_then_voter.schedule.faults[0].change, MembershipChange::Remove);
  EXPECT_EQ(removed_then_voter.faults.membership_changes, 1u);
  schedule.faults[1].change = MembershipChange::AddLearner;
  const SimReport removed_then_learner = replay(schedule);
  EXPECT_EQ(removed_then_learner.schedule.faults, schedule.faults);
  EXPECT_EQ(removed_then_learner.faults.membership_changes, 2u);
}

TEST(Schedule, MalformedFilesAreRefusedWithTheLine) {
  const std::string header =
      R"({"type":"schedule","version":1,"seed":3,"nodes":3,"ticks":3000,"faults":"all","storage":"wal",)"
      R"("storage_mode":"mixed","swarm":true,"clients":4,"keys":5,"snapshot_every":200,"plant_bug":"none"})";
  const auto error = [](const std::string& text) {
    std::istringstream in(text);
    return read_schedule(in).error;
  };
  EXPECT_EQ(error(header + "\n" + R"({"type":"fault","t_us":5,"kind":"crash","node":2,"down_us":9})" + "\n"), "");
  EXPECT_NE(error(R"({"type":"fault","t_us":5,"kind":"heal"})").find("line 1: the first line"), std::string::npos);
  EXPECT_NE(error(header + "\n" + R"({"type":"fault","t_us":5,"kind":"crash","node":4,"down_us":9})").find("line 2:"),
            std::string::npos)
      << "node 4 of a 3-node cluster";
  EXPECT_NE(error(header + "\n" + R"({"type":"fault","t_us":5,"kind":"flood"})").find("unknown fault kind"), std::string::npos);
  EXPECT_NE(error(header + "\n" + R"({"type":"ops","client":1,"seqs":"5-3"})").find("line 2:"), std::string::npos);
  EXPECT_NE(error(header + "\n{not json").find("line 2: not a JSON object"), std::string::npos);
  EXPECT_NE(error("").find("no schedule header"), std::string::npos);
}

// The planted bug (a restarted node lost its last log entries) violates Durability; the failure
// shrinks to fewer faults — at least one outage stays, as the bug needs a restart — and no more
// operations, and the shrunk schedule, read back from its file, replays to the same violation.
TEST(Shrink, PlantedBugShrinksAndReplaysFromItsFile) {
  SimOptions o = options(4, 3000, Storage::Memory);
  o.planted_bug = PlantedBug::CrashLosesLogTail;
  ShrinkOptions shrink_options;
  shrink_options.budget = 80;
  const ShrinkResult result = shrink(o, shrink_options);
  ASSERT_TRUE(result.failed);
  ASSERT_TRUE(result.reproduced);
  EXPECT_EQ(result.property, "Durability");
  EXPECT_LT(result.shrunk.faults.size(), result.original.faults.size());
  EXPECT_LE(result.shrunk.operations(), result.original.operations());
  EXPECT_LE(result.runs, 80u);
  const bool has_outage = std::any_of(result.shrunk.faults.begin(), result.shrunk.faults.end(), [](const ScheduledFault& f) {
    return f.kind == FaultKind::Crash || f.kind == FaultKind::CrashPoint || f.kind == FaultKind::DiskFault;
  });
  EXPECT_TRUE(has_outage) << "the bug shows only when a node restarts";

  const Schedule read = round_trip(result.shrunk);
  EXPECT_EQ(read.property, "Durability");
  EXPECT_EQ(read.options.planted_bug, PlantedBug::CrashLosesLogTail);
  EXPECT_EQ(read.options.storage, Storage::Memory);
  const SimReport replayed = replay(read);
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(replayed.violations.front().property, "Durability");
  EXPECT_EQ(replayed.trace_hash, result.shrunk_trace_hash);
  for (const ScheduledFault& fault : read.faults) {
    EXPECT_LE(fault.time_us, replayed.first_violation_us) << "a fault after the violation cannot have caused it";
  }

  // Without the bug, the same schedule passes: the failure is the bug's, not the schedule's.
  Schedule fixed = read;
  fixed.options.planted_bug = PlantedBug::None;
  EXPECT_TRUE(replay(fixed).ok());
}

// docs/SIMULATION.md quotes the shrunk schedule of its example verbatim, and it replays.
TEST(Shrink, TheDocumentedScheduleReplays) {
  const std::string root = RAFTIO_SOURCE_ROOT;
  std::ifstream file(root + "/docs/examples/planted_bug.schedule");
  std::stringstream text;
  text << file.rdbuf();
  std::ifstream doc_file(root + "/docs/SIMULATION.md");
  std::stringstream doc;
  doc << doc_file.rdbuf();
  ASSERT_FALSE(text.str().empty());
  EXPECT_NE(doc.str().find("```json\n" + text.str() + "```"), std::string::npos)
      << "docs/SIMULATION.md does not quote docs/examples/planted_bug.schedule verbatim";
  std::istringstream in(text.str());
  const ScheduleReadResult read = read_schedule(in);
  ASSERT_TRUE(read.ok()) << read.error;
  const SimReport replayed = replay(read.schedule);
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(replayed.violations.front().property, read.schedule.property);
  EXPECT_EQ(replayed.faults.total(), read.schedule.faults.size());
  Schedule fixed = read.schedule;
  fixed.options.planted_bug = PlantedBug::None;
  EXPECT_TRUE(replay(fixed).ok());
}

TEST(Shrink, APassingSeedHasNothingToShrink) {
  const ShrinkResult result = shrink(options(3, 2000));
  EXPECT_FALSE(result.failed);
  EXPECT_EQ(result.runs, 1u);
}

}  // namespace
}  // namespace raftio::sim
