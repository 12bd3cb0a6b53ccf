// The trace and the client history as JSON lines: every trace line is a JSON object with the
// documented typed fields; a run's history survives writing and reading and passes the checker;
// histories written by hand are checked by the same checker, and malformed ones are refused with
// the line at fault.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "raftio/sim/history_io.h"
#include "raftio/sim/linearizability.h"
#include "raftio/sim/simulation.h"

namespace raftio::sim {
namespace {

using Json = nlohmann::json;

SimOptions short_run(std::uint64_t seed, std::uint64_t ticks) {
  SimOptions o;
  o.seed = seed;
  o.ticks = ticks;
  return o;
}

HistoryReadResult read_text(const std::string& text) {
  std::istringstream in(text);
  return read_history(in);
}

void expect_same_operations(const KvHistory& a, const KvHistory& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].client, b[i].client) << i;
    EXPECT_EQ(a[i].kind, b[i].kind) << i;
    EXPECT_EQ(a[i].key, b[i].key) << i;
    EXPECT_EQ(a[i].invoke_time, b[i].invoke_time) << i;
    EXPECT_EQ(a[i].complete_time, b[i].complete_time) << i;
    if (a[i].kind != KvOpKind::Get) {
      EXPECT_EQ(a[i].value, b[i].value) << i;
    }
    if (a[i].kind == KvOpKind::Cas) {
      EXPECT_EQ(a[i].expected, b[i].expected) << i;
    }
    if (!a[i].complete_time) continue;  // an unknown outcome has no result
    if (a[i].kind == KvOpKind::Get) {
      EXPECT_EQ(a[i].read_value, b[i].read_value) << i;
    }
    if (a[i].kind == KvOpKind::Cas) {
      EXPECT_EQ(a[i].cas_succeeded, b[i].cas_succeeded) << i;
    }
  }
}

TEST(History, ARunsHistoryRoundTripsAndPassesTheChecker) {
  Simulation simulation(short_run(5, 3000));
  const SimReport report = simulation.run();
  ASSERT_TRUE(report.ok()) << format_report(report);
  std::ostringstream out;
  write_history(out, simulation.history());
  const HistoryReadResult read = read_text(out.str());
  ASSERT_TRUE(read.ok()) << read.error;
  EXPECT_EQ(read.records, 2 * simulation.history().size()) << "one invoke and one completion per operation";
  EXPECT_EQ(read.failed, 0u);
  EXPECT_EQ(read.never_completed, 0u);
  EXPECT_GT(read.history.size(), 100u);
  expect_same_operations(simulation.history(), read.history);
  const LinearizabilityReport verdict = check_linearizable(read.history);
  EXPECT_TRUE(verdict.linearizable) << verdict.explanation;
  EXPECT_EQ(verdict.operations, report.linearizability.operations);
}

// A stale read: the get starts after the put of "2" completed, yet reads "1".
constexpr const char* kStaleRead = R"({"t_us":0,"type":"client","kind":"invoke","op":1,"client":1,"f":"put","key":"x","value":"1"}
{"t_us":10,"type":"client","kind":"ok","op":1,"client":1,"f":"put","key":"x","value":"1"}
{"t_us":20,"type":"client","kind":"invoke","op":2,"client":2,"f":"put","key":"x","value":"2"}
{"t_us":30,"type":"client","kind":"ok","op":2,"client":2,"f":"put","key":"x","value":"2"}
{"t_us":40,"type":"client","kind":"invoke","op":3,"client":1,"f":"get","key":"x"}
{"t_us":50,"type":"client","kind":"ok","op":3,"client":1,"f":"get","key":"x","value":"1"}
)";

TEST(History, AHandWrittenStaleReadIsNotLinearizable) {
  const HistoryReadResult read = read_text(kStaleRead);
  ASSERT_TRUE(read.ok()) << read.error;
  ASSERT_EQ(read.history.size(), 3u);
  const LinearizabilityReport verdict = check_linearizable(read.history);
  EXPECT_FALSE(verdict.linearizable);
  EXPECT_EQ(verdict.failing_key, "x");

  // The same history with the get overlapping the second put is fine: the checker, not the
  // reader, decides.
  std::string overlapping = kStaleRead;
  overlapping.replace(overlapping.find("\"t_us\":30"), 9, "\"t_us\":45");
  const HistoryReadResult fine = read_text(overlapping);
  ASSERT_TRUE(fine.ok()) << fine.error;
  EXPECT_TRUE(check_linearizable(fine.history).linearizable);
}

TEST(History, AFailedOperationDidNotHappenButAnUnknownOneMayHave) {
  const std::string put_then_read = R"({"t_us":0,"type":"client","kind":"invoke","op":7,"client":1,"f":"put","key":"x","value":"3"}
{"t_us":5,"type":"client","kind":"KIND","op":7,"client":1,"f":"put","key":"x","value":"3"}
{"t_us":10,"type":"client","kind":"invoke","op":8,"client":2,"f":"get","key":"x"}
{"t_us":12,"type":"client","kind":"ok","op":8,"client":2,"f":"get","key":"x","value":"3"}
)";
  std::string failed = put_then_read;
  failed.replace(failed.find("KIND"), 4, "fail");
  const HistoryReadResult read_failed = read_text(failed);
  ASSERT_TRUE(read_failed.ok()) << read_failed.error;
  EXPECT_EQ(read_failed.failed, 1u);
  EXPECT_EQ(read_failed.history.size(), 1u);
  EXPECT_FALSE(check_linearizable(read_failed.history).linearizable) << "a failed put cannot be read back";

  std::string unknown = put_then_read;
  unknown.replace(unknown.find("KIND"), 4, "unknown");
  const HistoryReadResult read_unknown = read_text(unknown);
  ASSERT_TRUE(read_unknown.ok()) << read_unknown.error;
  ASSERT_EQ(read_unknown.history.size(), 2u);
  EXPECT_FALSE(read_unknown.history[0].complete_time.has_value());
  EXPECT_TRUE(check_linearizable(read_unknown.history).linearizable) << "an unknown put may have happened";

  // No completion at all counts as unknown too.
  const std::string open = put_then_read.substr(0, put_then_read.find('\n') + 1) +
                           put_then_read.substr(put_then_read.find("{\"t_us\":10"));
  const HistoryReadResult read_open = read_text(open);
  ASSERT_TRUE(read_open.ok()) << read_open.error;
  EXPECT_EQ(read_open.never_completed, 1u);
  EXPECT_TRUE(check_linearizable(read_open.history).linearizable);
}

TEST(History, CasResultsAreChecked) {
  const std::string text = R"({"t_us":0,"type":"client","kind":"invoke","op":1,"client":1,"f":"cas","key":"y","value":"b","expected":"a"}
{"t_us":5,"type":"client","kind":"ok","op":1,"client":1,"f":"cas","key":"y","value":"b","expected":"a","result":RESULT}
)";
  std::string swapped = text;
  swapped.replace(swapped.find("RESULT"), 6, "true");
  std::string refused = text;
  refused.replace(refused.find("RESULT"), 6, "false");
  EXPECT_FALSE(check_linearizable(read_text(swapped).history).linearizable) << "y was absent: nothing to swap";
  EXPECT_TRUE(check_linearizable(read_text(refused).history).linearizable);
}

TEST(History, MalformedHistoriesAreRefusedWithTheLine) {
  const std::string invoke = R"({"t_us":0,"kind":"invoke","op":1,"client":1,"f":"put","key":"x","value":"1"})";
  const std::map<std::string, std::string> cases = {
      {"not json\n", "line 1: not a JSON object"},
      {invoke + "\n" + invoke + "\n", "line 2: operation 1 invoked twice"},
      {R"({"t_us":3,"kind":"ok","op":4,"client":1,"f":"put","key":"x"})", "line 1: ok of operation 4, which was never invoked"},
      {R"({"t_us":0,"kind":"invoke","op":1,"client":1,"f":"append","key":"x"})", "line 1: \"f\" must be put, get or cas"},
      {R"({"t_us":0,"kind":"invoke","op":1,"client":1,"f":"put","key":"x"})", "line 1: \"value\" must be a string"},
      {R"({"t_us":-1,"kind":"invoke","op":1,"client":1,"f":"get","key":"x"})", "line 1: \"t_us\" must be a non-negative integer"},
      {R"({"t_us":0,"kind":"invoke","op":1,"client":1,"f":"get","key":"x"})"
       "\n"
       R"({"t_us":1,"kind":"ok","op":1,"client":1,"f":"get","key":"x"})",
       "line 2: an ok get needs \"value\""},
      {invoke + "\n" + R"({"t_us":1,"kind":"ok","op":1,"client":2,"f":"put","key":"x"})",
       "line 2: ok of operation 1 names another client"},
  };
  for (const auto& [text, error] : cases) {
    const HistoryReadResult read = read_text(text);
    EXPECT_FALSE(read.ok()) << text;
    EXPECT_EQ(read.error.rfind(error, 0), 0u) << "got: " << read.error << "\nfor: " << text;
  }
}

// The documented fields of each kind of trace line (docs/SIMULATION.md, "The trace").
const std::map<std::string, std::set<std::string>>& required_fields() {
  static const std::map<std::string, std::set<std::string>> fields = {
      {"tick", {}},
      {"receive", {"msg", "from", "to", "term"}},
      {"send", {"msg", "from", "to", "term"}},
      {"propose", {"id", "data"}},
      {"read-index", {"id"}},
      {"transfer-leadership", {"to", "id"}},
      {"snapshot-taken", {"index", "id", "data"}},
      {"change-membership", {"change", "target", "id"}},
      {"persisted", {"index", "term"}},
      {"persist-failed", {"code", "context"}},
      {"apply", {"index", "term", "entry_kind", "data"}},
      {"leader-changed", {"term", "leader"}},
      {"proposal-accepted", {"id", "index", "term"}},
      {"reject", {"what", "reason", "leader_hint", "id"}},
      {"storage-failed", {"code", "context"}},
      {"read-ready", {"id", "index"}},
      {"restore-snapshot", {"last_index", "last_term", "membership", "data"}},
      {"snapshot-suggested", {"applied", "entries"}},
      {"persist", {"index", "term", "truncate_from", "entries"}},
      {"crash", {"node"}},
      {"restart", {"node"}},
      {"pause", {"node"}},
      {"resume", {"node"}},
      {"partition", {"sides"}},
      {"isolate-leader", {"node"}},
      {"bridge", {"node", "sides"}},
      {"one-way", {"from", "to"}},
      {"loss", {"percent"}},
      {"duplication", {"percent", "jitter_us"}},
      {"clog", {"links"}},
      {"heal", {}},
      {"faults-stop", {}},
      {"transfer", {"from", "to"}},
      {"membership", {"change", "target", "leader"}},
      {"disk-fault", {"node", "op", "code"}},
      {"crash-point-armed", {"point", "node", "effect"}},
      {"crash-point-fired", {"point", "node", "effect"}},
      {"invoke", {"op", "client", "f", "key"}},
      {"ok", {"op", "client", "f", "key"}},
      {"unknown", {"op", "client", "f", "key"}},
  };
  return fields;
}

void expect_payload(const Json& payload, const std::string& line) {
  ASSERT_TRUE(payload.is_object()) << line;
  ASSERT_TRUE(payload["len"].is_number_unsigned()) << line;
  ASSERT_TRUE(payload["xxh3"].is_string()) << line;
  EXPECT_EQ(payload["xxh3"].get<std::string>().size(), 16u) << line;
  ASSERT_TRUE(payload["hex"].is_string()) << "payloads in the simulator are small: all bytes shown: " << line;
  EXPECT_EQ(payload["hex"].get<std::string>().size(), 2 * payload["len"].get<std::size_t>()) << line;
}

TEST(Trace, EveryLineIsAJsonObjectWithTheDocumentedFields) {
  std::ostringstream trace;
  // Seed 9's trace is 4 MB; seed 2's was 80 MB, and parsing it line by line took minutes under ASan.
  SimOptions o = short_run(9, 3000);
  o.trace = &trace;
  Simulation simulation(o);
  const SimReport traced = simulation.run();
  ASSERT_TRUE(traced.ok()) << format_report(traced);
  EXPECT_EQ(traced.trace_hash, Simulation(short_run(9, 3000)).run().trace_hash) << "tracing must not change the run";

  std::istringstream lines(trace.str());
  std::string line;
  std::map<std::string, std::size_t> kinds;
  std::size_t events = 0;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> proposals;  // (node, id) -> proposes seen
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> changes;    // (node, id) -> membership changes
  std::size_t accepted = 0;
  while (std::getline(lines, line)) {
    const Json record = Json::parse(line, nullptr, false);
    ASSERT_TRUE(record.is_object()) << line;
    ASSERT_TRUE(record["t_us"].is_number_unsigned()) << line;
    ASSERT_TRUE(record["type"].is_string()) << line;
    ASSERT_TRUE(record["kind"].is_string()) << line;
    const std::string type = record["type"];
    const std::string kind = record["kind"];
    ASSERT_TRUE(type == "event" || type == "action" || type == "fault" || type == "client") << line;
    if (type == "event" || type == "action") {
      ASSERT_TRUE(record["node"].is_number_unsigned()) << line;
    }
    events += type == "event";
    ++kinds[kind];
    const auto known = required_fields().find(kind);
    ASSERT_NE(known, required_fields().end()) << "undocumented kind: " << line;
    for (const std::string& field : known->second) EXPECT_TRUE(record.contains(field)) << field << " in " << line;
    for (const char* payload : {"data", "chunk"}) {
      if (record.contains(payload)) expect_payload(record[payload], line);
    }
    if (record.contains("entries") && record["entries"].is_array()) {
      for (const Json& entry : record["entries"]) expect_payload(entry["data"], line);
    }
    const std::uint64_t node = record.value("node", std::uint64_t{0});
    const std::pair<std::uint64_t, std::uint64_t> proposal(node, record.value("id", std::uint64_t{0}));
    if (kind == "propose") {
      ++proposals[proposal];
      EXPECT_TRUE(record.contains("cmd")) << "client proposals decode: " << line;
    }
    if (kind == "change-membership") ++changes[proposal];  // answered like a proposal
    if (kind == "proposal-accepted") {
      ++accepted;
      EXPECT_EQ(proposals[proposal] + changes[proposal], 1u)
          << "a proposal-accepted id names exactly one propose (or membership change) on its node: " << line;
    }
  }
  EXPECT_EQ(events, traced.steps) << "one line per event stepped";
  EXPECT_GT(accepted, 10u);
  for (const char* kind : {"tick", "receive", "send", "propose", "apply", "proposal-accepted", "invoke", "ok"}) {
    EXPECT_GT(kinds[kind], 0u) << kind;
  }

  // The client records of the trace are the history that was checked.
  const HistoryReadResult from_trace = read_text(trace.str());
  ASSERT_TRUE(from_trace.ok()) << from_trace.error;
  EXPECT_GT(from_trace.other_lines, 0u);
  expect_same_operations(simulation.history(), from_trace.history);
  EXPECT_TRUE(check_linearizable(from_trace.history).linearizable);
}

}  // namespace
}  // namespace raftio::sim
