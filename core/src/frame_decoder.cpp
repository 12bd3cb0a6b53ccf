// FrameDecoder: incremental decoding of a byte stream, chunk by chunk.
#include <algorithm>
#include <cstring>

#include "wire_io.h"

namespace raftio::wire {

void FrameDecoder::fail(DecodeError error) {
  error_ = error;
  frame_ = SharedBuffer();
  frame_filled_ = 0;
  header_filled_ = 0;
}

void FrameDecoder::feed(std::span<const std::byte> bytes) {
  while (!bytes.empty() && !error_) {
    if (frame_filled_ == 0) {
      // Gathering the header: check it byte by byte as it arrives.
      const std::size_t take = std::min(bytes.size(), kHeaderBytes - header_filled_);
      std::memcpy(header_ + header_filled_, bytes.data(), take);
      header_filled_ += take;
      bytes = bytes.subspan(take);
      const detail::HeaderCheck header = detail::check_header(header_, header_filled_, options_.max_frame_bytes);
      if (header.status == detail::HeaderCheck::Status::Error) return fail(header.error);
      if (header.status == detail::HeaderCheck::Status::NeedMore) continue;
      frame_ = SharedBuffer(header.frame_bytes);  // the length is within the maximum: allocate
      std::memcpy(frame_.data(), header_, kHeaderBytes);
      frame_filled_ = kHeaderBytes;
    }
    const std::size_t take = std::min(bytes.size(), frame_.size() - frame_filled_);
    std::memcpy(frame_.data() + frame_filled_, bytes.data(), take);
    frame_filled_ += take;
    bytes = bytes.subspan(take);
    if (frame_filled_ < frame_.size()) continue;
    const detail::HeaderCheck header = detail::check_header(frame_.data(), kHeaderBytes, options_.max_frame_bytes);
    DecodeResult result = detail::decode_checked_frame(frame_.data(), header, &frame_);
    frame_ = SharedBuffer();
    frame_filled_ = 0;
    header_filled_ = 0;
    if (!result) return fail(result.error());
    ready_.push_back(std::move(result));
  }
}

std::optional<DecodeResult> FrameDecoder::next() {
  if (ready_read_ < ready_.size()) {
    DecodeResult result = std::move(ready_[ready_read_++]);
    if (ready_read_ == ready_.size()) {
      ready_.clear();
      ready_read_ = 0;
    }
    return result;
  }
  if (error_) return DecodeResult(unexpected(*error_));
  return std::nullopt;
}

}  // namespace raftio::wire
