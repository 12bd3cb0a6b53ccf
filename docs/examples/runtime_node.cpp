// A replicated counter on raftio::runtime::Node: three nodes over TCP on loopback, a proposal, a
// read and a proposal on a follower (forwarded to the leader), a fourth node that starts empty
// and joins, and leadership handed to it.
#include <raftio/runtime/node.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

using namespace raftio;
using namespace raftio::runtime;

struct Counter final : StateMachine {
  long long value = 0;
  Payload apply(const LogEntry& e) override { return Payload::copy_of(std::to_string(value += std::stoll(e.data.to_string()))); }
  Payload query(const Payload&) const override { return Payload::copy_of(std::to_string(value)); }
  Payload snapshot() const override { return Payload::copy_of(std::to_string(value)); }
  bool restore(const Payload& data) override { return (value = std::stoll(data.to_string()), true); }
};

std::string show(const char* what, std::future<Node::Outcome> outcome) {
  const Node::Outcome done = outcome.get();
  const std::string text = done.ok() ? "ok " + done.value().to_string() : describe(done.error());
  std::printf("%-28s %s\n", what, text.c_str());
  return text;
}

int main() {
  std::map<NodeId, std::string> address;  // a deployment names its ports; here the kernel picks them
  for (NodeId id = 1; id <= 4; ++id) {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    address[id] = "127.0.0.1:" + std::to_string(probe.local_endpoint().port());
  }
  std::map<NodeId, Counter> machines;
  std::map<NodeId, std::unique_ptr<Node>> nodes;
  auto start = [&](NodeId id, NodeOptions::Start how) {
    NodeOptions options;
    options.id = id;
    options.members = {{1, address[1]}, {2, address[2]}, {3, address[3]}};
    options.listen = address[id];
    options.start = how;  // Bootstrap: a new cluster of `members`; Join: wait to be added
    options.log = [](std::string_view) {};
    nodes[id] = Node::start(options, machines[id]).value();
  };
  for (NodeId id = 1; id <= 3; ++id) start(id, NodeOptions::Start::Bootstrap);

  const NodeId leader = nodes[1]->wait_for_leader(std::chrono::seconds(10)).value();
  bool ok = show("propose +5 on the leader:", nodes[leader]->propose(Payload::copy_of("5"))) == "ok 5";
  ok &= show("read on a follower:", nodes[leader % 3 + 1]->read(Payload::copy_of("value"))) == "ok 5";
  ok &= show("propose +2 on a follower:", nodes[leader % 3 + 1]->propose(Payload::copy_of("2"))) == "ok 7";
  start(4, NodeOptions::Start::Join);
  ok &= show("add node 4 as a voter:", nodes[leader]->add_voter(4, address[4])) == "ok ";
  ok &= show("read on node 4:", nodes[4]->read(Payload::copy_of("value"))) == "ok 7";
  ok &= show("hand leadership to node 4:", nodes[leader]->transfer_leadership(4)) == "ok ";
  ok &= show("propose +1 on node 4:", nodes[4]->propose(Payload::copy_of("1"))) == "ok 8";
  return ok ? 0 : 1;
}
