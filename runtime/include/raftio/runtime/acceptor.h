// A listening socket that hands every accepted connection to a callback, and survives failed
// accepts.
//
// Why a class: at the file-descriptor limit accept() fails with EMFILE while the connection stays
// in the kernel's backlog, so the listening socket stays readable; accepting again at once spins a
// core and logs nothing while new connections hang. Here a failed accept is logged once per
// burst (the first failure, then a summary when an accept succeeds again) and retried after a
// backoff that doubles from 10 ms to 1 s.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace raftio::runtime {

using Logger = std::function<void(std::string_view line)>;

class Acceptor {
 public:
  using OnAccept = std::function<void(asio::ip::tcp::socket)>;

  // `what` names the listener in log lines and errors: "clients", "peers".
  Acceptor(asio::io_context& io, std::string what, Logger log);
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Binds and listens. Throws std::runtime_error "cannot listen for <what> on <address>: <reason>".
  void listen(const asio::ip::tcp::endpoint& endpoint);
  void start(OnAccept on_accept);
  void close();  // stops listening for good (a pending retry included)

  std::uint64_t failed_accepts() const noexcept { return failed_total_; }

  static constexpr std::chrono::milliseconds kMinBackoff{10};
  static constexpr std::chrono::milliseconds kMaxBackoff{1000};

 private:
  void accept();
  void on_failure(const asio::error_code& error);

  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::string what_;
  std::string address_;
  Logger log_;
  OnAccept on_accept_;
  std::chrono::milliseconds backoff_ = kMinBackoff;
  std::uint64_t failed_in_burst_ = 0;
  std::uint64_t failed_total_ = 0;
  bool closed_ = false;
};

}  // namespace raftio::runtime
