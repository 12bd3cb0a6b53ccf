// Fuzz target: raftio-kv's RESP reader (examples/kv/resp.h), as a client connection drives it.
// Any bytes, in any chunking, under small or default limits: it never crashes or reads out of
// bounds (ASan), never returns a command beyond the limits, never holds more than it was given,
// and the commands and the error of the stream fed in fuzzer-chosen chunks are exactly those of
// the stream fed whole.
//
// Input: the stream, then (from the end, FuzzedDataProvider's integral side) one byte choosing the
// limits and eight bytes seeding the chunk sizes, so a raw RESP stream is a usable seed.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.h"
#include "resp.h"

namespace {

using kv::resp::CommandReader;
using kv::resp::Limits;
using kv::resp::ParseStatus;

struct Parsed {
  std::vector<std::vector<std::string>> commands;
  std::optional<std::string> error;
  friend bool operator==(const Parsed&, const Parsed&) = default;
};

// Takes every complete command; false once the stream failed.
bool drain(CommandReader& reader, std::size_t given, Parsed& out) {
  const Limits& limits = reader.limits();
  std::vector<std::string_view> args;
  for (;;) {
    const auto result = reader.next(args);
    RAFTIO_FUZZ_CHECK(reader.buffered_bytes() <= given);
    if (result.status == ParseStatus::NeedMore) {
      RAFTIO_FUZZ_CHECK(args.empty());
      return true;
    }
    if (result.status == ParseStatus::Error) {
      RAFTIO_FUZZ_CHECK(!result.error.empty() && args.empty());
      out.error = result.error;
      return false;
    }
    RAFTIO_FUZZ_CHECK(result.consumed > 0);
    RAFTIO_FUZZ_CHECK(args.size() <= limits.max_args);
    std::size_t total = 0;
    for (std::string_view arg : args) {
      RAFTIO_FUZZ_CHECK(arg.size() <= std::max(limits.max_bulk_bytes, limits.max_inline_bytes));
      total += arg.size();
    }
    RAFTIO_FUZZ_CHECK(total <= std::max(limits.max_command_bytes, limits.max_inline_bytes));
    out.commands.emplace_back(args.begin(), args.end());
  }
}

Limits limits_from(std::uint8_t choice) {
  if (choice < 128) return Limits{};
  // Small limits, so short inputs reach every limit check.
  const std::size_t pick = choice;
  return Limits{1 + pick % 8, pick % 5 * 7, pick % 3 * 11, 1 + pick % 29};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const Limits limits = limits_from(provider.ConsumeIntegral<std::uint8_t>());
  std::uint64_t chunk_seed = provider.ConsumeIntegral<std::uint64_t>();
  const std::string stream = provider.ConsumeRemainingBytesAsString();

  CommandReader whole(limits);
  whole.append(stream);
  Parsed expected;
  drain(whole, stream.size(), expected);

  CommandReader chunked(limits);
  Parsed got;
  std::size_t at = 0;
  while (at < stream.size()) {
    chunk_seed = chunk_seed * 6364136223846793005ULL + 1442695040888963407ULL;  // an LCG: cheap, any seed
    const std::size_t take = std::min<std::size_t>(1 + (chunk_seed >> 58), stream.size() - at);
    chunked.append(std::string_view(stream).substr(at, take));
    at += take;
    if (!drain(chunked, at, got)) break;
  }
  RAFTIO_FUZZ_CHECK(got == expected);
  return 0;
}
