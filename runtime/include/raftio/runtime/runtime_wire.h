// The frames that carry runtime messages (runtime_message.h) on a peer link, beside the core's
// Raft frames (<raftio/wire.h>). Both share the header's layout, so a reader can tell them apart
// from the magic and size either one from its length field; docs/RUNTIME.md specifies the bytes.
//
//   frame = magic "RFRT" (4) | version (1) | kind (1) | body length (4) | body | xxh3-64 (8)
//
// Decoding is total and strict: any byte string gives one PeerMessage or a wire::DecodeError
// naming what was wrong and where. Each message has exactly one encoding (a field the status does
// not use must be zero), so whatever decodes re-encodes to the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "raftio/result.h"
#include "raftio/runtime/runtime_message.h"
#include "raftio/wire.h"

namespace raftio::runtime::peer_wire {

inline constexpr std::byte kMagic[4] = {std::byte{'R'}, std::byte{'F'}, std::byte{'R'}, std::byte{'T'}};
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::uint8_t kForwardedProposalKind = 1;
inline constexpr std::uint8_t kForwardedOutcomeKind = 2;
// Bodies before their payload: from, to, request, command length; from, to, request, status,
// leader hint, reason, response length.
inline constexpr std::size_t kProposalFixedBytes = 8 + 8 + 8 + 4;
inline constexpr std::size_t kOutcomeFixedBytes = 8 + 8 + 8 + 1 + 8 + 1 + 4;
// The largest runtime frame a node sends or accepts: the core's default frame bound. A forwarded
// command leaves 4 KiB of it unused, room for the fields of the AppendEntries frame that will
// replicate it (which must fit the same bound on every peer).
inline constexpr std::size_t kMaxFrameBytes = wire::kDefaultMaxFrameBytes;
inline constexpr std::size_t kMaxForwardedCommandBytes = kMaxFrameBytes - 4096;
inline constexpr std::size_t kMaxForwardedResponseBytes = kMaxFrameBytes - wire::kFrameOverheadBytes - kOutcomeFixedBytes;

// Bytes of the whole frame for `message`.
std::size_t frame_size(const PeerMessage& message) noexcept;
// Appends one frame. The caller keeps payloads within the bounds above (the Driver does).
void encode_into(const PeerMessage& message, std::vector<std::byte>& buffer);
std::vector<std::byte> encode(const PeerMessage& message);

// The checksum a frame ends with: XXH3-64 (seed 0) of everything before it.
std::uint64_t frame_checksum(std::span<const std::byte> bytes) noexcept;

// Whether these (at least 4) bytes start a runtime frame rather than a Raft one.
bool is_runtime_frame(std::span<const std::byte> bytes) noexcept;

// Decodes exactly one frame (bytes after it are TrailingBytes). Payloads are copied out.
Result<PeerMessage, wire::DecodeError> decode(std::span<const std::byte> frame);

}  // namespace raftio::runtime::peer_wire
