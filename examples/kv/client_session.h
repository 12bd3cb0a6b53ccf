// One Redis client connection. It parses every complete command in what it has read (pipelined
// clients send many per read), hands each to the server, and writes the replies back in command
// order: each command reserves a reply slot when it arrives, the server fills slots as answers
// become known (at once, after Apply, after ReadReady), and only the ready prefix is written.
//
// What one connection may cost is bounded (backpressure): while it has kMaxPendingSlots commands
// unanswered or unwritten, or kMaxQueuedBytes of requests awaiting replies plus replies not yet
// written, it is neither read nor parsed; it resumes as its replies drain. A GET's reply shares
// the stored value instead of copying it, so even those bytes are mostly the map's own. An idle
// plain-TCP connection holds no read buffer: it waits for readability and then reads into the
// server's shared buffer.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resp.h"
#include <raftio/runtime/stream.h>

namespace kv {

class Server;

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  // `shared_read_buffer` is the server's: one thread reads at a time, so plain-TCP sessions share it.
  ClientSession(std::unique_ptr<raftio::runtime::Stream> stream, Server& server, std::vector<char>& shared_read_buffer);
  void start();  // the TLS handshake first, on a TLS client port

  // Reply slots: reserve one per command, in arrival order (with the command's size in bytes),
  // then fill it once.
  std::uint64_t reserve_slot(std::size_t request_bytes);
  void fill(std::uint64_t slot, resp::Reply reply);
  // Fills the slot and closes the connection once every earlier reply is written.
  void fill_and_close(std::uint64_t slot, std::string reply);
  // Writes the ready prefix of the slots; the server calls it once per loop turn in which replies
  // became ready (Server::mark_dirty posts one flush for all of them).
  void flush();

  // Commands of this connection that went into the log and are not answered yet. While there are
  // any, a read goes into the log too, so it takes effect after them (Redis runs a connection's
  // commands in order: a pipelined SET then GET reads its own write).
  std::size_t pending_logged = 0;
  // Linearizable reads of this connection not answered yet, and the commands that arrived after
  // one of them and must go into the log only once it is answered (so that a pipelined GET then
  // SET never reads the SET, whatever order the node serves the read and applies the write in).
  std::size_t pending_reads = 0;
  std::vector<std::pair<std::uint64_t, std::string>> deferred;  // reply slot, encoded command
  // Set by the server while this session is on its list of sessions to flush.
  bool flush_queued = false;

  static constexpr std::size_t kReadBytes = 16 * 1024;
  static constexpr std::size_t kMaxPendingSlots = 1024;
  static constexpr std::size_t kMaxQueuedBytes = std::size_t{4} << 20;
  static constexpr std::chrono::seconds kTlsHandshakeTimeout{10};

 private:
  struct Slot {
    bool ready = false;
    std::size_t request_bytes = 0;
    resp::Reply reply;
  };

  std::size_t pending_slots() const noexcept { return slots_.size() - first_index_; }
  bool can_read() const noexcept;
  void read();
  void read_plain();
  void wait_readable();
  void on_bytes(const char* data, std::size_t size);
  void parse();
  void resume();
  void write();
  void release_idle_memory();
  void close();

  std::unique_ptr<raftio::runtime::Stream> stream_;
  Server& server_;
  std::vector<char>& shared_read_buffer_;
  std::vector<char> tls_read_buffer_;                 // TLS sessions only, allocated on first read
  std::unique_ptr<asio::steady_timer> tls_deadline_;  // the TLS handshake's
  resp::CommandReader reader_;
  std::vector<std::string_view> args_;
  std::vector<Slot> slots_;        // slots_[first_index_] has id first_slot_
  std::size_t first_index_ = 0;
  std::uint64_t first_slot_ = 0;
  std::vector<resp::Reply> output_;   // ready replies not yet handed to the socket
  std::vector<resp::Reply> writing_;  // the write in progress
  std::vector<asio::const_buffer> gather_;
  std::size_t queued_bytes_ = 0;  // requests awaiting replies, and replies not yet written
  bool handshaken_ = false;
  bool writing_active_ = false;
  bool reading_ = false;
  bool closing_ = false;  // stop reading; close after the last reply is written
  bool closed_ = false;
};

}  // namespace kv
