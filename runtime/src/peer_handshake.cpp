#include "raftio/runtime/peer_handshake.h"

#include "raftio/runtime/tls.h"

namespace raftio::runtime {

void PeerHandshake::run(std::shared_ptr<Stream> stream, const PeerSecurity& security, NodeId dialed, Done done) {
  std::make_shared<PeerHandshake>(std::move(stream), security, dialed, std::move(done))->start();
}

PeerHandshake::PeerHandshake(std::shared_ptr<Stream> stream, const PeerSecurity& security, NodeId dialed, Done done)
    : stream_(std::move(stream)),
      security_(security),
      dialed_(dialed),
      done_(std::move(done)),
      deadline_(stream_->socket().get_executor()),
      hello_out_(encode_hello(Hello{security.self, security.cluster_id})) {}

void PeerHandshake::start() {
  deadline_.expires_after(security_.handshake_timeout);
  deadline_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (!error) {
      self->finish("no hello within " + std::to_string(self->security_.handshake_timeout.count()) + " ms");
    }
  });
  const auto side = dialed_ != kNoNode ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
  stream_->async_handshake(side, [self = shared_from_this()](const asio::error_code& error) { self->on_tls(error); });
}

void PeerHandshake::on_tls(const asio::error_code& error) {
  if (finished_) return;
  if (error) {
    finish("TLS handshake failed: " + describe_tls_error(error));
    return;
  }
  // The dialling side speaks first; the accepting side answers only a member's hello, so a
  // stranger learns nothing about the cluster, not even its id.
  if (dialed_ != kNoNode) write_hello();
  read();
}

void PeerHandshake::write_hello() {
  stream_->async_write(asio::buffer(hello_out_), [self = shared_from_this()](const asio::error_code& error, std::size_t) {
    if (self->finished_) return;
    if (error) {
      self->finish("cannot send the hello: " + describe_tls_error(error));
      return;
    }
    self->wrote_ = true;
    self->maybe_done();
  });
}

void PeerHandshake::read() {
  stream_->async_read_some(asio::buffer(chunk_), [self = shared_from_this()](const asio::error_code& error, std::size_t size) {
    if (self->finished_) return;
    if (error) {
      if (self->dialed_ != kNoNode && !self->received_.empty()) {
        self->finish("read failed in its hello: " + describe_tls_error(error));
      } else if (self->dialed_ != kNoNode) {
        self->finish("it closed the connection before its hello: it refused this node (its log says why)");
      } else {
        self->finish(error == asio::error::eof ? std::string("closed before its hello")
                                               : "read failed before the hello: " + describe_tls_error(error));
      }
      return;
    }
    self->on_read(size);
  });
}

void PeerHandshake::on_read(std::size_t size) {
  received_.insert(received_.end(), chunk_.begin(), chunk_.begin() + static_cast<std::ptrdiff_t>(size));
  const HelloDecode decoded = decode_hello(received_);
  if (decoded.status == HelloDecode::Status::NeedMore) {
    read();
    return;
  }
  if (decoded.status == HelloDecode::Status::Error) {
    finish(describe(decoded));
    return;
  }
  const HelloPolicy policy{security_.cluster_id, security_.self, security_.members, dialed_};
  if (const auto refusal = check_hello(decoded.hello, policy)) {
    finish(describe(*refusal, decoded.hello, policy));
    return;
  }
  if (stream_->is_tls()) {
    // The CA vouched for the certificate; this ties it to the node id the hello claims.
    const std::string name = peer_certificate_name(decoded.hello.node_id, security_.cluster_id);
    if (!peer_certificate_names(stream_->ssl(), name)) {
      finish("its certificate does not name " + name + " (the hello claims node " +
             std::to_string(decoded.hello.node_id) + ")");
      return;
    }
  }
  result_.peer = decoded.hello.node_id;
  result_.leftover.assign(received_.begin() + static_cast<std::ptrdiff_t>(decoded.consumed), received_.end());
  read_ = true;
  if (dialed_ == kNoNode) {
    write_hello();  // a member: answer it
  } else {
    maybe_done();
  }
}

void PeerHandshake::maybe_done() {
  if (wrote_ && read_) finish({});
}

void PeerHandshake::finish(std::string refusal) {
  if (finished_) return;
  finished_ = true;
  deadline_.cancel();
  if (!refusal.empty()) {
    stream_->close();
    result_ = HandshakeResult{std::move(refusal), kNoNode, {}};
  }
  done_(std::move(result_));
}

}  // namespace raftio::runtime
