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

}  // namespace
