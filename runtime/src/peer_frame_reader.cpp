#include "raftio/runtime/peer_frame_reader.h"

#include <algorithm>
#include <cstring>

#include "raftio/runtime/runtime_wire.h"

namespace raftio::runtime {

void PeerFrameReader::fail(wire::DecodeError error) {
  error_ = error;
  frame_ = SharedBuffer();
  frame_filled_ = 0;
  header_filled_ = 0;
}

void PeerFrameReader::feed(std::span<const std::byte> bytes) {
  while (!bytes.empty() && !error_) {
    if (frame_filled_ == 0) {
      const std::size_t take = std::min(bytes.size(), wire::kHeaderBytes - header_filled_);
      std::memcpy(header_ + header_filled_, bytes.data(), take);
      header_filled_ += take;
      bytes = bytes.subspan(take);
      // "RFIO" and "RFRT" differ from their third byte on: it picks the kind, and a byte that
      // does not match the picked magic is refused where it stands.
      runtime_frame_ = header_filled_ > 2 && header_[2] == peer_wire::kMagic[2];
      const std::byte* magic = runtime_frame_ ? peer_wire::kMagic : wire::kMagic;
      for (std::size_t i = 0; i < std::min<std::size_t>(header_filled_, 4); ++i) {
        if (header_[i] != magic[i]) return fail(wire::DecodeError{wire::DecodeErrorCode::BadMagic, i, {}});
      }
      if (header_filled_ < wire::kHeaderBytes) continue;
      std::uint64_t body_length = 0;
      for (int i = 0; i < 4; ++i) body_length |= std::uint64_t{std::to_integer<std::uint8_t>(header_[6 + i])} << (8 * i);
      const std::uint64_t limit = runtime_frame_ ? std::min(max_frame_bytes_, peer_wire::kMaxFrameBytes) : max_frame_bytes_;
      const std::uint64_t total = wire::kFrameOverheadBytes + body_length;  // cannot overflow: 32-bit length
      if (total > limit) return fail(wire::DecodeError{wire::DecodeErrorCode::LengthOverflow, 6, {}});
      frame_ = SharedBuffer(static_cast<std::size_t>(total));
      std::memcpy(frame_.data(), header_, wire::kHeaderBytes);
      frame_filled_ = wire::kHeaderBytes;
    }
    const std::size_t take = std::min(bytes.size(), frame_.size() - frame_filled_);
    std::memcpy(frame_.data() + frame_filled_, bytes.data(), take);
    frame_filled_ += take;
    bytes = bytes.subspan(take);
    if (frame_filled_ == frame_.size()) finish_frame();
  }
}

void PeerFrameReader::finish_frame() {
  const SharedBuffer frame = std::move(frame_);
  frame_ = SharedBuffer();
  frame_filled_ = 0;
  header_filled_ = 0;
  if (runtime_frame_) {
    auto decoded = peer_wire::decode(std::span<const std::byte>(frame.data(), frame.size()));
    if (!decoded) return fail(decoded.error());
    ready_.emplace_back(PeerFrame(std::move(decoded).value()));
  } else {
    // Payloads become views of the frame's buffer: no copy.
    auto decoded = wire::decode(frame, wire::DecodeOptions{max_frame_bytes_});
    if (!decoded) return fail(decoded.error());
    ready_.emplace_back(PeerFrame(std::move(decoded).value()));
  }
}

std::optional<PeerFrameResult> PeerFrameReader::next() {
  if (ready_read_ < ready_.size()) {
    PeerFrameResult result = std::move(ready_[ready_read_++]);
    if (ready_read_ == ready_.size()) {
      ready_.clear();
      ready_read_ = 0;
    }
    return result;
  }
  if (error_) return PeerFrameResult(unexpected(*error_));
  return std::nullopt;
}

}  // namespace raftio::runtime
