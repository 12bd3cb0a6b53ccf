#include "peer_link.h"

#include <algorithm>
#include <cstdio>

namespace kv {

PeerLink::PeerLink(asio::io_context& io, raftio::NodeId peer, asio::ip::tcp::endpoint endpoint)
    : io_(io), peer_(peer), endpoint_(std::move(endpoint)), socket_(io), redial_timer_(io) {}

void PeerLink::start() { dial(); }

void PeerLink::dial() {
  socket_ = asio::ip::tcp::socket(io_);
  const std::uint64_t epoch = epoch_;
  socket_.async_connect(endpoint_, [this, epoch](const asio::error_code& error) {
    if (epoch != epoch_) return;
    if (error) {
      disconnect();
      return;
    }
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    connected_ = true;
    backoff_ = kMinBackoff;
    std::fprintf(stderr, "raftio-kv: connected to peer %llu\n", static_cast<unsigned long long>(peer_));
    watch_for_close();
  });
}

// Closes the socket, drops what was queued and redials after the backoff, which doubles up to
// kMaxBackoff while the peer stays down.
void PeerLink::disconnect() {
  ++epoch_;
  if (connected_) {
    std::fprintf(stderr, "raftio-kv: lost peer %llu\n", static_cast<unsigned long long>(peer_));
  }
  connected_ = false;
  writing_ = false;
  queued_.clear();
  in_flight_.clear();
  asio::error_code ignored;
  socket_.close(ignored);
  redial_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  const std::uint64_t epoch = epoch_;
  redial_timer_.async_wait([this, epoch](const asio::error_code& error) {
    if (!error && epoch == epoch_) dial();
  });
}

void PeerLink::watch_for_close() {
  const std::uint64_t epoch = epoch_;
  socket_.async_read_some(asio::buffer(discard_), [this, epoch](const asio::error_code& error, std::size_t) {
    if (epoch != epoch_) return;
    if (error) {
      disconnect();
      return;
    }
    watch_for_close();  // a well-behaved peer never writes here; ignore whatever it sent
  });
}

void PeerLink::send(const raftio::Message& message) {
  if (!connected_) return;
  if (queued_.size() + in_flight_.size() > kMaxQueuedBytes) return;  // peer too slow: lose it
  raftio::wire::encode_into(message, queued_);
}

void PeerLink::flush() {
  if (!connected_ || writing_ || queued_.empty()) return;
  writing_ = true;
  in_flight_.swap(queued_);
  const std::uint64_t epoch = epoch_;
  asio::async_write(socket_, asio::buffer(in_flight_), [this, epoch](const asio::error_code& error, std::size_t) {
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

PeerInbound::PeerInbound(asio::ip::tcp::socket socket, Deliver deliver)
    : socket_(std::move(socket)), deliver_(std::move(deliver)), buffer_(64 * 1024) {}

void PeerInbound::start() {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  read();
}

void PeerInbound::read() {
  socket_.async_read_some(asio::buffer(buffer_),
                          [self = shared_from_this()](const asio::error_code& error, std::size_t size) {
                            if (error) return;  // closed: the peer redials
                            self->decoder_.feed(std::span<const std::byte>(self->buffer_.data(), size));
                            while (auto next = self->decoder_.next()) {
                              if (!next->ok()) {
                                std::fprintf(stderr, "raftio-kv: dropping a peer connection: %s\n",
                                             next->error().describe().c_str());
                                asio::error_code ignored;
                                self->socket_.close(ignored);
                                return;
                              }
                              self->deliver_(std::move(*next).value());
                            }
                            self->read();
                          });
}

}  // namespace kv
