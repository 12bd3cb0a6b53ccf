#include "raftio/runtime/acceptor.h"

#include <algorithm>
#include <stdexcept>

#include "raftio/runtime/endpoint.h"

namespace raftio::runtime {

Acceptor::Acceptor(asio::io_context& io, std::string what, Logger log)
    : acceptor_(io), retry_timer_(io), what_(std::move(what)), log_(std::move(log)) {}

void Acceptor::listen(const asio::ip::tcp::endpoint& endpoint) {
  address_ = to_string(endpoint);
  asio::error_code error;
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) throw std::runtime_error("cannot listen for " + what_ + " on " + address_ + ": " + error.message());
}

void Acceptor::start(OnAccept on_accept) {
  on_accept_ = std::move(on_accept);
  accept();
}

void Acceptor::close() {
  closed_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
}

void Acceptor::accept() {
  if (closed_) return;
  acceptor_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted || closed_) return;
    if (error) {
      on_failure(error);
      return;
    }
    if (failed_in_burst_ > 0) {
      log_("accepting " + what_ + " on " + address_ + " again after " + std::to_string(failed_in_burst_) +
           " failed accepts");
      failed_in_burst_ = 0;
      backoff_ = kMinBackoff;
    }
    on_accept_(std::move(socket));
    accept();
  });
}

void Acceptor::on_failure(const asio::error_code& error) {
  if (failed_in_burst_++ == 0) {
    log_("accept of " + what_ + " on " + address_ + " failed: " + error.message() +
         "; retrying with backoff (logged again once accepts succeed)");
  }
  ++failed_total_;
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  retry_timer_.async_wait([this](const asio::error_code& timer_error) {
    if (!timer_error) accept();
  });
}

}  // namespace raftio::runtime
