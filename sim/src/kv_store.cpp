#include "raftio/sim/kv_store.h"

#include <bit>
#include <cstring>
#include <vector>

namespace raftio::sim {

namespace {

void put(std::vector<std::byte>& out, std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

void put(std::vector<std::byte>& out, const std::string& s) {
  put(out, s.size(), 4);
  for (char c : s) out.push_back(static_cast<std::byte>(c));
}

struct Reader {
  const std::byte* data;
  std::size_t size;
  std::size_t at = 0;
  bool ok = true;
  std::uint64_t number(int width) {
    if (size - at < static_cast<std::size_t>(width)) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(&v, data + at, static_cast<std::size_t>(width));
    } else {
      for (int i = width - 1; i >= 0; --i) v = v << 8 | static_cast<std::uint64_t>(data[at + static_cast<std::size_t>(i)]);
    }
    at += static_cast<std::size_t>(width);
    return v;
  }
  std::string_view text() {
    const std::size_t length = static_cast<std::size_t>(number(4));
    if (!ok || size - at < length) {
      ok = false;
      return {};
    }
    const std::string_view s(reinterpret_cast<const char*>(data + at), length);
    at += length;
    return s;
  }
};

}  // namespace

Payload encode_command(const KvCommand& command) {
  std::vector<std::byte> out;
  put(out, command.client, 8);
  put(out, command.seq, 8);
  put(out, static_cast<std::uint64_t>(command.kind), 1);
  put(out, command.key);
  put(out, command.value);
  put(out, command.expected);
  return Payload::copy_of(out.data(), out.size());
}

std::optional<KvCommandView> decode_command(const Payload& payload) {
  Reader r{payload.data(), payload.size()};
  KvCommandView command;
  command.client = r.number(8);
  command.seq = r.number(8);
  const auto kind = r.number(1);
  command.key = r.text();
  command.value = r.text();
  command.expected = r.text();
  if (!r.ok || r.at != payload.size() || kind > static_cast<std::uint64_t>(KvOpKind::Cas)) return std::nullopt;
  command.kind = static_cast<KvOpKind>(kind);
  return command;
}

// count u32 | (key, value) × count | sessions u32 | (client u64, last_seq u64, has_value u8,
// value, cas u8) × sessions. Maps iterate in key order, so equal stores give equal bytes.
Payload KvStore::snapshot() const {
  std::vector<std::byte> out;
  put(out, data_.size(), 4);
  for (const auto& [key, value] : data_) {
    put(out, key);
    put(out, value);
  }
  put(out, sessions_.size(), 4);
  for (const auto& [client, session] : sessions_) {
    put(out, client, 8);
    put(out, session.last_seq, 8);
    put(out, session.last_result.read_value ? 1 : 0, 1);
    put(out, session.last_result.read_value.value_or(std::string()));
    put(out, session.last_result.cas_succeeded ? 1 : 0, 1);
  }
  return Payload::copy_of(out.data(), out.size());
}

bool KvStore::restore(const Payload& bytes) {
  clear();
  Reader r{bytes.data(), bytes.size()};
  const std::uint64_t count = r.number(4);
  for (std::uint64_t i = 0; i < count && r.ok; ++i) {
    const std::string_view key = r.text();
    const std::string_view value = r.text();
    if (r.ok) data_.emplace(std::string(key), std::string(value));
  }
  const std::uint64_t sessions = r.number(4);
  for (std::uint64_t i = 0; i < sessions && r.ok; ++i) {
    const std::uint64_t client = r.number(8);
    Session session;
    session.last_seq = r.number(8);
    const bool has_value = r.number(1) != 0;
    const std::string_view value = r.text();
    if (has_value) session.last_result.read_value = std::string(value);
    session.last_result.cas_succeeded = r.number(1) != 0;
    if (r.ok) sessions_.emplace(client, std::move(session));
  }
  if (!r.ok || r.at != bytes.size()) {
    clear();
    return false;
  }
  return true;
}

std::optional<KvResult> KvStore::apply(const KvCommandView& command) {
  Session& session = sessions_[command.client];
  if (command.seq < session.last_seq) return std::nullopt;
  if (command.seq == session.last_seq) return session.last_result;  // a retry: same answer
  KvResult result;
  auto it = data_.find(command.key);
  switch (command.kind) {
    case KvOpKind::Put:
      if (it != data_.end()) {
        it->second = command.value;
      } else {
        data_.emplace(std::string(command.key), std::string(command.value));
      }
      break;
    case KvOpKind::Get:
      if (it != data_.end()) result.read_value = it->second;
      break;
    case KvOpKind::Cas:
      if (it != data_.end() && it->second == command.expected) {
        it->second = command.value;
        result.cas_succeeded = true;
      }
      break;
  }
  session.last_seq = command.seq;
  session.last_result = result;
  return result;
}

}  // namespace raftio::sim
