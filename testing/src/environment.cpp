#include "raftio/testing/environment.h"

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <utility>

namespace raftio::testing {

namespace {

std::string id_list(const std::vector<NodeId>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out;
}

// A RaftLog whose sync() does nothing: writes through it stay in the MemoryLog's journal of
// unsynced writes, as writes the OS accepted but the process died before flushing.
class UnsyncedWrites final : public RaftLog {
 public:
  explicit UnsyncedWrites(MemoryLog& log) : log_(log) {}
  HardState hard_state() const override { return log_.hard_state(); }
  SnapshotMeta snapshot_meta() const override { return log_.snapshot_meta(); }
  Index first_index() const override { return log_.first_index(); }
  Index last_index() const override { return log_.last_index(); }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override { return log_.read(lo, hi, out); }
  StorageStatus append(const EntryBatch& entries) override { return log_.append(entries); }
  StorageStatus truncate_suffix(Index from) override { return log_.truncate_suffix(from); }
  StorageStatus compact(const SnapshotMeta& meta) override { return log_.compact(meta); }
  StorageStatus set_hard_state(const HardState& state) override { return log_.set_hard_state(state); }
  StorageStatus sync() override { return {}; }
  StorageStatus save_snapshot(const Snapshot& snapshot) override { return log_.save_snapshot(snapshot); }
  Result<std::optional<Snapshot>, StorageError> load_snapshot() const override { return log_.load_snapshot(); }

 private:
  MemoryLog& log_;
};

std::string join_values(const std::vector<std::pair<Index, std::string>>& values, Index up_to) {
  std::string out;
  for (const auto& [index, value] : values) {
    if (index > up_to) break;
    out += (out.empty() ? "" : ",") + value;
  }
  return out;
}

}  // namespace

bool MessageFilter::matches(const Message& message) const {
  return (from == kNoNode || sender_of(message) == from) && (to == kNoNode || receiver_of(message) == to) &&
         (!kind || kind_of(message) == *kind);
}

struct Environment::Member {
  NodeId id = kNoNode;
  RaftConfig config;
  std::unique_ptr<RaftNode> node;  // null while crashed
  MemoryLog crashed_log;           // the log while crashed
  std::vector<std::pair<Index, std::string>> state_machine;
  std::deque<Persist> pending;  // async_storage: Persist actions not yet written
};

Environment::Environment() = default;
Environment::~Environment() = default;

Environment::Member& Environment::member(NodeId id) {
  if (id == kNoNode || id > members_.size()) throw std::out_of_range("no node " + std::to_string(id));
  return *members_[id - 1];
}

const Environment::Member& Environment::member(NodeId id) const {
  if (id == kNoNode || id > members_.size()) throw std::out_of_range("no node " + std::to_string(id));
  return *members_[id - 1];
}

std::vector<NodeId> Environment::add_nodes(std::size_t count, const NodeOptions& options) {
  std::vector<NodeId> added;
  for (std::size_t i = 0; i < count; ++i) added.push_back(members_.size() + i + 1);
  std::vector<NodeId> voters = options.voters;
  if (voters.empty() && options.learners.empty()) {
    for (NodeId id = 1; id <= members_.size() + count; ++id) voters.push_back(id);
  }
  for (NodeId id : added) {
    auto config = RaftConfig::builder(id)
                      .voters(voters)
                      .learners(options.learners)
                      .pre_vote(options.pre_vote)
                      .check_quorum(options.check_quorum)
                      .election_ticks(options.election_ticks)
                      .heartbeat_ticks(options.heartbeat_ticks)
                      .seed(options.seed)
                      .max_inflight_msgs(options.max_inflight_msgs)
                      .max_entries_per_msg(options.max_entries_per_msg)
                      .snapshot_chunk_bytes(options.snapshot_chunk_bytes)
                      .lease_reads(options.lease_reads)
                      .async_storage(options.async_storage)
                      .snapshot_threshold(0)
                      .build();
    if (!config) throw std::invalid_argument(config.error().describe());
    auto log = MemoryLog::from(options.log);
    if (!log) throw std::invalid_argument(log.error().context);
    auto m = std::make_unique<Member>();
    m->id = id;
    m->config = std::move(config).value();
    auto memory = std::make_unique<MemoryLog>(std::move(log).value());
    memory->track_durability();
    m->node = std::make_unique<RaftNode>(m->config, std::move(memory));
    members_.push_back(std::move(m));
  }
  print("added " + id_list(added) + (voters.empty() ? "" : " voters=[" + id_list(voters) + "]") +
        (options.learners.empty() ? "" : " learners=[" + id_list(options.learners) + "]"));
  return added;
}

std::vector<NodeId> Environment::ids() const {
  std::vector<NodeId> out;
  for (const auto& m : members_) out.push_back(m->id);
  return out;
}

RaftNode* Environment::node(NodeId id) { return member(id).node.get(); }

const MemoryLog& Environment::log(NodeId id) const {
  const Member& m = member(id);
  if (!m.node) return m.crashed_log;
  return static_cast<const MemoryLog&>(m.node->log());  // the environment made it a MemoryLog
}

const std::vector<std::pair<Index, std::string>>& Environment::state_machine(NodeId id) const {
  return member(id).state_machine;
}

void Environment::print(std::string line) {
  output_ += line;
  output_ += '\n';
}

std::string Environment::take_output() { return std::exchange(output_, std::string()); }

void Environment::step(NodeId id, Event event, std::string header) {
  Member& m = member(id);
  if (!m.node) {
    print(header + " (" + std::to_string(id) + " is down)");
    return;
  }
  const Role role = m.node->role();
  const Term term = m.node->term();
  const bool quiet_tick = std::holds_alternative<Tick>(event);
  const std::vector<Action> actions = m.node->step(std::move(event));
  const bool changed = role != m.node->role() || term != m.node->term();
  if (quiet_tick && actions.empty() && !changed) return;
  print(header);
  for (const Action& action : actions) {
    std::string line = "  " + format_action(action);
    if (const auto* send = std::get_if<Send>(&action)) {
      const NodeId to = receiver_of(send->message);
      if (!network_.link_up(id, to)) line += " (lost: link cut)";
      network_.send(to, send->message);
    } else if (const auto* apply = std::get_if<Apply>(&action)) {
      if (apply->entry.kind == EntryKind::Normal) {
        const auto* bytes = reinterpret_cast<const char*>(apply->entry.data.data());
        m.state_machine.emplace_back(apply->entry.index, std::string(bytes == nullptr ? "" : bytes, apply->entry.data.size()));
      }
    } else if (const auto* restore = std::get_if<RestoreSnapshot>(&action)) {
      m.state_machine.clear();
      const auto* bytes = reinterpret_cast<const char*>(restore->snapshot.data.data());
      const std::string data(bytes == nullptr ? "" : bytes, restore->snapshot.data.size());
      std::size_t start = 0;
      while (start < data.size()) {
        const std::size_t comma = std::min(data.find(',', start), data.size());
        m.state_machine.emplace_back(restore->snapshot.last_index, data.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (const auto* persist = std::get_if<Persist>(&action)) {
      m.pending.push_back(*persist);
    }
    print(std::move(line));
  }
  if (changed) {
    print("  " + std::to_string(id) + " is " + std::string(to_string(m.node->role())) + " at t" +
          std::to_string(m.node->term()));
  }
}

void Environment::tick_once(NodeId id, std::size_t round, std::size_t rounds) {
  step(id, Tick{}, std::to_string(id) + ": tick" + (rounds > 1 ? " " + std::to_string(round) + "/" + std::to_string(rounds) : ""));
}

void Environment::tick(const std::vector<NodeId>& ids, std::size_t times) {
  for (std::size_t round = 1; round <= times; ++round) {
    for (NodeId id : ids) tick_once(id, round, times);
  }
}

void Environment::campaign(NodeId id) {
  Member& m = member(id);
  if (!m.node) return print(std::to_string(id) + " is down");
  if (m.node->is_leader()) return print(std::to_string(id) + " is already leader");
  // An election timeout is below 2 * election_ticks; a node that did not campaign by then never
  // will (a learner, or a node outside the configuration).
  const std::size_t limit = 2 * std::size_t{m.config.election_ticks} + 1;
  for (std::size_t i = 1; i <= limit; ++i) {
    const Role role = m.node->role();
    const Term term = m.node->term();
    step(id, Tick{}, std::to_string(id) + ": tick " + std::to_string(i));
    if (m.node->role() != role || m.node->term() != term) return;
  }
  print(std::to_string(id) + " did not campaign within " + std::to_string(limit) + " ticks");
}

std::uint64_t Environment::propose(NodeId id, std::string_view data) {
  const std::uint64_t request = next_request_id_++;
  step(id, Propose{Payload::copy_of(data), request},
       std::to_string(id) + ": propose id=" + std::to_string(request) + " \"" + std::string(data) + "\"");
  return request;
}

std::uint64_t Environment::read(NodeId id) {
  const std::uint64_t request = next_request_id_++;
  const Event event = ReadIndex{request};
  step(id, event, std::to_string(id) + ": " + describe(event));
  return request;
}

std::uint64_t Environment::transfer(NodeId id, NodeId to) {
  const std::uint64_t request = next_request_id_++;
  const Event event = TransferLeadership{to, request};
  step(id, event, std::to_string(id) + ": " + describe(event));
  return request;
}

std::uint64_t Environment::change_membership(NodeId id, MembershipChange change, NodeId node) {
  const std::uint64_t request = next_request_id_++;
  const Event event = ChangeMembership{change, node, request};
  step(id, event, std::to_string(id) + ": " + describe(event));
  return request;
}

std::uint64_t Environment::snapshot(NodeId id, std::optional<Index> index) {
  const std::uint64_t request = next_request_id_++;
  Member& m = member(id);
  const Index at = index.value_or(m.node ? m.node->applied_index() : 0);
  const std::string data = join_values(m.state_machine, at);
  step(id, SnapshotTaken{at, Payload::copy_of(data), request},
       std::to_string(id) + ": snapshot-taken index=" + std::to_string(at) + " id=" + std::to_string(request) +
           " data=\"" + data + "\"");
  return request;
}

std::vector<std::size_t> Environment::matching(const MessageFilter& filter) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < network_.pending() && out.size() < filter.limit; ++i) {
    if (filter.matches(network_.peek(i).message)) out.push_back(i);
  }
  return out;
}

void Environment::deliver_one(const Envelope& envelope) {
  const Member* target = envelope.to <= members_.size() && envelope.to != kNoNode ? members_[envelope.to - 1].get() : nullptr;
  if (target == nullptr || !target->node) {
    print(format_message(envelope.message) + " (lost: " + std::to_string(envelope.to) + " is down)");
    return;
  }
  step(envelope.to, Receive{envelope.message}, format_message(envelope.message));
}

std::size_t Environment::deliver(const MessageFilter& filter) {
  const auto chosen = matching(filter);
  // Take them out first (highest position first, so positions stay valid), then deliver in order:
  // what their delivery sends queues behind everything.
  std::vector<std::pair<Envelope, bool>> batch(chosen.size());
  for (std::size_t k = chosen.size(); k-- > 0;) {
    Envelope envelope = network_.peek(chosen[k]);
    const bool arrived = network_.take(chosen[k]).has_value();  // a cut link loses it in transit
    batch[k] = {std::move(envelope), arrived};
  }
  for (const auto& [envelope, arrived] : batch) {
    if (arrived) {
      deliver_one(envelope);
    } else {
      print(format_message(envelope.message) + " (lost: link cut)");
    }
  }
  if (chosen.empty()) print("no messages");
  return chosen.size();
}

std::size_t Environment::drop(const MessageFilter& filter) {
  const auto chosen = matching(filter);
  std::vector<std::string> lines;
  for (std::size_t k = chosen.size(); k-- > 0;) {
    lines.push_back("dropped " + format_message(network_.peek(chosen[k]).message));
    network_.drop(chosen[k]);
  }
  std::reverse(lines.begin(), lines.end());
  for (auto& line : lines) print(std::move(line));
  if (chosen.empty()) print("no messages");
  return chosen.size();
}

std::size_t Environment::duplicate(const MessageFilter& filter) {
  const auto chosen = matching(filter);
  for (std::size_t i : chosen) {
    print("duplicated " + format_message(network_.peek(i).message));
    network_.duplicate(i);
  }
  if (chosen.empty()) print("no messages");
  return chosen.size();
}

std::size_t Environment::reorder(const MessageFilter& filter) {
  const auto chosen = matching(filter);
  for (std::size_t a = 0, b = chosen.size(); a + 1 < b; ++a, --b) network_.swap(chosen[a], chosen[b - 1]);
  print_messages({});
  return chosen.size();
}

void Environment::stabilize(std::size_t rounds) {
  for (std::size_t round = 0; round < rounds && !network_.empty(); ++round) deliver({});
  if (!network_.empty()) print("still " + std::to_string(network_.pending()) + " messages after " + std::to_string(rounds) + " rounds");
}

void Environment::partition(const std::vector<std::vector<NodeId>>& groups) {
  std::vector<std::size_t> group_of(members_.size() + 1, groups.size());  // unlisted: one more group
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (NodeId id : groups[g]) {
      if (id != kNoNode && id <= members_.size()) group_of[id] = g;
    }
  }
  std::string text;
  for (std::size_t g = 0; g <= groups.size(); ++g) {
    std::vector<NodeId> members;
    for (NodeId id = 1; id <= members_.size(); ++id) {
      if (group_of[id] == g) members.push_back(id);
    }
    if (!members.empty()) text += (text.empty() ? "" : " | ") + id_list(members);
    for (NodeId a = 1; a <= members_.size(); ++a) {
      for (NodeId b = 1; b <= members_.size(); ++b) {
        if (group_of[a] != group_of[b]) network_.cut(a, b);
      }
    }
  }
  print("partitioned " + text);
}

void Environment::cut(NodeId from, NodeId to) {
  network_.cut(from, to);
  print("cut " + std::to_string(from) + "->" + std::to_string(to));
}

void Environment::heal() {
  network_.heal();
  print("healed");
}

void Environment::crash(NodeId id, CrashOptions options) {
  Member& m = member(id);
  if (!m.node) return print(std::to_string(id) + " is down");
  MemoryLog log = static_cast<const MemoryLog&>(m.node->log());
  // async_storage: the pending Persists the crash options cover had reached the OS, unsynced;
  // the rest never left the process.
  UnsyncedWrites os(log);
  std::size_t written = 0;
  const std::size_t reached = std::min(m.pending.size(), options.written);
  for (std::size_t i = 0; i < reached; ++i) {
    if (write_persist(os, m.pending[i])) ++written;
  }
  const std::size_t unsynced = log.unsynced_writes();
  log.crash(options.log);
  m.node.reset();
  m.crashed_log = std::move(log);
  m.state_machine.clear();
  m.pending.clear();
  print(std::to_string(id) + " crashed (" + std::to_string(unsynced) + " unsynced writes" +
        (written > 0 ? " from " + std::to_string(written) + " unreported Persists" : "") + ", kept " +
        std::to_string(std::min(options.log.keep, unsynced)) + (options.log.tear_next ? ", next one torn" : "") +
        "); log now ends at " + std::to_string(m.crashed_log.last_index()));
}

void Environment::restart(NodeId id) {
  Member& m = member(id);
  if (m.node) return print(std::to_string(id) + " is running");
  auto log = std::make_unique<MemoryLog>(std::move(m.crashed_log));
  m.crashed_log = MemoryLog();
  ++m.config.incarnation;  // every start differs (RaftConfig::incarnation): forwarded reads stay fresh
  m.node = std::make_unique<RaftNode>(m.config, std::move(log));
  const HardState hs = m.node->log().hard_state();
  print(std::to_string(id) + " restarted: t" + std::to_string(m.node->term()) + " vote=" + std::to_string(hs.vote) +
        " commit=" + std::to_string(m.node->commit_index()) + " last=" + std::to_string(m.node->last_index()));
}

std::size_t Environment::persist(NodeId id, std::size_t count) {
  Member& m = member(id);
  std::size_t done = 0;
  while (done < count && m.node && !m.pending.empty()) {
    Persist persist = std::move(m.pending.front());
    m.pending.pop_front();
    const auto status = write_persist(m.node->log(), persist);
    const std::string what = "persist index=" + std::to_string(persist.index) + " t" + std::to_string(persist.term);
    if (status) {
      step(id, Persisted{persist.index, persist.term}, std::to_string(id) + ": wrote " + what);
    } else {
      step(id, PersistFailed{status.error()}, std::to_string(id) + ": failed to write " + what);
    }
    ++done;
  }
  if (done == 0) print(std::to_string(id) + ": nothing to write");
  return done;
}

void Environment::print_status(const std::vector<NodeId>& ids) {
  for (NodeId id : ids) {
    const Member& m = member(id);
    if (!m.node) {
      const MemoryLog& l = m.crashed_log;
      print(std::to_string(id) + ": down (log: t" + std::to_string(l.hard_state().term) + " vote=" +
            std::to_string(l.hard_state().vote) + " last=" + std::to_string(l.last_index()) + ")");
      continue;
    }
    const RaftNode& n = *m.node;
    const Membership& members = n.membership();
    print(std::to_string(id) + ": " + std::string(to_string(n.role())) + " t" + std::to_string(n.term()) +
          " vote=" + std::to_string(n.voted_for()) + " leader=" + std::to_string(n.leader()) +
          " commit=" + std::to_string(n.commit_index()) + " applied=" + std::to_string(n.applied_index()) +
          " last=" + std::to_string(n.last_index()) + " voters=[" + id_list(members.voters) + "] learners=[" +
          id_list(members.learners) + "]" + (m.pending.empty() ? "" : " unwritten=" + std::to_string(m.pending.size())));
    for (const FollowerProgress& p : n.progress()) {
      std::string line = "  " + std::to_string(p.id) + ": " + std::string(to_string(p.state)) +
                         " match=" + std::to_string(p.match) + " next=" + std::to_string(p.next) +
                         " inflight=" + std::to_string(p.inflight) + (p.recent_active ? " active" : " inactive");
      if (p.state == FollowerProgress::State::Snapshot) {
        line += " snapshot=" + std::to_string(p.snapshot_index) + " offset=" + std::to_string(p.snapshot_offset);
      }
      if (!p.voter) line += " learner";
      print(std::move(line));
    }
  }
}

void Environment::print_log(const std::vector<NodeId>& ids) {
  for (NodeId id : ids) {
    const MemoryLog& l = log(id);
    std::string line = std::to_string(id) + ":";
    const SnapshotMeta snap = l.snapshot_meta();
    if (snap.last_index != 0) line += " snapshot=" + std::to_string(snap.last_index) + "@t" + std::to_string(snap.last_term) + " |";
    std::vector<LogEntry> entries;
    if (l.last_index() >= l.first_index() && l.read(l.first_index(), l.last_index(), entries)) {
      for (const LogEntry& entry : entries) line += " " + format_entry(entry);
    }
    if (entries.empty() && snap.last_index == 0) line += " (empty)";
    print(std::move(line));
  }
}

void Environment::print_messages(const MessageFilter& filter) {
  const auto chosen = matching(filter);
  for (std::size_t i : chosen) {
    const Envelope& e = network_.peek(i);
    print(format_message(e.message) + (network_.link_up(e.from, e.to) ? "" : " (link cut)"));
  }
  if (chosen.empty()) print("no messages");
}

}  // namespace raftio::testing
