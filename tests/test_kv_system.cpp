// The key-value store as a user's system (raftio/sim/kv_system.h): KvMachine, its workload, and
// run_system over them with KvModel, the model the key-value simulator checks its histories with.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "raftio/sim/kv_system.h"
#include "system_seeded.h"

namespace raftio::sim {
namespace {

// SystemSpec picks the workload's form from the model's operation record.
static_assert(std::is_same_v<SystemSpec<KvModel>::Operation, KvOperation>);
static_assert(std::is_same_v<WorkloadFor<KvOperation>, OperationWorkload<KvOperation>>);
static_assert(std::is_same_v<WorkloadFor<Operation<int, bool>>, Workload<int, bool>>);

LogEntry entry(Index index, const KvCommand& command) { return LogEntry{1, index, EntryKind::Normal, encode_command(command)}; }

KvCommand command(std::uint64_t client, std::uint64_t seq, KvOpKind kind, std::string key, std::string value = "",
                  std::string expected = "") {
  return KvCommand{client, seq, kind, std::move(key), std::move(value), std::move(expected)};
}

KvResult result_of(const Payload& response) {
  const std::optional<KvResult> result = decode_result(response);
  EXPECT_TRUE(result.has_value()) << response.to_string();
  return result.value_or(KvResult{});
}

TEST(KvMachine, AppliesASessionsCommandOnce) {
  KvMachine machine;
  EXPECT_EQ(result_of(machine.apply(entry(1, command(1, 5, KvOpKind::Put, "k", "a")))), KvResult{});
  EXPECT_EQ(result_of(machine.apply(entry(2, command(2, 6, KvOpKind::Put, "k", "b")))), KvResult{});
  const Payload state = machine.snapshot();
  // Client 1's put again, as a repeat of its session's last command would reach the log: the
  // remembered answer, and the store keeps client 2's value.
  EXPECT_EQ(result_of(machine.apply(entry(3, command(1, 5, KvOpKind::Put, "k", "a")))), KvResult{});
  EXPECT_EQ(machine.snapshot(), state);
  EXPECT_EQ(machine.store().data().at("k"), "b");
  // Older than the session's last: ignored, answered with what no client accepts.
  EXPECT_EQ(machine.apply(entry(4, command(2, 1, KvOpKind::Put, "k", "c"))).to_string(), "stale");
  EXPECT_FALSE(decode_result(Payload::copy_of("stale")).has_value());
  EXPECT_EQ(machine.snapshot(), state);
}

TEST(KvMachine, CompareAndSetAndQueries) {
  KvMachine machine;
  machine.apply(entry(1, command(1, 1, KvOpKind::Put, "k", "a")));
  EXPECT_FALSE(result_of(machine.apply(entry(2, command(1, 2, KvOpKind::Cas, "k", "b", "x")))).cas_succeeded);
  EXPECT_TRUE(result_of(machine.apply(entry(3, command(1, 3, KvOpKind::Cas, "k", "b", "a")))).cas_succeeded);
  // A query reads the data and leaves the sessions alone.
  const Payload state = machine.snapshot();
  EXPECT_EQ(result_of(machine.query(encode_command(command(2, 9, KvOpKind::Get, "k")))).read_value, "b");
  EXPECT_EQ(result_of(machine.query(encode_command(command(2, 9, KvOpKind::Get, "absent")))).read_value, std::nullopt);
  EXPECT_EQ(machine.snapshot(), state);
  // A query that is not a Get, and a command that does not decode, get an answer no client accepts.
  EXPECT_FALSE(decode_result(machine.query(encode_command(command(2, 9, KvOpKind::Put, "k", "z")))).has_value());
  EXPECT_FALSE(decode_result(machine.apply(LogEntry{1, 4, EntryKind::Normal, Payload::copy_of("junk")})).has_value());
}

TEST(KvMachine, RestoreReplacesTheStateUnlessTheBugIsPlanted) {
  KvMachine source;
  source.apply(entry(1, command(1, 1, KvOpKind::Put, "k", "a")));
  source.apply(entry(2, command(2, 2, KvOpKind::Put, "j", "b")));
  KvMachine copy;
  copy.apply(entry(1, command(3, 1, KvOpKind::Put, "other", "x")));
  ASSERT_TRUE(copy.restore(source.snapshot()));
  EXPECT_EQ(copy.snapshot(), source.snapshot());
  EXPECT_FALSE(copy.restore(Payload::copy_of("not a snapshot")));

  KvMachine planted(KvMachineBug::RestoreDropsSessions);
  ASSERT_TRUE(planted.restore(source.snapshot()));
  EXPECT_EQ(planted.store().data(), source.store().data());
  EXPECT_NE(planted.snapshot(), source.snapshot());
  // Without its session the repeat of client 1's put applies again, over client 2's later put.
  source.apply(entry(3, command(2, 3, KvOpKind::Put, "k", "c")));
  planted.apply(entry(3, command(2, 3, KvOpKind::Put, "k", "c")));
  source.apply(entry(4, command(1, 1, KvOpKind::Put, "k", "a")));
  planted.apply(entry(4, command(1, 1, KvOpKind::Put, "k", "a")));
  EXPECT_EQ(source.store().data().at("k"), "c");
  EXPECT_EQ(planted.store().data().at("k"), "a");
}

TEST(KvMachine, ResultsRoundTripAndGarbageIsRefused) {
  for (const KvResult& result : {KvResult{}, KvResult{std::string(), false}, KvResult{std::string("v\0w", 3), false},
                                 KvResult{std::nullopt, true}}) {
    EXPECT_EQ(decode_result(encode_result(result)), result);
  }
  // No 'R', no flags, unknown flags, and bytes after an answer that holds no value.
  for (const std::string& garbage :
       {std::string(), std::string("R"), std::string("X\x01v"), std::string("R\x04"), std::string("R\0v", 3)}) {
    EXPECT_FALSE(decode_result(Payload::copy_of(garbage)).has_value()) << garbage;
  }
}

// The workload numbers each command by its place in the history: per client the numbers
// increase, so the store's sessions accept every new operation, and a retry (the same bytes)
// repeats its number.
TEST(KvWorkload, CommandsCarryTheClientAndIncreasingSessionNumbers) {
  const OperationWorkload<KvOperation> workload = kv_workload();
  SystemRng rng(7);
  std::vector<KvOperation> history;
  std::map<std::uint64_t, std::uint64_t> last_seq;
  for (std::uint64_t i = 0; i < 200; ++i) {
    const std::uint64_t client = 1 + rng.below(3);
    KvOperation op = workload.next(client, history, rng);
    op.client = client;
    const std::uint64_t number = history.size() + 1;
    const Payload bytes = workload.encode(op, number);
    const std::optional<KvCommandView> decoded = decode_command(bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->client, client);
    EXPECT_GT(decoded->seq, last_seq[client]);
    last_seq[client] = decoded->seq;
    EXPECT_EQ(decoded->kind, op.kind);
    EXPECT_EQ(decoded->key, op.key);
    EXPECT_EQ(workload.is_read(op), op.kind == KvOpKind::Get);
    history.push_back(op);
  }
}

// A put answered as a read, or a get answered with a swap, is garbage, not an outcome.
TEST(KvWorkload, CompleteRefusesAnswersOfTheWrongShape) {
  const OperationWorkload<KvOperation> workload = kv_workload();
  KvOperation put;
  put.kind = KvOpKind::Put;
  EXPECT_TRUE(workload.complete(put, encode_result(KvResult{})));
  EXPECT_FALSE(workload.complete(put, encode_result(KvResult{std::string("v"), false})));
  KvOperation get;
  get.kind = KvOpKind::Get;
  EXPECT_FALSE(workload.complete(get, encode_result(KvResult{std::nullopt, true})));
  ASSERT_TRUE(workload.complete(get, encode_result(KvResult{std::string("v"), false})));
  EXPECT_EQ(get.read_value, "v");
  KvOperation cas;
  cas.kind = KvOpKind::Cas;
  ASSERT_TRUE(workload.complete(cas, encode_result(KvResult{std::nullopt, true})));
  EXPECT_TRUE(cas.cas_succeeded);
}

void expect_same_history(const KvHistory& a, const KvHistory& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].client, b[i].client) << i;
    EXPECT_EQ(a[i].kind, b[i].kind) << i;
    EXPECT_EQ(a[i].key, b[i].key) << i;
    EXPECT_EQ(a[i].value, b[i].value) << i;
    EXPECT_EQ(a[i].expected, b[i].expected) << i;
    EXPECT_EQ(a[i].invoke_time, b[i].invoke_time) << i;
    EXPECT_EQ(a[i].complete_time, b[i].complete_time) << i;
    EXPECT_EQ(a[i].read_value, b[i].read_value) << i;
    EXPECT_EQ(a[i].cas_succeeded, b[i].cas_succeeded) << i;
  }
}

TEST(KvSystem, SameSeedReplaysTheSameHistory) {
  const auto spec = kv_system_spec();
  const auto first = run_system(spec, seeded(5));
  const auto second = run_system(spec, seeded(5));
  ASSERT_TRUE(first.passed) << first.message;
  EXPECT_EQ(describe(first.counts), describe(second.counts));
  expect_same_history(first.history, second.history);
  // The spec carries no state from run to run: a run after other seeds is the same run.
  run_system(spec, seeded(6));
  expect_same_history(first.history, run_system(spec, seeded(5)).history);
  const auto other = run_system(spec, seeded(6));
  EXPECT_NE(describe(first.counts), describe(other.counts));
}

TEST(KvSystem, CleanSweepPassesUnderEveryFault) {
  const auto spec = kv_system_spec();
  SystemCounts total;
  std::map<KvOpKind, std::size_t> completed;
  std::size_t reads_of_a_value = 0, swaps = 0, failed_swaps = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto report = run_system(spec, seeded(seed));
    ASSERT_TRUE(report.passed) << report.message;
    EXPECT_EQ(report.inconclusive, 0u) << "seed " << seed;
    EXPECT_EQ(report.history.size(), report.counts.operations);
    for (const KvOperation& op : report.history) {
      if (!op.complete_time) continue;
      ++completed[op.kind];
      reads_of_a_value += op.kind == KvOpKind::Get && op.read_value ? 1 : 0;
      swaps += op.kind == KvOpKind::Cas && op.cas_succeeded ? 1 : 0;
      failed_swaps += op.kind == KvOpKind::Cas && !op.cas_succeeded ? 1 : 0;
    }
    total += report.counts;
  }
  EXPECT_GT(total.crashes, 30u);
  EXPECT_GT(total.restarts, 30u);
  EXPECT_GT(total.pauses, 30u);
  EXPECT_GT(total.partitions, 30u);
  EXPECT_GT(total.messages_lost, 5000u);
  EXPECT_GT(total.messages_duplicated, 1000u);
  EXPECT_GT(total.snapshots_installed, 60u);
  EXPECT_GT(total.unknown_outcome, 100u);
  EXPECT_GT(total.retries, 100u);
  // Every kind of operation completes, and the values and swaps the checker weighs are real.
  EXPECT_GT(completed[KvOpKind::Put], 700u);
  EXPECT_GT(completed[KvOpKind::Get], 700u);
  EXPECT_GT(completed[KvOpKind::Cas], 400u);
  EXPECT_GT(reads_of_a_value, 600u);
  EXPECT_GT(swaps, 100u);
  EXPECT_GT(failed_swaps, 200u);
}

TEST(KvSystem, PlantedSessionBugIsFoundAndReplays) {
  const auto spec = kv_system_spec(KvMachineBug::RestoreDropsSessions);
  std::uint64_t failing = 0;
  std::string message;
  for (std::uint64_t seed = 1; seed <= 10 && failing == 0; ++seed) {
    const auto report = run_system(spec, seeded(seed));
    if (report.passed) continue;
    failing = seed;
    message = report.message;
    EXPECT_EQ(report.failed_check, SystemCheck::ReplicaAgreement) << report.message;
  }
  ASSERT_NE(failing, 0u) << "10 seeds did not find the planted bug";
  EXPECT_NE(message.find("seed " + std::to_string(failing) + ": replica agreement: "), std::string::npos) << message;
  EXPECT_NE(message.find("restored a snapshot"), std::string::npos) << message;
  EXPECT_EQ(run_system(spec, seeded(failing)).message, message);
  EXPECT_TRUE(run_system(kv_system_spec(), seeded(failing)).passed);
}

// Resends: a proposal whose outcome is unknown goes out again with the same bytes, and the sessions
// make the repeat harmless; with a machine that ignores its sessions the repeat is applied twice,
// which the history shows. Without resends no command is repeated, so the same bug goes unseen:
// it is the resends that exercise the sessions.
TEST(KvSystem, ResentCommandsAreAppliedOnceThroughTheSessions) {
  SystemCounts total;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SystemOptions options = seeded(seed);
    options.resends = 2;
    const auto report = run_system(kv_system_spec(), options);
    ASSERT_TRUE(report.passed) << report.message;
    total += report.counts;
  }
  EXPECT_GT(total.resends, 100u);
}

TEST(KvSystem, AMachineThatIgnoresItsSessionsIsFoundOnlyWithResends) {
  const auto spec = kv_system_spec(KvMachineBug::ApplyIgnoresSessions);
  std::size_t found_with = 0, found_without = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    SystemOptions options = seeded(seed);
    options.resends = 2;
    const auto with = run_system(spec, options);
    if (!with.passed) {
      ++found_with;
      EXPECT_EQ(with.failed_check, SystemCheck::Linearizability) << with.message;
    }
    found_without += run_system(spec, seeded(seed)).passed ? 0 : 1;
  }
  EXPECT_GE(found_with, 3u);
  EXPECT_EQ(found_without, 0u);
}

// A machine whose reads answer from a store that never changes: every replica's state is right,
// only the history against KvModel shows it.
class StaleReads final : public runtime::StateMachine {
 public:
  Payload apply(const LogEntry& entry) override { return machine_.apply(entry); }
  Payload query(const Payload& request) const override { return fresh_.query(request); }
  Payload snapshot() const override { return machine_.snapshot(); }
  bool restore(const Payload& snapshot) override { return machine_.restore(snapshot); }

 private:
  KvMachine machine_;
  KvMachine fresh_;
};

TEST(KvSystem, StaleReadsFailLinearizabilityAgainstKvModel) {
  SystemSpec<KvModel> spec = kv_system_spec();
  spec.machine = [] { return std::make_unique<StaleReads>(); };
  const auto report = run_system(spec, seeded(1));
  EXPECT_EQ(report.failed_check, SystemCheck::Linearizability) << report.message;
  EXPECT_NE(report.message.find("not linearizable"), std::string::npos) << report.message;
  EXPECT_NE(report.message.find("get(k"), std::string::npos) << report.message;
}

}  // namespace
}  // namespace raftio::sim
