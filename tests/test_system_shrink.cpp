// Schedules of run_system (raftio/sim/system.h): a run's recorded schedule replays the same run,
// shrink_system cuts a failing one down to what still fails, and the schedule file round-trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "docs/examples/bank.h"
#include "raftio/sim/system.h"
#include "system_seeded.h"
#include "raftio/sim/system_schedule_io.h"

namespace raftio::sim {
namespace {

SystemReport<bank::Op> replay(const SystemSpec<bank::Model>& spec, std::uint64_t seed, const SystemSchedule& schedule) {
  SystemOptions options = seeded(seed);
  options.schedule = &schedule;
  return run_system(spec, options);
}

TEST(SystemSchedule, DdminFindsTheTwoItemsThatMatter) {
  std::vector<int> items;
  for (int i = 1; i <= 40; ++i) items.push_back(i);
  int calls = 0;
  const auto kept = detail::ddmin(items, [&](const std::vector<int>& v) {
    ++calls;
    return std::count(v.begin(), v.end(), 3) == 1 && std::count(v.begin(), v.end(), 31) == 1;
  });
  EXPECT_EQ(kept, (std::vector<int>{3, 31}));
  EXPECT_LT(calls, 100);
}

TEST(SystemSchedule, ARunRecordsItsFaultsAndOperations) {
  const auto report = run_system(bank::spec(), seeded(3));
  ASSERT_TRUE(report.passed) << report.message;
  const SystemSchedule& s = report.schedule;
  std::uint64_t crashes = 0, pauses = 0, partitions = 0, transfers = 0, points = 0;
  for (const SystemFault& f : s.faults) {
    crashes += f.kind == SystemFault::Kind::Crash;
    pauses += f.kind == SystemFault::Kind::Pause;
    partitions += f.kind == SystemFault::Kind::Partition;
    transfers += f.kind == SystemFault::Kind::Transfer;
    points += f.kind == SystemFault::Kind::CrashPoint;  // armed; some never fire
  }
  EXPECT_EQ(crashes + report.counts.crash_points, report.counts.crashes);
  EXPECT_EQ(transfers, report.counts.transfers);
  std::uint64_t changes = 0;
  for (const SystemFault& f : s.faults) changes += f.kind == SystemFault::Kind::Remove || f.kind == SystemFault::Kind::Add;
  EXPECT_EQ(changes, report.counts.membership_changes);
  EXPECT_GE(points, report.counts.crash_points);
  EXPECT_EQ(pauses, report.counts.pauses);
  EXPECT_EQ(partitions, report.counts.partitions);
  EXPECT_TRUE(std::is_sorted(s.faults.begin(), s.faults.end(),
                             [](const SystemFault& a, const SystemFault& b) { return a.time < b.time; }));
  EXPECT_EQ(s.operations(), report.counts.operations);
  ASSERT_EQ(s.client_ops.size(), SystemOptions{}.clients);
  for (const auto& ops : s.client_ops) {
    for (std::size_t i = 0; i < ops.size(); ++i) EXPECT_EQ(ops[i], i + 1);  // 1, 2, 3, ...
  }
}

// Replaying the whole recorded schedule is the very same run: same history, same counts.
TEST(SystemSchedule, ReplayingTheRecordedScheduleIsTheSameRun) {
  const auto spec = bank::spec();
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const auto original = run_system(spec, seeded(seed));
    const auto again = replay(spec, seed, original.schedule);
    EXPECT_EQ(describe(again.counts), describe(original.counts)) << "seed " << seed;
    EXPECT_EQ(again.schedule, original.schedule) << "seed " << seed;
    ASSERT_EQ(again.history.size(), original.history.size()) << "seed " << seed;
    for (std::size_t i = 0; i < again.history.size(); ++i) {
      EXPECT_EQ(again.history[i].input, original.history[i].input) << "seed " << seed << " op " << i;
      EXPECT_EQ(again.history[i].complete_time, original.history[i].complete_time) << "seed " << seed << " op " << i;
    }
  }
}

// A replay without faults and with some operations left out: each operation left in is still the
// one its client drew in the original run (it has a stream of its own).
TEST(SystemSchedule, OperationsLeftInAreTheSameOperations) {
  const auto spec = bank::spec();
  const auto original = run_system(spec, seeded(2));
  SystemSchedule thinned;
  thinned.client_ops = original.schedule.client_ops;
  for (auto& ops : thinned.client_ops) {
    std::vector<std::uint64_t> odd;
    for (std::uint64_t n : ops) {
      if (n % 2 == 1) odd.push_back(n);
    }
    ops = odd;
  }
  const auto again = replay(spec, 2, thinned);
  EXPECT_TRUE(again.passed) << again.message;
  EXPECT_EQ(again.counts.crashes + again.counts.pauses + again.counts.partitions, 0u);
  ASSERT_GT(again.history.size(), 10u);
  // The k-th operation client c invoked in the replay is operation thinned[c][k] of the original.
  std::vector<std::vector<const bank::Op*>> by_client(original.schedule.client_ops.size());
  for (const auto& op : original.history) by_client[op.client - 1].push_back(&op);
  std::vector<std::size_t> next(by_client.size(), 0);
  for (const auto& op : again.history) {
    const std::uint64_t number = thinned.client_ops[op.client - 1][next[op.client - 1]++];
    EXPECT_EQ(op.input, by_client[op.client - 1][number - 1]->input) << "client " << op.client << " op " << number;
  }
}

TEST(SystemSchedule, APassingSeedHasNothingToShrink) {
  const auto result = shrink_system(bank::spec(), seeded(1));
  EXPECT_FALSE(result.failed);
  EXPECT_EQ(result.runs, 1u);
}

// The planted bug: shrunk to far fewer faults and operations, still failing the same check, and
// 1-minimal (without any one remaining fault or operation the replay no longer fails that way).
TEST(SystemSchedule, PlantedBugShrinksToAMinimalSchedule) {
  const auto spec = bank::spec(/*forget_last_account=*/true);
  std::uint64_t seed = 1;
  while (run_system(spec, seeded(seed)).passed) ASSERT_LE(++seed, 10u);
  const auto result = shrink_system(spec, seeded(seed));
  ASSERT_TRUE(result.failed);
  ASSERT_TRUE(result.reproduced);
  EXPECT_FALSE(result.budget_exhausted);
  EXPECT_LT(result.shrunk.operations(), result.original.operations() / 2);
  EXPECT_LE(result.shrunk.faults.size(), result.original.faults.size());
  const auto shrunk = replay(spec, seed, result.shrunk);
  EXPECT_EQ(shrunk.failed_check, result.check);
  EXPECT_EQ(shrunk.message, result.shrunk_message);
  for (std::size_t i = 0; i < result.shrunk.faults.size(); ++i) {
    SystemSchedule fewer = result.shrunk;
    fewer.faults.erase(fewer.faults.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_NE(replay(spec, seed, fewer).failed_check, result.check) << "fault " << i << " was not needed";
  }
  for (std::size_t c = 0; c < result.shrunk.client_ops.size(); ++c) {
    for (std::size_t k = 0; k < result.shrunk.client_ops[c].size(); ++k) {
      SystemSchedule fewer = result.shrunk;
      fewer.client_ops[c].erase(fewer.client_ops[c].begin() + static_cast<std::ptrdiff_t>(k));
      EXPECT_NE(replay(spec, seed, fewer).failed_check, result.check) << "client " << c + 1 << " op " << k;
    }
  }
  // Fixed, the shrunk schedule passes: it is the bug that fails it.
  EXPECT_TRUE(replay(bank::spec(), seed, result.shrunk).passed);
}

SystemScheduleFile sample_file() {
  SystemScheduleFile file;
  file.model = "bank";
  file.planted_bug = "forget-last-account";
  file.options.seed = std::numeric_limits<std::uint64_t>::max();
  file.options.nodes = 5;
  file.options.ticks = 900;
  file.options.clients = 2;
  file.options.snapshot_threshold = 7;
  file.options.pauses = false;
  file.options.oversized_proposals = false;
  file.check = "replica agreement";
  SystemFault crash;
  crash.time = 120;
  crash.node = 2;
  crash.duration = 400;
  crash.disk_keep = 3;
  crash.disk_tear = true;
  SystemFault partition;
  partition.kind = SystemFault::Kind::Partition;
  partition.time = 300;
  partition.minority = {1, 4};
  partition.duration = 200;
  SystemFault pause;
  pause.kind = SystemFault::Kind::Pause;
  pause.time = 301;
  pause.node = 5;
  pause.duration = 50;
  SystemFault oversized;
  oversized.kind = SystemFault::Kind::Oversized;
  oversized.time = 302;
  oversized.node = 1;
  oversized.bytes = 4190209;
  SystemFault transfer;
  transfer.kind = SystemFault::Kind::Transfer;
  transfer.time = 303;
  transfer.node = 3;
  SystemFault point;
  point.kind = SystemFault::Kind::CrashPoint;
  point.time = 304;
  point.point = SystemFault::Point::AfterAppendAck;
  point.duration = 70;
  point.disk_keep = 1;
  file.options.storage = SystemStorage::Async;
  file.options.transfers = false;
  SystemFault remove;
  remove.kind = SystemFault::Kind::Remove;
  remove.time = 305;
  remove.node = 4;
  SystemFault add = remove;
  add.kind = SystemFault::Kind::Add;
  add.time = 306;
  file.options.membership = false;
  file.options.resends = 2;
  file.schedule.faults = {crash, partition, pause, oversized, transfer, point, remove, add};
  file.schedule.client_ops = {{1, 2, 5}, {}};
  return file;
}

TEST(SystemScheduleFile, RoundTrips) {
  const SystemScheduleFile file = sample_file();
  const std::string text = format_system_schedule(file);
  EXPECT_TRUE(is_system_schedule(text));
  SystemScheduleFile back;
  std::string error;
  ASSERT_TRUE(parse_system_schedule(text, back, error)) << error << "\n" << text;
  EXPECT_EQ(back.model, file.model);
  EXPECT_EQ(back.planted_bug, file.planted_bug);
  EXPECT_EQ(back.options.seed, file.options.seed);
  EXPECT_EQ(back.options.nodes, file.options.nodes);
  EXPECT_EQ(back.options.ticks, file.options.ticks);
  EXPECT_EQ(back.options.clients, file.options.clients);
  EXPECT_EQ(back.options.snapshot_threshold, file.options.snapshot_threshold);
  EXPECT_EQ(back.options.pauses, false);
  EXPECT_EQ(back.options.crashes, true);
  EXPECT_EQ(back.options.oversized_proposals, false);
  EXPECT_EQ(back.options.transfers, false);
  EXPECT_EQ(back.options.crash_points, true);
  EXPECT_EQ(back.options.membership, false);
  EXPECT_EQ(back.options.resends, 2u);
  EXPECT_EQ(back.options.storage, SystemStorage::Async);
  EXPECT_EQ(back.check, file.check);
  EXPECT_EQ(back.schedule, file.schedule);
  EXPECT_EQ(format_system_schedule(back), text);
}

TEST(SystemScheduleFile, HostileLinesAreRefusedWithTheirLineNumber) {
  const std::string good = format_system_schedule(sample_file());
  struct Case {
    std::string replace, with, error_part;
  };
  const std::vector<Case> cases = {
      {"raftio-sim system schedule 1", "raftio-sim schedule 1", "line 1: not a system schedule"},
      {"nodes 5", "nodes 0", "nodes must be 1..9"},
      {"nodes 5", "nodes 10", "nodes must be 1..9"},
      {"nodes 5", "nodes 18446744073709551616", "nodes must be 1..9"},
      {"seed 18446744073709551615", "seed 18446744073709551616", "bad seed"},
      {"ticks 900", "ticks 0", "ticks must be"},
      {"clients 2", "clients 65", "clients must be"},
      {"crash at=120 node=2", "crash at=120 node=0", "node is 1..9"},
      {"crash at=120 node=2", "crash at=120 node=10", "node is 1..9"},
      {"tear=1", "tear=2", "tear=0|1"},
      {"minority=1,4", "minority=1,0", "1..9"},
      {"bytes=4190209", "bytes=18446744073709551615", "bytes=1..8388608"},
      {"bytes=4190209", "bytes=0", "bytes=1..8388608"},
      {"client 1: 1 2 5", "client 1: 1 5 2", "ascending"},
      {"client 1: 1 2 5", "client 1: 0 2", "positive"},
      {"client 2:", "client 3:", "past 'clients'"},
      {"client 2:", "client 0:", "1..64"},
      {"pause at=301", "pause at=-1", "at=TIME"},
      {"faults crashes=1", "faults crashes=2", "must be 0 or 1"},
      {"storage async", "storage fast", "sync, async or mixed"},
      {"resends 2", "resends 101", "resends must be 0..100"},
      {"point=after-append-ack", "point=before-lunch", "crash-point's point"},
      {"transfer at=303 node=3", "transfer at=303 node=12", "node is 1..9"},
      {"remove at=305 node=4", "remove at=305", "remove wants node="},
      {"model bank\n", "", "no model line"},
      {"check replica agreement", "chekc replica agreement", "unknown line 'chekc'"},
  };
  for (const Case& c : cases) {
    std::string text = good;
    const std::size_t at = text.find(c.replace);
    ASSERT_NE(at, std::string::npos) << c.replace;
    text.replace(at, c.replace.size(), c.with);
    SystemScheduleFile file;
    std::string error;
    EXPECT_FALSE(parse_system_schedule(text, file, error)) << c.with;
    EXPECT_NE(error.find(c.error_part), std::string::npos) << c.with << ": " << error;
    EXPECT_EQ(error.rfind("line ", 0), 0u) << error;
  }
  SystemScheduleFile file;
  std::string error;
  EXPECT_FALSE(parse_system_schedule("", file, error));
  // Every truncation of a good file either parses or names a line; none crashes.
  for (std::size_t n = 0; n < good.size(); ++n) {
    SystemScheduleFile partial;
    std::string why;
    if (!parse_system_schedule(std::string_view(good).substr(0, n), partial, why)) {
      EXPECT_FALSE(why.empty());
    }
  }
}

}  // namespace
}  // namespace raftio::sim

namespace raftio::sim {
namespace {

// The HTML timeline of a system run: what it shows is what the run did, and recording it changes
// nothing about the run.
TEST(SystemTimeline, ShowsTheRunsRolesFaultsAndMessages) {
  Timeline timeline;
  SystemOptions options = seeded(4);
  options.timeline = &timeline;
  const auto report = run_system(bank::spec(), options);
  ASSERT_TRUE(report.passed) << report.message;
  EXPECT_EQ(describe(report.counts), describe(run_system(bank::spec(), seeded(4)).counts));
  EXPECT_EQ(timeline.nodes.size(), 3u);
  EXPECT_EQ(timeline.end_time, SystemOptions{}.ticks * 10 * 1000);
  std::size_t leaders = 0, crashes = 0, pauses = 0;
  for (const auto& span : timeline.roles) {
    EXPECT_LE(span.start, span.end);
    leaders += span.role == Role::Leader;
  }
  for (const auto& outage : timeline.outages) {
    crashes += outage.kind == "crash";
    pauses += outage.kind == "pause";
    EXPECT_LT(outage.start, outage.end);
  }
  EXPECT_GE(leaders, 1u);
  EXPECT_EQ(crashes, report.counts.crashes);
  EXPECT_EQ(pauses, report.counts.pauses);
  EXPECT_EQ(timeline.faults.size(), report.counts.partitions);
  EXPECT_FALSE(timeline.commits.empty());
  EXPECT_FALSE(timeline.messages.empty());
  EXPECT_FALSE(timeline.focus.has_value());
  EXPECT_TRUE(std::any_of(timeline.markers.begin(), timeline.markers.end(),
                          [](const Timeline::Marker& m) { return m.label == "faults stop"; }));
  std::ostringstream html;
  write_html_timeline(html, timeline);
  EXPECT_NE(html.str().find("<svg"), std::string::npos);
}

TEST(SystemTimeline, AFailureIsTheDiagramsFocus) {
  const auto spec = bank::spec(/*forget_last_account=*/true);
  std::uint64_t seed = 1;
  while (run_system(spec, seeded(seed)).passed) ASSERT_LE(++seed, 10u);
  Timeline timeline;
  SystemOptions options = seeded(seed);
  options.timeline = &timeline;
  const auto report = run_system(spec, options);
  ASSERT_FALSE(report.passed);
  ASSERT_TRUE(timeline.focus.has_value());
  EXPECT_EQ(timeline.focus_label, to_string(report.failed_check));
  for (const auto& m : timeline.messages) EXPECT_LE(m.received, *timeline.focus);
}

}  // namespace
}  // namespace raftio::sim

namespace raftio::sim {
namespace {

TEST(SystemHistory, OneJsonLinePerOperationWithItsTimesAndText) {
  const auto report = run_system(bank::spec(), seeded(6));
  std::ostringstream out;
  write_system_history(out, report.history, bank::Model{});
  std::istringstream in(out.str());
  std::string line;
  std::size_t n = 0, unknown = 0;
  while (std::getline(in, line)) {
    const auto& op = report.history[n++];
    EXPECT_EQ(line.rfind("{\"op\":" + std::to_string(n) + ",\"client\":" + std::to_string(op.client) +
                            ",\"invoke_us\":" + std::to_string(op.invoke_time * 1000) + ",\"complete_us\":",
                        0),
              0u)
        << line;
    if (!op.complete_time) ++unknown;
    EXPECT_NE(line.find(op.complete_time ? std::to_string(*op.complete_time * 1000) : std::string("null")),
              std::string::npos)
        << line;
    EXPECT_NE(line.find("\"operation\":\"" + bank::Model{}.describe(op) + "\"}"), std::string::npos) << line;
  }
  EXPECT_EQ(n, report.history.size());
  EXPECT_EQ(unknown, report.counts.unknown_outcome);
}

}  // namespace
}  // namespace raftio::sim
