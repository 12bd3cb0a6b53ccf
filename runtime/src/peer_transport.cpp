#include "raftio/runtime/peer_transport.h"

#include <stdexcept>

namespace raftio::runtime {
namespace {

constexpr std::chrono::minutes kRefusalLogInterval{1};

std::string host_of(const std::string& remote) { return remote.substr(0, remote.rfind(':')); }

}  // namespace

PeerTransport::PeerTransport(asio::io_context& io, PeerTransportOptions options, Logger log, Deliver deliver,
                             DeliverPeer deliver_peer)
    : io_(io),
      tls_(std::move(options.tls)),
      max_pending_handshakes_(options.max_pending_handshakes),
      max_queued_bytes_per_peer_(options.max_queued_bytes_per_peer),
      log_(std::move(log)),
      deliver_(std::move(deliver)),
      deliver_peer_(std::move(deliver_peer)),
      acceptor_(io, "peers", log_) {
  if (!valid_cluster_id(options.cluster_id)) {
    throw std::invalid_argument("cluster id '" + options.cluster_id + "': use 1 to 64 of [A-Za-z0-9._-]");
  }
  const auto self = options.peers.find(options.self);
  if (self == options.peers.end()) throw std::invalid_argument("the peers do not include this node");
  listen_on_ = self->second;
  security_.cluster_id = options.cluster_id;
  security_.self = options.self;
  security_.tls = tls_.get();
  security_.handshake_timeout = options.handshake_timeout;
  for (const auto& [id, endpoint] : options.peers) {
    security_.members.push_back(id);
    if (id != options.self) {
      links_.emplace(id, std::make_unique<PeerLink>(io_, id, endpoint, security_, log_, max_queued_bytes_per_peer_));
    }
  }
}

void PeerTransport::listen() { acceptor_.listen(listen_on_); }

void PeerTransport::start() {
  started_ = true;
  acceptor_.start([this](asio::ip::tcp::socket socket) { on_accept(std::move(socket)); });
  for (auto& [id, link] : links_) link->start();
}

void PeerTransport::stop() {
  started_ = false;
  acceptor_.close();
  for (auto& [id, link] : links_) link->stop();
  for (const std::weak_ptr<PeerInbound>& weak : inbound_) {
    if (const auto inbound = weak.lock()) inbound->close();
  }
  inbound_.clear();
}

void PeerTransport::set_peers(const std::map<NodeId, asio::ip::tcp::endpoint>& peers) {
  security_.members = {security_.self};
  for (const auto& [id, endpoint] : peers) {
    if (id != security_.self) security_.members.push_back(id);
  }
  for (auto it = links_.begin(); it != links_.end();) {
    const auto wanted = peers.find(it->first);
    if (wanted != peers.end() && wanted->second == it->second->endpoint()) {
      ++it;
      continue;
    }
    it->second->stop();
    stopped_links_.push_back(std::move(it->second));
    it = links_.erase(it);
  }
  for (const auto& [id, endpoint] : peers) {
    if (id == security_.self || links_.count(id) != 0) continue;
    auto link = std::make_unique<PeerLink>(io_, id, endpoint, security_, log_, max_queued_bytes_per_peer_);
    if (started_) link->start();
    links_.emplace(id, std::move(link));
  }
}

void PeerTransport::on_accept(asio::ip::tcp::socket socket) {
  asio::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  auto stream = tls_ ? std::make_shared<Stream>(std::move(socket), *tls_) : std::make_shared<Stream>(std::move(socket));
  std::string remote = stream->remote();
  if (pending_handshakes_ >= max_pending_handshakes_) {
    if (!over_pending_logged_) {
      log_("refusing peer connections: " + std::to_string(pending_handshakes_) +
           " are still in their handshake (logged once until one completes)");
      over_pending_logged_ = true;
    }
    ++refused_;
    stream->close();
    return;
  }
  ++pending_handshakes_;
  PeerHandshake::run(stream, security_, kNoNode, [this, stream, remote](HandshakeResult result) {
    --pending_handshakes_;
    over_pending_logged_ = false;
    if (!result.refusal.empty()) {
      refuse(remote, result.refusal);
      return;
    }
    if (!started_) {
      stream->close();
      return;
    }
    // A node that refused us earlier (it did not know us yet) now admits us: link back at once, so
    // that what we send it (a vote request of a leadership transfer, say) is not lost to a backoff.
    if (const auto link = links_.find(result.peer); link != links_.end()) link->second->redial_now();
    auto inbound = std::make_shared<PeerInbound>(stream, remote, result.peer, security_.self, deliver_, deliver_peer_, log_);
    std::erase_if(inbound_, [](const std::weak_ptr<PeerInbound>& weak) { return weak.expired(); });
    inbound_.push_back(inbound);
    inbound->start(std::move(result.leftover));
  });
}

void PeerTransport::refuse(const std::string& remote, const std::string& why) {
  ++refused_;
  const auto now = std::chrono::steady_clock::now();
  auto& last = recent_refusals_[host_of(remote) + " " + why];
  if (last != std::chrono::steady_clock::time_point{} && now - last < kRefusalLogInterval) return;
  last = now;
  if (recent_refusals_.size() > 1024) recent_refusals_.clear();  // a bound, not a cache
  log_("refused peer connection from " + remote + ": " + why);
}

void PeerTransport::send(const Message& message) {
  const auto link = links_.find(receiver_of(message));
  if (link != links_.end()) link->second->send(message);
}

void PeerTransport::send(const PeerMessage& message) {
  const auto link = links_.find(receiver_of(message));
  if (link != links_.end()) link->second->send(message);
}

void PeerTransport::flush() {
  for (auto& [id, link] : links_) link->flush();
}

std::size_t PeerTransport::queued_bytes(NodeId peer) const {
  const auto link = links_.find(peer);
  return link == links_.end() ? 0 : link->second->queued_bytes();
}

std::uint64_t PeerTransport::dropped_frames() const {
  std::uint64_t dropped = 0;
  for (const auto& [id, link] : links_) dropped += link->dropped_frames();
  for (const auto& link : stopped_links_) dropped += link->dropped_frames();
  return dropped;
}

std::size_t PeerTransport::connected_links() const {
  std::size_t connected = 0;
  for (const auto& [id, link] : links_) connected += link->connected() ? 1 : 0;
  return connected;
}

}  // namespace raftio::runtime
