// The reading end of a peer link: a byte stream of Raft frames (<raftio/wire.h>, magic "RFIO")
// and runtime frames (runtime_wire.h, magic "RFRT") in any order, in chunks of any size. Both
// kinds share the header's layout, so the reader sizes a frame from its header alone, checks the
// length against the bound before it allocates, gathers the frame and hands it to its kind's
// decoder. Pure code, no I/O: fuzzed without sockets (fuzz/fuzz_peer_frames.cpp).
//
// After an error the stream cannot be resynchronized: next() keeps returning that error, and the
// connection should be closed.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "raftio/messages.h"
#include "raftio/payload.h"
#include "raftio/result.h"
#include "raftio/runtime/runtime_message.h"
#include "raftio/wire.h"

namespace raftio::runtime {

using PeerFrame = std::variant<Message, PeerMessage>;
using PeerFrameResult = Result<PeerFrame, wire::DecodeError>;

class PeerFrameReader {
 public:
  // `max_frame_bytes` bounds Raft frames; runtime frames are bounded by the smaller of it and
  // peer_wire::kMaxFrameBytes.
  explicit PeerFrameReader(std::size_t max_frame_bytes = wire::kDefaultMaxFrameBytes) : max_frame_bytes_(max_frame_bytes) {}

  void feed(std::span<const std::byte> bytes);
  // The next complete frame's message or the stream's error; nothing while more bytes are needed.
  std::optional<PeerFrameResult> next();
  bool failed() const noexcept { return error_.has_value(); }

 private:
  void fail(wire::DecodeError error);
  void finish_frame();

  std::size_t max_frame_bytes_;
  std::byte header_[wire::kHeaderBytes] = {};
  std::size_t header_filled_ = 0;
  bool runtime_frame_ = false;
  SharedBuffer frame_;  // allocated once the header checked out
  std::size_t frame_filled_ = 0;
  std::vector<PeerFrameResult> ready_;
  std::size_t ready_read_ = 0;
  std::optional<wire::DecodeError> error_;
};

}  // namespace raftio::runtime
