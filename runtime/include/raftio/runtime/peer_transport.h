// The peer side of a node: the listener for the peers' dials, one outgoing PeerLink per peer, and
// the membership check every connection passes (a cluster-id handshake always, mutual TLS when
// configured). Messages that arrive on authenticated links go to `deliver`; everything else is
// refused with a log line naming the remote address and the reason.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <raftio/raftio.h>

#include "raftio/runtime/acceptor.h"
#include "raftio/runtime/peer_handshake.h"
#include "raftio/runtime/peer_link.h"
#include "raftio/runtime/tls.h"

namespace raftio::runtime {

struct PeerTransportOptions {
  std::string cluster_id;
  NodeId self = kNoNode;
  std::map<NodeId, asio::ip::tcp::endpoint> peers;  // every member, this node included
  std::unique_ptr<asio::ssl::context> tls;         // mutual TLS (make_peer_tls), or plain TCP
  std::chrono::milliseconds handshake_timeout{5000};
  // Accepted connections still in their handshake; beyond this, new ones are closed at once, so
  // strangers cannot hold many descriptors by connecting and saying nothing.
  std::size_t max_pending_handshakes = 64;
  // Frames queued for one peer (and being written to it) beyond which new ones are dropped.
  std::size_t max_queued_bytes_per_peer = PeerLink::kDefaultMaxQueuedBytes;
};

class PeerTransport {
 public:
  using Deliver = PeerInbound::Deliver;
  using DeliverPeer = PeerInbound::DeliverPeer;
  // `deliver_peer` takes the runtime messages (forwarded proposals and outcomes); empty, they are
  // dropped.
  PeerTransport(asio::io_context& io, PeerTransportOptions options, Logger log, Deliver deliver,
                DeliverPeer deliver_peer = nullptr);
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  void listen();  // throws std::runtime_error naming the address that could not be bound
  void start();
  void send(const Message& message);  // to receiver_of(message); dropped if it is not a peer
  void send(const PeerMessage& message);  // the same for a runtime message
  void flush();                       // the end of a turn: one write per peer
  // The members changed (a node joined, left or moved): dials new ones, stops the links of those
  // gone or moved, and admits exactly these nodes in later handshakes. This node's own entry, if
  // present, is ignored (it keeps listening where it started).
  void set_peers(const std::map<NodeId, asio::ip::tcp::endpoint>& peers);
  // Stops listening and closes every connection, in and out; nothing is delivered afterwards
  // except what a read already completed. Keep the transport alive until its io_context stops.
  void stop();

  std::uint64_t refused_connections() const noexcept { return refused_; }
  std::size_t connected_links() const;
  std::size_t queued_bytes(NodeId peer) const;  // 0 for a node without a link
  std::uint64_t dropped_frames() const;         // over the per-peer bound, all links
  bool tls() const noexcept { return tls_ != nullptr; }

 private:
  void on_accept(asio::ip::tcp::socket socket);
  void refuse(const std::string& remote, const std::string& why);

  asio::io_context& io_;
  std::unique_ptr<asio::ssl::context> tls_;
  PeerSecurity security_;
  asio::ip::tcp::endpoint listen_on_;
  std::size_t max_pending_handshakes_;
  std::size_t max_queued_bytes_per_peer_;
  Logger log_;
  Deliver deliver_;
  DeliverPeer deliver_peer_;
  Acceptor acceptor_;
  std::map<NodeId, std::unique_ptr<PeerLink>> links_;
  std::vector<std::unique_ptr<PeerLink>> stopped_links_;  // kept: their handlers may still be queued
  std::vector<std::weak_ptr<PeerInbound>> inbound_;  // to close them on stop()
  bool started_ = false;
  std::size_t pending_handshakes_ = 0;
  bool over_pending_logged_ = false;
  std::uint64_t refused_ = 0;
  // Repeated refusals (a misconfigured node redialling every two seconds) are logged once per
  // remote host and reason per minute.
  std::map<std::string, std::chrono::steady_clock::time_point> recent_refusals_;
};

}  // namespace raftio::runtime
