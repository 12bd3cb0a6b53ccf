#include "raftio/sim/history_io.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "json_line.h"

namespace raftio::sim {

namespace {

std::optional<KvOpKind> parse_op_name(std::string_view name) {
  for (KvOpKind kind : {KvOpKind::Put, KvOpKind::Get, KvOpKind::Cas}) {
    if (name == op_name(kind)) return kind;
  }
  return std::nullopt;
}

using Json = nlohmann::json;

// Field readers: each sets `why` and returns nothing when the field is missing or of the wrong type.
std::optional<std::uint64_t> unsigned_field(const Json& record, const char* name, std::string& why) {
  const auto it = record.find(name);
  if (it == record.end() || !it->is_number_unsigned()) {
    why = std::string("\"") + name + "\" must be a non-negative integer";
    return std::nullopt;
  }
  return it->get<std::uint64_t>();
}

std::optional<std::string> string_field(const Json& record, const char* name, std::string& why) {
  const auto it = record.find(name);
  if (it == record.end() || !it->is_string()) {
    why = std::string("\"") + name + "\" must be a string";
    return std::nullopt;
  }
  return it->get<std::string>();
}

struct Open {
  std::size_t slot;  // index in the operations read so far
};

}  // namespace

void append_history_record(std::string& out, std::string_view kind, std::uint64_t op_id, const KvOperation& op,
                           std::uint64_t t_us) {
  JsonLine line(out);
  line.num("t_us", t_us).str("type", "client").str("kind", kind).num("op", op_id).num("client", op.client);
  line.str("f", op_name(op.kind)).str("key", op.key);
  const bool ok = kind == "ok";
  if (op.kind == KvOpKind::Get) {
    if (ok) {
      if (op.read_value) {
        line.str("value", *op.read_value);
      } else {
        line.null("value");
      }
    }
  } else {
    line.str("value", op.value);
  }
  if (op.kind == KvOpKind::Cas) {
    line.str("expected", op.expected);
    if (ok) line.boolean("result", op.cas_succeeded);
  }
  line.close();
}

void write_history(std::ostream& out, const KvHistory& history) {
  struct Record {
    std::uint64_t time;
    // At the same instant: completions first, then invocations, then the completions of
    // operations invoked at that very instant (a read a leader answers within the step that
    // received it), which must follow their own invocation.
    int order;
    std::size_t op;
  };
  std::vector<Record> records;
  std::uint64_t end = 0;
  for (const KvOperation& op : history) end = std::max({end, op.invoke_time, op.complete_time.value_or(0)});
  for (std::size_t i = 0; i < history.size(); ++i) {
    records.push_back({history[i].invoke_time, 1, i});
    const std::uint64_t completed = history[i].complete_time.value_or(end);
    records.push_back({completed, completed == history[i].invoke_time ? 2 : 0, i});
  }
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return std::tie(a.time, a.order, a.op) < std::tie(b.time, b.order, b.op); });
  std::string line;
  for (const Record& r : records) {
    const KvOperation& op = history[r.op];
    const std::string_view kind = r.order == 1 ? "invoke" : op.complete_time ? "ok" : "unknown";
    line.clear();
    append_history_record(line, kind, r.op + 1, op, r.time);
    line += '\n';
    out << line;
  }
}

HistoryReadResult read_history(std::istream& in) {
  HistoryReadResult result;
  std::vector<std::optional<KvOperation>> operations;  // nothing: failed
  std::map<std::uint64_t, std::size_t> open;           // op id -> slot, until its completion
  std::map<std::uint64_t, bool> seen;                  // every op id invoked
  std::string text;
  std::size_t number = 0;
  const auto fail = [&result, &number](const std::string& why) {
    result.error = "line " + std::to_string(number) + ": " + why;
    return result;
  };
  while (std::getline(in, text)) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json record = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) return fail("not a JSON object");
    const auto type = record.find("type");
    if (type != record.end() && *type != "client") {
      ++result.other_lines;
      continue;
    }
    std::string why;
    const std::optional<std::string> kind = string_field(record, "kind", why);
    if (!kind) return fail(why);
    if (*kind != "invoke" && *kind != "ok" && *kind != "fail" && *kind != "unknown") {
      ++result.other_lines;
      continue;
    }
    ++result.records;
    const std::optional<std::uint64_t> id = unsigned_field(record, "op", why);
    const std::optional<std::uint64_t> client = unsigned_field(record, "client", why);
    const std::optional<std::string> f = string_field(record, "f", why);
    const std::optional<std::string> key = string_field(record, "key", why);
    const std::optional<std::uint64_t> time = unsigned_field(record, "t_us", why);
    if (!id || !client || !f || !key || !time) return fail(why);
    const std::optional<KvOpKind> op_kind = parse_op_name(*f);
    if (!op_kind) return fail("\"f\" must be put, get or cas, not \"" + *f + "\"");

    if (*kind == "invoke") {
      if (seen.count(*id) != 0) return fail("operation " + std::to_string(*id) + " invoked twice");
      KvOperation op;
      op.client = *client;
      op.kind = *op_kind;
      op.key = *key;
      op.invoke_time = *time;
      if (op.kind != KvOpKind::Get) {
        const std::optional<std::string> value = string_field(record, "value", why);
        if (!value) return fail(why);
        op.value = *value;
      }
      if (op.kind == KvOpKind::Cas) {
        const std::optional<std::string> expected = string_field(record, "expected", why);
        if (!expected) return fail(why);
        op.expected = *expected;
      }
      seen[*id] = true;
      open[*id] = operations.size();
      operations.emplace_back(std::move(op));
      continue;
    }

    const auto it = open.find(*id);
    if (it == open.end()) {
      return fail(*kind + " of operation " + std::to_string(*id) +
                  (seen.count(*id) != 0 ? ", which was already completed" : ", which was never invoked"));
    }
    KvOperation& op = *operations[it->second];
    if (op.client != *client || op.kind != *op_kind || op.key != *key) {
      return fail(*kind + " of operation " + std::to_string(*id) + " names another client, operation or key than its invocation");
    }
    if (*kind == "fail") {
      operations[it->second].reset();  // certainly did not take effect: nothing to linearize
      ++result.failed;
    } else if (*kind == "ok") {
      if (*time < op.invoke_time) return fail("operation " + std::to_string(*id) + " completes before it was invoked");
      op.complete_time = *time;
      if (op.kind == KvOpKind::Get) {
        const auto value = record.find("value");
        if (value == record.end() || !(value->is_string() || value->is_null())) {
          return fail("an ok get needs \"value\": the string read, or null when the key was absent");
        }
        if (value->is_string()) op.read_value = value->get<std::string>();
      }
      if (op.kind == KvOpKind::Cas) {
        const auto swapped = record.find("result");
        if (swapped == record.end() || !swapped->is_boolean()) return fail("an ok cas needs \"result\": true or false");
        op.cas_succeeded = swapped->get<bool>();
      }
    }
    open.erase(it);
  }
  result.never_completed = open.size();
  for (auto& op : operations) {
    if (op) result.history.push_back(std::move(*op));
  }
  return result;
}

}  // namespace raftio::sim
