#include "resp.h"

#include <charconv>

namespace kv::resp {
namespace {

constexpr std::size_t kMaxNumberLine = 24;  // longest "<prefix><integer>" before its CRLF: a sign, 20 digits, slack

ParseResult need_more() { return ParseResult{ParseStatus::NeedMore, 0, {}}; }
ParseResult error(std::string text) { return ParseResult{ParseStatus::Error, 0, std::move(text)}; }

// Reads "<prefix><integer>\r\n" at `pos`. Returns NeedMore while the line is incomplete and
// short enough to still become valid; Error when it is malformed.
ParseStatus read_number_line(std::string_view input, std::size_t pos, std::int64_t& value, std::size_t& next) {
  const std::size_t end = input.find("\r\n", pos);
  if (end == std::string_view::npos) {
    // Without its CRLF the line is already too long only once it has more than kMaxNumberLine
    // bytes besides a final CR (whose LF may be in the next chunk): deciding earlier would make a
    // stream split after that CR fail where the same stream read whole succeeds.
    const std::size_t pending = input.size() - pos;
    const bool may_still_end = pending <= kMaxNumberLine || (pending == kMaxNumberLine + 1 && input.back() == '\r');
    return may_still_end ? ParseStatus::NeedMore : ParseStatus::Error;
  }
  if (end - pos > kMaxNumberLine || end - pos < 2) return ParseStatus::Error;
  const char* first = input.data() + pos + 1;
  const char* last = input.data() + end;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last) return ParseStatus::Error;
  next = end + 2;
  return ParseStatus::Complete;
}

ParseResult parse_multibulk(std::string_view input, const Limits& limits, std::vector<std::string_view>& args) {
  std::int64_t count = 0;
  std::size_t pos = 0;
  switch (read_number_line(input, 0, count, pos)) {
    case ParseStatus::NeedMore: return need_more();
    case ParseStatus::Error: return error("Protocol error: invalid multibulk length");
    case ParseStatus::Complete: break;
  }
  if (count > static_cast<std::int64_t>(limits.max_args)) return error("Protocol error: too many arguments");
  std::size_t total = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    if (pos >= input.size()) return need_more();
    if (input[pos] != '$') return error("Protocol error: expected '$'");
    std::int64_t length = 0;
    switch (read_number_line(input, pos, length, pos)) {
      case ParseStatus::NeedMore: return need_more();
      case ParseStatus::Error: return error("Protocol error: invalid bulk length");
      case ParseStatus::Complete: break;
    }
    if (length < 0 || static_cast<std::uint64_t>(length) > limits.max_bulk_bytes) {
      return error("Protocol error: invalid bulk length");
    }
    const auto bytes = static_cast<std::size_t>(length);
    total += bytes;
    if (total > limits.max_command_bytes) return error("Protocol error: command too large");
    if (input.size() - pos < bytes + 2) return need_more();
    if (input[pos + bytes] != '\r' || input[pos + bytes + 1] != '\n') {
      return error("Protocol error: bulk string not terminated by CRLF");
    }
    args.push_back(input.substr(pos, bytes));
    pos += bytes + 2;
  }
  return ParseResult{ParseStatus::Complete, pos, {}};  // "*0" and "*-1" are empty commands
}

ParseResult parse_inline(std::string_view input, const Limits& limits, std::vector<std::string_view>& args) {
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos || newline > limits.max_inline_bytes) {
    if (input.size() > limits.max_inline_bytes) return error("Protocol error: too big inline request");
    return need_more();
  }
  std::string_view line = input.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t pos = 0;
  while (pos < line.size()) {
    const std::size_t start = line.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    std::size_t end = line.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = line.size();
    if (args.size() == limits.max_args) return error("Protocol error: too many arguments");
    args.push_back(line.substr(start, end - start));
    pos = end;
  }
  return ParseResult{ParseStatus::Complete, newline + 1, {}};
}

}  // namespace

ParseResult parse_command(std::string_view input, const Limits& limits, std::vector<std::string_view>& args) {
  args.clear();
  if (input.empty()) return need_more();
  ParseResult result = input[0] == '*' ? parse_multibulk(input, limits, args) : parse_inline(input, limits, args);
  if (result.status != ParseStatus::Complete) args.clear();
  return result;
}

void CommandReader::append(std::string_view bytes) {
  if (offset_ > 0) {  // the commands returned so far are done with: drop them
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes);
}

ParseResult CommandReader::next(std::vector<std::string_view>& args) {
  if (error_) {
    args.clear();
    return *error_;
  }
  ParseResult result = parse_command(std::string_view(buffer_).substr(offset_), limits_, args);
  if (result.status == ParseStatus::Complete) {
    offset_ += result.consumed;
  } else if (result.status == ParseStatus::Error) {
    error_ = result;
  } else if (offset_ == buffer_.size()) {  // everything parsed and no view outstanding
    buffer_.clear();
    offset_ = 0;
    if (buffer_.capacity() > kKeptCapacityBytes) std::string().swap(buffer_);
  }
  return result;
}

void append_simple(std::string& out, std::string_view text) {
  out += '+';
  out += text;
  out += "\r\n";
}

void append_error(std::string& out, std::string_view text) {
  out += '-';
  out += text;
  out += "\r\n";
}

namespace {

// A RESP line made of a type byte and a number: ":42", "$5", "*3".
template <class Number>
void append_numbered(std::string& out, char type, Number value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out += type;
  out.append(digits, result.ptr);
  out += "\r\n";
}

}  // namespace

void append_integer(std::string& out, std::int64_t value) { append_numbered(out, ':', value); }

void append_bulk(std::string& out, std::string_view bytes) {
  append_numbered(out, '$', bytes.size());
  out += bytes;
  out += "\r\n";
}

void append_null(std::string& out) { out += "$-1\r\n"; }

Reply bulk_reply(std::shared_ptr<const std::string> value) {
  Reply reply;
  append_numbered(reply.head, '$', value->size());
  reply.body = std::move(value);
  return reply;
}

void append_array_header(std::string& out, std::size_t count) { append_numbered(out, '*', count); }

}  // namespace kv::resp
