// The text commands of Environment::execute (the list is in docs/TESTING.md). A command is a name,
// positional arguments and key=value options, separated by spaces.
#include <charconv>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "raftio/testing/environment.h"

namespace raftio::testing {

namespace {

struct Command {
  std::string name;
  std::vector<std::string> args;
  std::map<std::string, std::string> options;
  std::map<std::string, bool> used;  // options a handler read (the others are typos)
};

Command parse(std::string_view line) {
  Command command;
  std::size_t i = 0;
  bool first = true;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    std::size_t end = line.find(' ', i);
    if (end == std::string_view::npos) end = line.size();
    const std::string token(line.substr(i, end - i));
    i = end;
    if (first) {
      command.name = token;
      first = false;
    } else if (const std::size_t eq = token.find('='); eq != std::string::npos && eq > 0) {
      command.options[token.substr(0, eq)] = token.substr(eq + 1);
    } else {
      command.args.push_back(token);
    }
  }
  return command;
}

std::uint64_t number(const std::string& text, const std::string& what) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument(what + ": '" + text + "' is not a number");
  }
  return value;
}

bool boolean(const std::string& text, const std::string& what) {
  if (text == "true" || text == "on") return true;
  if (text == "false" || text == "off") return false;
  throw std::invalid_argument(what + ": '" + text + "' is not true or false");
}

std::vector<std::uint64_t> numbers(const std::string& text, const std::string& what) {
  std::vector<std::uint64_t> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    out.push_back(number(text.substr(start, comma - start), what));
    start = comma + 1;
  }
  return out;
}

// Reads an option once (so that unread options can be reported).
const std::string* option(Command& command, const std::string& key) {
  auto it = command.options.find(key);
  if (it == command.options.end()) return nullptr;
  command.used[key] = true;
  return &it->second;
}

std::string arg(const Command& command, std::size_t i, const std::string& what) {
  if (i >= command.args.size()) throw std::invalid_argument(command.name + ": missing " + what);
  return command.args[i];
}

std::optional<MessageKind> kind_named(const std::string& name) {
  for (std::uint8_t k = 0; k <= static_cast<std::uint8_t>(MessageKind::ReadIndexReply); ++k) {
    if (to_string(static_cast<MessageKind>(k)) == name) return static_cast<MessageKind>(k);
  }
  throw std::invalid_argument("unknown message kind '" + name + "'");
}

MessageFilter filter_of(Command& command) {
  MessageFilter filter;
  if (const auto* v = option(command, "from")) filter.from = number(*v, "from");
  if (const auto* v = option(command, "to")) filter.to = number(*v, "to");
  if (const auto* v = option(command, "kind")) filter.kind = kind_named(*v);
  if (const auto* v = option(command, "count")) filter.limit = number(*v, "count");
  return filter;
}

// "all" or a comma-separated list; `fallback` when absent.
std::vector<NodeId> node_list(const Command& command, std::size_t i, const std::vector<NodeId>& all) {
  if (i >= command.args.size() || command.args[i] == "all") return all;
  return numbers(command.args[i], "nodes");
}

NodeOptions node_options(Command& command) {
  NodeOptions o;
  if (const auto* v = option(command, "voters")) o.voters = numbers(*v, "voters");
  if (const auto* v = option(command, "learners")) o.learners = numbers(*v, "learners");
  if (const auto* v = option(command, "pre-vote")) o.pre_vote = boolean(*v, "pre-vote");
  if (const auto* v = option(command, "check-quorum")) o.check_quorum = boolean(*v, "check-quorum");
  if (const auto* v = option(command, "election")) o.election_ticks = static_cast<std::uint32_t>(number(*v, "election"));
  if (const auto* v = option(command, "heartbeat")) o.heartbeat_ticks = static_cast<std::uint32_t>(number(*v, "heartbeat"));
  if (const auto* v = option(command, "seed")) o.seed = number(*v, "seed");
  if (const auto* v = option(command, "inflight")) o.max_inflight_msgs = static_cast<std::uint32_t>(number(*v, "inflight"));
  if (const auto* v = option(command, "max-entries")) o.max_entries_per_msg = static_cast<std::uint32_t>(number(*v, "max-entries"));
  if (const auto* v = option(command, "chunk")) o.snapshot_chunk_bytes = static_cast<std::uint32_t>(number(*v, "chunk"));
  if (const auto* v = option(command, "lease-reads")) o.lease_reads = boolean(*v, "lease-reads");
  if (const auto* v = option(command, "async")) o.async_storage = boolean(*v, "async");
  // The starting log: log=1,1,2 (one entry per term, from index 1, empty data), hard state
  // term=, vote=, commit=.
  if (const auto* v = option(command, "log")) {
    Index index = 1;
    for (Term term : numbers(*v, "log")) o.log.entries.push_back(LogEntry{term, index++, EntryKind::Normal, {}});
  }
  if (const auto* v = option(command, "term")) o.log.hard_state.term = number(*v, "term");
  if (const auto* v = option(command, "vote")) o.log.hard_state.vote = number(*v, "vote");
  if (const auto* v = option(command, "commit")) o.log.hard_state.commit = number(*v, "commit");
  if (o.log.hard_state.term == 0 && !o.log.entries.empty()) o.log.hard_state.term = o.log.entries.back().term;
  return o;
}

}  // namespace

std::string Environment::execute(std::string_view line) {
  Command c = parse(line);
  try {
    const std::vector<NodeId> all = ids();
    auto node_arg = [&](std::size_t i) { return static_cast<NodeId>(number(arg(c, i, "node"), "node")); };
    if (c.name == "add-nodes") {
      const NodeOptions options = node_options(c);
      add_nodes(number(arg(c, 0, "count"), "count"), options);
    } else if (c.name == "tick") {
      const std::size_t times = c.args.size() > 1 ? number(c.args[1], "times") : 1;
      tick(node_list(c, 0, all), times);
    } else if (c.name == "campaign") {
      campaign(node_arg(0));
    } else if (c.name == "propose") {
      propose(node_arg(0), arg(c, 1, "data"));
    } else if (c.name == "read") {
      read(node_arg(0));
    } else if (c.name == "transfer") {
      transfer(node_arg(0), number(arg(c, 1, "target"), "target"));
    } else if (c.name == "add-voter" || c.name == "add-learner" || c.name == "remove") {
      const MembershipChange change = c.name == "add-voter"     ? MembershipChange::AddVoter
                                      : c.name == "add-learner" ? MembershipChange::AddLearner
                                                                : MembershipChange::Remove;
      change_membership(node_arg(0), change, number(arg(c, 1, "member"), "member"));
    } else if (c.name == "snapshot") {
      std::optional<Index> index;
      if (c.args.size() > 1) index = number(c.args[1], "index");
      snapshot(node_arg(0), index);
    } else if (c.name == "deliver") {
      deliver(filter_of(c));
    } else if (c.name == "drop") {
      drop(filter_of(c));
    } else if (c.name == "duplicate") {
      duplicate(filter_of(c));
    } else if (c.name == "reorder") {
      reorder(filter_of(c));
    } else if (c.name == "msgs") {
      print_messages(filter_of(c));
    } else if (c.name == "stabilize") {
      stabilize();
    } else if (c.name == "partition") {
      std::vector<std::vector<NodeId>> groups;
      for (const std::string& group : c.args) groups.push_back(numbers(group, "group"));
      partition(groups);
    } else if (c.name == "cut") {
      cut(node_arg(0), node_arg(1));
    } else if (c.name == "heal") {
      heal();
    } else if (c.name == "persist") {
      persist(node_arg(0), c.args.size() > 1 ? number(c.args[1], "count") : std::numeric_limits<std::size_t>::max());
    } else if (c.name == "crash") {
      CrashOptions options;
      if (const auto* v = option(c, "written")) options.written = number(*v, "written");
      if (const auto* v = option(c, "keep")) options.log.keep = number(*v, "keep");
      for (std::size_t i = 1; i < c.args.size(); ++i) {
        if (c.args[i] != "tear") throw std::invalid_argument("crash: unknown argument '" + c.args[i] + "'");
        options.log.tear_next = true;
      }
      crash(node_arg(0), options);
    } else if (c.name == "restart") {
      restart(node_arg(0));
    } else if (c.name == "status") {
      print_status(node_list(c, 0, all));
    } else if (c.name == "log") {
      print_log(node_list(c, 0, all));
    } else {
      throw std::invalid_argument("unknown command '" + c.name + "'");
    }
    for (const auto& [key, value] : c.options) {
      if (!c.used[key]) print("error: " + c.name + ": unknown option '" + key + "'");
    }
  } catch (const std::exception& e) {
    print(std::string("error: ") + e.what());
  }
  std::string out = take_output();
  return out.empty() ? "ok\n" : out;
}

}  // namespace raftio::testing
