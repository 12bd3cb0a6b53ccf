// Connections between nodes. Each node dials every peer once (PeerLink: it only writes frames on
// that connection) and accepts the peers' dials (PeerInbound: it only reads frames). Both go
// through the handshake first (peer_handshake.h). Every Raft message travels as one wire frame
// (<raftio/wire.h>), every runtime message (a forwarded proposal, its outcome) as one runtime
// frame (runtime_wire.h) on the same connection; Raft tolerates loss, so a message for a peer that is down is dropped, and the
// link redials with exponential backoff.
#pragma once

#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <raftio/raftio.h>

#include "raftio/runtime/acceptor.h"
#include "raftio/runtime/peer_frame_reader.h"
#include "raftio/runtime/peer_handshake.h"
#include "raftio/runtime/runtime_message.h"
#include "raftio/runtime/stream.h"

namespace raftio::runtime {

// An outgoing connection to one peer. Messages sent during a turn are encoded into one buffer
// and leave in one write when flush() is called at the end of the turn.
class PeerLink {
 public:
  PeerLink(asio::io_context& io, NodeId peer, asio::ip::tcp::endpoint endpoint, const PeerSecurity& security,
           Logger log, std::size_t max_queued_bytes = kDefaultMaxQueuedBytes);
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  void start();                          // dial
  // The peer just proved it admits this node (it dialled in and passed the handshake): if this
  // link is waiting out a backoff after a refusal, dial now rather than when the timer fires.
  void redial_now();
  // Closes the connection for good: no redial. The object must outlive its queued handlers, so a
  // transport keeps stopped links until it is destroyed.
  void stop();
  // Queues one frame. Dropped while not connected, and while the frames queued and in flight
  // already hold more than max_queued_bytes (a peer that stops reading costs at most that plus
  // one frame; Raft resends what was lost).
  void send(const Message& message);
  void send(const PeerMessage& message);  // the same, as a runtime frame
  void flush();                          // write everything queued, if no write is running

  NodeId peer() const noexcept { return peer_; }
  const asio::ip::tcp::endpoint& endpoint() const noexcept { return endpoint_; }
  bool connected() const noexcept { return connected_; }
  std::size_t queued_bytes() const noexcept { return queued_.size() + in_flight_.size(); }
  std::uint64_t dropped_frames() const noexcept { return dropped_frames_; }  // over the bound

  static constexpr std::size_t kDefaultMaxQueuedBytes = std::size_t{64} << 20;
  static constexpr std::chrono::milliseconds kMinBackoff{50};
  static constexpr std::chrono::milliseconds kMaxBackoff{2000};

 private:
  void dial();
  void disconnect();
  void watch_for_close();

  asio::io_context& io_;
  NodeId peer_;
  asio::ip::tcp::endpoint endpoint_;
  const PeerSecurity& security_;
  Logger log_;
  std::shared_ptr<Stream> stream_;
  asio::steady_timer redial_timer_;
  std::chrono::milliseconds backoff_ = kMinBackoff;
  std::size_t max_queued_bytes_;
  std::uint64_t dropped_frames_ = 0;
  std::uint64_t epoch_ = 0;  // bumped on disconnect: handlers of an older stream do nothing
  bool connected_ = false;
  bool waiting_to_redial_ = false;  // between disconnect() and the timer's dial()
  bool writing_ = false;
  std::string last_refusal_;          // logged once until it changes or the link connects
  std::vector<std::byte> queued_;     // frames of this turn
  std::vector<std::byte> in_flight_;  // frames being written
  std::array<char, 64> discard_{};    // a peer never writes after its hello; a read only sees EOF
};

// An accepted connection from the member `peer`, after the handshake: bytes → PeerFrameReader →
// one message per frame, Raft's or the runtime's. A frame that does not decode, or a message that
// names another sender than the hello's node or another addressee than this node, closes the
// connection (the peer redials). Runtime messages go to `deliver_peer` (dropped when it is empty).
class PeerInbound : public std::enable_shared_from_this<PeerInbound> {
 public:
  using Deliver = std::function<void(Message)>;
  using DeliverPeer = std::function<void(PeerMessage)>;
  PeerInbound(std::shared_ptr<Stream> stream, std::string remote, NodeId peer, NodeId self, Deliver deliver,
              DeliverPeer deliver_peer, Logger log);
  void start(std::vector<std::byte> leftover);
  void close() { stream_->close(); }

 private:
  void read();
  bool drain();  // delivers every complete frame; false once the connection is dropped
  bool check_ends(NodeId from, NodeId to);  // false (and dropped) if the link may not carry it
  void drop(const std::string& why);

  std::shared_ptr<Stream> stream_;
  std::string remote_;
  NodeId peer_;
  NodeId self_;
  Deliver deliver_;
  DeliverPeer deliver_peer_;
  Logger log_;
  PeerFrameReader decoder_;
  std::vector<std::byte> buffer_;
};

}  // namespace raftio::runtime
