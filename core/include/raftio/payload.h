// Payload: immutable, reference-counted bytes. A payload is written once and then shared by the
// log, every AppendEntries to every follower and the Apply action, so replicating an entry to N
// followers costs N reference-count increments, never N copies.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace raftio {

namespace detail {

// Header of one heap block: [BufferHeader | bytes...]. The count is atomic because an embedder may
// hand payloads to other threads (an apply worker, a network writer).
struct BufferHeader {
  std::atomic<std::uint64_t> refs;
  std::size_t size;
  std::byte* bytes() noexcept { return reinterpret_cast<std::byte*>(this + 1); }
};

BufferHeader* allocate_buffer(std::size_t size);

inline void retain(BufferHeader* header) noexcept {
  if (header != nullptr) header->refs.fetch_add(1, std::memory_order_relaxed);
}

void free_buffer(BufferHeader* header) noexcept;

inline void release(BufferHeader* header) noexcept {
  if (header != nullptr && header->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    free_buffer(header);
  }
}

}  // namespace detail

class Payload;

// A writable byte buffer that becomes shared and immutable once payloads are cut from it. The wire
// decoder fills one SharedBuffer per frame and hands out Payload views of it without copying.
class SharedBuffer {
 public:
  SharedBuffer() noexcept = default;
  explicit SharedBuffer(std::size_t size);
  SharedBuffer(const SharedBuffer& other) noexcept;
  SharedBuffer(SharedBuffer&& other) noexcept;
  SharedBuffer& operator=(SharedBuffer other) noexcept;
  ~SharedBuffer();

  std::byte* data() noexcept { return header_ ? header_->bytes() : nullptr; }
  const std::byte* data() const noexcept { return header_ ? header_->bytes() : nullptr; }
  std::size_t size() const noexcept { return header_ ? header_->size : 0; }

  // A view of bytes [offset, offset + length). Returns an empty payload when the range does not
  // fit, so a hostile length can never produce an out-of-bounds view.
  Payload view(std::size_t offset, std::size_t length) const noexcept;

 private:
  detail::BufferHeader* header_ = nullptr;
};

class Payload {
 public:
  Payload() noexcept = default;
  Payload(const Payload& other) noexcept : owner_(other.owner_), data_(other.data_), size_(other.size_) {
    detail::retain(owner_);
  }
  Payload(Payload&& other) noexcept : owner_(other.owner_), data_(other.data_), size_(other.size_) {
    other.owner_ = nullptr;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  Payload& operator=(Payload other) noexcept {
    swap(other);
    return *this;
  }
  ~Payload() { detail::release(owner_); }

  // Copies the bytes into a new buffer (one allocation).
  static Payload copy_of(std::span<const std::byte> bytes);
  static Payload copy_of(std::string_view text);
  static Payload copy_of(const void* data, std::size_t size);

  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  std::string_view as_string_view() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  std::string to_string() const { return std::string(as_string_view()); }

  // A view of bytes [offset, offset + length) of this payload (clamped to its size), sharing its
  // buffer: no copy.
  Payload slice(std::size_t offset, std::size_t length) const noexcept {
    if (offset >= size_ || length == 0) return Payload();
    if (length > size_ - offset) length = size_ - offset;
    detail::retain(owner_);
    return Payload(owner_, data_ + offset, length);
  }

  // True when both payloads view the same underlying buffer (used by tests that prove sharing).
  bool shares_buffer_with(const Payload& other) const noexcept {
    return owner_ != nullptr && owner_ == other.owner_;
  }

  void swap(Payload& other) noexcept {
    std::swap(owner_, other.owner_);
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
  }

  friend bool operator==(const Payload& a, const Payload& b) noexcept;

 private:
  friend class SharedBuffer;
  Payload(detail::BufferHeader* owner, const std::byte* data, std::size_t size) noexcept
      : owner_(owner), data_(data), size_(size) {}

  detail::BufferHeader* owner_ = nullptr;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace raftio
