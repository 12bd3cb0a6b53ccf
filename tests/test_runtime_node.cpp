// raftio::runtime::Node end to end, in one process: real sockets on loopback, WALs in temporary
// directories, each node on its own thread. A cluster bootstraps, serves proposals and reads,
// takes in a node that started empty, hands leadership over, removes a member, and a node that
// stopped comes back from its WAL with the replicated address book.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <asio.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "raftio/runtime/node.h"
#include "support/free_port.h"
#include "support/runtime_counter.h"

namespace raftio::runtime {
namespace {

using namespace std::chrono_literals;

using raftio::test::free_port;

std::string describe_outcome(const Node::Outcome& outcome) {
  return outcome.ok() ? outcome.value().to_string() : "<error: " + describe(outcome.error()) + ">";
}

std::string get(std::future<Node::Outcome> future) {
  if (future.wait_for(20s) != std::future_status::ready) return "<no outcome in 20 s>";
  return describe_outcome(future.get());
}

// A cluster of one voter (node 1) on a free port, with fast timers and a quiet log.
NodeOptions one_voter_options() {
  NodeOptions options;
  options.id = 1;
  options.members = {{1, "127.0.0.1:" + std::to_string(free_port())}};
  options.tick = 5ms;
  options.election_timeout = 100ms;
  options.heartbeat = 20ms;
  options.log = [](std::string_view) {};
  return options;
}

class NodeCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("raftio-node-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    for (NodeId id = 1; id <= 4; ++id) addresses_[id] = "127.0.0.1:" + std::to_string(free_port());
    addresses_[2] = "localhost:" + addresses_[2].substr(addresses_[2].rfind(':') + 1);  // a DNS name
  }
  void TearDown() override {
    nodes_.clear();
    std::filesystem::remove_all(dir_);
  }

  NodeOptions options(NodeId id, NodeOptions::Start start) {
    NodeOptions out;
    out.id = id;
    out.cluster_id = "node-test";
    for (NodeId member = 1; member <= 3; ++member) out.members[member] = addresses_[member];
    out.start = start;
    out.listen = addresses_[id];
    out.data_dir = (dir_ / ("node-" + std::to_string(id))).string();
    out.tick = 5ms;
    out.election_timeout = 100ms;
    out.heartbeat = 20ms;
    out.snapshot_entries = 8;
    // RAFTIO_TEST_LOG=1 shows what the nodes say (links up and down, refusals) when a run fails.
    if (std::getenv("RAFTIO_TEST_LOG") == nullptr) out.log = [](std::string_view) {};
    out.trace = std::getenv("RAFTIO_TEST_TRACE") != nullptr;
    out.forward_proposals = forward_proposals_;
    return out;
  }

  Node& start(NodeId id, NodeOptions::Start start = NodeOptions::Start::Bootstrap) {
    if (machines_.count(id) == 0) machines_[id] = std::make_unique<Counter>();
    auto node = Node::start(options(id, start), *machines_[id]);
    EXPECT_TRUE(node.ok()) << (node.ok() ? "" : node.error());
    nodes_[id] = std::move(node).value();
    return *nodes_[id];
  }
  void stop(NodeId id) {
    nodes_.erase(id);
    machines_.erase(id);
  }

  // The leader every running node agrees on, within 10 s.
  NodeId agreed_leader() {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      NodeId leader = kNoNode;
      bool agreed = true;
      for (auto& [id, node] : nodes_) {
        const NodeId seen = node->leader_id();
        if (seen == kNoNode || (leader != kNoNode && seen != leader)) agreed = false;
        leader = seen;
      }
      if (agreed && leader != kNoNode && nodes_.count(leader) != 0 && nodes_.at(leader)->is_leader()) return leader;
      std::this_thread::sleep_for(5ms);
    }
    return kNoNode;
  }

  bool forward_proposals_ = true;
  std::filesystem::path dir_;
  std::map<NodeId, std::string> addresses_;
  std::map<NodeId, std::unique_ptr<Counter>> machines_;
  std::map<NodeId, std::unique_ptr<Node>> nodes_;
};

TEST_F(NodeCluster, BootstrapsServesJoinsTransfersRemovesAndRestartsFromItsLog) {
  for (NodeId id = 1; id <= 3; ++id) start(id);
  ASSERT_TRUE(nodes_[1]->wait_for_leader(10s).ok());
  NodeId leader = agreed_leader();
  ASSERT_NE(leader, kNoNode);
  EXPECT_EQ(get(nodes_[leader]->propose(Payload::copy_of("5"))), "5") << "apply()'s response";

  const NodeId follower = leader == 1 ? 2 : 1;
  EXPECT_EQ(nodes_[follower]->address_of(leader), addresses_[leader]) << "where the leader listens";
  EXPECT_EQ(get(nodes_[follower]->read(Payload::copy_of("value"))), "5") << "a linearizable read on a follower";

  // A new, empty node joins: one call on each side.
  start(4, NodeOptions::Start::Join);
  EXPECT_EQ(get(nodes_[leader]->add_voter(4, addresses_[4])), "");
  for (int i = 1; i <= 10; ++i) ASSERT_EQ(get(nodes_[leader]->propose(Payload::copy_of("1"))), std::to_string(5 + i));
  EXPECT_EQ(get(nodes_[4]->read(Payload::copy_of("value"))), "15") << "the new voter serves the state";
  const Status joined = nodes_[4]->status();
  EXPECT_TRUE(joined.membership.is_voter(4));
  EXPECT_EQ(joined.addresses.at(4), addresses_[4]) << "learnt from the replicated address book";

  // Leadership moves to the new node, which then removes the old leader.
  EXPECT_EQ(get(nodes_[leader]->transfer_leadership(4)), "");
  if (std::getenv("RAFTIO_TEST_LOG") != nullptr) {
    for (auto& [id, node] : nodes_) {
      const Status s = node->status();
      std::fprintf(stderr, "DEBUG node %llu role=%d term=%llu leader=%llu last=%llu commit=%llu voters=%zu\n",
                   (unsigned long long)id, (int)s.role, (unsigned long long)s.term, (unsigned long long)s.leader,
                   (unsigned long long)s.last_index, (unsigned long long)s.commit_index, s.membership.voters.size());
    }
  }
  ASSERT_TRUE(nodes_[4]->is_leader() || agreed_leader() == 4);
  const NodeId removed = leader;
  EXPECT_EQ(get(nodes_[4]->remove_node(removed)), "");
  stop(removed);
  ASSERT_EQ(agreed_leader(), 4u);
  EXPECT_FALSE(nodes_[4]->status().membership.contains(removed));
  EXPECT_EQ(get(nodes_[4]->propose(Payload::copy_of("100"))), "115") << "the remaining three have a quorum";

  // A member stops and comes back on its WAL (snapshot and entries), knowing node 4's address
  // from its own log: the options given at restart list only 1..3.
  const NodeId restarted = removed == 3 ? 2 : 3;
  stop(restarted);
  EXPECT_EQ(get(nodes_[4]->propose(Payload::copy_of("1"))), "116");
  start(restarted);
  ASSERT_EQ(nodes_[restarted]->wait_for_leader(10s).value(), 4u) << "reads need a known leader";
  EXPECT_EQ(get(nodes_[restarted]->read(Payload::copy_of("value"))), "116");
  EXPECT_EQ(nodes_[restarted]->status().addresses.at(4), addresses_[4]);
}

TEST_F(NodeCluster, ShutdownHandsLeadershipOverAndEndsEveryLaterRequest) {
  for (NodeId id = 1; id <= 3; ++id) start(id);
  const NodeId leader = agreed_leader();
  ASSERT_NE(leader, kNoNode);
  ASSERT_EQ(get(nodes_[leader]->propose(Payload::copy_of("7"))), "7");
  nodes_[leader]->shutdown();
  const NodeId handed_to = nodes_[leader]->status().leader;
  EXPECT_NE(handed_to, leader) << "it stopped without handing leadership over";
  EXPECT_NE(handed_to, kNoNode);
  const Node::Outcome after = nodes_[leader]->propose(Payload::copy_of("1")).get();
  ASSERT_FALSE(after.ok());
  EXPECT_TRUE(std::holds_alternative<ShuttingDown>(after.error()));
  EXPECT_TRUE(nodes_[leader]->status().stopped);
  stop(leader);
  const NodeId next = agreed_leader();
  EXPECT_EQ(next, handed_to);
  EXPECT_EQ(get(nodes_[next]->propose(Payload::copy_of("1"))), "8");
}

// A proposal on a follower travels to the leader as a runtime frame on the peer link, and its
// outcome comes back the same way: the caller gets apply()'s response as if it asked the leader.
TEST_F(NodeCluster, AProposalOnAFollowerIsForwardedAndReturnsTheStateMachinesResponse) {
  for (NodeId id = 1; id <= 3; ++id) start(id);
  const NodeId leader = agreed_leader();
  ASSERT_NE(leader, kNoNode);
  std::vector<NodeId> followers;
  for (NodeId id = 1; id <= 3; ++id) {
    if (id != leader) followers.push_back(id);
  }
  EXPECT_EQ(get(nodes_[followers[0]]->propose(Payload::copy_of("2"))), "2") << "forwarded to node " << leader;
  EXPECT_EQ(get(nodes_[followers[1]]->propose(Payload::copy_of("3"))), "5");
  // Many at once, from both followers: each ends with its own response, every one applied once.
  std::vector<std::future<Node::Outcome>> pending;
  for (int i = 0; i < 50; ++i) pending.push_back(nodes_[followers[i % 2]]->propose(Payload::copy_of("1")));
  std::vector<std::string> responses;
  for (auto& future : pending) responses.push_back(get(std::move(future)));
  std::sort(responses.begin(), responses.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  for (int i = 0; i < 50; ++i) ASSERT_EQ(responses[i], std::to_string(6 + i)) << "response " << i;
  EXPECT_EQ(get(nodes_[leader]->read(Payload::copy_of("value"))), "55");
  EXPECT_EQ(machines_[leader]->applied_commands(), 52);
}

TEST_F(NodeCluster, WithForwardingOffAFollowerRefusesAProposalWithTheLeadersId) {
  forward_proposals_ = false;
  for (NodeId id = 1; id <= 3; ++id) start(id);
  const NodeId leader = agreed_leader();
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = leader == 1 ? 2 : 1;
  const Node::Outcome refused = nodes_[follower]->propose(Payload::copy_of("1")).get();
  ASSERT_FALSE(refused.ok());
  ASSERT_TRUE(std::holds_alternative<NotLeader>(refused.error())) << describe(refused.error());
  EXPECT_EQ(std::get<NotLeader>(refused.error()).leader, leader);
  EXPECT_EQ(get(nodes_[leader]->read(Payload::copy_of("value"))), "0") << "nothing was applied";
}

// An embedder whose own code runs on the Node's (borrowed) loop cannot wait on a future there: the
// callback requests end on the loop, never inside the call, and a callback may request again.
TEST(Node, CallbackRequestsOnABorrowedLoopEndOnTheLoopAndMayChain) {
  asio::io_context io(1);
  Counter machine;
  const NodeOptions options = one_voter_options();
  auto started = Node::start(options, machine, &io);
  ASSERT_TRUE(started.ok()) << (started.ok() ? "" : started.error());
  Node& node = *started.value();
  const std::thread::id loop_thread = std::this_thread::get_id();  // this thread runs `io`
  std::vector<std::string> seen;
  bool returned = false;
  bool inline_call = false;
  bool wrong_thread = false;
  const auto record = [&](std::string what, const Node::Outcome& outcome) {
    if (!returned) inline_call = true;
    if (std::this_thread::get_id() != loop_thread) wrong_thread = true;
    seen.push_back(what + "=" + describe_outcome(outcome));
  };
  asio::steady_timer poll(io);
  std::function<void()> when_leader = [&] {
    if (!node.is_leader()) {
      poll.expires_after(5ms);
      poll.async_wait([&](const asio::error_code&) { when_leader(); });
      return;
    }
    node.propose(Payload::copy_of("5"), [&](Node::Outcome outcome) {
      record("propose", outcome);
      node.read(Payload(), [&](Node::Outcome read) {  // from inside a callback: drains again
        record("read", read);
        node.shutdown(0ms);
        node.propose(Payload::copy_of("1"), [&](Node::Outcome after) {
          record("after shutdown", after);
          io.stop();
        });
      });
    });
    returned = true;
  };
  asio::post(io, [&] { when_leader(); });
  io.run_for(10s);
  EXPECT_FALSE(inline_call) << "a callback ran inside the request call";
  EXPECT_FALSE(wrong_thread);
  EXPECT_EQ(seen, (std::vector<std::string>{"propose=5", "read=5", "after shutdown=<error: shutting down>"}));
}

// Requests from many threads at once reach the Driver through one queue, a burst at a time: each
// must still end with its own response. With the Counter a response is the total after the
// command, so in the order of the totals each total exceeds the one before by its own command.
TEST(Node, ConcurrentRequestsFromManyThreadsEachEndWithTheirOwnResponse) {
  Counter machine;
  const NodeOptions options = one_voter_options();
  auto started = Node::start(options, machine);
  ASSERT_TRUE(started.ok()) << (started.ok() ? "" : started.error());
  Node& node = *started.value();
  ASSERT_TRUE(node.wait_for_leader(10s).ok());

  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  std::mutex mutex;
  std::vector<std::pair<std::int64_t, std::string>> answered;  // (command, response)
  auto remember = [&](std::int64_t amount, const Node::Outcome& outcome) {
    std::lock_guard lock(mutex);
    answered.emplace_back(amount, describe_outcome(outcome));
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::pair<std::int64_t, std::future<Node::Outcome>>> futures;
      std::atomic<int> callbacks_left{t == 0 ? kPerThread : 0};
      for (int i = 0; i < kPerThread; ++i) {
        const std::int64_t amount = t * 100000 + i + 1;  // every command differs
        const Payload command = Payload::copy_of(std::to_string(amount));
        if (t == 0) {  // one thread waits with callbacks, which end on the Node's loop
          node.propose(command, [&, amount](Node::Outcome outcome) {
            remember(amount, outcome);
            --callbacks_left;
          });
        } else {
          futures.emplace_back(amount, node.propose(command));
        }
      }
      for (auto& [amount, future] : futures) {
        if (future.wait_for(20s) != std::future_status::ready) return remember(amount, unexpected(TimedOut{}));
        remember(amount, future.get());
      }
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while (callbacks_left > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::lock_guard lock(mutex);
  ASSERT_EQ(answered.size(), std::size_t{kThreads * kPerThread});
  std::vector<std::pair<std::int64_t, std::int64_t>> by_total;  // (total, command)
  for (const auto& [amount, response] : answered) {
    const std::optional<std::int64_t> total = parse(response);
    ASSERT_TRUE(total.has_value()) << "command " << amount << " ended with " << response;
    by_total.emplace_back(*total, amount);
  }
  std::sort(by_total.begin(), by_total.end());
  std::int64_t before = 0;
  for (const auto& [total, amount] : by_total) {
    EXPECT_EQ(total - before, amount) << "the response " << total << " is not command " << amount << "'s";
    before = total;
  }
  EXPECT_EQ(machine.applied_commands(), kThreads * kPerThread);
}

TEST(Node, InvalidOptionsAreOneLineErrorsNotExceptions) {
  Counter machine;
  NodeOptions options;
  options.id = 1;
  EXPECT_EQ(Node::start(options, machine).error(), "members do not list node 1 and no listen address is set");
  options.members = {{1, "no-port-here"}};
  EXPECT_NE(Node::start(options, machine).error().find("'no-port-here' is not host:port"), std::string::npos);
  options.members = {{1, "127.0.0.1:" + std::to_string(free_port())}};
  options.cluster_id = "bad id!";
  EXPECT_NE(Node::start(options, machine).error().find("cluster id"), std::string::npos);
}

}  // namespace
}  // namespace raftio::runtime
