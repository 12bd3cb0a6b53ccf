// Fuzz target: what a peer link reads (runtime/include/raftio/runtime/peer_frame_reader.h): Raft
// frames and runtime frames (forwarded proposals and their outcomes, runtime_wire.h) in one byte
// stream. The first input byte picks the chunk size the stream is fed in; the rest is the stream.
//   - the reader never crashes, reads out of bounds or allocates beyond the frame bound (ASan,
//     -malloc_limit_mb), and yields the same frames and error whatever the chunking;
//   - after an error it keeps returning that error;
//   - the rest, resealed (checksum fixed), as one runtime frame: decode is total, what decodes
//     re-encodes to exactly those bytes, and every shorter prefix of them is Truncated.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_common.h"
#include <raftio/runtime/peer_frame_reader.h>
#include <raftio/runtime/runtime_wire.h>

namespace {

using raftio::runtime::PeerFrameReader;
using raftio::runtime::PeerFrameResult;

std::vector<PeerFrameResult> read_all(std::span<const std::byte> stream, std::size_t chunk) {
  PeerFrameReader reader;
  std::vector<PeerFrameResult> out;
  bool failed = false;
  while (!stream.empty() && !failed) {
    const std::size_t take = std::min(chunk, stream.size());
    reader.feed(stream.first(take));
    stream = stream.subspan(take);
    while (auto next = reader.next()) {
      failed = !next->ok();
      out.push_back(std::move(*next));
      if (failed) break;
    }
  }
  if (failed) {
    // The error sticks: more bytes and more calls give it again.
    const std::byte more[2] = {std::byte{'R'}, std::byte{'F'}};
    reader.feed(more);
    auto again = reader.next();
    RAFTIO_FUZZ_CHECK(again && !again->ok() && again->error() == out.back().error());
    RAFTIO_FUZZ_CHECK(reader.failed());
  }
  return out;
}

bool same(const PeerFrameResult& a, const PeerFrameResult& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) return a.error() == b.error();
  return a.value() == b.value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace raftio::runtime;
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 17;
  const auto stream = raftio::fuzz::as_bytes(data + 1, size - 1);

  const std::vector<PeerFrameResult> whole = read_all(stream, stream.size() + 1);
  const std::vector<PeerFrameResult> pieces = read_all(stream, chunk);
  RAFTIO_FUZZ_CHECK(whole.size() == pieces.size());
  for (std::size_t i = 0; i < whole.size(); ++i) RAFTIO_FUZZ_CHECK(same(whole[i], pieces[i]));
  for (const PeerFrameResult& result : whole) {
    if (!result.ok()) RAFTIO_FUZZ_CHECK(!result.error().describe().empty());
  }

  const std::vector<std::byte> frame = raftio::fuzz::resealed(stream);
  auto decoded = peer_wire::decode(frame);
  if (decoded.ok()) {
    RAFTIO_FUZZ_CHECK(peer_wire::encode(decoded.value()) == frame);
    RAFTIO_FUZZ_CHECK(peer_wire::frame_size(decoded.value()) == frame.size());
    for (std::size_t prefix = 0; prefix < frame.size(); prefix += 1 + prefix / 8) {
      auto shorter = peer_wire::decode(std::span<const std::byte>(frame.data(), prefix));
      RAFTIO_FUZZ_CHECK(!shorter.ok() && shorter.error().code == raftio::wire::DecodeErrorCode::Truncated);
    }
  } else {
    RAFTIO_FUZZ_CHECK(decoded.error().offset <= frame.size());
    RAFTIO_FUZZ_CHECK(!decoded.error().describe().empty());
  }
  return 0;
}
