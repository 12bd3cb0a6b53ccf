// A connected byte stream that is either plain TCP or TLS over TCP, with the handful of
// asynchronous operations the transport and the client sessions use. With plain TCP the
// "handshake" completes at once, so callers do not branch on the mode.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "raftio/runtime/endpoint.h"

namespace raftio::runtime {

class Stream {
 public:
  explicit Stream(asio::ip::tcp::socket socket) : plain_(std::move(socket)) {}
  Stream(asio::ip::tcp::socket socket, asio::ssl::context& tls)
      : tls_(std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(std::move(socket), tls)) {}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  asio::ip::tcp::socket& socket() noexcept { return tls_ ? tls_->next_layer() : *plain_; }
  bool is_tls() const noexcept { return tls_ != nullptr; }
  SSL* ssl() noexcept { return tls_ ? tls_->native_handle() : nullptr; }

  // "127.0.0.1:54321", or "unknown" once the socket is closed.
  std::string remote() {
    asio::error_code error;
    const auto endpoint = socket().remote_endpoint(error);
    return error ? std::string("unknown") : to_string(endpoint);
  }

  template <class Handler>
  void async_handshake(asio::ssl::stream_base::handshake_type type, Handler&& handler) {
    if (tls_) {
      tls_->async_handshake(type, std::forward<Handler>(handler));
    } else {
      asio::post(plain_->get_executor(),
                 [handler = std::forward<Handler>(handler)]() mutable { handler(asio::error_code()); });
    }
  }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      plain_->async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  // Writes every byte of `buffers` (asio::async_write).
  template <class Buffers, class Handler>
  void async_write(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    } else {
      asio::async_write(*plain_, buffers, std::forward<Handler>(handler));
    }
  }

  // Closes the socket (no TLS close_notify: every protocol on these streams is self-delimiting).
  void close() {
    asio::error_code ignored;
    socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  std::optional<asio::ip::tcp::socket> plain_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
};

}  // namespace raftio::runtime
