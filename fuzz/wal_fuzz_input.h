// The input format of fuzz_wal, shared with make-corpus: mode u8 | count u8 |
// count × (sequence step u8 | length u32 LE | bytes). Sequence numbers start at 1 and advance by
// each step (a step of 0 repeats a number, which simply overwrites that file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace raftio::fuzz {

inline constexpr const char* kWalFuzzDir = "/wal";

struct WalFuzzSegment {
  std::string name;
  std::vector<std::byte> bytes;
};

struct WalFuzzInput {
  std::vector<WalFuzzSegment> segments;
};

inline std::uint64_t load_le(const std::byte* at, int width) {
  std::uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = v << 8 | static_cast<std::uint64_t>(at[i]);
  return v;
}

inline void store_le(std::byte* at, std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) at[i] = static_cast<std::byte>(v >> (8 * i));
}

// Recomputes a segment's header checksum and its records' checksums (as far as their lengths
// fit), chaining from the header's previous-chain field, in the record layout of the segment's
// version field (docs/PROTOCOL.md, "Records"): version 1 is chain u64 | length u32 | kind u8;
// any other version is read as version 2, header check u64 | chain u64 | length u32 | kind u8.
inline void repair_segment(std::vector<std::byte>& bytes) {
  if (bytes.size() < 48) return;
  store_le(bytes.data() + 40, XXH3_64bits(bytes.data(), 40), 8);
  const bool v1 = load_le(bytes.data() + 8, 4) == 1;
  const std::size_t header = v1 ? 13 : 21;
  const std::size_t chain_at = v1 ? 0 : 8;
  const std::size_t length_at = chain_at + 8;
  std::uint64_t chain = load_le(bytes.data() + 32, 8);
  std::size_t at = 48;
  while (at + header <= bytes.size()) {
    std::byte* record = bytes.data() + at;
    const std::uint64_t length = load_le(record + length_at, 4);
    if (length > bytes.size() - at - header) break;
    const std::uint64_t previous = chain;
    chain = XXH3_64bits_withSeed(record + length_at, header - length_at + static_cast<std::size_t>(length), previous);
    store_le(record + chain_at, chain, 8);
    if (!v1) store_le(record, XXH3_64bits_withSeed(record + chain_at, header - chain_at, previous), 8);
    at += header + static_cast<std::size_t>(length);
  }
}

inline WalFuzzInput parse_wal_input(const std::uint8_t* data, std::size_t size) {
  WalFuzzInput input;
  if (size < 2) return input;
  const bool repair = (data[0] & 1) != 0;
  const std::size_t count = data[1] % 8;
  std::size_t at = 2;
  std::uint64_t sequence = 0;
  for (std::size_t i = 0; i < count && at + 5 <= size; ++i) {
    sequence += data[at];
    const std::size_t length = static_cast<std::size_t>(load_le(reinterpret_cast<const std::byte*>(data + at + 1), 4));
    at += 5;
    const std::size_t take = length < size - at ? length : size - at;
    WalFuzzSegment segment;
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.wal", static_cast<unsigned long long>(sequence));
    segment.name = name;
    segment.bytes.assign(reinterpret_cast<const std::byte*>(data + at), reinterpret_cast<const std::byte*>(data + at + take));
    if (repair) repair_segment(segment.bytes);
    input.segments.push_back(std::move(segment));
    at += take;
  }
  return input;
}

// The inverse, for building seeds.
inline std::vector<std::uint8_t> make_wal_input(bool repair, const std::vector<std::vector<std::byte>>& segments) {
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(repair ? 1 : 0), static_cast<std::uint8_t>(segments.size())};
  for (const auto& segment : segments) {
    out.push_back(1);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(segment.size() >> (8 * i)));
    for (std::byte b : segment) out.push_back(static_cast<std::uint8_t>(b));
  }
  return out;
}

}  // namespace raftio::fuzz
