// Connections between raftio-kv nodes. Each node dials every peer once (PeerLink, outgoing: it
// only writes frames) and accepts the peers' dials (PeerInbound: it only reads frames). Every
// message travels as one wire frame (<raftio/wire.h>); Raft tolerates loss, so a message for a
// peer that is down is dropped, and the link redials with exponential backoff.
#pragma once

#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include <raftio/raftio.h>

namespace kv {

// An outgoing connection to one peer. Messages sent during a turn are encoded into one buffer
// and leave in one write when the server calls flush() at the end of the turn.
class PeerLink {
 public:
  PeerLink(asio::io_context& io, raftio::NodeId peer, asio::ip::tcp::endpoint endpoint);
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  void start();                            // dial
  void send(const raftio::Message& message);  // queue one frame (dropped while disconnected)
  void flush();                            // write everything queued, if no write is running

  raftio::NodeId peer() const noexcept { return peer_; }
  bool connected() const noexcept { return connected_; }

 private:
  static constexpr std::size_t kMaxQueuedBytes = std::size_t{64} << 20;  // beyond: drop (loss is fine)
  static constexpr std::chrono::milliseconds kMinBackoff{50};
  static constexpr std::chrono::milliseconds kMaxBackoff{2000};

  void dial();
  void disconnect();
  void watch_for_close();

  asio::io_context& io_;
  raftio::NodeId peer_;
  asio::ip::tcp::endpoint endpoint_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer redial_timer_;
  std::chrono::milliseconds backoff_ = kMinBackoff;
  std::uint64_t epoch_ = 0;  // bumped on disconnect: handlers of an older socket do nothing
  bool connected_ = false;
  bool writing_ = false;
  std::vector<std::byte> queued_;   // frames of this turn
  std::vector<std::byte> in_flight_;  // frames being written
  std::array<char, 64> discard_{};  // a peer never writes on this connection; a read only sees EOF
};

// An accepted connection from a peer: bytes → FrameDecoder → one Receive event per frame. A frame
// that does not decode closes the connection (the peer redials).
class PeerInbound : public std::enable_shared_from_this<PeerInbound> {
 public:
  using Deliver = std::function<void(raftio::Message)>;
  PeerInbound(asio::ip::tcp::socket socket, Deliver deliver);
  void start();

 private:
  void read();

  asio::ip::tcp::socket socket_;
  Deliver deliver_;
  raftio::wire::FrameDecoder decoder_;
  std::vector<std::byte> buffer_;
};

}  // namespace kv
