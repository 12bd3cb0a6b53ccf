#include "raftio/runtime/node.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "raftio/memory_log.h"
#include "raftio/runtime/endpoint.h"
#include "raftio/wal/wal_log.h"

namespace raftio::runtime {
namespace {

// "host:port" or "[v6]:port" → host and port; the host may be a DNS name.
std::optional<std::pair<std::string, std::string>> split_address(const std::string& address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return std::nullopt;
  std::string host = address.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, address.substr(colon + 1));
}

// An IP literal at once; a DNS name through the resolver (blocking: addresses change rarely).
Result<asio::ip::tcp::endpoint, std::string> resolve(asio::io_context& io, const std::string& address) {
  if (const auto literal = parse_endpoint(address)) return *literal;
  const auto parts = split_address(address);
  if (!parts) return unexpected("'" + address + "' is not host:port");
  asio::ip::tcp::resolver resolver(io);
  asio::error_code error;
  const auto results = resolver.resolve(parts->first, parts->second, error);
  if (error || results.empty()) {
    return unexpected("cannot resolve '" + address + "': " + (error ? error.message() : "no address"));
  }
  return results.begin()->endpoint();
}

// An in-memory log has nothing to wait for: handing its writes to a thread would only add two
// thread wake-ups per turn. It is written inside the core's step, on the loop.
bool uses_io_thread(const NodeOptions& options) { return options.async_storage && !options.data_dir.empty(); }

std::uint32_t ticks_of(std::chrono::milliseconds span, std::chrono::milliseconds tick, std::uint32_t at_least) {
  return std::max<std::uint32_t>(at_least, static_cast<std::uint32_t>(span / tick));
}

}  // namespace

Result<std::unique_ptr<Node>, std::string> Node::start(NodeOptions options, StateMachine& machine, asio::io_context* io) {
  if (options.id == kNoNode) return unexpected(std::string("the node id must not be 0"));
  if (options.tick.count() <= 0) return unexpected(std::string("tick must be positive"));
  if (options.listen.empty()) {
    const auto self = options.members.find(options.id);
    if (self == options.members.end()) {
      return unexpected("members do not list node " + std::to_string(options.id) + " and no listen address is set");
    }
    options.listen = self->second;
  }
  std::vector<NodeId> voters;
  for (const auto& [id, address] : options.members) {
    if (id == kNoNode) return unexpected(std::string("member ids must not be 0"));
    if (options.start == NodeOptions::Start::Bootstrap || id != options.id) voters.push_back(id);
  }
  if (voters.empty()) return unexpected(std::string("no member to start or join"));
  auto builder = RaftConfig::builder(options.id);
  builder.voters(voters)
      .election_ticks(ticks_of(options.election_timeout, options.tick, 2))
      .heartbeat_ticks(ticks_of(options.heartbeat, options.tick, 1))
      .pre_vote(true)
      .check_quorum(true)
      .snapshot_threshold(options.snapshot_entries)
      .async_storage(uses_io_thread(options))
      // Different on every start: election timeouts differ from the last run's, and the reads a
      // follower forwards are numbered apart from those of its previous life (an answer still in
      // flight from before a restart cannot answer a new read).
      .seed(std::random_device{}())
      .incarnation((std::uint64_t{std::random_device{}()} << 32) ^
                   static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  if (options.start == NodeOptions::Start::Join) builder.learners({options.id});
  auto config = builder.build();
  if (!config) return unexpected(config.error().describe());

  std::unique_ptr<Node> node(new Node(std::move(options), machine, io));
  if (auto failed = node->open(std::move(config).value())) return unexpected(*failed);
  asio::post(node->io_, [raw = node.get()] { raw->begin(); });
  if (node->own_io_) node->thread_ = std::thread([raw = node.get()] { raw->io_.run(); });
  node->running_ = true;
  return node;
}

Node::Node(NodeOptions options, StateMachine& machine, asio::io_context* io)
    : options_(std::move(options)),
      machine_(machine),
      id_(options_.id),
      own_io_(io == nullptr ? std::make_unique<asio::io_context>(1) : nullptr),
      io_(io == nullptr ? *own_io_ : *io),
      tick_timer_(io_) {
  if (!options_.log) {
    options_.log = [id = id_](std::string_view line) {
      std::fprintf(stderr, "raftio node %llu: %.*s\n", static_cast<unsigned long long>(id),
                   static_cast<int>(line.size()), line.data());
    };
  }
}

// Everything that can fail before the node runs: the addresses, the log, the TLS files, the port.
std::optional<std::string> Node::open(RaftConfig config) {
  PeerTransportOptions transport;
  transport.cluster_id = options_.cluster_id;
  transport.self = id_;
  transport.max_queued_bytes_per_peer = options_.max_peer_queue_bytes;
  auto listen = resolve(io_, options_.listen);
  if (!listen) return listen.error();
  transport.peers[id_] = listen.value();
  for (const auto& [id, address] : options_.members) {
    if (id == id_) continue;
    auto endpoint = resolve(io_, address);
    if (!endpoint) return "member " + std::to_string(id) + ": " + endpoint.error();
    transport.peers[id] = resolved_[id] = endpoint.value();
  }

  std::unique_ptr<RaftLog> storage;
  if (options_.data_dir.empty()) {
    storage = std::make_unique<MemoryLog>();
  } else {
    auto wal = wal::WalLog::open(options_.data_dir);
    if (!wal) return "cannot open the log in " + options_.data_dir + ": " + wal.error().context;
    storage = std::move(wal).value();
  }
  DriverOptions driver_options;
  driver_options.request_timeout_ticks = ticks_of(options_.request_timeout, options_.tick, 1);
  driver_options.change_timeout_ticks = ticks_of(options_.change_timeout, options_.tick, 1);
  driver_options.background_snapshots = options_.background_snapshots;
  driver_options.forward_proposals = options_.forward_proposals;
  driver_options.max_forwarded_proposals = options_.max_forwarded_proposals;
  // Group commit: what arrives in one turn of the loop is stepped as one core step (end_turn()).
  driver_options.batch_inputs = options_.batch_turns;
  if (options_.trace) driver_options.trace = [this](const std::string& line) { log(line); };
  try {
    driver_ = std::make_unique<Driver>(std::move(config), std::move(storage), machine_, driver_options);
    if (options_.peer_tls) transport.tls = make_peer_tls(*options_.peer_tls);
    transport_ = std::make_unique<PeerTransport>(
        io_, std::move(transport), [this](std::string_view line) { log(std::string(line)); },
        [this](Message message) { on_receive(std::move(message)); },
        [this](PeerMessage message) { on_receive_peer(std::move(message)); });
    transport_->listen();
  } catch (const std::exception& error) {
    return std::string(error.what());
  }
  if (uses_io_thread(options_)) {
    // From here on only the I/O thread touches the log (the Driver's node read it when built).
    persist_thread_ = std::make_unique<PersistThread>(driver_->log(), io_, [this](std::vector<Event> events) {
      on_storage(std::move(events));
    });
  }
  membership_ = driver_->node().membership();
  return std::nullopt;
}

void Node::begin() {
  transport_->start();
  update_peers();  // the recovered log may know members and addresses the options do not
  drain();
  next_tick_ = std::chrono::steady_clock::now();
  schedule_tick();
}

void Node::schedule_tick() {
  next_tick_ += options_.tick;
  const auto now = std::chrono::steady_clock::now();
  if (next_tick_ + 10 * options_.tick < now) next_tick_ = now;  // a stalled loop does not burst
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const asio::error_code& error) {
    if (!error && !stopped_) on_tick();
  });
}

void Node::on_tick() {
  driver_->tick();
  drain();
  schedule_tick();
}

void Node::on_receive(Message message) {
  if (stopped_) return;
  driver_->receive(std::move(message));
  end_turn();
}

void Node::on_receive_peer(PeerMessage message) {
  if (stopped_) return;
  driver_->receive(std::move(message));
  end_turn();
}

void Node::on_storage(std::vector<Event> events) {
  if (stopped_) return;
  for (Event& event : events) {
    if (auto* done = std::get_if<Persisted>(&event)) {
      driver_->persisted(*done);
    } else if (auto* failed = std::get_if<PersistFailed>(&event)) {
      log("storage failed: " + failed->error.context);
      driver_->persist_failed(failed->error);
    }
  }
  end_turn();
}

// The Driver queues the inputs (batch_inputs); the drain that steps them all runs once the
// handlers already queued on the loop (more requests, frames, storage reports) have added theirs,
// so one core step, one sync and one AppendEntries per follower cover the whole turn.
void Node::end_turn() {
  if (!options_.batch_turns) return drain();
  if (turn_posted_) return;
  turn_posted_ = true;
  asio::post(io_, [this] {
    turn_posted_ = false;
    if (!stopped_) drain();
  });
}

// The end of every turn: carry out what the Driver asked for. A Callback may make a request,
// which drains again: that drain waits for this one to finish (its output goes out in order).
void Node::drain() {
  if (draining_) {
    drain_again_ = true;
    return;
  }
  draining_ = true;
  do {
    drain_again_ = false;
    drain_once();
  } while (drain_again_);
  draining_ = false;
}

void Node::drain_once() {
  DriverOutput& out = output_;
  driver_->take_output(out);
  for (const Message& message : out.messages) transport_->send(message);
  for (const PeerMessage& message : out.peer_messages) transport_->send(message);
  if ((!out.messages.empty() || !out.peer_messages.empty()) && !flush_posted_) {
    // One write per peer per turn: the inputs already queued on the loop (more requests, more
    // messages) run first and add their frames to the same write.
    flush_posted_ = true;
    asio::post(io_, [this] {
      flush_posted_ = false;
      if (!stopped_) transport_->flush();
    });
  }
  for (Persist& persist : out.persists) persist_thread_->submit(std::move(persist));
  for (Completion& done : out.completions) {
    if (const auto it = waiting_.find(done.id); it != waiting_.end()) {
      ended_.emplace_back(std::move(it->second), std::move(done.result));
      waiting_.erase(it);
    } else if (const auto cb = callbacks_.find(done.id); cb != callbacks_.end()) {
      Callback callback = std::move(cb->second);
      callbacks_.erase(cb);
      callback(std::move(done.result));
    }
  }
  if (!ended_.empty()) {
    if (!keeper_) keeper_ = std::make_unique<PromiseKeeper>();
    keeper_->keep(ended_);
  }
  for (SnapshotJob& job : out.snapshot_jobs) {
    // The Driver hands out one job at a time, so the previous one has reported and its thread
    // only has to be joined.
    if (snapshot_thread_.joinable()) snapshot_thread_.join();
    snapshot_thread_ = std::thread([this, job = std::move(job)] {
      Payload bytes = job.serialize();
      asio::post(io_, [this, index = job.index, bytes = std::move(bytes)]() mutable {
        if (stopped_) return;
        driver_->snapshot_written(index, std::move(bytes));
        drain();
      });
    });
  }
  if (out.addresses_changed || driver_->node().membership() != membership_) update_peers();
  leader_.store(driver_->leader_id(), std::memory_order_relaxed);
}

// The transport links to the members of the latest configuration (thesis §4.1: a server uses the
// latest configuration in its log, committed or not), at the address the replicated book gives,
// else the one in the options.
void Node::update_peers() {
  membership_ = driver_->node().membership();
  const AddressBook book = driver_->addresses();
  std::map<NodeId, asio::ip::tcp::endpoint> peers;
  auto consider = [&](NodeId id) {
    if (id == id_) return;
    std::string address;
    if (const auto it = book.find(id); it != book.end()) {
      address = it->second;
    } else if (const auto it2 = options_.members.find(id); it2 != options_.members.end()) {
      address = it2->second;
    } else {
      return;  // a member nobody told this node the address of (yet): it cannot be reached
    }
    auto endpoint = resolve(io_, address);
    if (!endpoint) {
      log("node " + std::to_string(id) + ": " + endpoint.error());
      return;
    }
    peers[id] = endpoint.value();
  };
  for (const NodeId id : membership_.voters) consider(id);
  for (const NodeId id : membership_.learners) consider(id);
  if (peers != resolved_) {
    resolved_ = peers;
    transport_->set_peers(peers);
  }
}

namespace {

Node::Outcome shutting_down() { return unexpected(ShuttingDown{}); }

}  // namespace

// Loop thread: hands one request to the Driver.
RequestId Node::start(Submission& submission) {
  switch (submission.kind) {
    case Submission::Kind::Propose: return driver_->propose(std::move(submission.payload));
    case Submission::Kind::Read: return driver_->read(std::move(submission.payload));
    case Submission::Kind::Call: break;
  }
  return submission.call(*driver_);
}

std::future<Node::Outcome> Node::request(Submission submission) {
  std::future<Outcome> future = submission.promise.emplace().get_future();
  enqueue(std::move(submission));
  return future;
}

void Node::request(Submission submission, Callback done) {
  if (io_.get_executor().running_in_this_thread() && !stopped_) {
    // On the loop: straight to the Driver. `done` still runs only from drain(), after the call.
    const RequestId id = start(submission);
    callbacks_.emplace(id, std::move(done));
    end_turn();
    return;
  }
  submission.done = std::move(done);
  enqueue(std::move(submission));
}

void Node::enqueue(Submission submission) {
  bool queued = false;
  bool post = false;
  if (!stopped_) {
    std::lock_guard lock(inbox_mutex_);
    if (!inbox_closed_) {
      inbox_.push_back(std::move(submission));
      queued = true;
      post = !inbox_posted_;
      inbox_posted_ = true;
    }
  }
  if (post) {
    asio::post(io_, [this] { take_inbox(); });
  } else if (queued) {
    // The take_inbox() already queued picks this one up too.
  } else if (submission.promise) {  // the node stopped (or never started)
    submission.promise->set_value(shutting_down());
  } else if (submission.done) {
    // Never inside the call: on the loop, as it would have ended there.
    asio::post(io_, [done = std::move(submission.done)] { done(shutting_down()); });
  }
}

// Every request queued since the last take, in the order they came, then one drain for all.
void Node::take_inbox() {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_taken_.swap(inbox_);
    inbox_posted_ = false;
  }
  for (Submission& submission : inbox_taken_) {
    if (stopped_) {
      if (submission.promise) submission.promise->set_value(shutting_down());
      if (submission.done) submission.done(shutting_down());
      continue;
    }
    const RequestId id = start(submission);
    if (submission.promise) {
      waiting_.emplace(id, std::move(*submission.promise));
    } else {
      callbacks_.emplace(id, std::move(submission.done));
    }
  }
  const bool any = !inbox_taken_.empty();
  inbox_taken_.clear();
  if (any && !stopped_) end_turn();
}

// Loop thread, once stopped: what is queued, and every later request, ends with ShuttingDown.
void Node::close_inbox() {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_closed_ = true;
    inbox_taken_.swap(inbox_);
  }
  for (Submission& submission : inbox_taken_) {
    if (submission.promise) submission.promise->set_value(shutting_down());
    if (submission.done) submission.done(shutting_down());
  }
  inbox_taken_.clear();
}

Node::Submission Node::call(std::function<RequestId(Driver&)> work) {
  Submission submission;
  submission.call = std::move(work);
  return submission;
}

Node::Submission Node::carrying(Submission::Kind kind, Payload payload) {
  Submission submission;
  submission.kind = kind;
  submission.payload = std::move(payload);
  return submission;
}

void Node::propose(Payload command, Callback done) {
  request(carrying(Submission::Kind::Propose, std::move(command)), std::move(done));
}
void Node::read(Payload query, Callback done) {
  request(carrying(Submission::Kind::Read, std::move(query)), std::move(done));
}
void Node::add_voter(NodeId node, std::string address, Callback done) {
  request(call([node, address = std::move(address)](Driver& driver) { return driver.add_voter(node, address); }),
          std::move(done));
}
void Node::remove_node(NodeId node, Callback done) {
  request(call([node](Driver& driver) { return driver.remove_node(node); }), std::move(done));
}
void Node::transfer_leadership(NodeId to, Callback done) {
  request(call([to](Driver& driver) { return driver.transfer_leadership(to); }), std::move(done));
}

std::future<Node::Outcome> Node::propose(Payload command) {
  return request(carrying(Submission::Kind::Propose, std::move(command)));
}
std::future<Node::Outcome> Node::read(Payload query) {
  return request(carrying(Submission::Kind::Read, std::move(query)));
}
std::future<Node::Outcome> Node::add_voter(NodeId node, std::string address) {
  return request(call([node, address = std::move(address)](Driver& driver) { return driver.add_voter(node, address); }));
}
std::future<Node::Outcome> Node::add_learner(NodeId node, std::string address) {
  return request(call([node, address = std::move(address)](Driver& driver) { return driver.add_learner(node, address); }));
}
std::future<Node::Outcome> Node::remove_node(NodeId node) {
  return request(call([node](Driver& driver) { return driver.remove_node(node); }));
}
std::future<Node::Outcome> Node::transfer_leadership(NodeId to) {
  return request(call([to](Driver& driver) { return driver.transfer_leadership(to); }));
}

Result<NodeId, Error> Node::wait_for_leader(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const NodeId leader = leader_id();
    if (leader != kNoNode) return leader;
    if (stopped_) return unexpected(ShuttingDown{});
    if (std::chrono::steady_clock::now() >= deadline) return unexpected(TimedOut{});
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Runs `work` on the loop and waits for it; at once on the loop's own thread, or once the loop is
// gone (then nothing else touches the Driver).
template <class T>
T Node::on_loop(std::function<T()> work) {
  if (io_.get_executor().running_in_this_thread() || (stopped_ && !thread_.joinable() && own_io_)) return work();
  std::promise<T> promise;
  std::future<T> future = promise.get_future();
  asio::post(io_, [&] { promise.set_value(work()); });
  return future.get();
}

Status Node::status() {
  return on_loop<Status>([this] {
    driver_->flush();  // as of every input so far; the turn's drain carries out the output
    return driver_->status();
  });
}

std::optional<std::string> Node::address_of(NodeId node) {
  // The options first: a lookup from any thread must not touch the Driver.
  if (const auto it = options_.members.find(node); it != options_.members.end()) return it->second;
  return on_loop<std::optional<std::string>>([this, node]() -> std::optional<std::string> {
    const AddressBook book = driver_->addresses();
    const auto it = book.find(node);
    if (it == book.end()) return std::nullopt;
    return it->second;
  });
}

void Node::shutdown(std::chrono::milliseconds handover) {
  if (!running_) {  // start() failed half-way: nothing runs, nothing to stop
    stopped_ = true;
    return;
  }
  if (stopped_) return;
  if (is_leader()) {
    // Thesis §3.10: hand over first, so the cluster does not wait an election timeout for a
    // leader. The most up-to-date voter catches up fastest.
    const Status now = status();
    NodeId target = kNoNode;
    Index best = 0;
    for (const PeerStatus& peer : now.peers) {
      if (peer.voter && peer.id != id_ && (target == kNoNode || peer.match > best)) {
        target = peer.id;
        best = peer.match;
      }
    }
    if (target != kNoNode) {
      std::future<Outcome> moved = transfer_leadership(target);
      if (moved.wait_for(handover) == std::future_status::ready && !moved.get().ok()) {
        log("leadership transfer to node " + std::to_string(target) + " failed; stopping anyway");
      }
    }
  }
  on_loop<bool>([this] {
    stop_on_loop();
    return true;
  });
  if (own_io_) {
    own_io_->stop();
    if (thread_.joinable()) thread_.join();
  }
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
}

void Node::stop_on_loop() {
  driver_->shutdown();
  drain();  // every pending request ends with ShuttingDown
  stopped_ = true;
  tick_timer_.cancel();
  transport_->stop();
  close_inbox();
  for (auto& [id, promise] : waiting_) promise.set_value(unexpected(ShuttingDown{}));
  waiting_.clear();
  std::unordered_map<RequestId, Callback> callbacks;
  callbacks.swap(callbacks_);
  for (auto& [id, callback] : callbacks) callback(unexpected(ShuttingDown{}));
  if (keeper_) keeper_->stop();  // every future is set once shutdown() returns
}

Node::~Node() {
  shutdown(std::chrono::milliseconds(0));
  persist_thread_.reset();  // writes what is queued, then joins; its reports are never run
}

void Node::log(const std::string& line) const { options_.log(line); }

}  // namespace raftio::runtime
