#include "server.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace kv {
namespace {

raftio::RaftConfig make_config(const ServerOptions& options) {
  std::vector<raftio::NodeId> voters;
  for (const auto& [id, endpoint] : options.peers) voters.push_back(id);
  auto config = raftio::RaftConfig::builder(options.id)
                    .voters(voters)
                    .election_ticks(options.election_ticks)
                    .heartbeat_ticks(options.heartbeat_ticks)
                    .max_entries_per_msg(1024)
                    .max_inflight_msgs(256)
                    .snapshot_threshold(options.snapshot_entries)
                    .async_storage(options.async_storage)
                    .build();
  if (!config) throw std::invalid_argument(config.error().describe());
  return std::move(config).value();
}

resp::Reply outcome_reply(const Outcome& outcome) {
  std::string reply;
  switch (outcome.kind) {
    case Outcome::Kind::Ok: resp::append_simple(reply, "OK"); break;
    case Outcome::Kind::Integer: resp::append_integer(reply, outcome.integer); break;
    case Outcome::Kind::Error: resp::append_error(reply, outcome.error); break;
    case Outcome::Kind::Bulk: return resp::bulk_reply(outcome.bulk);
    case Outcome::Kind::Null: resp::append_null(reply); break;
  }
  return reply;
}

std::string error_reply(std::string_view text) {
  std::string reply;
  resp::append_error(reply, text);
  return reply;
}

raftio::runtime::PeerTransportOptions peer_options(const ServerOptions& options) {
  raftio::runtime::PeerTransportOptions out;
  out.cluster_id = options.cluster_id;
  out.self = options.id;
  out.peers = options.peers;
  if (!options.peer_tls.cert_file.empty()) out.tls = raftio::runtime::make_peer_tls(options.peer_tls);
  return out;
}

std::uint64_t open_files_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  return limit.rlim_cur;
}

}  // namespace

std::size_t effective_max_clients(std::size_t requested, std::uint64_t open_files_limit) {
  if (open_files_limit <= kReservedDescriptors + 1) return 1;
  return static_cast<std::size_t>(std::min<std::uint64_t>(requested, open_files_limit - kReservedDescriptors));
}

Server::Server(asio::io_context& io, ServerOptions options, std::unique_ptr<raftio::wal::WalLog> wal)
    : io_(io),
      options_(std::move(options)),
      node_(make_config(options_), std::move(wal)),
      peers_(io, peer_options(options_), [this](std::string_view line) { log(line); },
             [this](raftio::Message message) { enqueue(raftio::Receive{std::move(message)}); }),
      client_acceptor_(io, "clients", [this](std::string_view line) { log(line); }),
      client_read_buffer_(ClientSession::kReadBytes),
      tick_timer_(io),
      linger_timer_(io) {
  if (!options_.client_tls.cert_file.empty()) client_tls_ = raftio::runtime::make_client_tls(options_.client_tls);
  max_clients_ = effective_max_clients(options_.max_clients, open_files_limit());
  if (max_clients_ < options_.max_clients) {
    log("--max-clients " + std::to_string(options_.max_clients) + " lowered to " + std::to_string(max_clients_) +
        ": RLIMIT_NOFILE is " + std::to_string(open_files_limit()) + " and " + std::to_string(kReservedDescriptors) +
        " descriptors are kept for the WAL and the peers");
  }
  recovered_last_index_ = node_.last_index();
  recovered_commit_index_ = node_.commit_index();
  recovered_snapshot_index_ = node_.first_index() - 1;
  if (const auto* log = dynamic_cast<const raftio::wal::WalLog*>(&node_.log())) {
    recovered_wal_records_ = log->recovery().records;
  }
  if (node_.storage_error()) {
    // The node recovered nothing it can run on (e.g. a snapshot file that fails its checksum).
    // Exiting would only start the same failure again under a supervisor: stay up, say why.
    node_failed_ = true;
    become_unhealthy("storage failed at start-up: " + node_.storage_error()->context);
  }
  if (options_.async_storage) {
    // From here on only the I/O thread touches the WalLog (the node read it in its constructor).
    persist_thread_ = std::make_unique<raftio::runtime::PersistThread>(node_.log(), io_, [this](std::vector<raftio::Event> events) {
      for (raftio::Event& event : events) enqueue(std::move(event));
    });
  }
}

void Server::log(std::string_view line) const {
  std::fprintf(stderr, "raftio-kv node %llu: %.*s\n", static_cast<unsigned long long>(options_.id),
               static_cast<int>(line.size()), line.data());
}

// One step before anything is served: it hands the state machine what the node recovered (the
// snapshot, the committed entries), so the first client already sees the recovered state, or the
// reason it cannot be served.
void Server::first_step() {
  if (node_failed_) return;
  actions_.clear();
  node_.step(std::span<raftio::Event>(), actions_);
  for (raftio::Action& action : actions_) handle(action);
  actions_.clear();
}

void Server::start() {
  first_step();
  peers_.listen();
  client_acceptor_.listen(options_.client);
  peers_.start();
  client_acceptor_.start([this](asio::ip::tcp::socket socket) { on_client(std::move(socket)); });
  next_tick_ = std::chrono::steady_clock::now();
  schedule_tick();
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

// A steady clock paces the ticks; a loop that fell behind skips ticks instead of bursting them.
void Server::schedule_tick() {
  const auto now = std::chrono::steady_clock::now();
  next_tick_ = std::max(next_tick_ + options_.tick, now);
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const asio::error_code& error) {
    if (error) return;
    ++ticks_;
    enqueue(raftio::Tick{});
    schedule_tick();
  });
}

void Server::enqueue(raftio::Event event) {
  events_.push_back(std::move(event));
  request_turn();
}

void Server::request_turn() {
  if (turn_posted_) return;
  turn_posted_ = true;
  asio::post(io_, [this] { run_turn(); });
}

void Server::mark_dirty(const std::shared_ptr<ClientSession>& session) {
  if (session->flush_queued) return;
  session->flush_queued = true;
  dirty_.push_back(session);
  request_turn();
}

// The end of a turn: one step for every event that arrived, then the actions in order, then one
// write per peer and per client that has something to send.
void Server::run_turn() {
  turn_posted_ = false;
  if (linger_armed_ && idle_sessions_ <= 0) {  // every client has a request in: no need to wait
    linger_timer_.cancel();
    linger_armed_ = false;
    ++early_releases_;
  }
  take_batch();
  if (node_failed_) batch_.clear();  // the node refuses every step; clients were refused already
  if (!batch_.empty()) {
    ++steps_;
    stepped_events_ += batch_.size();
    std::size_t proposals = 0;
    for (const raftio::Event& event : batch_) proposals += std::holds_alternative<raftio::Propose>(event);
    stepped_proposals_ += proposals;
    const raftio::Index durable_before = node_.durable_index();
    const raftio::Index last_before = node_.last_index();
    actions_.clear();
    const auto step_start = std::chrono::steady_clock::now();
    node_.step(std::span<raftio::Event>(batch_), actions_);
    step_micros_ += static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - step_start).count());
    batch_.clear();
    if (node_.durable_index() > durable_before) ++appending_steps_;
    if (proposals > 0 && node_.is_leader() && node_.last_index() > last_before) {
      inflight_batches_.push_back(InflightBatch{node_.last_index(), proposals});
    }
    const std::size_t inflight_before = inflight_batches_.size();
    committed_batch_proposals_ = 0;
    serve_confirmed_reads();
    for (raftio::Action& action : actions_) handle(action);
    serve_ready_reads();
    expire_orphaned_writes();
    if (!unhealthy_reason_.empty()) hand_off_leadership();
    if (snapshot_wanted_ && unhealthy_reason_.empty()) {
      snapshot_wanted_ = false;
      ++snapshots_taken_;
      enqueue(raftio::SnapshotTaken{applied_, raftio::Payload::copy_of(state_.serialize())});
    }
    // A batch committed. Linger only if it carried several writes: a lone client writing one
    // command at a time would otherwise wait for the linger on every write.
    if (!holding() && inflight_batches_.size() < inflight_before && committed_batch_proposals_ > 1) start_linger();
  }
  if (!held_.empty() && !holding() && !linger_armed_) request_turn();
  peers_.flush();
  std::vector<std::shared_ptr<ClientSession>> dirty;
  dirty.swap(dirty_);
  for (auto& session : dirty) {
    session->flush_queued = false;
    session->flush();
  }
}

// True while the leader has max_inflight_batches batches of proposals appended but not
// committed. Client requests then wait (in order) and go together into one step after the next
// commit: under load every batch holds everything that arrived during one replication round, so
// each fdatasync (leader and followers alike) covers as many writes as possible.
bool Server::holding() {
  if (!node_.is_leader()) {
    inflight_batches_.clear();
    return false;
  }
  while (!inflight_batches_.empty() && inflight_batches_.front().last_index <= node_.commit_index()) {
    committed_batch_proposals_ = std::max(committed_batch_proposals_, inflight_batches_.front().proposals);
    inflight_batches_.pop_front();
  }
  return options_.max_inflight_batches > 0 && inflight_batches_.size() >= options_.max_inflight_batches;
}

// After a commit, client requests keep waiting for a short linger, so that the requests of the
// clients just answered (they arrive within a few hundred microseconds) join the next batch:
// without it the clients split into groups that alternate, each waiting for the other's round.
// The linger ends early once no client connection is idle (run_turn).
void Server::start_linger() {
  if (linger_armed_ || options_.batch_linger.count() == 0) return;
  linger_armed_ = true;
  linger_timer_.expires_after(options_.batch_linger);
  linger_timer_.async_wait([this](const asio::error_code& error) {
    if (error || !linger_armed_) return;
    linger_armed_ = false;
    ++timer_releases_;
    request_turn();
  });
}

// Moves this turn's events into batch_. While holding (or lingering), client requests (proposals
// and reads, so a pipelined SET then GET keep their order) join held_ instead; peer messages and
// ticks never wait.
void Server::take_batch() {
  const bool hold = holding() || linger_armed_;
  if (!hold && held_.empty()) {
    batch_.swap(events_);
    return;
  }
  if (!hold) {
    for (raftio::Event& event : held_) batch_.push_back(std::move(event));
    held_.clear();
  }
  for (raftio::Event& event : events_) {
    const bool client = std::holds_alternative<raftio::Propose>(event) || std::holds_alternative<raftio::ReadIndex>(event);
    (hold && client ? held_ : batch_).push_back(std::move(event));
  }
  events_.clear();
}

void Server::handle(raftio::Action& action) {
  if (auto* send = std::get_if<raftio::Send>(&action)) {
    peers_.send(send->message);
  } else if (auto* apply = std::get_if<raftio::Apply>(&action)) {
    on_apply(apply->entry);
  } else if (auto* accepted = std::get_if<raftio::ProposalAccepted>(&action)) {
    const auto it = writes_.find(accepted->id);
    if (it == writes_.end()) return;
    it->second.index = accepted->index;
    it->second.term = accepted->term;
    const auto [slot, inserted] = writes_by_index_.try_emplace(accepted->index, accepted->id);
    if (!inserted) {  // an older proposal at this index was overwritten before it was applied
      const auto old = writes_.find(slot->second);
      if (old != writes_.end()) {
        answer_write(old->second, error_reply("TRYAGAIN write lost to a leader change; retry"));
        writes_.erase(old);
      }
      slot->second = accepted->id;
    }
  } else if (auto* ready = std::get_if<raftio::ReadReady>(&action)) {
    // Already served by serve_confirmed_reads() if this node had applied ready->index.
    if (reads_.count(ready->id) != 0) reads_by_index_.emplace(ready->index, ready->id);
  } else if (auto* reject = std::get_if<raftio::Reject>(&action)) {
    on_reject(*reject);
  } else if (auto* changed = std::get_if<raftio::LeaderChanged>(&action)) {
    log("term " + std::to_string(changed->term) + ", leader " + std::to_string(changed->leader));
  } else if (auto* restore = std::get_if<raftio::RestoreSnapshot>(&action)) {
    if (!unhealthy_reason_.empty()) return;  // the state machine is frozen where it failed
    std::string why;
    if (!state_.restore(restore->snapshot.data.as_string_view(), &why)) {
      // The node has saved this snapshot already, so exiting would fail again at every restart
      // (a crash loop). Keep the previous state, refuse to serve it, and stay up to say why.
      become_unhealthy("snapshot at index " + std::to_string(restore->snapshot.last_index) +
                       " does not decode: " + why);
      return;
    }
    applied_ = restore->snapshot.last_index;
    while (!writes_by_index_.empty() && writes_by_index_.begin()->first <= applied_) {
      const auto it = writes_.find(writes_by_index_.begin()->second);
      if (it != writes_.end()) {
        answer_write(it->second, error_reply("TRYAGAIN outcome unknown (state replaced by a snapshot)"));
        writes_.erase(it);
      }
      writes_by_index_.erase(writes_by_index_.begin());
    }
  } else if (auto* persist = std::get_if<raftio::Persist>(&action)) {
    persist_thread_->submit(std::move(*persist));  // Persisted comes back through enqueue()
  } else if (std::get_if<raftio::SnapshotSuggested>(&action)) {
    snapshot_wanted_ = true;
  } else if (auto* failed = std::get_if<raftio::StorageFailed>(&action)) {
    // The node refuses every further step; a process supervisor should restart it after the
    // disk is fixed. Clients get an error rather than a hang.
    log("storage failed: " + failed->error.context);
    fail_all("ERR storage failed");
    for (auto& session : dirty_) session->flush();
    std::exit(2);
  }
}

// Applies one committed entry, and answers the client whose proposal it was: only if the entry
// applied at the proposal's index has the proposal's term; otherwise the proposal was lost.
void Server::on_apply(const raftio::LogEntry& entry) {
  if (!unhealthy_reason_.empty()) return;  // the state is not at the entry's predecessor: do not apply
  applied_ = entry.index;
  const bool normal = entry.kind == raftio::EntryKind::Normal;
  Outcome outcome;
  if (normal) outcome = state_.apply(entry.data.as_string_view());
  while (!writes_by_index_.empty() && writes_by_index_.begin()->first <= entry.index) {
    const auto [index, id] = *writes_by_index_.begin();
    writes_by_index_.erase(writes_by_index_.begin());
    const auto it = writes_.find(id);
    if (it == writes_.end()) continue;
    const bool ours = index == entry.index && it->second.term == entry.term && normal;
    answer_write(it->second, ours ? outcome_reply(outcome) : error_reply("TRYAGAIN write lost to a leader change; retry"));
    writes_.erase(it);
  }
  serve_ready_reads();  // reads confirmed at this index see exactly this state
}

void Server::on_reject(const raftio::Reject& reject) {
  std::string reply;
  switch (reject.reason) {
    case raftio::RejectReason::NotLeader: reply = not_leader_reply(reject.leader_hint); break;
    case raftio::RejectReason::TransferInProgress:
      reply = error_reply("TRYAGAIN leadership transfer in progress; retry shortly");
      break;
    case raftio::RejectReason::TimedOut:
      reply = error_reply("TRYAGAIN not confirmed by a majority in time; retry");
      break;
    case raftio::RejectReason::StorageFailed: reply = error_reply("ERR storage failed"); break;
    default: reply = error_reply("ERR refused: " + std::string(raftio::to_string(reject.reason))); break;
  }
  if (reject.what == raftio::RequestKind::Propose) {
    const auto it = writes_.find(reject.id);
    if (it == writes_.end()) return;
    answer_write(it->second, std::move(reply));
    writes_.erase(it);
  } else if (reject.what == raftio::RequestKind::ReadIndex) {
    const auto it = reads_.find(reject.id);
    if (it == reads_.end()) return;
    it->second.session->fill(it->second.slot, std::move(reply));
    reads_.erase(it);
  }
}

void Server::answer_write(PendingWrite& write, resp::Reply reply) {
  --write.session->pending_logged;
  write.session->fill(write.slot, std::move(reply));
}

// Serves the reads this step confirmed whose index this node had already applied, before the
// step's Apply actions change the state: a read must not see a write that its own connection
// sent after it (a pipelined GET then SET).
void Server::serve_confirmed_reads() {
  for (const raftio::Action& action : actions_) {
    const auto* ready = std::get_if<raftio::ReadReady>(&action);
    if (ready == nullptr || ready->index > applied_) continue;
    const auto it = reads_.find(ready->id);
    if (it == reads_.end()) continue;
    answer_read(it->second);
    reads_.erase(it);
  }
}

void Server::serve_ready_reads() {
  while (!reads_by_index_.empty() && reads_by_index_.begin()->first <= applied_) {
    const auto it = reads_.find(reads_by_index_.begin()->second);
    reads_by_index_.erase(reads_by_index_.begin());
    if (it == reads_.end()) continue;
    answer_read(it->second);
    reads_.erase(it);
  }
}

void Server::answer_read(PendingRead& read) {
  std::string reply;
  if (read.kind == ReadKind::Get) {
    if (Value value = state_.get_shared(read.keys.front())) {
      read.session->fill(read.slot, resp::bulk_reply(std::move(value)));  // shares the value: no copy
      return;
    }
    resp::append_null(reply);
  } else {
    std::int64_t count = 0;
    for (const std::string& key : read.keys) count += state_.get(key) != nullptr ? 1 : 0;
    resp::append_integer(reply, count);
  }
  read.session->fill(read.slot, std::move(reply));
}

// A node that lost leadership keeps its pending writes: most are resolved by the Apply at their
// index. One whose index the new leader never fills (a shorter log, no new writes) would wait
// forever, so after two election timeouts without leading the rest are answered "unknown".
void Server::expire_orphaned_writes() {
  if (node_.is_leader() || writes_.empty()) {
    leaderless_since_tick_ = ticks_;
    return;
  }
  if (ticks_ - leaderless_since_tick_ < 2 * std::uint64_t{options_.election_ticks}) return;
  for (auto& [id, write] : writes_) {
    answer_write(write, error_reply("TRYAGAIN leadership lost; the write may or may not have been applied"));
  }
  writes_.clear();
  writes_by_index_.clear();
}

// Once unhealthy, the node keeps taking part in Raft (its log is intact and the cluster may need its
// vote), but its state machine stays where it was: every waiting and later read or write is
// refused with the reason.
void Server::become_unhealthy(std::string reason) {
  if (!unhealthy_reason_.empty()) return;
  unhealthy_reason_ = std::move(reason);
  log("UNHEALTHY: " + unhealthy_reason_ +
      ". Reads and writes are refused; INFO shows the reason. To recover, stop this node, move its data "
      "directory away and restart it empty: it catches up from the leader.");
  fail_all("ERR node unhealthy: " + unhealthy_reason_);
}

// An unhealthy leader cannot answer clients, and followers send every write to it: hand
// leadership to another voter, once per election timeout until it is gone (Raft thesis §3.10).
void Server::hand_off_leadership() {
  if (!node_.is_leader() || ticks_ < next_handoff_tick_) return;
  std::vector<raftio::NodeId> others;
  for (const auto& [id, endpoint] : options_.peers) {
    if (id != options_.id) others.push_back(id);
  }
  if (others.empty()) return;
  next_handoff_tick_ = ticks_ + options_.election_ticks;
  const raftio::NodeId target = others[handoff_target_++ % others.size()];
  log("unhealthy leader: transferring leadership to node " + std::to_string(target));
  enqueue(raftio::TransferLeadership{target});
}

void Server::fail_all(std::string_view text) {
  for (auto& [id, write] : writes_) answer_write(write, error_reply(text));
  for (auto& [id, read] : reads_) read.session->fill(read.slot, error_reply(text));
  writes_.clear();
  writes_by_index_.clear();
  reads_.clear();
  reads_by_index_.clear();
}

}  // namespace kv
