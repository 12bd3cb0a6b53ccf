// Node: a ready-to-run Raft node for programs without an event loop of their own. It is the Driver
// (driver.h: the runtime's logic, sans I/O) inside a thin Asio shell: a tick timer, the peer
// transport (framed TCP, cluster-id handshake, mutual TLS, reconnect with backoff), the WAL (on an
// I/O thread by default) and a thread for background snapshots. Requests may come from any thread
// and return futures; every one ends with the state machine's response or a typed Error.
//
//   MyMachine machine;
//   auto node = Node::start(options, machine).value();
//   node->wait_for_leader(std::chrono::seconds(5));
//   Result<Payload, Error> done = node->propose(Payload::copy_of("incr")).get();
//
// Threads: the Driver, the transport and the StateMachine's calls run on one thread, the Node's
// own or the caller's (a borrowed io_context, run by exactly one thread). Never wait on a future
// from that thread: its outcome can only arrive once the thread returns to the loop.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "raftio/payload.h"
#include "raftio/result.h"
#include "raftio/runtime/driver.h"
#include "raftio/runtime/error.h"
#include "raftio/runtime/peer_transport.h"
#include "raftio/runtime/persist_thread.h"
#include "raftio/runtime/promise_keeper.h"
#include "raftio/runtime/state_machine.h"
#include "raftio/runtime/tls.h"

namespace raftio::runtime {

struct NodeOptions {
  NodeId id = kNoNode;
  std::string cluster_id = "raftio";  // 1 to 64 of [A-Za-z0-9._-]; peers of another cluster are refused
  // Where the members listen for their peers: "host:port", the host a DNS name or an IP literal
  // (resolved at start). Bootstrap lists every member of the new cluster, this node included; a
  // joining node lists the running cluster's members (it can reach them before it is added).
  std::map<NodeId, std::string> members;
  // How the node starts when its data directory holds no log yet (on a restart, the log decides):
  //   Bootstrap: a new cluster whose voters are `members`;
  //   Join: an empty node that waits as a learner until a member calls add_voter(id, listen) or
  //   add_learner(id, listen): one call on each side.
  enum class Start : std::uint8_t { Bootstrap, Join };
  Start start = Start::Bootstrap;
  std::string listen;  // this node's peer address; empty: its entry in `members`
  std::string data_dir;  // the WAL's directory; empty: an in-memory log (nothing survives a restart)
  // The WAL written by an I/O thread, fdatasync batched (group commit). An in-memory log (no
  // data_dir) is always written on the loop, inside the core's step: there is no sync to overlap.
  bool async_storage = true;
  // Every input of one loop turn (requests, peer frames, storage reports, the tick) stepped as one
  // core step: one sync and one AppendEntries per follower per turn (DriverOptions::batch_inputs).
  // false: one core step per input, as before; for comparing the two.
  bool batch_turns = true;
  std::chrono::milliseconds tick{10};                // the Driver's logical clock
  std::chrono::milliseconds election_timeout{300};   // rounded to ticks (a random 1-2x is added)
  std::chrono::milliseconds heartbeat{50};
  std::chrono::milliseconds request_timeout{5000};   // proposals and reads
  std::chrono::milliseconds change_timeout{60000};   // joins (catching up takes time), removals, transfers
  // propose() on a follower: forwarded to the leader, ending with the state machine's response
  // (true), or refused with NotLeader{leader} (false). DriverOptions::forward_proposals.
  bool forward_proposals = true;
  std::size_t max_forwarded_proposals = 4096;        // leader: followers' proposals held at once
  std::uint64_t snapshot_entries = 10000;            // applied entries between snapshots (0: never)
  bool background_snapshots = true;                  // StateMachine::snapshot_job's work on its own thread
  std::optional<TlsFiles> peer_tls;                  // mutual TLS between the nodes (tls.h)
  std::size_t max_peer_queue_bytes = std::size_t{64} << 20;  // frames queued per peer beyond this are dropped
  std::function<void(std::string_view)> log;         // one line per event worth telling; default: stderr
  bool trace = false;  // also log every event the core steps and every action it returns (debugging)
};

class Node {
 public:
  using Outcome = Result<Payload, Error>;

  // Opens the log, binds the peer port and starts the node on its own thread (io == nullptr) or on
  // `io`, which the caller runs (one thread). `machine` must outlive the Node. Errors (invalid
  // options, an address that does not resolve or bind, a log that does not open) are one line.
  static Result<std::unique_ptr<Node>, std::string> start(NodeOptions options, StateMachine& machine,
                                                          asio::io_context* io = nullptr);
  ~Node();  // shutdown(), if not done
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // apply()'s response, on any node: a follower forwards it to the leader (or refuses it with
  // NotLeader{leader} when NodeOptions::forward_proposals is false).
  std::future<Outcome> propose(Payload command);
  std::future<Outcome> read(Payload query);       // linearizable, on any node: query()'s answer
  std::future<Outcome> add_voter(NodeId node, std::string address);    // join: learner, catch up, voter
  std::future<Outcome> add_learner(NodeId node, std::string address);
  std::future<Outcome> remove_node(NodeId node);
  std::future<Outcome> transfer_leadership(NodeId to);

  // The same requests with a callback instead of a future, for code that runs on the Node's loop
  // (a borrowed io_context) and so must never wait: `done` is called on the loop's thread once the
  // request ends, never inside the call itself. From the loop's thread the request reaches the
  // Driver at once (no post), so the requests of one turn go out together.
  using Callback = std::function<void(Outcome)>;
  void propose(Payload command, Callback done);
  void read(Payload query, Callback done);
  void add_voter(NodeId node, std::string address, Callback done);
  void remove_node(NodeId node, Callback done);
  void transfer_leadership(NodeId to, Callback done);

  // The leader's id once one is known here, or TimedOut.
  Result<NodeId, Error> wait_for_leader(std::chrono::milliseconds timeout);
  NodeId leader_id() const noexcept { return leader_.load(std::memory_order_relaxed); }
  bool is_leader() const noexcept { return leader_id() == id_; }
  NodeId id() const noexcept { return id_; }
  // Where `node` listens, as this node knows it (the options, then the replicated address book).
  std::optional<std::string> address_of(NodeId node);
  Status status();
  // async_storage with a data_dir: what the I/O thread did so far (Persist actions written,
  // fdatasyncs); else 0.
  std::uint64_t persists_written() const noexcept { return persist_thread_ ? persist_thread_->persists_written() : 0; }
  std::uint64_t storage_syncs() const noexcept { return persist_thread_ ? persist_thread_->syncs() : 0; }

  // Hands leadership to the most up-to-date voter if this node leads (waiting at most `handover`),
  // then ends every pending request with ShuttingDown, closes the links and stops the thread.
  void shutdown(std::chrono::milliseconds handover = std::chrono::milliseconds(2000));

 private:
  Node(NodeOptions options, StateMachine& machine, asio::io_context* io);
  std::optional<std::string> open(RaftConfig config);
  void begin();
  void schedule_tick();
  void on_tick();
  void on_receive(Message message);
  void on_receive_peer(PeerMessage message);
  void on_storage(std::vector<Event> events);
  void end_turn();
  void drain();
  void drain_once();
  void update_peers();
  // One request on its way from the caller's thread to the Driver. Proposals and reads, the
  // requests made at a high rate, carry their payload rather than a std::function.
  struct Submission {
    enum class Kind : std::uint8_t { Propose, Read, Call };
    Kind kind = Kind::Call;
    Payload payload;                          // Propose, Read
    std::function<RequestId(Driver&)> call;   // Call
    std::optional<std::promise<Outcome>> promise;  // a request made with a future
    Callback done;                                 // ... or with a Callback
  };
  static Submission call(std::function<RequestId(Driver&)> work);
  static Submission carrying(Submission::Kind kind, Payload payload);
  std::future<Outcome> request(Submission submission);
  void request(Submission submission, Callback done);
  RequestId start(Submission& submission);
  void enqueue(Submission submission);
  void take_inbox();
  void close_inbox();
  template <class T>
  T on_loop(std::function<T()> work);
  void log(const std::string& line) const;
  void stop_on_loop();

  NodeOptions options_;
  StateMachine& machine_;
  NodeId id_;
  std::unique_ptr<asio::io_context> own_io_;
  asio::io_context& io_;
  std::unique_ptr<Driver> driver_;
  std::unique_ptr<PeerTransport> transport_;
  std::unique_ptr<PersistThread> persist_thread_;
  asio::steady_timer tick_timer_;
  std::chrono::steady_clock::time_point next_tick_;
  DriverOutput output_;  // drain_once()'s, its buffers reused turn after turn
  std::unordered_map<RequestId, std::promise<Outcome>> waiting_;
  std::vector<PromiseKeeper::Ended> ended_;  // this turn's ended future requests, to be set
  std::unique_ptr<PromiseKeeper> keeper_;    // sets them off the loop; made at the first one
  std::unordered_map<RequestId, Callback> callbacks_;  // requests made with a Callback
  // Requests from other threads wait here, and one posted handler takes all that came meanwhile:
  // one post (one wake-up of the loop) per burst of requests rather than one per request.
  std::mutex inbox_mutex_;
  std::vector<Submission> inbox_;        // guarded by inbox_mutex_
  bool inbox_posted_ = false;            // guarded: a take_inbox() is queued on the loop
  bool inbox_closed_ = false;            // guarded: the node stopped; requests end at once
  std::vector<Submission> inbox_taken_;  // loop: the burst being handed to the Driver
  std::map<NodeId, asio::ip::tcp::endpoint> resolved_;  // addresses as last resolved
  Membership membership_;                                 // as the transport was last told
  std::thread snapshot_thread_;
  std::atomic<NodeId> leader_{kNoNode};
  std::atomic<bool> stopped_{false};
  bool running_ = false;  // start() succeeded
  bool flush_posted_ = false;  // a transport flush is queued on the loop
  bool turn_posted_ = false;   // the drain that ends this turn is queued on the loop
  bool draining_ = false;      // drain() is running (a Callback may request more)
  bool drain_again_ = false;   // ... and a request made meanwhile left output to carry out
  std::thread thread_;  // the Node's own loop (io == nullptr); last, started once all is set
};

}  // namespace raftio::runtime
