// The handshake every connection between two nodes goes through before it carries a Raft frame:
//
//   1. with TLS: the TLS handshake, both ends presenting a certificate the trusted CA signed;
//   2. the dialling node sends its hello (handshake.h); the accepting node checks it and only then
//      answers with its own, which the dialling node checks in turn;
//   3. a hello must name this cluster and a configured peer other than this node (and, on a
//      connection this node dialled, the node it dialled); with TLS, the certificate the remote
//      presented must name the node the hello claims (tls.h, peer_certificate_name).
//
// All of it within PeerSecurity::handshake_timeout, so a connection that never says hello does
// not hold a descriptor for long. On refusal the stream is closed and the reason is returned,
// for a log line that names the remote address.
#pragma once

#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <raftio/types.h>

#include "raftio/runtime/handshake.h"
#include "raftio/runtime/stream.h"

namespace raftio::runtime {

// What every peer connection of a node is checked against.
struct PeerSecurity {
  std::string cluster_id;
  NodeId self = kNoNode;
  std::vector<NodeId> members;             // the configured peers, this node included
  asio::ssl::context* tls = nullptr;       // mutual TLS when set; owned by the transport
  std::chrono::milliseconds handshake_timeout{5000};
};

struct HandshakeResult {
  std::string refusal;              // empty: the remote is the member `peer`
  NodeId peer = kNoNode;
  std::vector<std::byte> leftover;  // what the remote sent after its hello (its first frames)
};

class PeerHandshake : public std::enable_shared_from_this<PeerHandshake> {
 public:
  using Done = std::function<void(HandshakeResult)>;

  // `dialed`: the node this side dialled, or kNoNode on an accepted connection. `security` must
  // outlive the handshake. `done` runs once, on the stream's executor.
  static void run(std::shared_ptr<Stream> stream, const PeerSecurity& security, NodeId dialed, Done done);

  PeerHandshake(std::shared_ptr<Stream> stream, const PeerSecurity& security, NodeId dialed, Done done);

 private:
  void start();
  void on_tls(const asio::error_code& error);
  void read();
  void on_read(std::size_t size);
  void write_hello();
  void maybe_done();
  void finish(std::string refusal);

  std::shared_ptr<Stream> stream_;
  const PeerSecurity& security_;
  NodeId dialed_;
  Done done_;
  asio::steady_timer deadline_;
  std::vector<std::byte> hello_out_;
  std::array<std::byte, 256> chunk_{};
  std::vector<std::byte> received_;
  HandshakeResult result_;
  bool wrote_ = false;
  bool read_ = false;
  bool finished_ = false;
};

}  // namespace raftio::runtime
