#include "server.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace kv {
namespace {

std::uint64_t open_files_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  return limit.rlim_cur;
}

constexpr std::chrono::milliseconds kHealthCheckEvery{100};

}  // namespace

std::size_t effective_max_clients(std::size_t requested, std::uint64_t open_files_limit) {
  if (open_files_limit <= kReservedDescriptors + 1) return 1;
  return static_cast<std::size_t>(std::min<std::uint64_t>(requested, open_files_limit - kReservedDescriptors));
}

Server::Server(asio::io_context& io, ServerOptions options)
    : io_(io),
      options_(std::move(options)),
      client_acceptor_(io, "clients", [this](std::string_view line) { log(line); }),
      client_read_buffer_(ClientSession::kReadBytes),
      health_timer_(io) {
  if (!options_.client_tls.cert_file.empty()) client_tls_ = raftio::runtime::make_client_tls(options_.client_tls);
  max_clients_ = effective_max_clients(options_.max_clients, open_files_limit());
  if (max_clients_ < options_.max_clients) {
    log("--max-clients " + std::to_string(options_.max_clients) + " lowered to " + std::to_string(max_clients_) +
        ": RLIMIT_NOFILE is " + std::to_string(open_files_limit()) + " and " + std::to_string(kReservedDescriptors) +
        " descriptors are kept for the WAL and the peers");
  }
  options_.node.log = [this](std::string_view line) { log(line); };
}

Server::~Server() = default;

void Server::log(std::string_view line) const {
  std::fprintf(stderr, "raftio-kv node %llu: %.*s\n", static_cast<unsigned long long>(options_.node.id),
               static_cast<int>(line.size()), line.data());
}

void Server::start() {
  client_acceptor_.listen(options_.client);  // first: a port taken fails before the node runs
  auto node = raftio::runtime::Node::start(options_.node, machine_, &io_);
  if (!node) throw std::runtime_error(node.error());
  node_ = std::move(node).value();
  // Runs after the Node's own start on the loop, before its first step: the recovered log.
  asio::post(io_, [this] {
    const raftio::runtime::Status status = node_->status();
    recovered_last_index_ = status.last_index;
    recovered_commit_index_ = status.commit_index;
    recovered_snapshot_index_ = status.first_index == 0 ? 0 : status.first_index - 1;
  });
  // Clients are served once the node has taken its first steps: they restore the snapshot and
  // re-apply the log, so the first client already sees the recovered state, or why there is none
  // (connections made meanwhile wait in the listen backlog).
  health_timer_.expires_after(3 * options_.node.tick);
  health_timer_.async_wait([this](const asio::error_code& error) {
    if (error) return;
    check_health();
    client_acceptor_.start([this](asio::ip::tcp::socket socket) { on_client(std::move(socket)); });
  });
}

void Server::stop(std::chrono::milliseconds handover, std::function<void()> done) {
  if (stopping_) return;
  stopping_ = true;
  health_timer_.cancel();
  auto finish = [this, done = std::move(done)] {
    node_->shutdown(std::chrono::milliseconds(0));
    client_acceptor_.close();
    done();
  };
  if (!node_->is_leader() || handover.count() == 0) {
    finish();
    return;
  }
  // Thesis §3.10: hand leadership to the most up-to-date voter first, so the cluster need not wait
  // an election timeout; the loop keeps running meanwhile (the handover needs it).
  const raftio::runtime::Status status = node_->status();
  raftio::NodeId target = raftio::kNoNode;
  raftio::Index best = 0;
  for (const auto& peer : status.peers) {
    if (peer.voter && peer.id != status.id && (target == raftio::kNoNode || peer.match > best)) {
      target = peer.id;
      best = peer.match;
    }
  }
  if (target == raftio::kNoNode) {
    finish();
    return;
  }
  log("stopping: handing leadership to node " + std::to_string(target) + " first");
  auto once = std::make_shared<std::function<void()>>(std::move(finish));
  auto timer = std::make_shared<asio::steady_timer>(io_, handover);
  const auto run = [once, timer] {
    if (!*once) return;
    auto f = std::move(*once);
    *once = nullptr;
    timer->cancel();
    f();
  };
  timer->async_wait([this, run](const asio::error_code& error) {
    if (!error) log("leadership handover unfinished when its time ran out; stopping anyway");
    run();
  });
  node_->transfer_leadership(target, [this, run, target](Outcome outcome) {
    if (!outcome.ok()) {
      log("leadership transfer to node " + std::to_string(target) + ": " + raftio::runtime::describe(outcome.error()));
    }
    run();
  });
}

// Beyond --max-clients a connection is told why (as Redis does) and closed at once: each costs a
// descriptor, and the WAL must always be able to open its next segment.
void Server::on_client(asio::ip::tcp::socket socket) {
  if (client_sessions_ >= static_cast<std::int64_t>(max_clients_)) {
    ++rejected_clients_;
    if (!max_clients_logged_) {
      log("refusing clients: --max-clients " + std::to_string(max_clients_) +
          " reached (logged once until a client leaves)");
      max_clients_logged_ = true;
    }
    if (!client_tls_) {
      static constexpr std::string_view kFull = "-ERR max number of clients reached\r\n";
      asio::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(kFull.data(), kFull.size()), ignored);
    }
    asio::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    return;
  }
  ++client_sessions_;
  auto stream = client_tls_ ? std::make_unique<raftio::runtime::Stream>(std::move(socket), *client_tls_)
                            : std::make_unique<raftio::runtime::Stream>(std::move(socket));
  std::make_shared<ClientSession>(std::move(stream), *this, client_read_buffer_)->start();
}

// Replies are written once per turn: everything answered meanwhile (a whole batch of commits)
// leaves in one write per connection.
void Server::mark_dirty(const std::shared_ptr<ClientSession>& session) {
  if (session->flush_queued) return;
  session->flush_queued = true;
  dirty_.push_back(session);
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(io_, [this] { flush_dirty(); });
}

void Server::flush_dirty() {
  flush_posted_ = false;
  std::vector<std::shared_ptr<ClientSession>> dirty;
  dirty.swap(dirty_);
  for (auto& session : dirty) {
    session->flush_queued = false;
    session->flush();
  }
}

// The runtime stops a node whose storage failed or whose state machine refused a snapshot (it
// would otherwise serve a state that differs from its peers'). Noticed here within one check, so
// that INFO says so even before a client's request would.
void Server::check_health() {
  if (stopping_ || !unhealthy_reason_.empty()) return;
  if (!probing_health_ && node_->status().stopped) {
    probing_health_ = true;  // a request to a stopped node ends at once, with the reason
    node_->read(raftio::Payload(), [this](Outcome outcome) {
      probing_health_ = false;
      if (!outcome.ok()) become_unhealthy(outcome.error());
    });
  }
  health_timer_.expires_after(kHealthCheckEvery);
  health_timer_.async_wait([this](const asio::error_code& error) {
    if (!error) check_health();
  });
}

void Server::become_unhealthy(const raftio::runtime::Error& error) {
  if (!unhealthy_reason_.empty() || stopping_) return;
  if (!std::holds_alternative<raftio::runtime::StorageFailed>(error)) return;
  unhealthy_reason_ = raftio::runtime::describe(error);
  if (!machine_.restore_error().empty()) unhealthy_reason_ += ": " + machine_.restore_error();
  log("UNHEALTHY: " + unhealthy_reason_ +
      ". Reads and writes are refused; INFO shows the reason. To recover, stop this node, move its data "
      "directory away and restart it empty: it catches up from the leader.");
}

}  // namespace kv
