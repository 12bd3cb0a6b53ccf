// RESP2, the Redis protocol, as far as raftio-kv needs it: a parser for client commands (multibulk
// "*N\r\n$len\r\narg\r\n..." as redis-cli and redis-benchmark send them, and inline
// "SET k v\r\n" lines as typed into nc or telnet) and writers for the five reply types.
//
// The parser is a pure function over the bytes received so far: it returns one complete command,
// "need more bytes", or an error. It never reads past the buffer, never allocates more than the
// limits allow, and every declared length is checked before it is trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kv::resp {

struct Limits {
  std::size_t max_args = 1024;                       // arguments per command, name included
  std::size_t max_bulk_bytes = std::size_t{1} << 20;  // one argument
  std::size_t max_command_bytes = std::size_t{2} << 20;  // all arguments of one command together
  std::size_t max_inline_bytes = std::size_t{64} << 10;  // one inline command line
};

enum class ParseStatus : std::uint8_t { Complete, NeedMore, Error };

struct ParseResult {
  ParseStatus status = ParseStatus::NeedMore;
  std::size_t consumed = 0;  // bytes of the command (Complete only)
  std::string error;         // what was wrong (Error only), sent to the client as "-ERR ..."
};

// Parses the first command in `input`. On Complete, `args` holds its arguments (views into
// `input`, valid while it is) and `consumed` its length. An empty inline line is a command with
// no arguments (Redis ignores it). After an Error the connection must be closed: the stream
// cannot be resynchronized.
ParseResult parse_command(std::string_view input, const Limits& limits, std::vector<std::string_view>& args);

// The parser over one connection's byte stream: bytes are appended as they arrive, in whatever
// chunks the socket delivers, and complete commands are taken one at a time. A stream fed whole
// or in pieces yields the same commands and the same error (fuzz/fuzz_resp.cpp checks it). The
// buffer holds at most one incomplete command (within the limits) besides what is unparsed.
class CommandReader {
 public:
  explicit CommandReader(Limits limits = {}) : limits_(limits) {}

  // Adds bytes. Views returned by next() before are invalid afterwards.
  void append(std::string_view bytes);
  // The next command: Complete (`args` are views into the buffer, valid until the next call to
  // next() or append()), NeedMore, or Error, after which every call returns the same error.
  ParseResult next(std::vector<std::string_view>& args);

  std::size_t buffered_bytes() const noexcept { return buffer_.size() - offset_; }
  std::size_t capacity_bytes() const noexcept { return buffer_.capacity(); }
  const Limits& limits() const noexcept { return limits_; }

  // An emptied buffer keeps at most this much capacity (an idle connection stays small after a
  // large command).
  static constexpr std::size_t kKeptCapacityBytes = 16 * 1024;

 private:
  Limits limits_;
  std::string buffer_;
  std::size_t offset_ = 0;  // bytes of buffer_ already returned as commands
  std::optional<ParseResult> error_;
};

// A reply as it goes out: `head`, then, for a bulk reply of a stored value, the value itself
// followed by CRLF. The value is shared with the key-value map rather than copied, so a reply
// waiting for a slow client costs a pointer, whatever the value's size.
struct Reply {
  Reply() = default;
  Reply(std::string whole) : head(std::move(whole)) {}  // NOLINT: a reply is its bytes
  Reply(std::string head_bytes, std::shared_ptr<const std::string> value)
      : head(std::move(head_bytes)), body(std::move(value)) {}

  std::string head;
  std::shared_ptr<const std::string> body;  // nullptr: `head` is the whole reply
  std::size_t size() const noexcept { return head.size() + (body ? body->size() + 2 : 0); }
};

Reply bulk_reply(std::shared_ptr<const std::string> value);  // "$<len>\r\n" + value + "\r\n"

// Reply writers: each appends one reply to `out`.
void append_simple(std::string& out, std::string_view text);  // +text (no CR or LF in text)
void append_error(std::string& out, std::string_view text);   // -text (no CR or LF in text)
void append_integer(std::string& out, std::int64_t value);    // :value
void append_bulk(std::string& out, std::string_view bytes);   // $len bytes
void append_null(std::string& out);                           // $-1
void append_array_header(std::string& out, std::size_t count);  // *count, then `count` replies

}  // namespace kv::resp
