#include "raftio/payload.h"

#include <cstring>
#include <new>

namespace raftio {

namespace detail {

BufferHeader* allocate_buffer(std::size_t size) {
  void* memory = ::operator new(sizeof(BufferHeader) + size);
  auto* header = new (memory) BufferHeader;
  header->refs.store(1, std::memory_order_relaxed);
  header->size = size;
  return header;
}

void free_buffer(BufferHeader* header) noexcept {
  header->~BufferHeader();
  ::operator delete(header);
}

}  // namespace detail

SharedBuffer::SharedBuffer(std::size_t size) : header_(detail::allocate_buffer(size)) {}

SharedBuffer::SharedBuffer(const SharedBuffer& other) noexcept : header_(other.header_) {
  detail::retain(header_);
}

SharedBuffer::SharedBuffer(SharedBuffer&& other) noexcept : header_(other.header_) {
  other.header_ = nullptr;
}

SharedBuffer& SharedBuffer::operator=(SharedBuffer other) noexcept {
  std::swap(header_, other.header_);
  return *this;
}

SharedBuffer::~SharedBuffer() { detail::release(header_); }

Payload SharedBuffer::view(std::size_t offset, std::size_t length) const noexcept {
  if (header_ == nullptr || offset > header_->size || length > header_->size - offset || length == 0) {
    return Payload();
  }
  detail::retain(header_);
  return Payload(header_, header_->bytes() + offset, length);
}

Payload Payload::copy_of(const void* data, std::size_t size) {
  if (size == 0) return Payload();
  detail::BufferHeader* header = detail::allocate_buffer(size);
  std::memcpy(header->bytes(), data, size);
  return Payload(header, header->bytes(), size);
}

Payload Payload::copy_of(std::span<const std::byte> bytes) { return copy_of(bytes.data(), bytes.size()); }

Payload Payload::copy_of(std::string_view text) { return copy_of(text.data(), text.size()); }

bool operator==(const Payload& a, const Payload& b) noexcept {
  if (a.size_ != b.size_) return false;
  if (a.size_ == 0 || a.data_ == b.data_) return true;
  return std::memcmp(a.data_, b.data_, a.size_) == 0;
}

}  // namespace raftio
