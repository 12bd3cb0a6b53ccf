// Little-endian primitives for the wire codec: an appending Writer and a bounds-checked Reader
// whose first error sticks (later reads return zeros), so parsing code reads like the layout.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "raftio/wire.h"

namespace raftio::wire::detail {

// Fixed part of each entry on the wire: term, index, kind, payload length.
inline constexpr std::size_t kEntryHeaderBytes = 8 + 8 + 1 + 4;
inline constexpr std::size_t kCommonBytes = 8 + 8 + 8;  // from, to, term

inline std::uint64_t to_little(std::uint64_t v) noexcept {
  if constexpr (std::endian::native == std::endian::little) return v;
  std::uint64_t out = 0;
  for (int i = 0; i < 8; ++i) out |= ((v >> (8 * i)) & 0xff) << (8 * (7 - i));
  return out;
}
inline std::uint32_t to_little(std::uint32_t v) noexcept {
  if constexpr (std::endian::native == std::endian::little) return v;
  return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

inline void store_u32(std::byte* at, std::uint32_t v) noexcept {
  v = to_little(v);
  std::memcpy(at, &v, 4);
}
inline void store_u64(std::byte* at, std::uint64_t v) noexcept {
  v = to_little(v);
  std::memcpy(at, &v, 8);
}
inline std::uint32_t load_u32(const std::byte* at) noexcept {
  std::uint32_t v;
  std::memcpy(&v, at, 4);
  return to_little(v);
}
inline std::uint64_t load_u64(const std::byte* at) noexcept {
  std::uint64_t v;
  std::memcpy(&v, at, 8);
  return to_little(v);
}

// Writes into space the caller sized exactly: encode_into resizes the vector once per frame, and
// one memset of a small frame is cheaper than growing the vector field by field.
class PresizedWriter {
 public:
  explicit PresizedWriter(std::byte* at) noexcept : at_(at) {}

  void u8(std::uint8_t v) noexcept { *at_++ = std::byte{v}; }
  void u32(std::uint32_t v) noexcept {
    store_u32(at_, v);
    at_ += 4;
  }
  void u64(std::uint64_t v) noexcept {
    store_u64(at_, v);
    at_ += 8;
  }
  void boolean(bool v) noexcept { u8(v ? 1 : 0); }
  void bytes(const std::byte* data, std::size_t size) noexcept {
    if (size > 0) std::memcpy(at_, data, size);
    at_ += size;
  }

 private:
  std::byte* at_;
};

// Appends to a vector (already reserved) piece by piece, so a large payload is copied once and
// never zero-filled first: the writer for frames that carry big chunks.
class AppendingWriter {
 public:
  explicit AppendingWriter(std::vector<std::byte>& out) noexcept : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(std::byte{v}); }
  void u32(std::uint32_t v) {
    const std::size_t at = out_.size();
    out_.resize(at + 4);
    store_u32(out_.data() + at, v);
  }
  void u64(std::uint64_t v) {
    const std::size_t at = out_.size();
    out_.resize(at + 8);
    store_u64(out_.data() + at, v);
  }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void bytes(const std::byte* data, std::size_t size) {
    if (size > 0) out_.insert(out_.end(), data, data + size);
  }

 private:
  std::vector<std::byte>& out_;
};

class Reader {
 public:
  // Reads data[0, size); `base` is data's offset in the frame, for error offsets.
  Reader(const std::byte* data, std::size_t size, std::size_t base) noexcept : data_(data), size_(size), base_(base) {}

  bool failed() const noexcept { return failed_; }
  const DecodeError& error() const noexcept { return error_; }
  std::size_t offset() const noexcept { return base_ + pos_; }
  std::size_t remaining() const noexcept { return size_ - pos_; }

  std::uint8_t u8() noexcept {
    const std::byte* p = take(1);
    return p ? static_cast<std::uint8_t>(*p) : 0;
  }
  std::uint32_t u32() noexcept {
    const std::byte* p = take(4);
    return p ? load_u32(p) : 0;
  }
  std::uint64_t u64() noexcept {
    const std::byte* p = take(8);
    return p ? load_u64(p) : 0;
  }
  // A boolean is one byte, 0 or 1; anything else is InvalidField.
  bool boolean(std::string_view field) noexcept {
    const std::size_t at = offset();
    const std::uint8_t v = u8();
    if (v > 1) invalid(field, at);
    return v == 1;
  }
  // Pointer to the next n bytes, or nullptr (and Truncated) when fewer remain.
  const std::byte* take(std::size_t n) noexcept {
    if (failed_) return nullptr;
    if (n > remaining()) {
      fail(DecodeErrorCode::Truncated, base_ + size_, {});
      return nullptr;
    }
    const std::byte* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  void invalid(std::string_view field, std::size_t at) noexcept { fail(DecodeErrorCode::InvalidField, at, field); }
  void fail(DecodeErrorCode code, std::size_t at, std::string_view field) noexcept {
    if (failed_) return;
    failed_ = true;
    error_ = DecodeError{code, at, field};
  }

 private:
  const std::byte* data_;
  std::size_t size_;
  std::size_t base_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  DecodeError error_;
};

// The header of a frame, checked as far as `prefix` reaches.
struct HeaderCheck {
  enum class Status { Ok, NeedMore, Error } status = Status::NeedMore;
  DecodeError error;
  std::uint8_t version = 0;
  MessageKind kind = MessageKind::RequestVote;
  std::size_t frame_bytes = 0;  // header + body + checksum
};
HeaderCheck check_header(const std::byte* prefix, std::size_t size, std::size_t max_frame_bytes) noexcept;

std::uint64_t frame_checksum(const std::byte* frame, std::size_t bytes_before_checksum) noexcept;

// Decodes a complete frame whose header already checked out. With `shared`, payloads view it.
DecodeResult decode_checked_frame(const std::byte* frame, const HeaderCheck& header, const SharedBuffer* shared);

}  // namespace raftio::wire::detail
