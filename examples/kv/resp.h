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

// Reply writers: each appends one reply to `out`.
void append_simple(std::string& out, std::string_view text);  // +text (no CR or LF in text)
void append_error(std::string& out, std::string_view text);   // -text (no CR or LF in text)
void append_integer(std::string& out, std::int64_t value);    // :value
void append_bulk(std::string& out, std::string_view bytes);   // $len bytes
void append_null(std::string& out);                           // $-1
void append_array_header(std::string& out, std::size_t count);  // *count, then `count` replies

}  // namespace kv::resp
