// The key-value clients: each runs one operation at a time — put, get or compare-and-set on a
// few keys — proposed to the node it believes leads. Half the gets skip the log: they ask any
// node for a ReadIndex (a follower forwards it to its leader) and read that node's state machine
// once it has applied the read index, so linearizability covers both kinds of read. A refusal sends it to the leader hint; no
// answer within a second sends it to another node with the same session number (the store
// applies it once). After three timeouts the client gives up: the operation's outcome is unknown.
//
// A client talks to a node directly, without the network: the simulated network carries Raft's
// messages, and a client's request and answer take no time.
#include "sim_engine.h"

namespace raftio::sim {

namespace {

constexpr int kTimeoutsBeforeGivingUp = 3;
constexpr std::uint64_t kTimeoutTicks = 100;  // one second at the default tick
// Between operations a client thinks for up to this long: ~20 operations per second per client,
// enough to overlap every fault, few enough that a restart's replay of the log stays cheap.
constexpr std::uint64_t kMaxThinkTicks = 10;
constexpr double kReadIndexShare = 0.5;  // of gets

}  // namespace

void Simulation::Engine::client_wake(Client& client, std::uint64_t token) {
  if (token != client.token) return;  // superseded by a later attempt
  if (!client.op) return start_operation(client);
  if (client.awaiting_apply || client.awaiting_read) {
    if (client.awaiting_read && client.read_at) --readers_waiting_;
    client.awaiting_apply = false;
    client.awaiting_read = false;
    client.read_at.reset();
    if (++client.timeouts >= kTimeoutsBeforeGivingUp) return give_up(client);
    client.leader_guess = 0;  // the node we asked is gone or deposed: look elsewhere
  }
  attempt(client);
}

void Simulation::Engine::start_operation(Client& client) {
  if (now_ >= clients_stop_time_) return;
  KvCommand& command = client.command;
  command = KvCommand{};
  command.client = client.id;
  command.seq = ++client.seq;
  const std::uint64_t pick = rng_.below(100);
  command.kind = pick < 40 ? KvOpKind::Put : pick < 75 ? KvOpKind::Get : KvOpKind::Cas;
  command.key = "k" + std::to_string(rng_.below(options_.keys));
  command.value = "c" + std::to_string(client.id) + "." + std::to_string(command.seq);
  if (command.kind == KvOpKind::Cas) {
    // Mostly a value this client saw for the key, so that some swaps succeed.
    auto seen = client.last_seen.find(command.key);
    command.expected = seen != client.last_seen.end() && rng_.chance(0.8) ? seen->second : "never";
  }
  KvOperation op;
  op.client = client.id;
  op.kind = command.kind;
  op.key = command.key;
  op.value = command.value;
  op.expected = command.expected;
  op.invoke_time = now_;
  history_.push_back(op);
  client.op = history_.size() - 1;
  trace_client("invoke", *client.op);
  client.timeouts = 0;
  client.read_index = command.kind == KvOpKind::Get && rng_.chance(kReadIndexShare);
  if (client.read_index) ++read_index_gets_;
  attempt(client);
}

void Simulation::Engine::attempt(Client& client) {
  const std::uint64_t token = ++client.token;
  NodeId target = client.leader_guess;
  if (target == 0 || nodes_[target - 1].down || nodes_[target - 1].paused) {
    target = 1 + rng_.below(options_.nodes);
    if (nodes_[target - 1].down || nodes_[target - 1].paused) {
      at(now_ + 5 * options_.tick_us, Kind::ClientWake, client.id, token);
      return;
    }
  }
  if (client.read_index) return attempt_read(client, target, token);
  const Payload payload = encode_command(client.command);
  trace_event(target, Propose{payload, cluster_.next_proposal_id()});  // the id its ProposalAccepted or Reject echoes
  // Wait for the answer before proposing: a single-node cluster commits and applies within the
  // proposing step itself.
  client.target = target;
  client.awaiting_apply = true;
  const std::optional<std::uint64_t> accepted = cluster_.propose(target, payload);
  ++steps_;
  after_step(target);
  if (!client.op || client.token != token) return;  // already answered (and maybe moved on)
  if (accepted && !nodes_[target - 1].down) {
    client.leader_guess = target;
    at(now_ + kTimeoutTicks * options_.tick_us, Kind::ClientWake, client.id, token);
    return;
  }
  client.awaiting_apply = false;
  const NodeId hint = nodes_[target - 1].down ? kNoNode : cluster_.node(target).leader();
  client.leader_guess = hint != target ? hint : kNoNode;
  // An election may be under way: wait a little longer when nobody knows a leader.
  at(now_ + (hint == kNoNode ? 5 : 1) * options_.tick_us / 2, Kind::ClientWake, client.id, token);
}

// A ReadIndex get: any node will do (followers forward to their leader), so the client keeps
// asking the node it asked last unless told otherwise.
void Simulation::Engine::attempt_read(Client& client, NodeId target, std::uint64_t token) {
  client.read_id = (client.id << 40) | token;  // unique across clients and attempts
  client.target = target;
  client.awaiting_read = true;
  client.read_at.reset();
  step_node(target, ReadIndex{client.read_id});
  if (!client.op || client.token != token) return;  // answered or refused within the step
  at(now_ + kTimeoutTicks * options_.tick_us, Kind::ClientWake, client.id, token);
}

// ReadReady and refused reads, as the node returns them.
void Simulation::Engine::on_read_action(NodeId id, const Action& action) {
  std::uint64_t read_id = 0;
  if (const auto* ready = std::get_if<ReadReady>(&action)) {
    read_id = ready->id;
  } else if (const auto* reject = std::get_if<Reject>(&action); reject != nullptr && reject->what == RequestKind::ReadIndex) {
    read_id = reject->id;
  } else {
    return;
  }
  const std::uint64_t client_id = read_id >> 40;
  if (client_id == 0 || client_id > clients_.size()) return;
  Client& client = clients_[client_id - 1];
  if (!client.op || !client.awaiting_read || client.read_id != read_id || client.target != id || client.read_at) return;
  if (const auto* ready = std::get_if<ReadReady>(&action)) {
    client.read_at = ready->index;
    ++readers_waiting_;
    serve_reads(id);
    return;
  }
  const auto& reject = std::get<Reject>(action);
  client.awaiting_read = false;
  client.leader_guess = reject.leader_hint != id ? reject.leader_hint : kNoNode;
  at(now_ + (reject.leader_hint == kNoNode ? 5 : 1) * options_.tick_us / 2, Kind::ClientWake, client.id, ++client.token);
}

// Completes the ReadIndex gets on node `id` whose read index its state machine has reached.
void Simulation::Engine::serve_reads(NodeId id) {
  const NodeState& node = nodes_[id - 1];
  for (Client& client : clients_) {
    if (!client.op || !client.awaiting_read || client.target != id || !client.read_at) continue;
    if (*client.read_at > node.store_applied) continue;
    --readers_waiting_;
    KvResult result;
    const auto& data = node.store.data();
    if (auto it = data.find(client.command.key); it != data.end()) result.read_value = it->second;
    client.read_at.reset();
    complete(client, result);
  }
}

void Simulation::Engine::complete(Client& client, const KvResult& result) {
  KvOperation& op = history_[*client.op];
  op.complete_time = now_;
  op.read_value = result.read_value;
  op.cas_succeeded = result.cas_succeeded;
  if (op.kind == KvOpKind::Get && result.read_value) client.last_seen[op.key] = *result.read_value;
  if (op.kind == KvOpKind::Put || (op.kind == KvOpKind::Cas && result.cas_succeeded)) client.last_seen[op.key] = op.value;
  trace_client("ok", *client.op);
  client.op.reset();
  client.awaiting_apply = false;
  client.awaiting_read = false;
  at(now_ + rng_.below(kMaxThinkTicks * options_.tick_us), Kind::ClientWake, client.id, ++client.token);
}

void Simulation::Engine::give_up(Client& client) {
  trace_client("unknown", *client.op);
  client.op.reset();  // complete_time stays empty: the outcome is unknown
  client.awaiting_apply = false;
  client.awaiting_read = false;
  at(now_ + rng_.below(kMaxThinkTicks * options_.tick_us), Kind::ClientWake, client.id, ++client.token);
}

}  // namespace raftio::sim
