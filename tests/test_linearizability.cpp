// The key-value linearizability checker: known violations are caught and reported with the
// failing key, legal concurrency and unknown outcomes are accepted, the state budget turns a
// search into "inconclusive" rather than a verdict, and histories produced by a real
// linearizable execution always pass (RapidCheck), while an exhaustive search agrees on tiny
// arbitrary histories.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>

#include "raftio/sim/linearizability.h"

namespace raftio::sim {
namespace {

using Time = std::optional<std::uint64_t>;
constexpr Time kUnknown = std::nullopt;

KvOperation put(std::uint64_t client, std::string key, std::string value, std::uint64_t invoke, Time complete) {
  return KvOperation{client, KvOpKind::Put, std::move(key), std::move(value), "", invoke, complete, std::nullopt, false};
}

KvOperation get(std::uint64_t client, std::string key, std::optional<std::string> read, std::uint64_t invoke,
                Time complete) {
  return KvOperation{client, KvOpKind::Get, std::move(key), "", "", invoke, complete, std::move(read), false};
}

KvOperation cas(std::uint64_t client, std::string key, std::string expected, std::string value, bool ok,
                std::uint64_t invoke, Time complete) {
  return KvOperation{client,   KvOpKind::Cas, std::move(key), std::move(value), std::move(expected),
                     invoke, complete,      std::nullopt,   ok};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Linearizability, SequentialPutThenGetSeesTheValueAndUnwrittenKeysReadAbsent) {
  const KvHistory h = {put(1, "k", "a", 0, 10), get(2, "k", "a", 20, 30), get(2, "other", std::nullopt, 40, 50)};
  const LinearizabilityReport r = check_linearizable(h);
  EXPECT_TRUE(r.linearizable) << r.explanation;
  EXPECT_EQ(r.keys, 2u);
  EXPECT_EQ(r.operations, 3u);
  EXPECT_EQ(r.inconclusive_keys, 0u);
}

TEST(Linearizability, SequentialCasChainSucceedsOnlyOnTheCurrentValue) {
  const KvHistory h = {cas(1, "k", "a", "b", false, 0, 5),  // absent never matches
                       put(1, "k", "a", 10, 20),         cas(2, "k", "a", "b", true, 30, 40),
                       cas(3, "k", "a", "c", false, 50, 60), cas(1, "k", "b", "c", true, 70, 80),
                       get(2, "k", "c", 90, 100)};
  EXPECT_TRUE(check_linearizable(h).linearizable);
}

TEST(Linearizability, CasReportingSuccessOnAnAbsentKeyIsCaught) {
  const KvHistory h = {cas(1, "k", "", "b", true, 0, 5)};
  EXPECT_FALSE(check_linearizable(h).linearizable);
}

TEST(Linearizability, OverlappingPutAndGetMayReadEitherTheOldOrTheNewValue) {
  for (const char* read : {"old", "new"}) {
    const KvHistory h = {put(1, "k", "old", 0, 10), put(1, "k", "new", 20, 60), get(2, "k", read, 30, 50)};
    EXPECT_TRUE(check_linearizable(h).linearizable) << read;
  }
}

TEST(Linearizability, ConcurrentPutsMayTakeEffectInEitherOrder) {
  for (const char* last : {"a", "b"}) {
    const KvHistory h = {put(1, "k", "a", 0, 50), put(2, "k", "b", 10, 40), get(3, "k", last, 60, 70),
                         get(1, "k", last, 80, 90)};
    EXPECT_TRUE(check_linearizable(h).linearizable) << last;
  }
  // ...but all later readers must agree on that order.
  const KvHistory h = {put(1, "k", "a", 0, 50), put(2, "k", "b", 10, 40), get(3, "k", "a", 60, 70),
                       get(1, "k", "b", 80, 90)};
  EXPECT_FALSE(check_linearizable(h).linearizable);
}

TEST(Linearizability, InvocationAtTheInstantOfAnotherCompletionOverlapsButOneLaterFollows) {
  EXPECT_TRUE(check_linearizable({put(1, "k", "a", 0, 10), put(1, "k", "b", 20, 30), get(2, "k", "a", 30, 40)})
                  .linearizable);
  EXPECT_FALSE(check_linearizable({put(1, "k", "a", 0, 10), put(1, "k", "b", 20, 30), get(2, "k", "a", 31, 40)})
                   .linearizable);
}

TEST(Linearizability, StaleReadAfterALaterCompletedWriteIsCaughtAndExplained) {
  const KvHistory h = {put(1, "k", "1", 100, 150), put(2, "k", "2", 200, 250), get(3, "k", "1", 300, 350)};
  const LinearizabilityReport r = check_linearizable(h);
  EXPECT_FALSE(r.linearizable);
  EXPECT_EQ(r.failing_key, "k");
  EXPECT_TRUE(contains(r.explanation, "client 1 put(k, 1) [100 .. 150]")) << r.explanation;
  EXPECT_TRUE(contains(r.explanation, "client 2 put(k, 2) [200 .. 250]")) << r.explanation;
  EXPECT_TRUE(contains(r.explanation, "client 3 get(k) -> 1 [300 .. 350]")) << r.explanation;
  // Listed in time order, and the read is named as the operation the search could not get past.
  EXPECT_LT(r.explanation.find("put(k, 1)"), r.explanation.find("put(k, 2)"));
  EXPECT_TRUE(contains(r.explanation, "(2 of 3 completed operations): #1 #2")) << r.explanation;
  EXPECT_TRUE(contains(r.explanation, "result of #3 client 3 get(k) -> 1")) << r.explanation;
}

TEST(Linearizability, ReadOfAValueNoOneWroteIsCaughtWithAnEmptyPrefix) {
  const LinearizabilityReport r = check_linearizable({get(1, "k", "ghost", 0, 10), put(2, "k", "a", 20, 30)});
  EXPECT_FALSE(r.linearizable);
  EXPECT_TRUE(contains(r.explanation, "(0 of 2 completed operations): none")) << r.explanation;
  EXPECT_TRUE(contains(r.explanation, "result of #1 client 1 get(k) -> ghost [0 .. 10]")) << r.explanation;
}

TEST(Linearizability, LostWriteReadBackAsAbsentIsCaught) {
  const LinearizabilityReport r =
      check_linearizable({put(1, "k", "v", 0, 10), get(2, "k", std::nullopt, 20, 30)});
  EXPECT_FALSE(r.linearizable);
  EXPECT_EQ(r.failing_key, "k");
  EXPECT_TRUE(contains(r.explanation, "client 2 get(k) -> (absent) [20 .. 30]")) << r.explanation;
}

TEST(Linearizability, CasReportingSuccessAgainstAStaleExpectedValueIsCaught) {
  const KvHistory h = {put(1, "k", "a", 0, 10), put(1, "k", "b", 20, 30), cas(2, "k", "a", "c", true, 40, 50)};
  const LinearizabilityReport r = check_linearizable(h);
  EXPECT_FALSE(r.linearizable);
  EXPECT_TRUE(contains(r.explanation, "client 2 cas(k, a -> c) -> ok [40 .. 50]")) << r.explanation;
}

TEST(Linearizability, UnknownOutcomePutMayExplainALaterReadOrBeLeftOut) {
  for (const char* read : {"a", "b"}) {
    const KvHistory h = {put(1, "k", "a", 0, 10), put(2, "k", "b", 20, kUnknown), get(3, "k", read, 100, 110),
                         get(3, "k", read, 120, 130)};
    const LinearizabilityReport r = check_linearizable(h);
    EXPECT_TRUE(r.linearizable) << read << "\n" << r.explanation;
  }
  // It takes effect at most once: no flip-flopping between the values.
  const KvHistory h = {put(1, "k", "a", 0, 10), put(2, "k", "b", 20, kUnknown), get(3, "k", "b", 100, 110),
                       get(3, "k", "a", 120, 130)};
  const LinearizabilityReport r = check_linearizable(h);
  EXPECT_FALSE(r.linearizable);
  EXPECT_TRUE(contains(r.explanation, "client 2 put(k, b) [20 .. ?]")) << r.explanation;
}

TEST(Linearizability, UnknownOutcomePutTakesEffectAtMostOnce) {
  // Both reads of b need the lost put, on either side of a completed put of a.
  const KvHistory h = {put(1, "k", "a", 0, 10), put(2, "k", "b", 20, kUnknown), get(3, "k", "b", 100, 110),
                       put(1, "k", "a", 120, 130), get(3, "k", "b", 140, 150)};
  EXPECT_FALSE(check_linearizable(h).linearizable);
  KvHistory twice = h;  // a second lost put of b makes it possible
  twice.push_back(put(4, "k", "b", 30, kUnknown));
  EXPECT_TRUE(check_linearizable(twice).linearizable);
}

TEST(Linearizability, ChainOfUnknownOutcomeOpsMayExplainARead) {
  // Only the lost put followed by the lost cas produces c.
  const KvHistory h = {put(1, "k", "a", 0, 10), put(2, "k", "b", 20, kUnknown), cas(3, "k", "b", "c", true, 30, kUnknown),
                       get(1, "k", "c", 100, 110)};
  EXPECT_TRUE(check_linearizable(h).linearizable);
  KvHistory late = h;  // not if the cas was only invoked after the read
  late[2].invoke_time = 200;
  EXPECT_FALSE(check_linearizable(late).linearizable);
}

TEST(Linearizability, UnknownOutcomeMayNotTakeEffectBeforeItsInvocation) {
  EXPECT_FALSE(check_linearizable({get(1, "k", "b", 0, 10), put(2, "k", "b", 20, kUnknown)}).linearizable);
}

TEST(Linearizability, ResultsOfUnknownOutcomeOperationsAreIgnored) {
  KvOperation bogus_cas = cas(2, "k", "zzz", "b", true, 20, kUnknown);  // could not have succeeded
  const KvHistory h = {put(1, "k", "a", 0, 10), get(2, "k", "nonsense", 5, kUnknown), bogus_cas,
                       get(3, "k", "a", 100, 110)};
  EXPECT_TRUE(check_linearizable(h).linearizable);
  // An unknown Cas takes effect only when its expected value is current.
  EXPECT_FALSE(check_linearizable({put(1, "k", "a", 0, 10), cas(2, "k", "x", "b", false, 20, kUnknown),
                                   get(3, "k", "b", 100, 110)})
                   .linearizable);
  EXPECT_TRUE(check_linearizable({put(1, "k", "a", 0, 10), cas(2, "k", "a", "b", false, 20, kUnknown),
                                  get(3, "k", "b", 100, 110)})
                  .linearizable);
}

TEST(Linearizability, ViolationOnOneKeyIsReportedWhileOtherKeysAreFine) {
  const KvHistory h = {put(1, "a", "1", 0, 10),         get(2, "a", "1", 20, 30), put(1, "b", "1", 0, 10),
                       get(2, "b", std::nullopt, 20, 30), put(3, "c", "9", 5, 15), get(1, "c", "9", 40, 50)};
  const LinearizabilityReport r = check_linearizable(h);
  EXPECT_FALSE(r.linearizable);
  EXPECT_EQ(r.keys, 3u);
  EXPECT_EQ(r.operations, 6u);
  EXPECT_EQ(r.failing_key, "b");
  EXPECT_FALSE(contains(r.explanation, "put(a,")) << "only the failing key is listed";
}

TEST(Linearizability, TinyStateBudgetMakesTheKeyInconclusiveNotAViolation) {
  KvHistory h;
  for (std::uint64_t i = 0; i < 20; ++i) {
    h.push_back(put(i % 3, "k", "v" + std::to_string(i), i * 10, i * 10 + 25));
    h.push_back(get((i + 1) % 3, "k", "v" + std::to_string(i), i * 10 + 1, i * 10 + 30));
  }
  ASSERT_TRUE(check_linearizable(h).linearizable);
  const LinearizabilityReport r = check_linearizable(h, 1);
  EXPECT_TRUE(r.linearizable);
  EXPECT_EQ(r.inconclusive_keys, 1u);
  EXPECT_TRUE(r.failing_key.empty());
}

// Histories of a real execution: each op takes effect atomically at some instant within its
// interval (or, with an unknown outcome, at any instant after its invocation, or never).
struct OpSpec {
  std::uint32_t client = 0, kind = 0, key = 0, value = 0, expected = 0;
  std::uint32_t gap = 0, duration = 0, at_percent = 0;
  bool unknown = false, takes_effect = false;
};

KvHistory execute(const std::vector<OpSpec>& specs, std::uint32_t clients, std::uint32_t keys, std::uint32_t values) {
  std::vector<std::uint64_t> free_at(clients, 0);
  std::vector<std::pair<std::uint64_t, std::size_t>> effects;  // (instant, op)
  KvHistory h;
  for (const OpSpec& s : specs) {
    const std::uint32_t client = s.client % clients;
    const std::uint64_t invoke = free_at[client] + s.gap;
    const std::uint64_t complete = invoke + s.duration;
    free_at[client] = complete + 1;
    const std::string key = "k" + std::to_string(s.key % keys);
    const std::string value = "v" + std::to_string(s.value % values);
    const std::string expected = "v" + std::to_string(s.expected % values);
    switch (s.kind % 3) {
      case 0: h.push_back(put(client, key, value, invoke, complete)); break;
      case 1: h.push_back(get(client, key, std::nullopt, invoke, complete)); break;
      default: h.push_back(cas(client, key, expected, value, false, invoke, complete)); break;
    }
    // An operation whose client gave up may still take effect long after.
    const std::uint64_t span = s.unknown ? 3 * s.duration + 10 : s.duration;
    if (!s.unknown || s.takes_effect) effects.emplace_back(invoke + span * s.at_percent / 100, h.size() - 1);
    if (s.unknown) h.back().complete_time = kUnknown;
  }
  std::stable_sort(effects.begin(), effects.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::map<std::string, std::optional<std::string>> store;
  for (const auto& effect : effects) {
    KvOperation& op = h[effect.second];
    std::optional<std::string>& current = store[op.key];
    if (op.kind == KvOpKind::Put) current = op.value;
    if (op.kind == KvOpKind::Get) op.read_value = current;
    if (op.kind == KvOpKind::Cas) {
      op.cas_succeeded = current == op.expected;
      if (op.cas_succeeded) current = op.value;
    }
  }
  return h;
}

std::string show(const KvHistory& h) {  // for RapidCheck's log: a history is the useful counterexample
  std::string s;
  for (const KvOperation& op : h) {
    s += "c" + std::to_string(op.client) + " " + "PGC"[static_cast<int>(op.kind)] + " " + op.key + " v=" + op.value +
         " e=" + op.expected + " r=" + op.read_value.value_or("-") + " ok=" + std::to_string(op.cas_succeeded) + " [" +
         std::to_string(op.invoke_time) + ".." + (op.complete_time ? std::to_string(*op.complete_time) : "?") + "]\n";
  }
  return s;
}

rc::Gen<OpSpec> gen_op_spec() {
  return rc::gen::build<OpSpec>(
      rc::gen::set(&OpSpec::client, rc::gen::inRange<std::uint32_t>(0, 3)),
      rc::gen::set(&OpSpec::kind, rc::gen::inRange<std::uint32_t>(0, 3)),
      rc::gen::set(&OpSpec::key, rc::gen::inRange<std::uint32_t>(0, 3)),
      rc::gen::set(&OpSpec::value, rc::gen::inRange<std::uint32_t>(0, 4)),
      rc::gen::set(&OpSpec::expected, rc::gen::inRange<std::uint32_t>(0, 4)),
      rc::gen::set(&OpSpec::gap, rc::gen::inRange<std::uint32_t>(0, 6)),
      rc::gen::set(&OpSpec::duration, rc::gen::inRange<std::uint32_t>(0, 20)),
      rc::gen::set(&OpSpec::at_percent, rc::gen::inRange<std::uint32_t>(0, 101)),
      rc::gen::set(&OpSpec::unknown, rc::gen::weightedElement<bool>({{9, false}, {1, true}})),
      rc::gen::set(&OpSpec::takes_effect, rc::gen::arbitrary<bool>()));
}

RC_GTEST_PROP(LinearizabilityProperty, HistoriesOfALinearizableExecutionPass, ()) {
  const auto specs = *rc::gen::container<std::vector<OpSpec>>(gen_op_spec());
  const KvHistory h = execute(specs, 3, 3, 4);
  const LinearizabilityReport r = check_linearizable(h);
  RC_LOG() << show(h) << r.explanation;
  RC_ASSERT(r.linearizable);
  RC_ASSERT(r.inconclusive_keys == 0u);
}

RC_GTEST_PROP(LinearizabilityProperty, AReadOfAValueNeverWrittenFails, ()) {
  auto specs = *rc::gen::container<std::vector<OpSpec>>(gen_op_spec());
  OpSpec last_read = *gen_op_spec();  // so that there is a read to corrupt
  last_read.kind = 1;
  last_read.unknown = false;
  specs.push_back(last_read);
  KvHistory h = execute(specs, 3, 3, 4);
  std::vector<std::size_t> reads;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i].kind == KvOpKind::Get && h[i].complete_time) reads.push_back(i);
  }
  KvOperation& victim = h[reads[*rc::gen::inRange<std::size_t>(0, reads.size())]];
  victim.read_value = "never-written";
  const LinearizabilityReport r = check_linearizable(h);
  RC_ASSERT(!r.linearizable);
  RC_ASSERT(r.failing_key == victim.key);
}

// Exhaustive search over every order (and every subset of unknown-outcome operations).
bool brute_force(const KvHistory& h, std::vector<bool>& placed, std::map<std::string, std::optional<std::string>>& store) {
  bool done = true;
  for (std::size_t i = 0; i < h.size(); ++i) done = done && (placed[i] || !h[i].complete_time);
  if (done) return true;
  for (std::size_t i = 0; i < h.size(); ++i) {
    bool ready = !placed[i];
    for (std::size_t j = 0; j < h.size() && ready; ++j)
      ready = placed[j] || !h[j].complete_time || *h[j].complete_time >= h[i].invoke_time;
    if (!ready) continue;
    const KvOperation& op = h[i];
    std::optional<std::string>& current = store[op.key];
    const std::optional<std::string> saved = current;
    const bool known = op.complete_time.has_value();
    const bool matches = current == op.expected;
    if (op.kind == KvOpKind::Get && known && current != op.read_value) continue;
    if (op.kind == KvOpKind::Cas && known && matches != op.cas_succeeded) continue;
    if (op.kind == KvOpKind::Put || (op.kind == KvOpKind::Cas && matches)) current = op.value;
    placed[i] = true;
    const bool ok = brute_force(h, placed, store);
    placed[i] = false;
    store[op.key] = saved;
    if (ok) return true;
  }
  return false;
}

RC_GTEST_PROP(LinearizabilityProperty, AgreesWithExhaustiveSearchOnTinyArbitraryHistories, ()) {
  const auto size = *rc::gen::inRange<std::size_t>(0, 7);
  KvHistory h;
  for (std::size_t i = 0; i < size; ++i) {
    const auto invoke = *rc::gen::inRange<std::uint64_t>(0, 12);
    const bool unknown = *rc::gen::weightedElement<bool>({{4, false}, {1, true}});
    const Time complete = unknown ? kUnknown : Time(invoke + *rc::gen::inRange<std::uint64_t>(0, 6));
    const std::string key = *rc::gen::element<std::string>("a", "b");
    const std::string value = *rc::gen::element<std::string>("x", "y", "z");
    switch (*rc::gen::inRange(0, 3)) {
      case 0: h.push_back(put(i % 3, key, value, invoke, complete)); break;
      case 1: {
        const auto read = *rc::gen::element<std::optional<std::string>>(std::nullopt, "x", "y");
        h.push_back(get(i % 3, key, read, invoke, complete));
        break;
      }
      default:
        h.push_back(cas(i % 3, key, *rc::gen::element<std::string>("x", "y"), value, *rc::gen::arbitrary<bool>(),
                        invoke, complete));
    }
  }
  std::vector<bool> placed(h.size(), false);
  std::map<std::string, std::optional<std::string>> store;
  const LinearizabilityReport r = check_linearizable(h);
  RC_ASSERT(r.inconclusive_keys == 0u);
  RC_ASSERT(r.linearizable == brute_force(h, placed, store));
}

std::vector<OpSpec> random_specs(std::uint64_t seed, std::size_t count, std::uint32_t unknown_per_100) {
  std::mt19937_64 rng(seed);
  std::vector<OpSpec> specs(count);
  for (OpSpec& s : specs) {
    s = OpSpec{static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng()),
               static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng()),
               static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng() % 20),
               static_cast<std::uint32_t>(rng() % 200), static_cast<std::uint32_t>(rng() % 101),
               rng() % 100 < unknown_per_100, rng() % 2 == 0};
  }
  return specs;
}

LinearizabilityReport timed_check(const KvHistory& h, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  LinearizabilityReport r = check_linearizable(h);
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  std::printf("%s: %zu ops, %zu keys, %llu states, %.1f ms\n", what, r.operations, r.keys,
              static_cast<unsigned long long>(r.states_explored), took.count());
  return r;
}

// Speed is pinned by the number of explored states (deterministic) rather than wall time.
TEST(Linearizability, LargeConcurrentHistoryChecksWithinAFewStatesPerOperation) {
  for (std::uint32_t unknown : {0u, 5u, 30u}) {
    const KvHistory h = execute(random_specs(42 + unknown, 4000, unknown), 5, 16, 6);
    const LinearizabilityReport r = timed_check(h, unknown == 0 ? "large" : "large with unknowns");
    EXPECT_TRUE(r.linearizable) << r.explanation.substr(0, 2000);
    EXPECT_EQ(r.inconclusive_keys, 0u);
    EXPECT_LT(r.states_explored, 20u * h.size());
  }
}

// One key taking every op, a fifth of them with unknown outcomes, written values all distinct: the
// shape that makes unknown-outcome ops expensive. A stale read near the end is still found.
TEST(Linearizability, HotKeyWithManyUnknownOutcomesStaysConclusive) {
  KvHistory h = execute(random_specs(11, 3000, 20), 5, 1, 1u << 30);
  ASSERT_TRUE(timed_check(h, "hot key").linearizable);
  const auto victim = std::find_if(h.rbegin(), h.rend(), [](const KvOperation& op) {
    return op.kind == KvOpKind::Get && op.complete_time && op.read_value;
  });
  ASSERT_GT(std::distance(victim, h.rend()), 200);
  const auto old_write = std::find_if(victim + 200, h.rend(), [](const KvOperation& op) {
    return op.kind == KvOpKind::Put && op.complete_time;
  });
  ASSERT_NE(old_write, h.rend());
  victim->read_value = old_write->value;
  const LinearizabilityReport r = timed_check(h, "hot key, one stale read");
  EXPECT_FALSE(r.linearizable);
  EXPECT_EQ(r.inconclusive_keys, 0u);
  EXPECT_LT(r.states_explored, 100u * h.size());
}

TEST(Linearizability, LargeHistoryWithOneStaleReadFailsOnItsKey) {
  KvHistory h = execute(random_specs(7, 4000, 5), 5, 16, 6);
  const auto victim = std::find_if(h.begin() + 2000, h.end(), [](const KvOperation& op) {
    return op.kind == KvOpKind::Get && op.complete_time && op.read_value;
  });
  ASSERT_NE(victim, h.end());
  victim->read_value = "never-written";
  const LinearizabilityReport r = timed_check(h, "large, one bad read");
  EXPECT_FALSE(r.linearizable);
  EXPECT_EQ(r.failing_key, victim->key);
  EXPECT_TRUE(contains(r.explanation, "-> never-written [" + std::to_string(victim->invoke_time) + " .. "));
  EXPECT_LT(r.states_explored, 50u * h.size());
}

TEST(Linearizability, VerdictAndExplanationDoNotDependOnTheOrderOfTheHistory) {
  KvHistory h = execute(random_specs(3, 600, 10), 4, 3, 4);
  h[300].read_value = "never-written";
  h[300].kind = KvOpKind::Get;
  h[300].complete_time = h[300].invoke_time + 5;
  const LinearizabilityReport first = check_linearizable(h);
  std::mt19937_64 rng(1);
  std::shuffle(h.begin(), h.end(), rng);
  const LinearizabilityReport second = check_linearizable(h);
  EXPECT_FALSE(first.linearizable);
  EXPECT_EQ(first.failing_key, second.failing_key);
  EXPECT_EQ(first.explanation, second.explanation);
  EXPECT_EQ(first.states_explored, second.states_explored);
}

}  // namespace
}  // namespace raftio::sim
