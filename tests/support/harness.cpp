#include "support/harness.h"

#include <stdexcept>

namespace raftio::test {

std::vector<Message> all_sent(const std::vector<Action>& actions) {
  std::vector<Message> out;
  for (const Action& action : actions) {
    if (const auto* send = std::get_if<Send>(&action)) out.push_back(send->message);
  }
  return out;
}

std::vector<LogEntry> applied(const std::vector<Action>& actions) {
  std::vector<LogEntry> out;
  for (const auto& apply : actions_of<Apply>(actions)) out.push_back(apply.entry);
  return out;
}

std::string describe_all(const std::vector<Action>& actions) {
  std::string out;
  for (const Action& action : actions) out += describe(action) + "\n";
  return out;
}

std::vector<LogEntry> make_entries(Index first, const std::vector<Term>& terms) {
  std::vector<LogEntry> out;
  Index index = first;
  for (Term term : terms) {
    out.push_back(LogEntry{term, index, EntryKind::Normal, Payload::copy_of("e" + std::to_string(index))});
    ++index;
  }
  return out;
}

std::unique_ptr<MemoryLog> log_with(const std::vector<Term>& terms, HardState hard_state) {
  auto log = std::make_unique<MemoryLog>();
  const auto entries = make_entries(1, terms);
  if (!log->append(entries) || !log->set_hard_state(hard_state) || !log->sync()) {
    throw std::logic_error("log_with: MemoryLog refused the test log");
  }
  return log;
}

RaftConfig make_config(NodeId id, std::vector<NodeId> voters, const Tweak& tweak) {
  auto builder = RaftConfig::builder(id).voters(std::move(voters)).seed(42);
  if (tweak) tweak(builder);
  auto config = builder.build();
  if (!config) throw std::invalid_argument(config.error().describe());
  return std::move(config).value();
}

NodeHarness::NodeHarness(NodeId id, std::vector<NodeId> voters, Tweak tweak, std::unique_ptr<RaftLog> log)
    : id_(id), voters_(voters) {
  if (!log) log = std::make_unique<MemoryLog>();
  node_ = std::make_unique<RaftNode>(make_config(id, std::move(voters), tweak), std::move(log));
}

const MemoryLog& NodeHarness::memory_log() const { return dynamic_cast<const MemoryLog&>(node_->log()); }

std::vector<Action> NodeHarness::step(Event event) { return node_->step(std::move(event)); }

std::vector<Action> NodeHarness::tick(int times) {
  std::vector<Action> all;
  for (int i = 0; i < times; ++i) {
    auto actions = step(Tick{});
    all.insert(all.end(), std::make_move_iterator(actions.begin()), std::make_move_iterator(actions.end()));
  }
  return all;
}

std::vector<Action> NodeHarness::elect() {
  for (int i = 0; i < 1000 && node_->role() == Role::Follower; ++i) tick();
  std::vector<Action> last;
  if (node_->role() == Role::PreCandidate) {
    const Term term = node_->term() + 1;
    for (NodeId voter : voters_) {
      if (voter != id_ && node_->role() == Role::PreCandidate) last = receive(PreVoteReply{voter, id_, term, true, term - 1});
    }
  }
  if (node_->role() == Role::Candidate) {
    const Term term = node_->term();
    for (NodeId voter : voters_) {
      if (voter != id_ && node_->role() == Role::Candidate) last = receive(RequestVoteReply{voter, id_, term, true});
    }
  }
  if (node_->role() != Role::Leader) throw std::logic_error("NodeHarness::elect: node did not become leader");
  return last;
}

std::vector<Action> NodeHarness::follow(NodeId leader, Term term) {
  return receive(AppendEntries{leader, id_, term, 0, 0, 0, {}});
}

SteadyLeader::SteadyLeader(Tweak tweak) : h(1, {1, 2, 3}, std::move(tweak)) {
  h.elect();
  ack(2, 1);
  ack(3, 1);
}

InstallSnapshot snapshot_chunk(NodeId from, NodeId to, Term term, SnapshotMeta meta, std::string_view data,
                               std::size_t offset, std::size_t length) {
  const Payload whole = Payload::copy_of(data);
  const Payload chunk = whole.slice(offset, length);
  return InstallSnapshot{from,  to,   term, std::move(meta), offset, chunk, offset + chunk.size() >= whole.size(), whole.size(),
                         snapshot_checksum(whole.bytes())};
}

std::vector<Reject> rejects_for(const std::vector<Action>& actions, RequestKind what) {
  std::vector<Reject> out;
  for (const Reject& reject : actions_of<Reject>(actions)) {
    if (reject.what == what) out.push_back(reject);
  }
  return out;
}

NodeId elect_leader(sim::Cluster& cluster, int rounds) {
  for (int i = 0; i < rounds && !cluster.leader(); ++i) {
    cluster.tick_all();
    cluster.deliver_all();
    bool writes_pending = false;  // async_storage nodes: their writes, then what waited for them
    for (NodeId id : cluster.ids()) writes_pending |= cluster.pending_writes(id) > 0;
    if (writes_pending) {
      cluster.complete_all_writes();
      cluster.deliver_all();
    }
  }
  return cluster.leader().value_or(kNoNode);
}

}  // namespace raftio::test
