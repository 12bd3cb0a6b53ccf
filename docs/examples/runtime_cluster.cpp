// Three runtime Drivers and a fourth that joins: a proposal, a read on a follower, a proposal on a
// follower (forwarded to the leader), node 4 added from empty to voter in one request, and
// leadership handed to it. The "network" is two queues: Raft's messages and the runtime's.
#include <raftio/runtime/driver.h>

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>

using namespace raftio;
using runtime::Driver, runtime::RequestId;

struct Counter final : runtime::StateMachine {
  long long value = 0;
  Payload apply(const LogEntry& e) override { return Payload::copy_of(std::to_string(value += std::stoll(e.data.to_string()))); }
  Payload query(const Payload&) const override { return Payload::copy_of(std::to_string(value)); }
  Payload snapshot() const override { return Payload::copy_of(std::to_string(value)); }
  bool restore(const Payload& data) override { return (value = std::stoll(data.to_string()), true); }
};

std::map<NodeId, Counter> machines;
std::map<NodeId, std::unique_ptr<Driver>> nodes;
std::map<std::pair<NodeId, RequestId>, std::string> answers;

void start(NodeId id, RaftConfig::Builder builder) {
  nodes[id] = std::make_unique<Driver>(builder.seed(id).build().value(), std::make_unique<MemoryLog>(), machines[id]);
}

// One tick everywhere, then every message delivered until the cluster is quiet.
void run(int ticks = 1) {
  std::deque<Message> network;
  std::deque<runtime::PeerMessage> forwarded;  // proposals a follower forwards, and their outcomes
  for (int t = 0; t < ticks; ++t) {
    for (auto& [id, node] : nodes) node->tick();
    do {
      for (auto& [id, node] : nodes) {
        runtime::DriverOutput out = node->take_output();
        for (Message& m : out.messages) network.push_back(std::move(m));
        for (runtime::PeerMessage& m : out.peer_messages) forwarded.push_back(std::move(m));
        for (auto& done : out.completions)
          answers[{id, done.id}] = done.result.ok() ? "ok " + done.result.value().to_string() : describe(done.result.error());
      }
      if (!forwarded.empty()) {
        nodes.at(runtime::receiver_of(forwarded.front()))->receive(std::move(forwarded.front()));
        forwarded.pop_front();
      } else if (!network.empty()) {
        nodes.at(receiver_of(network.front()))->receive(std::move(network.front()));
        network.pop_front();
      } else {
        break;
      }
    } while (true);
  }
}

// Runs until request `id` on `node` has an answer; prints and returns it.
std::string wait(NodeId node, RequestId id, const char* what) {
  for (int t = 0; t < 1000 && answers.count({node, id}) == 0; ++t) run();
  std::printf("%-28s %s\n", what, answers[{node, id}].c_str());
  return answers[{node, id}];
}

NodeId leader() {
  for (auto& [id, node] : nodes) if (node->is_leader()) return id;
  return kNoNode;
}

int main() {
  for (NodeId id : {1, 2, 3}) start(id, RaftConfig::builder(id).voters({1, 2, 3}));
  while (leader() == kNoNode) run();
  const NodeId first = leader();
  const NodeId follower = first == 1 ? 2 : 1;

  bool ok = wait(first, nodes[first]->propose(Payload::copy_of("42")), "propose 42 on the leader:") == "ok 42";
  ok &= wait(follower, nodes[follower]->read(Payload()), "read on a follower:") == "ok 42";
  ok &= wait(follower, nodes[follower]->propose(Payload::copy_of("1")), "propose +1 on a follower:") == "ok 43";

  start(4, RaftConfig::builder(4).voters({1, 2, 3}).learners({4}));  // a new, empty node
  ok &= wait(first, nodes[first]->add_voter(4), "add node 4 as a voter:") == "ok ";
  ok &= wait(first, nodes[first]->transfer_leadership(4), "transfer leadership to 4:") == "ok ";
  run(3);
  std::printf("node 4 leads: %s, its counter: %lld\n", leader() == 4 ? "yes" : "no", machines[4].value);
  return ok && leader() == 4 && machines[4].value == 43 ? 0 : 1;
}
