// The wire format: a versioned, little-endian binary encoding of every Message, in frames that
// can travel on any byte stream. docs/PROTOCOL.md specifies it byte by byte; golden vectors in
// tests/test_wire.cpp pin it.
//
//   frame = magic "RFIO" (4) | version (1) | kind (1) | body length (4) | body | xxh3-64 (8)
//
// Decoding is total: any byte string gives a Message or a DecodeError naming what was wrong and
// the byte offset where it was found. It never reads out of bounds, throws, or allocates more
// than the input justifies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "raftio/messages.h"
#include "raftio/payload.h"
#include "raftio/result.h"

namespace raftio::wire {

inline constexpr std::byte kMagic[4] = {std::byte{'R'}, std::byte{'F'}, std::byte{'I'}, std::byte{'O'}};
inline constexpr std::uint8_t kVersion = 4;          // the newest version this build reads and writes
inline constexpr std::size_t kHeaderBytes = 10;      // magic, version, kind, body length
inline constexpr std::size_t kChecksumBytes = 8;
inline constexpr std::size_t kFrameOverheadBytes = kHeaderBytes + kChecksumBytes;
inline constexpr std::size_t kDefaultMaxFrameBytes = std::size_t{4} << 20;  // 4 MiB

enum class DecodeErrorCode : std::uint8_t {
  Truncated,           // the input ends before the frame (or a field) does
  BadMagic,            // the first four bytes are not "RFIO"
  UnsupportedVersion,  // a version this build does not know (newer, or 0)
  UnknownKind,         // a message kind the frame's version does not define (0..8 in v1, 0..10 in v2 and v3)
  LengthOverflow,      // the body length exceeds the maximum frame size
  ChecksumMismatch,    // the xxh3-64 of the frame does not match
  InvalidField,        // a field holds a value the format forbids (see `field`)
  TrailingBytes,       // bytes left over after the frame, or inside the body after the message
};

struct DecodeError {
  DecodeErrorCode code = DecodeErrorCode::Truncated;
  std::size_t offset = 0;      // byte offset in the frame where the problem was detected
  std::string_view field;      // for InvalidField: which field ("entries[].kind", "granted", ...)
  std::string describe() const;
  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

std::string_view to_string(DecodeErrorCode code) noexcept;

using DecodeResult = Result<Message, DecodeError>;

// --- encoding ---

// The version a message is encoded in: the oldest that can express it (1 unless it is a read-index
// message or carries a read_round (2), a seq or a snapshot checksum (3)). A frame in any other
// version is rejected, so every message has exactly one encoding.
std::uint8_t version_for(const Message& message) noexcept;

// Bytes of the whole frame for `message` (reserve this much to encode without allocating).
std::size_t frame_size(const Message& message) noexcept;
// Appends one frame to `buffer`. Allocates only when buffer.capacity() is too small.
void encode_into(const Message& message, std::vector<std::byte>& buffer);
std::vector<std::byte> encode(const Message& message);

// --- decoding one frame ---

struct DecodeOptions {
  std::size_t max_frame_bytes = kDefaultMaxFrameBytes;  // header + body + checksum
};

// Decodes exactly one frame; bytes after it are TrailingBytes. Payloads are copied out of `bytes`.
DecodeResult decode(std::span<const std::byte> bytes, DecodeOptions options = {});
// The same, but payloads become views of `frame` (no copy): the frame stays alive while any
// decoded payload does.
DecodeResult decode(const SharedBuffer& frame, DecodeOptions options = {});

// --- decoding a byte stream ---

// Accepts bytes as they arrive, in chunks of any size (one byte at a time included), and yields
// the same messages a whole-buffer decode would. Each frame is gathered into one SharedBuffer,
// allocated only after its header passed the checks, and payloads are views of it.
//
// After an error the stream cannot be resynchronized (frames carry no sync marker beyond the
// magic): next() keeps returning that error, and the connection should be closed.
class FrameDecoder {
 public:
  explicit FrameDecoder(DecodeOptions options = {}) : options_(options) {}

  // Consumes the bytes: header bytes are kept until the header checks out, then the frame's
  // buffer is allocated and the rest is copied straight into it.
  void feed(std::span<const std::byte> bytes);
  // The next complete message or error, or nothing when more bytes are needed.
  std::optional<DecodeResult> next();

  // Bytes of the frame being gathered (0 between frames).
  std::size_t partial_bytes() const noexcept { return frame_filled_ > 0 ? frame_filled_ : header_filled_; }
  bool failed() const noexcept { return error_.has_value(); }

 private:
  void fail(DecodeError error);

  DecodeOptions options_;
  std::byte header_[kHeaderBytes] = {};
  std::size_t header_filled_ = 0;
  SharedBuffer frame_;  // the frame being gathered, allocated once its header checks out
  std::size_t frame_filled_ = 0;
  std::vector<DecodeResult> ready_;  // decoded, not yet returned (oldest first)
  std::size_t ready_read_ = 0;
  std::optional<DecodeError> error_;
};

}  // namespace raftio::wire
