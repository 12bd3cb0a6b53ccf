#include "raftio/sim/schedule_io.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

namespace raftio::sim {

namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;  // written in the order a reader expects: type first

constexpr int kVersion = 1;

constexpr const char* kChanges[] = {"add-voter", "add-learner", "remove"};

std::optional<FaultKind> parse_kind(std::string_view text) {
  for (std::size_t k = 0; k < kFaultKinds; ++k) {
    if (text == to_string(static_cast<FaultKind>(k))) return static_cast<FaultKind>(k);
  }
  return std::nullopt;
}

std::optional<CrashPoint> parse_point(std::string_view text) {
  for (std::size_t p = 0; p < kCrashPoints; ++p) {
    if (text == to_string(static_cast<CrashPoint>(p))) return static_cast<CrashPoint>(p);
  }
  return std::nullopt;
}

// Session numbers as ranges, "1-40,42,45-50": a client's operations run in long consecutive
// stretches, which a shrunk schedule cuts into a few.
std::string ranges_text(const std::vector<std::uint64_t>& seqs) {
  std::string out;
  for (std::size_t i = 0; i < seqs.size();) {
    std::size_t j = i;
    while (j + 1 < seqs.size() && seqs[j + 1] == seqs[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(seqs[i]);
    if (j > i) out += '-' + std::to_string(seqs[j]);
    i = j + 1;
  }
  return out;
}

bool parse_number(std::string_view text, std::uint64_t& value) {
  if (text.empty() || text.size() > 19) return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

bool parse_ranges(std::string_view text, std::vector<std::uint64_t>& seqs) {
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const std::size_t dash = part.find('-');
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (!parse_number(part.substr(0, dash), first)) return false;
    last = first;
    if (dash != std::string_view::npos && !parse_number(part.substr(dash + 1), last)) return false;
    if (first == 0 || last < first || last - first > 10'000'000) return false;
    if (!seqs.empty() && first <= seqs.back()) return false;  // ascending, no repeats
    for (std::uint64_t s = first; s <= last; ++s) seqs.push_back(s);
  }
  return true;
}

OrderedJson nodes(const std::vector<NodeId>& ids) {
  OrderedJson out = OrderedJson::array();
  for (NodeId id : ids) out.push_back(id);
  return out;
}

OrderedJson fault_json(const ScheduledFault& f) {
  OrderedJson j;
  j["type"] = "fault";
  j["t_us"] = f.time_us;
  j["kind"] = std::string(to_string(f.kind));
  switch (f.kind) {
    case FaultKind::Heal:
      if (f.quiet) j["quiet"] = true;
      break;
    case FaultKind::Partition: j["sides"] = OrderedJson::array({nodes(f.side), nodes(f.other)}); break;
    case FaultKind::IsolateLeader: j["node"] = f.node; break;
    case FaultKind::Bridge:
      j["node"] = f.node;
      j["sides"] = OrderedJson::array({nodes(f.side), nodes(f.other)});
      break;
    case FaultKind::OneWay:
      j["from"] = f.node;
      j["to"] = nodes(f.side);
      break;
    case FaultKind::Loss:
    case FaultKind::Duplication: j["ppm"] = f.ppm; break;
    case FaultKind::Clog: {
      OrderedJson links = OrderedJson::array();
      for (const auto& [from, to] : f.links) links.push_back(OrderedJson::array({from, to}));
      j["links"] = links;
      break;
    }
    case FaultKind::Crash:
    case FaultKind::CrashLeader:
      j["node"] = f.node;
      j["down_us"] = f.duration_us;
      break;
    case FaultKind::Pause:
      j["node"] = f.node;
      j["pause_us"] = f.duration_us;
      break;
    case FaultKind::DiskFault:
      j["node"] = f.node;
      j["op"] = f.disk_sync ? "sync" : "append";
      j["code"] = f.disk_no_space ? "no-space" : "io";
      break;
    case FaultKind::Transfer: j["to"] = f.node; break;
    case FaultKind::Membership:
      j["change"] = kChanges[static_cast<int>(f.change)];
      j["target"] = f.node;
      break;
    case FaultKind::CrashPoint:
      j["point"] = std::string(to_string(f.point));
      j["node"] = f.node;
      j["effect"] = f.pause ? "pause" : "crash";
      j["outage_us"] = f.duration_us;
      break;
    default: break;
  }
  return j;
}

// Field readers: throw nothing; each returns false and says why when the field is missing or of
// the wrong type.
struct Reader {
  const Json& j;
  std::string& why;
  bool number(const char* name, std::uint64_t& value) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_number_unsigned()) {
      why = std::string("\"") + name + "\" must be a non-negative integer";
      return false;
    }
    value = it->get<std::uint64_t>();
    return true;
  }
  bool node(const char* name, NodeId& id) {
    std::uint64_t value = 0;
    if (!number(name, value)) return false;
    if (value > 64) {
      why = std::string("\"") + name + "\" is not a node id";
      return false;
    }
    id = static_cast<NodeId>(value);
    return true;
  }
  bool text(const char* name, std::string& value) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
      why = std::string("\"") + name + "\" must be a string";
      return false;
    }
    value = it->get<std::string>();
    return true;
  }
  bool flag(const char* name, bool& value) {
    const auto it = j.find(name);
    if (it == j.end()) return true;  // optional, false
    if (!it->is_boolean()) {
      why = std::string("\"") + name + "\" must be true or false";
      return false;
    }
    value = it->get<bool>();
    return true;
  }
  bool node_list(const Json& list, std::vector<NodeId>& ids) {
    if (!list.is_array()) return false;
    for (const Json& id : list) {
      if (!id.is_number_unsigned() || id.get<std::uint64_t>() < 1 || id.get<std::uint64_t>() > 64) return false;
      ids.push_back(static_cast<NodeId>(id.get<std::uint64_t>()));
    }
    return true;
  }
  bool nodes(const char* name, std::vector<NodeId>& ids) {
    const auto it = j.find(name);
    if (it == j.end() || !node_list(*it, ids)) {
      why = std::string("\"") + name + "\" must be a list of node ids";
      return false;
    }
    return true;
  }
  bool sides(std::vector<NodeId>& a, std::vector<NodeId>& b) {
    const auto it = j.find("sides");
    if (it == j.end() || !it->is_array() || it->size() != 2 || !node_list((*it)[0], a) || !node_list((*it)[1], b)) {
      why = "\"sides\" must be two lists of node ids";
      return false;
    }
    return true;
  }
};

bool read_fault(const Json& j, ScheduledFault& f, std::string& why) {
  Reader r{j, why};
  std::string kind;
  if (!r.number("t_us", f.time_us) || !r.text("kind", kind)) return false;
  const std::optional<FaultKind> parsed = parse_kind(kind);
  if (!parsed) {
    why = "unknown fault kind \"" + kind + "\"";
    return false;
  }
  f.kind = *parsed;
  switch (f.kind) {
    case FaultKind::Heal: return r.flag("quiet", f.quiet);
    case FaultKind::Partition: return r.sides(f.side, f.other);
    case FaultKind::IsolateLeader: return r.node("node", f.node);
    case FaultKind::Bridge: return r.node("node", f.node) && r.sides(f.side, f.other);
    case FaultKind::OneWay: return r.node("from", f.node) && r.nodes("to", f.side);
    case FaultKind::Loss:
    case FaultKind::Duplication: {
      std::uint64_t ppm = 0;
      if (!r.number("ppm", ppm)) return false;
      if (ppm > 1'000'000) {
        why = "\"ppm\" must be at most 1000000";
        return false;
      }
      f.ppm = static_cast<std::uint32_t>(ppm);
      return true;
    }
    case FaultKind::Clog: {
      const auto it = j.find("links");
      if (it == j.end() || !it->is_array()) {
        why = "\"links\" must be a list of [from, to] pairs";
        return false;
      }
      for (const Json& link : *it) {
        std::vector<NodeId> pair;
        if (!r.node_list(link, pair) || pair.size() != 2) {
          why = "\"links\" must be a list of [from, to] pairs";
          return false;
        }
        f.links.emplace_back(pair[0], pair[1]);
      }
      return true;
    }
    case FaultKind::Crash:
    case FaultKind::CrashLeader: return r.node("node", f.node) && r.number("down_us", f.duration_us);
    case FaultKind::Pause: return r.node("node", f.node) && r.number("pause_us", f.duration_us);
    case FaultKind::DiskFault: {
      std::string op;
      std::string code;
      if (!r.node("node", f.node) || !r.text("op", op) || !r.text("code", code)) return false;
      if ((op != "sync" && op != "append") || (code != "io" && code != "no-space")) {
        why = "\"op\" must be sync or append, \"code\" io or no-space";
        return false;
      }
      f.disk_sync = op == "sync";
      f.disk_no_space = code == "no-space";
      return true;
    }
    case FaultKind::Transfer: return r.node("to", f.node);
    case FaultKind::Membership: {
      std::string change;
      if (!r.text("change", change) || !r.node("target", f.node)) return false;
      const auto it = std::find(std::begin(kChanges), std::end(kChanges), change);
      if (it == std::end(kChanges)) {
        why = "\"change\" must be add-voter, add-learner or remove";
        return false;
      }
      f.change = static_cast<MembershipChange>(it - std::begin(kChanges));
      return true;
    }
    case FaultKind::CrashPoint: {
      std::string point;
      std::string effect;
      if (!r.text("point", point) || !r.node("node", f.node) || !r.text("effect", effect) ||
          !r.number("outage_us", f.duration_us)) {
        return false;
      }
      const std::optional<CrashPoint> parsed_point = parse_point(point);
      if (!parsed_point || (effect != "crash" && effect != "pause")) {
        why = "unknown crash point \"" + point + "\" or effect \"" + effect + "\"";
        return false;
      }
      f.point = *parsed_point;
      f.pause = effect == "pause";
      return true;
    }
    default: why = "unknown fault kind"; return false;
  }
}

// Node ids within the cluster, so that a hand-edited file cannot make the engine index past it.
bool ids_within(const ScheduledFault& f, std::size_t n) {
  const auto ok = [n](NodeId id) { return id >= 1 && id <= n; };
  if (!std::all_of(f.side.begin(), f.side.end(), ok) || !std::all_of(f.other.begin(), f.other.end(), ok)) return false;
  for (const auto& [from, to] : f.links) {
    if (!ok(from) || !ok(to)) return false;
  }
  switch (f.kind) {
    case FaultKind::Heal:
    case FaultKind::Partition:
    case FaultKind::Loss:
    case FaultKind::Duplication:
    case FaultKind::Clog: return true;
    case FaultKind::CrashPoint: return f.node <= n && (f.node != kNoNode || f.point != CrashPoint::BeforeSync);
    default: return ok(f.node);
  }
}

bool read_header(const Json& j, Schedule& s, std::string& why) {
  Reader r{j, why};
  std::uint64_t version = 0;
  std::uint64_t nodes = 0;
  std::uint64_t clients = 0;
  std::uint64_t keys = 0;
  std::string faults;
  std::string storage;
  std::string mode;
  std::string bug;
  bool swarm = false;
  SimOptions& o = s.options;
  if (!r.number("version", version) || !r.number("seed", o.seed) || !r.number("nodes", nodes) ||
      !r.number("ticks", o.ticks) || !r.text("faults", faults) || !r.text("storage", storage) ||
      !r.text("storage_mode", mode) || !r.flag("swarm", swarm) || !r.number("clients", clients) ||
      !r.number("keys", keys) || !r.number("snapshot_every", o.snapshot_every) || !r.text("plant_bug", bug)) {
    return false;
  }
  if (version != kVersion) {
    why = "version " + std::to_string(version) + " (this raftio-sim reads version " + std::to_string(kVersion) + ")";
    return false;
  }
  if (nodes < 1 || nodes > 9 || o.ticks < 100 || clients > 64 || keys < 1 || keys > 1000 ||
      !parse_fault_profile(faults, o.faults) || (storage != "wal" && storage != "mem") ||
      !parse_storage_mode(mode, o.storage_mode) || !parse_planted_bug(bug, o.planted_bug)) {
    why = "a header value is out of range (nodes 1-9, ticks >= 100, clients <= 64, keys 1-1000, known names)";
    return false;
  }
  o.nodes = nodes;
  o.clients = clients;
  o.keys = keys;
  o.swarm = swarm;
  o.storage = storage == "mem" ? Storage::Memory : Storage::Wal;
  if (const auto it = j.find("property"); it != j.end() && it->is_string()) s.property = it->get<std::string>();
  return true;
}

}  // namespace

void write_schedule(std::ostream& out, const Schedule& s) {
  const SimOptions& o = s.options;
  OrderedJson header;
  header["type"] = "schedule";
  header["version"] = kVersion;
  header["seed"] = o.seed;
  header["nodes"] = o.nodes;
  header["ticks"] = o.ticks;
  header["faults"] = std::string(to_string(o.faults));
  header["storage"] = o.storage == Storage::Wal ? "wal" : "mem";
  header["storage_mode"] = std::string(to_string(o.storage_mode));
  header["swarm"] = o.swarm;
  header["clients"] = o.clients;
  header["keys"] = o.keys;
  header["snapshot_every"] = o.snapshot_every;
  header["plant_bug"] = std::string(to_string(o.planted_bug));
  if (!s.property.empty()) header["property"] = s.property;
  header["fault_count"] = s.faults.size();
  header["operation_count"] = s.operations();
  out << header.dump() << '\n';
  for (const ScheduledFault& fault : s.faults) out << fault_json(fault).dump() << '\n';
  for (std::size_t c = 0; c < s.client_ops.size(); ++c) {
    if (s.client_ops[c].empty()) continue;  // a client without a line invokes nothing
    OrderedJson ops;
    ops["type"] = "ops";
    ops["client"] = c + 1;
    ops["seqs"] = ranges_text(s.client_ops[c]);
    out << ops.dump() << '\n';
  }
}

ScheduleReadResult read_schedule(std::istream& in) {
  ScheduleReadResult result;
  Schedule& s = result.schedule;
  std::string line;
  std::size_t number = 0;
  bool header = false;
  auto fail = [&result, &number](const std::string& why) {
    result.error = "line " + std::to_string(number) + ": " + why;
    return result;
  };
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
    const auto type = j.find("type");
    if (type == j.end() || !type->is_string()) return fail("no \"type\"");
    const std::string kind = type->get<std::string>();
    std::string why;
    if (!header) {
      if (kind != "schedule") return fail("the first line must be the schedule header (\"type\":\"schedule\")");
      if (!read_header(j, s, why)) return fail(why);
      header = true;
    } else if (kind == "fault") {
      ScheduledFault fault;
      if (!read_fault(j, fault, why)) return fail(why);
      if (!ids_within(fault, s.options.nodes)) {
        return fail("a node id outside the cluster of " + std::to_string(s.options.nodes) + " (or before-sync on any node)");
      }
      if (!s.faults.empty() && fault.time_us < s.faults.back().time_us) return fail("faults must be in time order");
      s.faults.push_back(std::move(fault));
    } else if (kind == "ops") {
      Reader r{j, why};
      std::uint64_t client = 0;
      std::string seqs;
      if (!r.number("client", client) || !r.text("seqs", seqs)) return fail(why);
      if (client < 1 || client > 64) return fail("\"client\" must be 1 to 64");
      if (s.client_ops.size() < client) s.client_ops.resize(client);
      if (!s.client_ops[client - 1].empty() || !parse_ranges(seqs, s.client_ops[client - 1])) {
        return fail("\"seqs\" must be ascending session numbers and ranges, \"1-40,42\", once per client");
      }
    } else {
      return fail("unknown line type \"" + kind + "\"");
    }
  }
  if (!header) {
    number = 0;
    return fail("empty: no schedule header");
  }
  return result;
}

}  // namespace raftio::sim
