// The runtime's peer transport on real loopback sockets: what a peer that stops reading costs, and
// runtime frames (forwarded proposals) carried beside Raft's, with the sender checked.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "raftio/runtime/peer_transport.h"
#include "support/free_port.h"

namespace raftio::runtime {
namespace {

asio::ip::tcp::endpoint free_endpoint() {
  return asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), test::free_port());
}

PeerTransportOptions options_for(NodeId self, const std::map<NodeId, asio::ip::tcp::endpoint>& peers,
                                 std::size_t bound) {
  PeerTransportOptions options;
  options.cluster_id = "transport-test";
  options.self = self;
  options.peers = peers;
  options.max_queued_bytes_per_peer = bound;
  return options;
}

// A peer that stops reading (hung, or paused in a debugger) must not make its sender buffer
// without limit: past the bound, frames are dropped (Raft resends what is lost) and counted.
TEST(RuntimeTransport, APeerThatStopsReadingCostsItsSenderAtMostTheBoundPlusOneFrame) {
  const std::map<NodeId, asio::ip::tcp::endpoint> peers{{1, free_endpoint()}, {2, free_endpoint()}};
  constexpr std::size_t kBound = 1 << 20;
  asio::io_context io_a;
  asio::io_context io_b;
  std::size_t received = 0;
  PeerTransport a(io_a, options_for(1, peers, kBound), [](std::string_view) {}, [](Message) {});
  PeerTransport b(io_b, options_for(2, peers, kBound), [](std::string_view) {}, [&](Message) { ++received; });
  a.listen();
  b.listen();
  a.start();
  b.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (a.connected_links() == 0 && std::chrono::steady_clock::now() < deadline) {
    io_a.poll();
    io_b.poll();
  }
  ASSERT_EQ(a.connected_links(), 1u) << "node 1 never linked to node 2";

  // Node 2 stops reading: its io_context is no longer run. Node 1 keeps sending 64 KiB frames.
  const LogEntry entry{1, 1, EntryKind::Normal, Payload::copy_of(std::string(64 * 1024, 'x'))};
  constexpr std::size_t kFrameBytes = 64 * 1024 + 256;  // the payload and generous framing
  std::size_t most_queued = 0;
  for (int i = 0; i < 1000; ++i) {  // about 64 MiB: more than the kernel's buffers take
    a.send(AppendEntries{1, 2, 1, 0, 0, 0, EntryBatch{entry}});
    a.flush();
    io_a.poll();
    most_queued = std::max(most_queued, a.queued_bytes(2));
  }
  EXPECT_GT(a.dropped_frames(), 0u) << "64 MiB to a peer that reads nothing were all buffered";
  EXPECT_LE(most_queued, kBound + kFrameBytes);
  EXPECT_GT(most_queued, kBound / 2) << "the bound was never approached: the test proves nothing";

  // Once node 2 reads again, what was queued arrives and the link still works.
  const std::uint64_t dropped = a.dropped_frames();
  const auto resume = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (a.queued_bytes(2) > 0 && std::chrono::steady_clock::now() < resume) {
    io_a.poll();
    io_b.poll();
  }
  EXPECT_EQ(a.queued_bytes(2), 0u);
  EXPECT_GT(received, 0u);
  EXPECT_EQ(received, 1000 - dropped) << "every frame not dropped is delivered, once";
}

// Raft and runtime frames share a link, in order; a runtime frame that claims another sender than
// the node that said hello on the link closes the connection, and nothing after it is delivered.
TEST(RuntimeTransport, RuntimeFramesTravelBesideRaftFramesAndAForgedSenderClosesTheLink) {
  const std::map<NodeId, asio::ip::tcp::endpoint> peers{
      {1, free_endpoint()}, {2, free_endpoint()}, {3, free_endpoint()}};
  asio::io_context io;
  std::vector<std::string> received;  // in arrival order
  std::vector<std::string> log_b;
  PeerTransport a(io, options_for(1, peers, PeerLink::kDefaultMaxQueuedBytes), [](std::string_view) {}, [](Message) {});
  PeerTransport b(
      io, options_for(2, peers, PeerLink::kDefaultMaxQueuedBytes),
      [&](std::string_view line) { log_b.emplace_back(line); },
      [&](Message message) { received.push_back("raft from " + std::to_string(sender_of(message))); },
      [&](PeerMessage message) {
        received.push_back("runtime from " + std::to_string(sender_of(message)) + ": " +
                           std::get<ForwardedProposal>(message).command.to_string());
      });
  a.listen();
  b.listen();
  a.start();
  b.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (a.connected_links() == 0 && std::chrono::steady_clock::now() < deadline) io.poll();
  ASSERT_GE(a.connected_links(), 1u) << "node 1 never linked to node 2";

  a.send(TimeoutNow{1, 2, 1});
  a.send(PeerMessage(ForwardedProposal{1, 2, 7, Payload::copy_of("incr")}));
  a.send(TimeoutNow{1, 2, 1});
  a.flush();
  const auto first = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (received.size() < 3 && std::chrono::steady_clock::now() < first) io.poll();
  ASSERT_EQ(received, (std::vector<std::string>{"raft from 1", "runtime from 1: incr", "raft from 1"}));

  // Node 1's link carries a proposal that claims to come from node 3.
  a.send(PeerMessage(ForwardedProposal{3, 2, 8, Payload::copy_of("forged")}));
  a.send(TimeoutNow{1, 2, 1});
  a.flush();
  const auto second = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  bool dropped = false;
  while (!dropped && std::chrono::steady_clock::now() < second) {
    io.poll();
    for (const std::string& line : log_b) dropped = dropped || line.find("sent a message from node 3") != std::string::npos;
  }
  EXPECT_TRUE(dropped) << "the forged frame did not close the connection";
  for (int i = 0; i < 100; ++i) io.poll();
  EXPECT_EQ(received.size(), 3u) << "something after the forged frame was delivered";
}

}  // namespace
}  // namespace raftio::runtime
