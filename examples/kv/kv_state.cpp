#include "kv_state.h"

#include <charconv>
#include <limits>

#include <xxhash.h>

namespace kv {
namespace {

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out += static_cast<char>((value >> shift) & 0xff);
}

void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) out += static_cast<char>((value >> shift) & 0xff);
}

// Reads little-endian integers and length-prefixed strings, refusing to run past the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool u32(std::uint32_t& value) { return fixed(value, 4); }
  bool u64(std::uint64_t& value) { return fixed(value, 8); }
  bool string(std::string_view& value) {
    std::uint32_t length = 0;
    if (!u32(length) || bytes_.size() - pos_ < length) return false;
    value = bytes_.substr(pos_, length);
    pos_ += length;
    return true;
  }
  bool done() const noexcept { return pos_ == bytes_.size(); }

 private:
  template <class T>
  bool fixed(T& value, std::size_t size) {
    if (bytes_.size() - pos_ < size) return false;
    value = 0;
    for (std::size_t i = 0; i < size; ++i) {
      value |= static_cast<T>(static_cast<unsigned char>(bytes_[pos_ + i])) << (8 * i);
    }
    pos_ += size;
    return true;
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
};

constexpr std::string_view kSnapshotTag = "RKVS";
constexpr std::uint8_t kSnapshotVersion = 1;
constexpr std::uint8_t kSnapshotVersionWithClients = 2;
constexpr std::size_t kSnapshotHeaderBytes = 5;  // tag and version
constexpr std::size_t kChecksumBytes = 8;

std::uint64_t checksum(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

Value make_value(std::string_view bytes) { return std::make_shared<const std::string>(bytes); }

constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
constexpr std::string_view kMalformed = "ERR malformed log entry";

Outcome error(std::string_view text) { return Outcome{Outcome::Kind::Error, 0, text, {}}; }

// Redis accepts a decimal int64 without sign '+', spaces or leading zeros' ambiguity; from_chars
// over the whole string is close enough and deterministic.
std::optional<std::int64_t> parse_int64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string encode_command(Op op, std::span<const std::string_view> args) {
  std::size_t size = 1;
  for (std::string_view arg : args) size += 4 + arg.size();
  std::string out;
  out.reserve(size);
  out += static_cast<char>(op);
  for (std::string_view arg : args) {
    put_u32(out, static_cast<std::uint32_t>(arg.size()));
    out += arg;
  }
  return out;
}

namespace {

// The op and arguments of an encoded command; false when it does not decode.
bool decode(std::string_view payload, char& op, std::vector<std::string_view>& args) {
  if (payload.empty()) return false;
  op = payload[0];
  Reader reader(payload.substr(1));
  while (!reader.done()) {
    std::string_view arg;
    if (!reader.string(arg)) return false;
    args.push_back(arg);
  }
  return true;
}

}  // namespace

Outcome KvState::query(std::string_view payload) const {
  char op = 0;
  std::vector<std::string_view> args;
  if (!decode(payload, op, args)) return error(kMalformed);
  if (static_cast<Op>(op) == Op::Get && args.size() == 1) {
    Value value = get_shared(args[0]);
    if (value == nullptr) return Outcome{Outcome::Kind::Null, 0, {}, {}};
    return Outcome{Outcome::Kind::Bulk, 0, {}, std::move(value)};
  }
  if (static_cast<Op>(op) == Op::Exists) {
    std::int64_t count = 0;
    for (std::string_view key : args) count += get(key) != nullptr ? 1 : 0;
    return Outcome{Outcome::Kind::Integer, count, {}, {}};
  }
  return error(kMalformed);
}

Outcome KvState::apply(std::string_view payload) {
  char op = 0;
  std::vector<std::string_view> args;
  if (!decode(payload, op, args)) return error(kMalformed);
  switch (static_cast<Op>(op)) {
    case Op::Set:
      if (args.size() != 2) return error(kMalformed);
      map_.insert_or_assign(std::string(args[0]), make_value(args[1]));
      return Outcome{};
    case Op::Del: {
      std::int64_t removed = 0;
      for (std::string_view key : args) removed += static_cast<std::int64_t>(map_.erase(std::string(key)));
      return Outcome{Outcome::Kind::Integer, removed, {}, {}};
    }
    case Op::Incr: {
      if (args.size() != 1) return error(kMalformed);
      auto [it, inserted] = map_.try_emplace(std::string(args[0]), nullptr);
      const std::optional<std::int64_t> value = inserted ? std::optional<std::int64_t>(0) : parse_int64(*it->second);
      if (!value) return error(kNotInteger);
      if (*value == std::numeric_limits<std::int64_t>::max()) return error(kOverflow);
      it->second = make_value(std::to_string(*value + 1));
      return Outcome{Outcome::Kind::Integer, *value + 1, {}, {}};
    }
    case Op::Get:
    case Op::Exists:
      return query(payload);
    case Op::ClientAddress: {
      if (args.size() != 2) return error(kMalformed);
      const std::optional<std::int64_t> node = parse_int64(args[0]);
      if (!node || *node <= 0 || args[1].empty()) return error(kMalformed);
      clients_[static_cast<std::uint64_t>(*node)] = std::string(args[1]);
      return Outcome{};
    }
  }
  return error(kMalformed);
}

const std::string* KvState::get(std::string_view key) const {
  const auto it = map_.find(std::string(key));
  return it == map_.end() ? nullptr : it->second.get();
}

Value KvState::get_shared(std::string_view key) const {
  const auto it = map_.find(std::string(key));
  return it == map_.end() ? nullptr : it->second;
}

std::string KvState::serialize() const {
  std::size_t size = kSnapshotHeaderBytes + 8 + kChecksumBytes;
  for (const auto& [key, value] : map_) size += 8 + key.size() + value->size();
  std::string out;
  out.reserve(size);
  out += kSnapshotTag;
  out += static_cast<char>(clients_.empty() ? kSnapshotVersion : kSnapshotVersionWithClients);
  put_u64(out, map_.size());
  for (const auto& [key, value] : map_) {
    put_u32(out, static_cast<std::uint32_t>(key.size()));
    out += key;
    put_u32(out, static_cast<std::uint32_t>(value->size()));
    out += *value;
  }
  if (!clients_.empty()) {
    put_u64(out, clients_.size());
    for (const auto& [node, address] : clients_) {
      put_u64(out, node);
      put_u32(out, static_cast<std::uint32_t>(address.size()));
      out += address;
    }
  }
  put_u64(out, checksum(out));
  return out;
}

// The tag and version say whose format this is, the checksum that no bit changed since
// serialize(); only then is the body decoded, still checking every length before trusting it.
bool KvState::restore(std::string_view bytes, std::string* why) {
  const auto refuse = [why](std::string reason) {
    if (why != nullptr) *why = std::move(reason);
    return false;
  };
  if (bytes.size() < kSnapshotHeaderBytes + 8 + kChecksumBytes) {
    return refuse("too short for a raftio-kv snapshot (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (bytes.substr(0, kSnapshotTag.size()) != kSnapshotTag) return refuse("not a raftio-kv snapshot (bad tag)");
  const auto version = static_cast<std::uint8_t>(bytes[kSnapshotTag.size()]);
  if (version != kSnapshotVersion && version != kSnapshotVersionWithClients) {
    return refuse("unsupported raftio-kv snapshot version " + std::to_string(version) + " (this build reads " +
                  std::to_string(kSnapshotVersion) + " and " + std::to_string(kSnapshotVersionWithClients) + ")");
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - kChecksumBytes);
  std::uint64_t stored = 0;
  Reader(bytes.substr(covered.size())).u64(stored);
  if (stored != checksum(covered)) return refuse("raftio-kv snapshot checksum mismatch");
  Reader reader(covered.substr(kSnapshotHeaderBytes));
  std::uint64_t count = 0;
  if (!reader.u64(count) || count > covered.size() / 8) return refuse("malformed raftio-kv snapshot (entry count)");
  std::unordered_map<std::string, Value> map;
  map.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string_view key;
    std::string_view value;
    if (!reader.string(key) || !reader.string(value)) return refuse("malformed raftio-kv snapshot (entry " + std::to_string(i) + ")");
    map.insert_or_assign(std::string(key), make_value(value));
  }
  std::map<std::uint64_t, std::string> clients;
  if (version == kSnapshotVersionWithClients) {
    std::uint64_t addresses = 0;
    if (!reader.u64(addresses) || addresses > covered.size() / 8) {
      return refuse("malformed raftio-kv snapshot (client address count)");
    }
    for (std::uint64_t i = 0; i < addresses; ++i) {
      std::uint64_t node = 0;
      std::string_view address;
      if (!reader.u64(node) || !reader.string(address)) {
        return refuse("malformed raftio-kv snapshot (client address " + std::to_string(i) + ")");
      }
      clients[node] = std::string(address);
    }
  }
  if (!reader.done()) return refuse("malformed raftio-kv snapshot (bytes after the last entry)");
  map_ = std::move(map);
  clients_ = std::move(clients);
  return true;
}

}  // namespace kv
