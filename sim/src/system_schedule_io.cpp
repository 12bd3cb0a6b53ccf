#include "raftio/sim/system_schedule_io.h"

#include <charconv>
#include <limits>
#include <map>
#include <sstream>

namespace raftio::sim {
namespace {

constexpr std::string_view kHeader = "raftio-sim system schedule 1";

bool parse_u64(std::string_view text, std::uint64_t& value) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char by) {
  std::vector<std::string_view> parts;
  while (!s.empty()) {
    const std::size_t at = s.find(by);
    const std::string_view part = s.substr(0, at);
    if (!part.empty()) parts.push_back(part);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return parts;
}

// "key=value key=value" into a map; false on a word without '='.
bool parse_fields(std::string_view rest, std::map<std::string, std::string, std::less<>>& fields) {
  for (std::string_view word : split(rest, ' ')) {
    const std::size_t eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    fields.emplace(std::string(word.substr(0, eq)), std::string(word.substr(eq + 1)));
  }
  return true;
}

}  // namespace

bool is_system_schedule(std::string_view text) noexcept { return text.substr(0, kHeader.size()) == kHeader; }

std::string format_system_schedule(const SystemScheduleFile& file) {
  std::ostringstream out;
  const SystemOptions& o = file.options;
  out << kHeader << "\nmodel " << file.model << "\nplant-bug " << (file.planted_bug.empty() ? "none" : file.planted_bug)
      << "\nseed " << o.seed << "\nnodes " << o.nodes << "\nticks " << o.ticks << "\nclients " << o.clients
      << "\nsnapshot-threshold " << o.snapshot_threshold << "\nfaults crashes=" << o.crashes << " pauses=" << o.pauses
      << " partitions=" << o.partitions << " message-faults=" << o.message_faults
      << " oversized-proposals=" << o.oversized_proposals << " transfers=" << o.transfers
      << " crash-points=" << o.crash_points << " membership=" << o.membership << "\nresends " << o.resends
      << "\nstorage "
      << (o.storage == SystemStorage::Sync ? "sync" : o.storage == SystemStorage::Async ? "async" : "mixed") << "\n";
  if (!file.check.empty()) out << "check " << file.check << "\n";
  for (const SystemFault& f : file.schedule.faults) {
    out << to_string(f.kind) << " at=" << f.time;
    switch (f.kind) {
      case SystemFault::Kind::Crash:
        out << " node=" << f.node << " down=" << f.duration << " keep=" << f.disk_keep << " tear=" << f.disk_tear;
        break;
      case SystemFault::Kind::Pause: out << " node=" << f.node << " for=" << f.duration; break;
      case SystemFault::Kind::Partition: {
        out << " minority=";
        for (std::size_t i = 0; i < f.minority.size(); ++i) out << (i ? "," : "") << f.minority[i];
        out << " for=" << f.duration;
        break;
      }
      case SystemFault::Kind::Oversized: out << " node=" << f.node << " bytes=" << f.bytes; break;
      case SystemFault::Kind::Transfer:
      case SystemFault::Kind::Remove:
      case SystemFault::Kind::Add: out << " node=" << f.node; break;
      case SystemFault::Kind::CrashPoint:
        out << " point=" << to_string(f.point) << " down=" << f.duration << " keep=" << f.disk_keep
            << " tear=" << f.disk_tear;
        break;
    }
    out << "\n";
  }
  for (std::size_t c = 0; c < file.schedule.client_ops.size(); ++c) {
    out << "client " << c + 1 << ":";
    for (std::uint64_t n : file.schedule.client_ops[c]) out << " " << n;
    out << "\n";
  }
  return out.str();
}

bool parse_system_schedule(std::string_view text, SystemScheduleFile& file, std::string& error) {
  file = SystemScheduleFile{};
  file.planted_bug = "none";
  std::size_t line_number = 0;
  bool header = false;
  auto fail = [&](const std::string& why) {
    error = "line " + std::to_string(line_number) + ": " + why;
    return false;
  };
  for (std::string_view rest = text; !rest.empty();) {
    const std::size_t eol = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, eol));
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    if (!header) {
      if (line != kHeader) return fail("not a system schedule (it starts with '" + std::string(kHeader) + "')");
      header = true;
      continue;
    }
    const std::size_t space = line.find(' ');
    const std::string_view word = line.substr(0, space);
    const std::string_view value = space == std::string_view::npos ? std::string_view() : trim(line.substr(space + 1));
    std::uint64_t number = 0;
    auto number_of = [&](std::uint64_t low, std::uint64_t high, std::uint64_t& into) {
      return parse_u64(value, number) && number >= low && number <= high ? (into = number, true) : false;
    };
    SystemOptions& o = file.options;
    std::uint64_t nodes = 0, clients = 0;
    if (word == "model") {
      file.model = std::string(value);
    } else if (word == "plant-bug") {
      file.planted_bug = std::string(value);
    } else if (word == "seed") {
      if (!number_of(0, std::numeric_limits<std::uint64_t>::max(), o.seed)) return fail("bad seed");
    } else if (word == "nodes") {
      if (!number_of(1, 9, nodes)) return fail("nodes must be 1..9");
      o.nodes = nodes;
    } else if (word == "ticks") {
      if (!number_of(1, 100'000'000, o.ticks)) return fail("ticks must be 1..100000000");
    } else if (word == "clients") {
      if (!number_of(0, 64, clients)) return fail("clients must be 0..64");
      o.clients = clients;
    } else if (word == "snapshot-threshold") {
      if (!number_of(0, std::numeric_limits<std::uint64_t>::max(), o.snapshot_threshold)) return fail("bad snapshot-threshold");
    } else if (word == "faults") {
      std::map<std::string, std::string, std::less<>> fields;
      if (!parse_fields(value, fields)) return fail("faults wants key=0|1 words");
      for (const auto& [key, v] : fields) {
        if (v != "0" && v != "1") return fail("fault switch " + key + " must be 0 or 1");
        const bool on = v == "1";
        if (key == "crashes") o.crashes = on;
        else if (key == "pauses") o.pauses = on;
        else if (key == "partitions") o.partitions = on;
        else if (key == "message-faults") o.message_faults = on;
        else if (key == "oversized-proposals") o.oversized_proposals = on;
        else if (key == "transfers") o.transfers = on;
        else if (key == "crash-points") o.crash_points = on;
        else if (key == "membership") o.membership = on;
        else return fail("unknown fault switch " + key);
      }
    } else if (word == "resends") {
      std::uint64_t resends = 0;
      if (!number_of(0, 100, resends)) return fail("resends must be 0..100");
      o.resends = static_cast<std::uint32_t>(resends);
    } else if (word == "storage") {
      if (value == "sync") o.storage = SystemStorage::Sync;
      else if (value == "async") o.storage = SystemStorage::Async;
      else if (value == "mixed") o.storage = SystemStorage::Mixed;
      else return fail("storage must be sync, async or mixed");
    } else if (word == "check") {
      file.check = std::string(value);
    } else if (word == "client") {
      // "client C: n n n"
      const std::size_t colon = value.find(':');
      std::uint64_t client = 0;
      if (colon == std::string_view::npos || !parse_u64(trim(value.substr(0, colon)), client) || client < 1 ||
          client > 64) {
        return fail("client wants 'client C: numbers' with C in 1..64");
      }
      auto& lists = file.schedule.client_ops;
      if (lists.size() < client) lists.resize(client);
      for (std::string_view n : split(value.substr(colon + 1), ' ')) {
        std::uint64_t op = 0;
        if (!parse_u64(n, op) || op == 0 || (!lists[client - 1].empty() && op <= lists[client - 1].back())) {
          return fail("a client's operation numbers are positive and ascending");
        }
        lists[client - 1].push_back(op);
      }
    } else if (word == "crash" || word == "pause" || word == "partition" || word == "oversized" || word == "transfer" ||
               word == "crash-point" || word == "remove" || word == "add") {
      std::map<std::string, std::string, std::less<>> fields;
      if (!parse_fields(value, fields)) return fail("a fault wants key=value words");
      SystemFault f;
      f.kind = word == "crash"       ? SystemFault::Kind::Crash
               : word == "pause"     ? SystemFault::Kind::Pause
               : word == "partition" ? SystemFault::Kind::Partition
               : word == "transfer"  ? SystemFault::Kind::Transfer
               : word == "remove"    ? SystemFault::Kind::Remove
               : word == "add"       ? SystemFault::Kind::Add
               : word == "oversized" ? SystemFault::Kind::Oversized
                                     : SystemFault::Kind::CrashPoint;
      auto field = [&](std::string_view key, std::uint64_t& into) {
        const auto it = fields.find(key);
        return it != fields.end() && parse_u64(it->second, into);
      };
      std::uint64_t node = 0, tear = 0;
      if (!field("at", f.time)) return fail(std::string(word) + " wants at=TIME");
      switch (f.kind) {
        case SystemFault::Kind::Crash:
          if (!field("node", node) || !field("down", f.duration) || !field("keep", f.disk_keep) || !field("tear", tear) ||
              tear > 1) {
            return fail("crash wants node= down= keep= tear=0|1");
          }
          f.disk_tear = tear == 1;
          break;
        case SystemFault::Kind::Pause:
          if (!field("node", node) || !field("for", f.duration)) return fail("pause wants node= for=");
          break;
        case SystemFault::Kind::Partition: {
          const auto it = fields.find("minority");
          if (it == fields.end() || !field("for", f.duration)) return fail("partition wants minority=A,B for=");
          for (std::string_view n : split(it->second, ',')) {
            std::uint64_t member = 0;
            if (!parse_u64(n, member) || member < 1 || member > 9) return fail("a partition's nodes are 1..9");
            f.minority.push_back(static_cast<NodeId>(member));
          }
          break;
        }
        case SystemFault::Kind::Transfer:
        case SystemFault::Kind::Remove:
        case SystemFault::Kind::Add:
          if (!field("node", node)) return fail(std::string(word) + " wants node=");
          break;
        case SystemFault::Kind::CrashPoint: {
          const auto it = fields.find("point");
          if (it == fields.end()) return fail("crash-point wants point=");
          bool known = false;
          for (auto p : {SystemFault::Point::AfterVote, SystemFault::Point::AfterAppendAck, SystemFault::Point::AfterPersist}) {
            if (it->second == to_string(p)) {
              f.point = p;
              known = true;
            }
          }
          if (!known) return fail("crash-point's point is after-vote, after-append-ack or after-persist");
          if (!field("down", f.duration) || !field("keep", f.disk_keep) || !field("tear", tear) || tear > 1) {
            return fail("crash-point wants down= keep= tear=0|1");
          }
          f.disk_tear = tear == 1;
          break;
        }
        case SystemFault::Kind::Oversized:
          // At most twice the frame bound: what the check needs, and no more memory than that.
          if (!field("node", node) || !field("bytes", f.bytes) || f.bytes == 0 || f.bytes > (std::uint64_t{8} << 20)) {
            return fail("oversized wants node= bytes=1..8388608");
          }
          break;
      }
      if (f.kind != SystemFault::Kind::Partition && f.kind != SystemFault::Kind::CrashPoint && (node < 1 || node > 9)) {
        return fail("a fault's node is 1..9");
      }
      f.node = static_cast<NodeId>(node);
      file.schedule.faults.push_back(std::move(f));
    } else {
      return fail("unknown line '" + std::string(word) + "'");
    }
  }
  if (!header) return fail("empty: not a system schedule");
  if (file.model.empty()) return fail("no model line");
  if (file.schedule.client_ops.size() < file.options.clients) file.schedule.client_ops.resize(file.options.clients);
  if (file.schedule.client_ops.size() > file.options.clients) return fail("a client line names a client past 'clients'");
  return true;
}

}  // namespace raftio::sim
