// The RESP2 parser: valid commands in every framing and split, every limit, and random hostile
// input that must never crash, read out of bounds or consume more than it was given.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "resp.h"

namespace {

using kv::resp::Limits;
using kv::resp::parse_command;
using kv::resp::ParseStatus;

std::vector<std::string> parse_all(std::string_view input, const Limits& limits = {}) {
  std::vector<std::string> out;
  std::vector<std::string_view> args;
  while (!input.empty()) {
    const auto result = parse_command(input, limits, args);
    if (result.status != ParseStatus::Complete) break;
    std::string joined;
    for (std::string_view arg : args) joined += std::string(arg) + "|";
    out.push_back(joined);
    input.remove_prefix(result.consumed);
  }
  return out;
}

ParseStatus status_of(std::string_view input, const Limits& limits = {}) {
  std::vector<std::string_view> args;
  return parse_command(input, limits, args).status;
}

TEST(Resp, MultibulkCommand) {
  std::vector<std::string_view> args;
  const std::string input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nx!\r\n";
  const auto result = parse_command(input, {}, args);
  ASSERT_EQ(result.status, ParseStatus::Complete);
  EXPECT_EQ(result.consumed, input.size());
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[0], "SET");
  EXPECT_EQ(args[1], "k");
  EXPECT_EQ(args[2], "v\r\nx!");  // binary-safe: a bulk string may hold CR LF
}

TEST(Resp, InlineCommand) {
  EXPECT_EQ(parse_all("SET  k\tv\r\nPING\n\r\n"), (std::vector<std::string>{"SET|k|v|", "PING|", ""}));
}

TEST(Resp, PipelinedCommandsParseOneByOne) {
  std::string input;
  for (int i = 0; i < 100; ++i) input += "*2\r\n$3\r\nGET\r\n$" + std::to_string(std::to_string(i).size()) + "\r\n" + std::to_string(i) + "\r\n";
  const auto commands = parse_all(input);
  ASSERT_EQ(commands.size(), 100u);
  EXPECT_EQ(commands[42], "GET|42|");
}

TEST(Resp, EveryPrefixNeedsMoreAndTheWholeCompletes) {
  const std::string input = "*2\r\n$4\r\nINCR\r\n$10\r\n0123456789\r\n";
  for (std::size_t cut = 0; cut < input.size(); ++cut) {
    EXPECT_EQ(status_of(input.substr(0, cut)), ParseStatus::NeedMore) << "cut at " << cut;
  }
  EXPECT_EQ(status_of(input), ParseStatus::Complete);
}

TEST(Resp, EmptyMultibulkIsAnEmptyCommand) {
  std::vector<std::string_view> args;
  const auto result = parse_command("*0\r\n", {}, args);
  EXPECT_EQ(result.status, ParseStatus::Complete);
  EXPECT_EQ(result.consumed, 4u);
  EXPECT_TRUE(args.empty());
}

TEST(Resp, MalformedInputIsAnError) {
  for (std::string_view bad : {"*x\r\n", "*1\r\n:3\r\n", "*1\r\n$-1\r\n", "*1\r\n$3\r\nabcd\r\n", "*1\r\n$abc\r\n",
                               "*1\r\n$\r\n", "*\r\n", "*1\r\n$3\r\nabc\n\n", "*99999999999999999999999\r\n",
                               "*1\r\n$1 \r\n"}) {
    EXPECT_EQ(status_of(bad), ParseStatus::Error) << bad;
  }
}

TEST(Resp, LimitsAreEnforcedBeforeTheBytesArrive) {
  Limits limits;
  limits.max_args = 3;
  limits.max_bulk_bytes = 8;
  limits.max_command_bytes = 12;
  limits.max_inline_bytes = 16;
  EXPECT_EQ(status_of("*4\r\n", limits), ParseStatus::Error);              // too many arguments
  EXPECT_EQ(status_of("*1\r\n$9\r\n", limits), ParseStatus::Error);        // one too large
  EXPECT_EQ(status_of("*2\r\n$8\r\n12345678\r\n$8\r\n", limits), ParseStatus::Error);  // together too large
  EXPECT_EQ(status_of(std::string(17, 'a'), limits), ParseStatus::Error);  // an endless inline line
  EXPECT_EQ(status_of("a b c d\r\n", limits), ParseStatus::Error);         // inline, too many arguments
  EXPECT_EQ(status_of("*1\r\n$2000000000\r\n"), ParseStatus::Error);       // default limits: 2 GB bulk
  EXPECT_EQ(status_of(std::string(40, '9').insert(0, "*")), ParseStatus::Error);  // a number line without end
}

// Random bytes, and valid commands with random bytes flipped, cut or inserted: the parser
// returns, consumes at most its input, and its arguments lie inside the input.
TEST(Resp, HostileInputNeverBreaksTheParser) {
  std::mt19937_64 random(7);
  const std::string valid = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nPING\r\n";
  const std::string alphabet = "*$:+-\r\n0123456789 abc";
  Limits limits;
  limits.max_bulk_bytes = 64;
  limits.max_command_bytes = 128;
  limits.max_inline_bytes = 64;
  std::vector<std::string_view> args;
  for (int round = 0; round < 50000; ++round) {
    std::string input;
    if (round % 2 == 0) {
      const std::size_t size = random() % 64;
      for (std::size_t i = 0; i < size; ++i) {
        input += round % 4 == 0 ? static_cast<char>(random() & 0xff) : alphabet[random() % alphabet.size()];
      }
    } else {
      input = valid;
      const int edits = 1 + static_cast<int>(random() % 4);
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = random() % input.size();
        switch (random() % 3) {
          case 0: input[at] = alphabet[random() % alphabet.size()]; break;
          case 1: input.erase(at, 1 + random() % 8); break;
          default: input.insert(at, 1, alphabet[random() % alphabet.size()]); break;
        }
        if (input.empty()) input = "*";
      }
    }
    std::string_view rest = input;
    for (int step = 0; step < 16 && !rest.empty(); ++step) {
      const auto result = parse_command(rest, limits, args);
      if (result.status != ParseStatus::Complete) {
        EXPECT_TRUE(args.empty());
        break;
      }
      ASSERT_GT(result.consumed, 0u);
      ASSERT_LE(result.consumed, rest.size());
      for (std::string_view arg : args) {
        ASSERT_GE(arg.data(), rest.data());
        ASSERT_LE(arg.data() + arg.size(), rest.data() + result.consumed);
      }
      rest.remove_prefix(result.consumed);
    }
  }
}

TEST(Resp, Writers) {
  std::string out;
  kv::resp::append_simple(out, "OK");
  kv::resp::append_error(out, "ERR bad");
  kv::resp::append_integer(out, -42);
  kv::resp::append_bulk(out, std::string("a\0b", 3));
  kv::resp::append_null(out);
  kv::resp::append_array_header(out, 2);
  EXPECT_EQ(out, std::string("+OK\r\n-ERR bad\r\n:-42\r\n$3\r\na\0b\r\n$-1\r\n*2\r\n", 39));
}

// The connection's reader: a stream fed in any two pieces yields the commands and the error it
// yields when fed whole, and it keeps no memory once a large command has been taken.
std::vector<std::string> read_all(kv::resp::CommandReader& reader, std::string* error) {
  std::vector<std::string> out;
  std::vector<std::string_view> args;
  for (;;) {
    const auto result = reader.next(args);
    if (result.status == ParseStatus::NeedMore) return out;
    if (result.status == ParseStatus::Error) {
      *error = result.error;
      return out;
    }
    std::string joined;
    for (std::string_view arg : args) joined += std::string(arg) + "|";
    out.push_back(joined);
  }
}

TEST(Resp, ReaderGivesTheSameCommandsWholeOrSplit) {
  const std::string stream = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\nPING\r\n\r\n*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n";
  kv::resp::CommandReader whole;
  whole.append(stream);
  std::string whole_error;
  const auto expected = read_all(whole, &whole_error);
  ASSERT_EQ(expected, (std::vector<std::string>{"SET|k|vv|", "PING|", "", "PING|"}));
  ASSERT_EQ(whole_error, "Protocol error: invalid bulk length");
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    kv::resp::CommandReader reader;
    std::string error;
    reader.append(std::string_view(stream).substr(0, split));
    auto got = read_all(reader, &error);
    reader.append(std::string_view(stream).substr(split));
    const auto rest = read_all(reader, &error);
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(got, expected) << "split at " << split;
    EXPECT_EQ(error, whole_error) << "split at " << split;
  }
}

// Found by fuzz_resp: a number line of the longest allowed length whose CR arrived in one chunk
// and its LF in the next was refused as too long, while the same stream read whole was accepted.
TEST(Resp, ALongestNumberLineSplitBetweenItsCrAndLfIsStillAccepted) {
  const std::string count_line = "*-0007751640039368417471";  // 24 bytes: the longest allowed
  const std::string stream = count_line + "\r\n*1\r\n$4\r\nPING\r\n";
  kv::resp::CommandReader whole;
  whole.append(stream);
  std::string whole_error;
  ASSERT_EQ(read_all(whole, &whole_error), (std::vector<std::string>{"", "PING|"}));
  ASSERT_EQ(whole_error, "");

  kv::resp::CommandReader split;
  std::string error;
  split.append(std::string_view(stream).substr(0, count_line.size() + 1));  // up to the CR
  EXPECT_EQ(read_all(split, &error), std::vector<std::string>{});
  EXPECT_EQ(error, "") << "the LF may still come";
  split.append(std::string_view(stream).substr(count_line.size() + 1));
  EXPECT_EQ(read_all(split, &error), (std::vector<std::string>{"", "PING|"}));
  EXPECT_EQ(error, "");

  kv::resp::CommandReader too_long;  // one byte more than that can never become a valid line
  too_long.append(count_line + "7");
  EXPECT_EQ(read_all(too_long, &error), std::vector<std::string>{});
  EXPECT_EQ(error, "Protocol error: invalid multibulk length");
}

TEST(Resp, ReaderErrorIsFinal) {
  kv::resp::CommandReader reader;
  reader.append("*x\r\n");
  std::vector<std::string_view> args;
  EXPECT_EQ(reader.next(args).status, ParseStatus::Error);
  reader.append("*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(reader.next(args).status, ParseStatus::Error) << "a stream cannot be resynchronized";
}

TEST(Resp, ReaderReleasesTheRoomOfALargeCommand) {
  kv::resp::CommandReader reader;
  const std::string value(1 << 20, 'v');
  reader.append("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n");
  std::vector<std::string_view> args;
  ASSERT_EQ(reader.next(args).status, ParseStatus::Complete);
  EXPECT_EQ(args[2].size(), value.size());
  EXPECT_EQ(reader.next(args).status, ParseStatus::NeedMore);
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  EXPECT_LE(reader.capacity_bytes(), kv::resp::CommandReader::kKeptCapacityBytes);
}

TEST(Resp, BulkReplySharesTheValue) {
  const auto value = std::make_shared<const std::string>(std::string(1000, 'x'));
  const kv::resp::Reply reply = kv::resp::bulk_reply(value);
  EXPECT_EQ(reply.head, "$1000\r\n");
  EXPECT_EQ(reply.body.get(), value.get());
  EXPECT_EQ(reply.size(), 7u + 1000u + 2u);  // "$1000\r\n", the value, "\r\n"
}

}  // namespace
