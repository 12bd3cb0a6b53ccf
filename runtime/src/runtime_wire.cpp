#include "raftio/runtime/runtime_wire.h"

#include <cstring>
#include <type_traits>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace raftio::runtime::peer_wire {
namespace {

using wire::DecodeError;
using wire::DecodeErrorCode;

constexpr std::size_t kHeaderBytes = wire::kHeaderBytes;
constexpr std::uint8_t kLastRejectReason = static_cast<std::uint8_t>(RejectReason::LogFull);

void put_u64(std::vector<std::byte>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void put_u32(std::vector<std::byte>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void put_u8(std::vector<std::byte>& out, std::uint8_t v) { out.push_back(std::byte{v}); }
void put_bytes(std::vector<std::byte>& out, const Payload& payload) {
  out.insert(out.end(), payload.bytes().begin(), payload.bytes().end());
}

std::uint64_t get_u64(const std::byte* at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{std::to_integer<std::uint8_t>(at[i])} << (8 * i);
  return v;
}
std::uint32_t get_u32(const std::byte* at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{std::to_integer<std::uint8_t>(at[i])} << (8 * i);
  return v;
}

// Reads a body front to back; offsets in errors are the frame's.
class BodyReader {
 public:
  BodyReader(std::span<const std::byte> body) : body_(body) {}
  std::size_t offset() const noexcept { return kHeaderBytes + at_; }
  std::size_t left() const noexcept { return body_.size() - at_; }
  // Each assumes the caller checked left() for the fixed part first.
  std::uint64_t u64() {
    const std::uint64_t v = get_u64(body_.data() + at_);
    at_ += 8;
    return v;
  }
  std::uint32_t u32() {
    const std::uint32_t v = get_u32(body_.data() + at_);
    at_ += 4;
    return v;
  }
  std::uint8_t u8() { return std::to_integer<std::uint8_t>(body_[at_++]); }
  Payload bytes(std::size_t n) {
    Payload out = Payload::copy_of(body_.subspan(at_, n));
    at_ += n;
    return out;
  }

 private:
  std::span<const std::byte> body_;
  std::size_t at_ = 0;
};

DecodeError invalid(std::size_t offset, std::string_view field) {
  return DecodeError{DecodeErrorCode::InvalidField, offset, field};
}

// from and to: two different, non-zero nodes.
std::optional<DecodeError> read_ends(BodyReader& in, NodeId& from, NodeId& to) {
  const std::size_t at = in.offset();
  from = in.u64();
  to = in.u64();
  if (from == kNoNode) return invalid(at, "from");
  if (to == kNoNode || to == from) return invalid(at + 8, "to");
  return std::nullopt;
}

Result<PeerMessage, DecodeError> decode_proposal(BodyReader& in) {
  if (in.left() < kProposalFixedBytes) return unexpected(DecodeError{DecodeErrorCode::Truncated, in.offset() + in.left(), {}});
  ForwardedProposal proposal;
  if (auto error = read_ends(in, proposal.from, proposal.to)) return unexpected(*error);
  proposal.request = in.u64();
  const std::size_t length_at = in.offset();
  const std::uint32_t length = in.u32();
  if (length > in.left()) return unexpected(invalid(length_at, "command length"));
  if (length > kMaxForwardedCommandBytes) return unexpected(invalid(length_at, "command length"));
  proposal.command = in.bytes(length);
  return PeerMessage(std::move(proposal));
}

Result<PeerMessage, DecodeError> decode_outcome(BodyReader& in) {
  if (in.left() < kOutcomeFixedBytes) return unexpected(DecodeError{DecodeErrorCode::Truncated, in.offset() + in.left(), {}});
  ForwardedOutcome outcome;
  if (auto error = read_ends(in, outcome.from, outcome.to)) return unexpected(*error);
  outcome.request = in.u64();
  const std::size_t status_at = in.offset();
  const std::uint8_t status = in.u8();
  if (status > kMaxForwardStatus) return unexpected(invalid(status_at, "status"));
  outcome.status = static_cast<ForwardStatus>(status);
  const std::size_t hint_at = in.offset();
  outcome.leader_hint = in.u64();
  const bool has_hint = outcome.status == ForwardStatus::NotLeader || outcome.status == ForwardStatus::Refused;
  if (!has_hint && outcome.leader_hint != kNoNode) return unexpected(invalid(hint_at, "leader_hint"));
  const std::size_t reason_at = in.offset();
  const std::uint8_t reason = in.u8();
  if (reason > kLastRejectReason || (outcome.status != ForwardStatus::Refused && reason != 0)) {
    return unexpected(invalid(reason_at, "reason"));
  }
  outcome.reason = static_cast<RejectReason>(reason);
  const std::size_t length_at = in.offset();
  const std::uint32_t length = in.u32();
  if (length > in.left()) return unexpected(invalid(length_at, "response length"));
  if (length != 0 && outcome.status != ForwardStatus::Applied) return unexpected(invalid(length_at, "response length"));
  outcome.response = in.bytes(length);
  return PeerMessage(std::move(outcome));
}

}  // namespace

std::size_t frame_size(const PeerMessage& message) noexcept {
  if (const auto* proposal = std::get_if<ForwardedProposal>(&message)) {
    return wire::kFrameOverheadBytes + kProposalFixedBytes + proposal->command.size();
  }
  return wire::kFrameOverheadBytes + kOutcomeFixedBytes + std::get<ForwardedOutcome>(message).response.size();
}

void encode_into(const PeerMessage& message, std::vector<std::byte>& out) {
  const std::size_t start = out.size();
  const std::size_t size = frame_size(message);
  out.reserve(start + size);
  out.insert(out.end(), std::begin(kMagic), std::end(kMagic));
  put_u8(out, kVersion);
  if (const auto* proposal = std::get_if<ForwardedProposal>(&message)) {
    put_u8(out, kForwardedProposalKind);
    put_u32(out, static_cast<std::uint32_t>(size - wire::kFrameOverheadBytes));
    put_u64(out, proposal->from);
    put_u64(out, proposal->to);
    put_u64(out, proposal->request);
    put_u32(out, static_cast<std::uint32_t>(proposal->command.size()));
    put_bytes(out, proposal->command);
  } else {
    const auto& outcome = std::get<ForwardedOutcome>(message);
    put_u8(out, kForwardedOutcomeKind);
    put_u32(out, static_cast<std::uint32_t>(size - wire::kFrameOverheadBytes));
    put_u64(out, outcome.from);
    put_u64(out, outcome.to);
    put_u64(out, outcome.request);
    put_u8(out, static_cast<std::uint8_t>(outcome.status));
    put_u64(out, outcome.leader_hint);
    put_u8(out, static_cast<std::uint8_t>(outcome.reason));
    put_u32(out, static_cast<std::uint32_t>(outcome.response.size()));
    put_bytes(out, outcome.response);
  }
  put_u64(out, XXH3_64bits(out.data() + start, out.size() - start));
}

std::vector<std::byte> encode(const PeerMessage& message) {
  std::vector<std::byte> out;
  encode_into(message, out);
  return out;
}

std::uint64_t frame_checksum(std::span<const std::byte> bytes) noexcept { return XXH3_64bits(bytes.data(), bytes.size()); }

bool is_runtime_frame(std::span<const std::byte> bytes) noexcept {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), kMagic, 4) == 0;
}

// The header in field order (magic, version, kind, length), then the frame's extent, then the
// checksum, then the body, which must be consumed exactly: the order the core's decoder checks in.
Result<PeerMessage, DecodeError> decode(std::span<const std::byte> frame) {
  for (std::size_t i = 0; i < 4; ++i) {
    if (i >= frame.size()) return unexpected(DecodeError{DecodeErrorCode::Truncated, frame.size(), {}});
    if (frame[i] != kMagic[i]) return unexpected(DecodeError{DecodeErrorCode::BadMagic, i, {}});
  }
  if (frame.size() < 5) return unexpected(DecodeError{DecodeErrorCode::Truncated, frame.size(), {}});
  if (std::to_integer<std::uint8_t>(frame[4]) != kVersion) {
    return unexpected(DecodeError{DecodeErrorCode::UnsupportedVersion, 4, {}});
  }
  if (frame.size() < 6) return unexpected(DecodeError{DecodeErrorCode::Truncated, frame.size(), {}});
  const std::uint8_t kind = std::to_integer<std::uint8_t>(frame[5]);
  if (kind != kForwardedProposalKind && kind != kForwardedOutcomeKind) {
    return unexpected(DecodeError{DecodeErrorCode::UnknownKind, 5, {}});
  }
  if (frame.size() < kHeaderBytes) return unexpected(DecodeError{DecodeErrorCode::Truncated, frame.size(), {}});
  // 64-bit arithmetic: a 32-bit length cannot overflow it.
  const std::uint64_t body_length = get_u32(frame.data() + 6);
  const std::uint64_t total = std::uint64_t{wire::kFrameOverheadBytes} + body_length;
  if (total > kMaxFrameBytes) return unexpected(DecodeError{DecodeErrorCode::LengthOverflow, 6, {}});
  if (frame.size() < total) return unexpected(DecodeError{DecodeErrorCode::Truncated, frame.size(), {}});
  if (frame.size() > total) return unexpected(DecodeError{DecodeErrorCode::TrailingBytes, static_cast<std::size_t>(total), {}});
  const std::size_t checksum_at = kHeaderBytes + static_cast<std::size_t>(body_length);
  if (XXH3_64bits(frame.data(), checksum_at) != get_u64(frame.data() + checksum_at)) {
    return unexpected(DecodeError{DecodeErrorCode::ChecksumMismatch, checksum_at, {}});
  }
  BodyReader in(frame.subspan(kHeaderBytes, static_cast<std::size_t>(body_length)));
  Result<PeerMessage, DecodeError> message = kind == kForwardedProposalKind ? decode_proposal(in) : decode_outcome(in);
  if (message && in.left() != 0) return unexpected(DecodeError{DecodeErrorCode::TrailingBytes, in.offset(), "body"});
  return message;
}

}  // namespace raftio::runtime::peer_wire
