// The event-loop glue of raftio-kv: one RaftNode, stepped once per turn of a single-threaded Asio
// loop.
//
//   inputs (any order, during a turn)         one step per turn           outputs
//   steady timer        → Tick                                            Send    → PeerLink (one write per peer)
//   peer frames         → Receive      ──►  node.step(span, actions) ──►  Apply   → KvState, answer the writer
//   SET / DEL / INCR    → Propose                (one WAL sync)           ReadReady → answer reads once applied
//   GET / EXISTS        → ReadIndex                                       Reject  → -MOVED / -TRYAGAIN
//
// Events are queued as they arrive; the first one of a turn posts run_turn(), which Asio runs
// after every completion handler that was already ready. So everything that arrived together is
// handled by one step and made durable by one fdatasync (group commit), on the leader and on the
// followers. The node syncs the WAL inside step(), before it returns any action, so a Send is
// always durable when it is written to the socket (persist, then send).
//
// With ServerOptions::async_storage the step does not write: it returns a Persist action, which
// goes to the I/O thread (<raftio/runtime/persist_thread.h>), and the leader's AppendEntries leave at once. The
// thread posts Persisted back; it is stepped with the next turn's events. The node holds back
// whatever depends on the write (acknowledgements, votes, its own count toward a commit, Apply).
#pragma once

#include <asio.hpp>
#include <chrono>
#include <deque>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <raftio/raftio.h>
#include <raftio/wal/wal_log.h>

#include "client_session.h"
#include "kv_state.h"
#include <raftio/runtime/acceptor.h>
#include <raftio/runtime/peer_transport.h>
#include <raftio/runtime/persist_thread.h>
#include <raftio/runtime/tls.h>

namespace kv {

struct ServerOptions {
  raftio::NodeId id = raftio::kNoNode;
  // Peers refuse connections that do not name this cluster id in their hello (runtime/handshake.h).
  std::string cluster_id = "raftio-kv";
  std::map<raftio::NodeId, asio::ip::tcp::endpoint> peers;  // every voter, this node included
  // Mutual TLS between nodes when cert_file is set (all three files required).
  raftio::runtime::TlsFiles peer_tls;
  // TLS on the client port when cert_file is set; with trusted_ca_file, clients need a certificate.
  raftio::runtime::TlsFiles client_tls;
  // Connections beyond this get "-ERR max number of clients reached" (clamped at start to what
  // RLIMIT_NOFILE leaves after kReservedDescriptors).
  std::size_t max_clients = 10000;
  std::map<raftio::NodeId, std::string> client_addresses;   // for -MOVED (optional)
  asio::ip::tcp::endpoint client;                           // where Redis clients connect
  std::chrono::milliseconds tick{50};
  std::uint32_t election_ticks = 20;
  std::uint32_t heartbeat_ticks = 2;
  std::uint64_t snapshot_entries = 100000;  // 0: never snapshot
  // Client requests wait while this many batches of proposals are appended but not committed
  // (0: never wait). See Server::holding().
  std::size_t max_inflight_batches = 1;
  // Once a batch commits, the requests that waited go into the next step as soon as every client
  // connection has a command in (the clients just answered have sent their next one), or after
  // this long at most.
  std::chrono::microseconds batch_linger{800};
  // async_storage: the node returns Persist actions, which an I/O thread (PersistThread) writes
  // and syncs while the loop goes on; the leader's AppendEntries leave before its own fdatasync.
  bool async_storage = false;
};

// Descriptors kept for the WAL, the peers and the process itself when --max-clients is clamped
// to RLIMIT_NOFILE (as Redis reserves 32).
inline constexpr std::size_t kReservedDescriptors = 64;

// --max-clients as the descriptor limit allows: at most `open_files_limit` - kReservedDescriptors
// (and at least 1).
std::size_t effective_max_clients(std::size_t requested, std::uint64_t open_files_limit);

class Server {
 public:
  // Throws std::runtime_error when a TLS file cannot be loaded, or std::invalid_argument for an
  // invalid configuration.
  Server(asio::io_context& io, ServerOptions options, std::unique_ptr<raftio::wal::WalLog> wal);
  // Listens (throws std::runtime_error naming the address that could not be bound) and starts.
  void start();

  // Used by client sessions.
  void submit(const std::shared_ptr<ClientSession>& session, const std::vector<std::string_view>& args,
              std::size_t request_bytes);
  void mark_dirty(const std::shared_ptr<ClientSession>& session);
  void request_turn();  // make sure run_turn() comes at the end of this turn
  // A session with no command awaiting its reply is idle (+1), one that sent a command busy (-1).
  void session_idle(int change) { idle_sessions_ += change; }
  void session_closed() {
    --client_sessions_;
    max_clients_logged_ = false;
  }
  void client_tls_failed() { ++client_tls_failures_; }

  // Empty while the node is healthy; otherwise why it refuses reads and writes.
  const std::string& unhealthy_reason() const noexcept { return unhealthy_reason_; }

 private:
  struct PendingWrite {
    std::shared_ptr<ClientSession> session;
    std::uint64_t slot = 0;
    raftio::Index index = 0;  // from ProposalAccepted
    raftio::Term term = 0;
  };
  enum class ReadKind : std::uint8_t { Get, Exists };
  struct PendingRead {
    std::shared_ptr<ClientSession> session;
    std::uint64_t slot = 0;
    ReadKind kind = ReadKind::Get;
    std::vector<std::string> keys;
  };

  void log(std::string_view line) const;
  void first_step();
  void on_client(asio::ip::tcp::socket socket);
  void become_unhealthy(std::string reason);
  void hand_off_leadership();
  void schedule_tick();
  void enqueue(raftio::Event event);
  void run_turn();
  bool holding();
  void take_batch();
  void start_linger();
  void handle(raftio::Action& action);
  void on_apply(const raftio::LogEntry& entry);
  void on_reject(const raftio::Reject& reject);
  void answer_write(PendingWrite& write, resp::Reply reply);
  void serve_confirmed_reads();
  void serve_ready_reads();
  void answer_read(PendingRead& read);
  void expire_orphaned_writes();
  void fail_all(std::string_view reply);

  // commands.cpp: the Redis command table.
  void propose(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, Op op,
               std::span<const std::string_view> args);
  void read(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, ReadKind kind,
            std::span<const std::string_view> keys);
  void read_index(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, ReadKind kind,
                  std::span<const std::string_view> keys);
  std::string info() const;
  std::string not_leader_reply(raftio::NodeId hint) const;

  asio::io_context& io_;
  ServerOptions options_;
  raftio::RaftNode node_;
  // --async-storage: owns the WAL's writes. Declared after node_ so that it is joined before
  // the node (and its WalLog) is destroyed.
  std::unique_ptr<raftio::runtime::PersistThread> persist_thread_;
  KvState state_;
  raftio::Index applied_ = 0;
  raftio::runtime::PeerTransport peers_;
  std::unique_ptr<asio::ssl::context> client_tls_;
  raftio::runtime::Acceptor client_acceptor_;
  std::vector<char> client_read_buffer_;  // shared by the plain-TCP client sessions
  std::size_t max_clients_ = 0;
  std::int64_t client_sessions_ = 0;
  std::uint64_t rejected_clients_ = 0;
  std::uint64_t client_tls_failures_ = 0;
  bool max_clients_logged_ = false;
  // Set when the node can no longer serve: a snapshot its state machine cannot decode, or storage
  // that failed at start-up. The process stays up (a restart would fail the same way) and
  // answers INFO and PING; reads and writes get -ERR naming the reason.
  std::string unhealthy_reason_;
  bool node_failed_ = false;  // the node refuses every step (storage failed at start-up)
  std::uint64_t next_handoff_tick_ = 0;
  std::size_t handoff_target_ = 0;
  asio::steady_timer tick_timer_;
  std::chrono::steady_clock::time_point next_tick_;
  std::uint64_t ticks_ = 0;
  std::uint64_t leaderless_since_tick_ = 0;  // since when this node holds writes without leading

  std::vector<raftio::Event> events_;  // arrived during this turn
  std::vector<raftio::Event> batch_;   // being stepped
  std::vector<raftio::Event> held_;    // client requests waiting for a batch to commit
  struct InflightBatch {
    raftio::Index last_index = 0;
    std::size_t proposals = 0;
  };
  std::deque<InflightBatch> inflight_batches_;  // uncommitted batches of proposals (leader)
  std::size_t committed_batch_proposals_ = 0;   // the largest batch that committed in this turn
  asio::steady_timer linger_timer_;
  bool linger_armed_ = false;
  std::int64_t idle_sessions_ = 0;
  std::uint64_t early_releases_ = 0;
  std::uint64_t timer_releases_ = 0;
  std::vector<raftio::Action> actions_;
  bool turn_posted_ = false;
  std::vector<std::shared_ptr<ClientSession>> dirty_;  // sessions with replies to write
  bool snapshot_wanted_ = false;

  std::uint64_t next_request_id_ = 1;
  std::unordered_map<std::uint64_t, PendingWrite> writes_;
  std::map<raftio::Index, std::uint64_t> writes_by_index_;
  std::unordered_map<std::uint64_t, PendingRead> reads_;
  std::multimap<raftio::Index, std::uint64_t> reads_by_index_;  // confirmed, waiting for Apply

  // What the node recovered from its data directory at start-up (INFO shows it).
  raftio::Index recovered_last_index_ = 0;
  raftio::Index recovered_commit_index_ = 0;
  raftio::Index recovered_snapshot_index_ = 0;
  std::size_t recovered_wal_records_ = 0;
  std::uint64_t snapshots_taken_ = 0;

  // Batching statistics (INFO "# Stats"): how many events each step carried.
  std::uint64_t steps_ = 0;
  std::uint64_t stepped_events_ = 0;
  std::uint64_t stepped_proposals_ = 0;
  std::uint64_t appending_steps_ = 0;
  std::uint64_t step_micros_ = 0;      // time spent inside step(), fdatasync included  // steps after which the durable index moved (one fdatasync each)
};

}  // namespace kv
