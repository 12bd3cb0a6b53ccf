// raftio-kv's server: Redis clients on one side, a raftio::runtime::Node on the other, both on the
// server's single-threaded io_context (the Node borrows it). Everything Raft does (ticks, the
// peers and their TLS, the WAL and its I/O thread, snapshots, membership) is the Node's; the
// server parses commands, hands writes and reads to the Node with callbacks (never waiting on the
// loop) and writes each reply back in its connection's order.
//
//   SET / DEL / INCR         → Node::propose   (KvMachine::apply's RESP reply)
//   GET / EXISTS             → Node::read      (linearizable: KvMachine::query's reply)
//   RAFT.ADDNODE / REMOVENODE / TRANSFER / STATUS → the Node's membership calls and status()
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <raftio/runtime/acceptor.h>
#include <raftio/runtime/node.h>
#include <raftio/runtime/tls.h>

#include "client_session.h"
#include "kv_machine.h"

namespace kv {

struct ServerOptions {
  // The Raft node: id, cluster id, members (Bootstrap: every voter; Join: the running cluster's
  // members and this node), data directory, storage mode, timing, snapshots, peer TLS.
  raftio::runtime::NodeOptions node;
  // TLS on the client port when cert_file is set; with trusted_ca_file, clients need a certificate.
  raftio::runtime::TlsFiles client_tls;
  // Connections beyond this get "-ERR max number of clients reached" (clamped at start to what
  // RLIMIT_NOFILE leaves after kReservedDescriptors).
  std::size_t max_clients = 10000;
  std::map<raftio::NodeId, std::string> client_addresses;  // for -MOVED (optional)
  asio::ip::tcp::endpoint client;                          // where Redis clients connect
  std::size_t recovered_wal_records = 0;                   // what the WAL held at start (INFO)
};

// Descriptors kept for the WAL, the peers and the process itself when --max-clients is clamped
// to RLIMIT_NOFILE (as Redis reserves 32).
inline constexpr std::size_t kReservedDescriptors = 64;

// --max-clients as the descriptor limit allows: at most `open_files_limit` - kReservedDescriptors
// (and at least 1).
std::size_t effective_max_clients(std::size_t requested, std::uint64_t open_files_limit);

class Server {
 public:
  // Throws std::runtime_error when a client TLS file cannot be loaded.
  Server(asio::io_context& io, ServerOptions options);
  ~Server();
  // Starts the node and listens for clients; throws std::runtime_error naming what failed (an
  // address that does not bind, a log that does not open, a bad certificate).
  void start();
  // Hands leadership over if this node leads (for at most `handover`), stops the node, then
  // calls `done` (on the loop).
  void stop(std::chrono::milliseconds handover, std::function<void()> done);

  // Used by client sessions.
  void submit(const std::shared_ptr<ClientSession>& session, const std::vector<std::string_view>& args,
              std::size_t request_bytes);
  void mark_dirty(const std::shared_ptr<ClientSession>& session);
  // A session with no command awaiting its reply is idle (+1), one that sent a command busy (-1).
  void session_idle(int change) { idle_sessions_ += change; }
  void session_closed() {
    --client_sessions_;
    max_clients_logged_ = false;
  }
  void client_tls_failed() { ++client_tls_failures_; }

 private:
  using Outcome = raftio::runtime::Node::Outcome;

  void log(std::string_view line) const;
  void on_client(asio::ip::tcp::socket socket);
  void flush_dirty();
  void check_health();
  void become_unhealthy(const raftio::runtime::Error& error);
  std::string error_reply(const raftio::runtime::Error& error);

  // commands.cpp: the Redis command table.
  void propose(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, std::string command);
  void send_proposal(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, std::string command);
  void read(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, Op op,
            std::span<const std::string_view> keys);
  void membership(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, const std::string& name,
                  std::span<const std::string_view> args);
  std::string info();
  std::string raft_status();
  std::string not_leader_reply(raftio::NodeId hint) const;
  std::string client_address(raftio::NodeId node) const;

  asio::io_context& io_;
  ServerOptions options_;
  KvMachine machine_;
  std::unique_ptr<raftio::runtime::Node> node_;
  std::unique_ptr<asio::ssl::context> client_tls_;
  raftio::runtime::Acceptor client_acceptor_;
  std::vector<char> client_read_buffer_;  // shared by the plain-TCP client sessions
  std::size_t max_clients_ = 0;
  std::int64_t client_sessions_ = 0;
  std::uint64_t rejected_clients_ = 0;
  std::uint64_t client_tls_failures_ = 0;
  bool max_clients_logged_ = false;
  std::int64_t idle_sessions_ = 0;
  std::vector<std::shared_ptr<ClientSession>> dirty_;  // sessions with replies to write
  bool flush_posted_ = false;
  // Set once the node stopped serving: a snapshot its state machine cannot decode, or storage that
  // failed. The process stays up (a restart would fail the same way) and answers INFO and PING;
  // reads and writes get -ERR naming the reason.
  std::string unhealthy_reason_;
  bool probing_health_ = false;
  asio::steady_timer health_timer_;
  bool stopping_ = false;

  // What the node recovered from its data directory at start-up (INFO shows it).
  raftio::Index recovered_last_index_ = 0;
  raftio::Index recovered_commit_index_ = 0;
  raftio::Index recovered_snapshot_index_ = 0;
};

}  // namespace kv
