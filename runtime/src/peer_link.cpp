#include "raftio/runtime/peer_link.h"

#include <algorithm>

#include "raftio/runtime/endpoint.h"
#include "raftio/runtime/runtime_wire.h"

namespace raftio::runtime {

PeerLink::PeerLink(asio::io_context& io, NodeId peer, asio::ip::tcp::endpoint endpoint, const PeerSecurity& security,
                   Logger log, std::size_t max_queued_bytes)
    : io_(io),
      peer_(peer),
      endpoint_(std::move(endpoint)),
      security_(security),
      log_(std::move(log)),
      redial_timer_(io),
      max_queued_bytes_(max_queued_bytes) {}

void PeerLink::start() { dial(); }

void PeerLink::stop() {
  ++epoch_;  // every handler still queued sees an old epoch and does nothing
  connected_ = false;
  writing_ = false;
  queued_.clear();
  in_flight_.clear();
  if (stream_) stream_->close();
  redial_timer_.cancel();
  waiting_to_redial_ = false;
}

void PeerLink::redial_now() {
  if (connected_ || !waiting_to_redial_) return;
  ++epoch_;  // the pending timer's dial becomes a no-op
  redial_timer_.cancel();
  backoff_ = kMinBackoff;
  dial();
}

void PeerLink::dial() {
  waiting_to_redial_ = false;
  stream_ = security_.tls ? std::make_shared<Stream>(asio::ip::tcp::socket(io_), *security_.tls)
                          : std::make_shared<Stream>(asio::ip::tcp::socket(io_));
  const std::uint64_t epoch = epoch_;
  stream_->socket().async_connect(endpoint_, [this, epoch](const asio::error_code& error) {
    if (epoch != epoch_) return;
    if (error) {
      disconnect();
      return;
    }
    asio::error_code ignored;
    stream_->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    PeerHandshake::run(stream_, security_, peer_, [this, epoch](HandshakeResult result) {
      if (epoch != epoch_) return;
      if (!result.refusal.empty()) {
        if (result.refusal != last_refusal_) {
          log_("cannot link to peer " + std::to_string(peer_) + " at " + to_string(endpoint_) + ": " + result.refusal);
          last_refusal_ = result.refusal;
        }
        disconnect();
        return;
      }
      connected_ = true;
      backoff_ = kMinBackoff;
      last_refusal_.clear();
      log_("connected to peer " + std::to_string(peer_) + " at " + to_string(endpoint_) +
           (security_.tls ? " (mutual TLS)" : ""));
      watch_for_close();
    });
  });
}

// Closes the stream, drops what was queued and redials after the backoff, which doubles up to
// kMaxBackoff while the peer stays down (or keeps refusing).
void PeerLink::disconnect() {
  ++epoch_;
  if (connected_) log_("lost peer " + std::to_string(peer_));
  connected_ = false;
  writing_ = false;
  queued_.clear();
  in_flight_.clear();
  if (stream_) stream_->close();
  waiting_to_redial_ = true;
  redial_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  const std::uint64_t epoch = epoch_;
  redial_timer_.async_wait([this, epoch](const asio::error_code& error) {
    if (!error && epoch == epoch_) dial();
  });
}

void PeerLink::watch_for_close() {
  const std::uint64_t epoch = epoch_;
  stream_->async_read_some(asio::buffer(discard_), [this, epoch](const asio::error_code& error, std::size_t) {
    if (epoch != epoch_) return;
    if (error) {
      disconnect();
      return;
    }
    watch_for_close();  // a well-behaved peer never writes here; ignore whatever it sent
  });
}

void PeerLink::send(const Message& message) {
  if (!connected_) return;
  if (queued_bytes() > max_queued_bytes_) {  // the peer is too slow: lose the frame
    ++dropped_frames_;
    return;
  }
  wire::encode_into(message, queued_);
}

void PeerLink::send(const PeerMessage& message) {
  if (!connected_) return;
  if (queued_bytes() > max_queued_bytes_) {
    ++dropped_frames_;
    return;
  }
  peer_wire::encode_into(message, queued_);
}

void PeerLink::flush() {
  if (!connected_ || writing_ || queued_.empty()) return;
  writing_ = true;
  in_flight_.swap(queued_);
  const std::uint64_t epoch = epoch_;
  stream_->async_write(asio::buffer(in_flight_), [this, epoch](const asio::error_code& error, std::size_t) {
    if (epoch != epoch_) return;
    if (error) {
      disconnect();
      return;
    }
    writing_ = false;
    in_flight_.clear();
    flush();  // frames queued while this write ran
  });
}

PeerInbound::PeerInbound(std::shared_ptr<Stream> stream, std::string remote, NodeId peer, NodeId self,
                         Deliver deliver, DeliverPeer deliver_peer, Logger log)
    : stream_(std::move(stream)),
      remote_(std::move(remote)),
      peer_(peer),
      self_(self),
      deliver_(std::move(deliver)),
      deliver_peer_(std::move(deliver_peer)),
      log_(std::move(log)),
      buffer_(64 * 1024) {}

void PeerInbound::start(std::vector<std::byte> leftover) {
  decoder_.feed(leftover);
  if (drain()) read();
}

void PeerInbound::read() {
  stream_->async_read_some(asio::buffer(buffer_), [self = shared_from_this()](const asio::error_code& error, std::size_t size) {
    if (error) {
      self->stream_->close();  // closed or reset: the peer redials
      return;
    }
    self->decoder_.feed(std::span<const std::byte>(self->buffer_.data(), size));
    if (self->drain()) self->read();
  });
}

bool PeerInbound::drain() {
  while (auto next = decoder_.next()) {
    if (!next->ok()) {
      drop(next->error().describe());
      return false;
    }
    PeerFrame frame = std::move(*next).value();
    if (auto* message = std::get_if<Message>(&frame)) {
      if (!check_ends(sender_of(*message), receiver_of(*message))) return false;
      deliver_(std::move(*message));
    } else {
      auto& peer_message = std::get<PeerMessage>(frame);
      if (!check_ends(sender_of(peer_message), receiver_of(peer_message))) return false;
      if (deliver_peer_) deliver_peer_(std::move(peer_message));
    }
  }
  return true;
}

// A link speaks for the node that said hello on it, and to this node only: a member cannot forge
// messages (Raft's or the runtime's) from another member over its own link.
bool PeerInbound::check_ends(NodeId from, NodeId to) {
  if (from != peer_) {
    drop("node " + std::to_string(peer_) + " sent a message from node " + std::to_string(from));
    return false;
  }
  if (to != self_) {
    drop("node " + std::to_string(peer_) + " sent a message addressed to node " + std::to_string(to));
    return false;
  }
  return true;
}

void PeerInbound::drop(const std::string& why) {
  log_("dropped peer connection from " + remote_ + ": " + why);
  stream_->close();
}

}  // namespace raftio::runtime
