// The key-value clients: each runs one operation at a time — put, get or compare-and-set on a
// few keys — sent to the node it believes leads. Half the gets skip the log: they ask any node
// for a ReadIndex (a follower forwards it to its leader) and that node answers from its state
// machine once it has applied the read index, so linearizability covers both kinds of read.
//
// Clients are outside the cluster and reach it through the simulated network: a request and its
// answer each take 0.1–1 ms and, while the faults run, each is lost with the drawn client-loss
// rate (more during a loss burst); a request to a crashed node is lost, one to a paused node
// waits for it. A refusal sends the client to the leader hint; no answer within the timeout sends
// the same request (same session number, so the store applies it once) to another node. After the
// drawn number of timed-out attempts the client gives up: the operation's outcome is unknown —
// its request may have been lost, or only its answer — and the linearizability checker must place
// it or leave it out.
#include "raftio/describe.h"
#include "sim_engine.h"

namespace raftio::sim {

namespace {

constexpr double kReadIndexShare = 0.5;  // of gets

}  // namespace

void Simulation::Engine::client_wake(Client& client, std::uint64_t token) {
  if (token != client.token) return;  // superseded by a later attempt
  if (!client.op) return start_operation(client);
  if (client.waiting) {
    client.waiting = false;
    // A client gives up while the faults run, leaving the outcome unknown; an operation invoked
    // after they stopped is retried until it is answered (the liveness check holds it to that).
    if (++client.timeouts >= config_.client_attempts && history_[*client.op].invoke_time < faults_stop_time_) {
      return give_up(client);
    }
    client.leader_guess = kNoNode;  // the node we asked is gone or deposed: look elsewhere
  }
  attempt(client);
}

void Simulation::Engine::start_operation(Client& client) {
  if (now_ >= clients_stop_time_) return;
  KvCommand& command = client.command;
  command = KvCommand{};
  command.client = client.id;
  command.seq = client.seq + 1;
  if (options_.schedule != nullptr) {
    // A replay: the client skips the session numbers the schedule leaves out, and stops after
    // its last listed operation.
    const auto& ops = options_.schedule->client_ops;
    const std::vector<std::uint64_t>* listed = client.id <= ops.size() ? &ops[client.id - 1] : nullptr;
    while (listed != nullptr && client.next_listed < listed->size() && (*listed)[client.next_listed] < command.seq) {
      ++client.next_listed;
    }
    if (listed == nullptr || client.next_listed == listed->size()) return;
    command.seq = (*listed)[client.next_listed++];
  }
  client.seq = command.seq;
  invoked_ops_[client.id - 1].push_back(command.seq);
  invoke_us_[client.id - 1].push_back(now_);
  // What the operation does is drawn from a stream of its own, so that leaving other operations
  // out (a shrunk schedule) does not change it.
  SimRng op_rng{options_.seed * 0x9e3779b97f4a7c15ULL ^ (client.id << 40) ^ command.seq ^ 0x0b5eed0000000000ULL};
  const std::uint64_t pick = op_rng.below(100);
  command.kind = pick < 40 ? KvOpKind::Put : pick < 75 ? KvOpKind::Get : KvOpKind::Cas;
  command.key = "k" + std::to_string(op_rng.below(config_.keys));
  command.value = "c" + std::to_string(client.id) + "." + std::to_string(command.seq);
  if (config_.value_bytes > 0 && command.kind != KvOpKind::Get) {
    command.value += '.';
    command.value.append(op_rng.below(config_.value_bytes + 1), static_cast<char>('a' + command.seq % 26));
  }
  if (command.kind == KvOpKind::Cas) {
    // Mostly a value this client saw for the key, so that some swaps succeed.
    auto seen = client.last_seen.find(command.key);
    command.expected = seen != client.last_seen.end() && op_rng.chance(0.8) ? seen->second : "never";
  }
  const bool read_index = command.kind == KvOpKind::Get && op_rng.chance(kReadIndexShare);
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
  client.read_index = read_index;
  if (client.read_index) ++read_index_gets_;
  attempt(client);
}

// Sends the operation's request to the leader the client believes in, or to a node at random
// (the client cannot know which nodes are up), and waits for an answer until the timeout.
void Simulation::Engine::attempt(Client& client) {
  const std::uint64_t token = ++client.token;
  const NodeId target = client.leader_guess != kNoNode ? client.leader_guess : static_cast<NodeId>(1 + client_rng_.below(options_.nodes));
  ClientMessage request;
  request.client = client.id;
  request.seq = client.command.seq;
  request.token = token;
  request.node = target;
  request.read_index = client.read_index;
  if (!client.read_index) request.command = encode_command(client.command);
  client.waiting = true;
  ++client_requests_;
  send_client_message(Kind::ClientRequest, std::move(request));
  at(now_ + config_.client_timeout_ticks * options_.tick_us, Kind::ClientWake, client.id, token);
}

bool Simulation::Engine::client_message_lost() {
  if (faults_stopped_ || options_.faults == FaultProfile::None) return false;
  const double loss = config_.client_loss + burst_loss_;
  return loss > 0 && client_rng_.chance(loss);
}

void Simulation::Engine::send_client_message(Kind kind, ClientMessage message) {
  if (client_message_lost()) {
    ++client_messages_lost_;
    return;
  }
  const std::uint64_t id = next_client_message_++;
  client_messages_.emplace(id, std::move(message));
  const std::uint64_t tick = options_.tick_us;
  at(now_ + client_rng_.between(tick / 100, tick / 10), kind, id);
}

void Simulation::Engine::request_arrives(std::uint64_t message_id) {
  auto it = client_messages_.find(message_id);
  if (it == client_messages_.end()) return;
  const NodeId id = it->second.node;
  NodeState& node = nodes_[id - 1];
  if (node.down) {  // nobody is listening
    client_messages_.erase(it);
    return;
  }
  if (node.paused) {
    node.held_requests.push_back(message_id);
    return;
  }
  handle_request(id, message_id);
}

// A node serves a client's request: a ReadIndex get starts a read; a log operation is gathered
// into the leader's next proposal batch; a follower refuses with its leader hint.
void Simulation::Engine::handle_request(NodeId id, std::uint64_t message_id) {
  auto it = client_messages_.find(message_id);
  if (it == client_messages_.end()) return;
  NodeState& node = nodes_[id - 1];
  if (it->second.read_index) {
    node.reads.push_back(NodeState::PendingRead{message_id, std::nullopt});
    step_node(id, ReadIndex{message_id});  // answered through on_read_action
    return;
  }
  if (!cluster_.node(id).is_leader()) {
    const ClientMessage request = std::move(it->second);
    client_messages_.erase(it);
    return answer(id, request, false, KvResult{});
  }
  node.batch.push_back(message_id);
  if (node.batch.size() >= config_.proposal_batch) propose_batch(id);
}

// Proposes the gathered writes back to back, so several entries share the leader's next messages.
void Simulation::Engine::propose_batch(NodeId id) {
  std::vector<std::uint64_t> batch = std::move(nodes_[id - 1].batch);
  nodes_[id - 1].batch.clear();
  for (std::uint64_t message_id : batch) {
    auto it = client_messages_.find(message_id);
    if (it == client_messages_.end()) continue;
    const ClientMessage request = std::move(it->second);
    client_messages_.erase(it);
    NodeState& node = nodes_[id - 1];
    if (node.down) continue;
    if (node.paused) {  // a crash point paused it within this batch: the rest waits with it
      node.held_requests.push_back(message_id);
      client_messages_.emplace(message_id, request);
      continue;
    }
    // Wait for the answer before proposing: a single-node cluster commits and applies within the
    // proposing step itself.
    auto& waiting = node.answer_on_apply[request.client];
    const std::uint64_t previous = waiting;
    waiting = request.seq;
    trace_event(id, Propose{request.command, cluster_.next_proposal_id()});  // the id its ProposalAccepted or Reject echoes
    crash_point_due_ = kNoNode;
    const std::optional<std::uint64_t> accepted = cluster_.propose(id, request.command);
    ++steps_;
    after_step(id);
    if (accepted || node.down) continue;
    // Refused (not the leader any more, or a leadership transfer is running).
    if (auto w = node.answer_on_apply.find(request.client); w != node.answer_on_apply.end() && w->second == request.seq) {
      if (previous != 0) {
        w->second = previous;
      } else {
        node.answer_on_apply.erase(w);
      }
    }
    answer(id, request, false, KvResult{});
  }
}

void Simulation::Engine::answer(NodeId id, const ClientMessage& request, bool ok, const KvResult& result) {
  ClientMessage reply;
  reply.client = request.client;
  reply.seq = request.seq;
  reply.token = request.token;
  reply.node = id;
  reply.ok = ok;
  reply.result = result;
  if (!ok) reply.leader_hint = cluster_.node(id).leader();
  send_client_message(Kind::ClientAnswer, std::move(reply));
}

void Simulation::Engine::answer_arrives(std::uint64_t message_id) {
  auto it = client_messages_.find(message_id);
  if (it == client_messages_.end()) return;
  const ClientMessage reply = std::move(it->second);
  client_messages_.erase(it);
  if (reply.client == 0 || reply.client > clients_.size()) return;
  Client& client = clients_[reply.client - 1];
  if (!client.op || client.command.seq != reply.seq) return;  // an answer to an operation given up
  if (reply.ok) return complete(client, reply.result);
  if (reply.token != client.token || !client.waiting) return;  // a refusal of an earlier attempt
  client.waiting = false;
  client.leader_guess = reply.leader_hint != reply.node ? reply.leader_hint : kNoNode;
  // An election may be under way: wait a little longer when nobody knows a leader.
  at(now_ + (reply.leader_hint == kNoNode ? 5 : 1) * options_.tick_us / 2, Kind::ClientWake, client.id, ++client.token);
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
  NodeState& node = nodes_[id - 1];
  auto read = std::find_if(node.reads.begin(), node.reads.end(),
                           [read_id](const NodeState::PendingRead& r) { return r.message == read_id; });
  if (read == node.reads.end() || read->at) return;
  if (const auto* ready = std::get_if<ReadReady>(&action)) {
    read->at = ready->index;
    ++readers_waiting_;
    serve_reads(id);
    return;
  }
  node.reads.erase(read);
  auto it = client_messages_.find(read_id);
  if (it == client_messages_.end()) return;
  const ClientMessage request = std::move(it->second);
  client_messages_.erase(it);
  answer(id, request, false, KvResult{});
}

// Answers the ReadIndex gets on node `id` whose read index its state machine has reached.
void Simulation::Engine::serve_reads(NodeId id) {
  NodeState& node = nodes_[id - 1];
  for (std::size_t i = 0; i < node.reads.size();) {
    const NodeState::PendingRead read = node.reads[i];
    if (!read.at || *read.at > node.store_applied) {
      ++i;
      continue;
    }
    node.reads.erase(node.reads.begin() + static_cast<std::ptrdiff_t>(i));
    --readers_waiting_;
    auto it = client_messages_.find(read.message);
    if (it == client_messages_.end()) continue;
    const ClientMessage request = std::move(it->second);
    client_messages_.erase(it);
    KvResult result;
    const Client& client = clients_[request.client - 1];
    if (client.op && client.command.seq == request.seq) {
      const auto& data = node.store.data();
      if (auto value = data.find(client.command.key); value != data.end()) result.read_value = value->second;
    }
    answer(id, request, true, result);
  }
}

void Simulation::Engine::forget_clients(NodeId id) {
  NodeState& node = nodes_[id - 1];
  for (const NodeState::PendingRead& read : node.reads) {
    if (read.at) --readers_waiting_;
    client_messages_.erase(read.message);
  }
  for (std::uint64_t message : node.batch) client_messages_.erase(message);
  for (std::uint64_t message : node.held_requests) client_messages_.erase(message);
  node.reads.clear();
  node.batch.clear();
  node.held_requests.clear();
  node.answer_on_apply.clear();
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
  client.waiting = false;
  at(now_ + client_rng_.below(config_.think_ticks * options_.tick_us + 1), Kind::ClientWake, client.id, ++client.token);
}

void Simulation::Engine::give_up(Client& client) {
  trace_client("unknown", *client.op);
  client.op.reset();  // complete_time stays empty: the outcome is unknown
  client.waiting = false;
  at(now_ + client_rng_.below(config_.think_ticks * options_.tick_us + 1), Kind::ClientWake, client.id, ++client.token);
}

}  // namespace raftio::sim
