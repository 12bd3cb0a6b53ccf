// One Redis client connection. It parses every complete command in what it has read (pipelined
// clients send many per read), hands each to the server, and writes the replies back in command
// order: each command reserves a reply slot when it arrives, the server fills slots as answers
// become known (at once, after Apply, after ReadReady), and only the ready prefix is written.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <raftio/types.h>

#include "resp.h"

namespace kv {

class Server;

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(asio::ip::tcp::socket socket, Server& server);
  void start();

  // Reply slots: reserve one per command, in arrival order, then fill it once.
  std::uint64_t reserve_slot();
  void fill(std::uint64_t slot, std::string reply);
  // Fills the slot and closes the connection once every earlier reply is written.
  void fill_and_close(std::uint64_t slot, std::string reply);
  // Writes the ready prefix of the slots; the server calls it at the end of each turn.
  void flush();

  // Commands of this connection that went into the log and are not answered yet. While there are
  // any, a read goes into the log too, so it takes effect after them (Redis runs a connection's
  // commands in order: a pipelined SET then GET reads its own write).
  std::size_t pending_logged = 0;
  // Set by the server while this session is on its list of sessions to flush at the end of the turn.
  bool flush_queued = false;

 private:
  static constexpr std::size_t kReadBytes = 16 * 1024;
  static constexpr std::size_t kMaxPendingSlots = 8192;              // stop reading beyond this
  static constexpr std::size_t kMaxOutputBytes = std::size_t{64} << 20;  // a client that never reads

  struct Slot {
    bool ready = false;
    std::string reply;
  };

  void read();
  void on_read(std::size_t size);
  void write();
  void close();

  asio::ip::tcp::socket socket_;
  Server& server_;
  resp::Limits limits_;
  std::string input_;                // bytes read, not yet parsed into commands
  std::vector<char> read_buffer_;
  std::vector<std::string_view> args_;
  std::deque<Slot> slots_;
  std::uint64_t first_slot_ = 0;     // the id of slots_.front()
  std::string output_;               // ready replies not yet handed to the socket
  std::string writing_;              // the write in progress
  bool writing_active_ = false;
  bool reading_ = false;
  bool closing_ = false;             // stop reading; close after the last reply is written
  bool closed_ = false;
};

}  // namespace kv
