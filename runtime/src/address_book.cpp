#include "raftio/runtime/address_book.h"

#include <cstring>

namespace raftio::runtime {
namespace {

constexpr std::uint8_t kSnapshotVersion = 1;

void put_u64(std::byte*& at, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) *at++ = static_cast<std::byte>(value >> (8 * i));
}
void put_uint(std::byte*& at, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) *at++ = static_cast<std::byte>(value >> (8 * i));
}

// Reads little-endian integers from a payload, refusing to step past its end.
class Reader {
 public:
  explicit Reader(const Payload& data) : data_(data) {}
  bool uint(int bytes, std::uint64_t& value) {
    if (data_.size() - at_ < static_cast<std::size_t>(bytes)) return false;
    value = 0;
    for (int i = 0; i < bytes; ++i) value |= std::uint64_t(std::to_integer<std::uint8_t>(data_.data()[at_ + i])) << (8 * i);
    at_ += bytes;
    return true;
  }
  bool text(std::size_t length, std::string& out) {
    if (data_.size() - at_ < length) return false;
    out.assign(reinterpret_cast<const char*>(data_.data()) + at_, length);
    at_ += length;
    return true;
  }
  std::size_t left() const { return data_.size() - at_; }
  Payload rest() const { return data_.slice(at_, left()); }

 private:
  const Payload& data_;
  std::size_t at_ = 0;
};

}  // namespace

Payload wrap_command(const Payload& command) {
  SharedBuffer buffer(1 + command.size());
  buffer.data()[0] = static_cast<std::byte>(EntryTag::Command);
  if (!command.empty()) std::memcpy(buffer.data() + 1, command.data(), command.size());
  return buffer.view(0, buffer.size());
}

Payload encode_address_record(NodeId node, std::string_view address) {
  SharedBuffer buffer(1 + 8 + address.size());
  std::byte* at = buffer.data();
  *at++ = static_cast<std::byte>(EntryTag::Address);
  put_u64(at, node);
  if (!address.empty()) std::memcpy(at, address.data(), address.size());
  return buffer.view(0, buffer.size());
}

std::optional<OpenedEntry> open_entry(const Payload& data) {
  if (data.empty()) return std::nullopt;
  OpenedEntry opened;
  const auto tag = std::to_integer<std::uint8_t>(data.data()[0]);
  if (tag == static_cast<std::uint8_t>(EntryTag::Command)) {
    opened.command = data.slice(1, data.size() - 1);
    return opened;
  }
  if (tag != static_cast<std::uint8_t>(EntryTag::Address)) return std::nullopt;
  opened.tag = EntryTag::Address;
  Reader reader(data);
  std::uint64_t ignored = 0;
  reader.uint(1, ignored);
  if (!reader.uint(8, opened.node) || opened.node == kNoNode) return std::nullopt;
  if (reader.left() > kMaxAddressBytes || !reader.text(reader.left(), opened.address)) return std::nullopt;
  return opened;
}

Payload wrap_snapshot(const AddressBook& book, const Payload& machine_snapshot) {
  std::size_t size = 1 + 4 + machine_snapshot.size();
  for (const auto& [node, address] : book) size += 8 + 2 + address.size();
  SharedBuffer buffer(size);
  std::byte* at = buffer.data();
  *at++ = static_cast<std::byte>(kSnapshotVersion);
  put_uint(at, book.size(), 4);
  for (const auto& [node, address] : book) {
    put_u64(at, node);
    put_uint(at, address.size(), 2);
    if (!address.empty()) std::memcpy(at, address.data(), address.size());
    at += address.size();
  }
  if (!machine_snapshot.empty()) std::memcpy(at, machine_snapshot.data(), machine_snapshot.size());
  return buffer.view(0, buffer.size());
}

std::optional<OpenedSnapshot> open_snapshot(const Payload& data) {
  Reader reader(data);
  std::uint64_t version = 0;
  std::uint64_t count = 0;
  if (!reader.uint(1, version) || version != kSnapshotVersion || !reader.uint(4, count)) return std::nullopt;
  if (count > reader.left() / 10) return std::nullopt;  // each record takes at least 10 bytes
  OpenedSnapshot opened;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t node = 0;
    std::uint64_t length = 0;
    std::string address;
    if (!reader.uint(8, node) || node == kNoNode || !reader.uint(2, length) || length > kMaxAddressBytes ||
        !reader.text(length, address)) {
      return std::nullopt;
    }
    if (!opened.book.emplace(node, std::move(address)).second) return std::nullopt;  // each node once
  }
  opened.machine = reader.rest();
  return opened;
}

}  // namespace raftio::runtime
