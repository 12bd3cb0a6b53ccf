#include "kv_state.h"

#include <charconv>
#include <limits>

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

Outcome KvState::apply(std::string_view payload) {
  if (payload.empty()) return error(kMalformed);
  const char op = payload[0];
  Reader reader(payload.substr(1));
  std::vector<std::string_view> args;
  while (!reader.done()) {
    std::string_view arg;
    if (!reader.string(arg)) return error(kMalformed);
    args.push_back(arg);
  }
  switch (static_cast<Op>(op)) {
    case Op::Set:
      if (args.size() != 2) return error(kMalformed);
      map_.insert_or_assign(std::string(args[0]), std::string(args[1]));
      return Outcome{};
    case Op::Del: {
      std::int64_t removed = 0;
      for (std::string_view key : args) removed += static_cast<std::int64_t>(map_.erase(std::string(key)));
      return Outcome{Outcome::Kind::Integer, removed, {}, {}};
    }
    case Op::Incr: {
      if (args.size() != 1) return error(kMalformed);
      auto [it, inserted] = map_.try_emplace(std::string(args[0]), "0");
      const std::optional<std::int64_t> value = parse_int64(it->second);
      if (!value) {
        if (inserted) map_.erase(it);
        return error(kNotInteger);
      }
      if (*value == std::numeric_limits<std::int64_t>::max()) return error(kOverflow);
      it->second = std::to_string(*value + 1);
      return Outcome{Outcome::Kind::Integer, *value + 1, {}, {}};
    }
    case Op::Get: {
      if (args.size() != 1) return error(kMalformed);
      const std::string* value = get(args[0]);
      if (value == nullptr) return Outcome{Outcome::Kind::Null, 0, {}, {}};
      return Outcome{Outcome::Kind::Bulk, 0, {}, *value};
    }
    case Op::Exists: {
      std::int64_t count = 0;
      for (std::string_view key : args) count += get(key) != nullptr ? 1 : 0;
      return Outcome{Outcome::Kind::Integer, count, {}, {}};
    }
  }
  return error(kMalformed);
}

const std::string* KvState::get(std::string_view key) const {
  const auto it = map_.find(std::string(key));
  return it == map_.end() ? nullptr : &it->second;
}

std::string KvState::serialize() const {
  std::size_t size = 8;
  for (const auto& [key, value] : map_) size += 8 + key.size() + value.size();
  std::string out;
  out.reserve(size);
  put_u64(out, map_.size());
  for (const auto& [key, value] : map_) {
    put_u32(out, static_cast<std::uint32_t>(key.size()));
    out += key;
    put_u32(out, static_cast<std::uint32_t>(value.size()));
    out += value;
  }
  return out;
}

bool KvState::restore(std::string_view bytes) {
  Reader reader(bytes);
  std::uint64_t count = 0;
  if (!reader.u64(count) || count > bytes.size() / 8) return false;
  std::unordered_map<std::string, std::string> map;
  map.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string_view key;
    std::string_view value;
    if (!reader.string(key) || !reader.string(value)) return false;
    map.insert_or_assign(std::string(key), std::string(value));
  }
  if (!reader.done()) return false;
  map_ = std::move(map);
  return true;
}

}  // namespace kv
