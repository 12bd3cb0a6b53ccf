// Shared by the fuzz targets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "raftio/raftio.h"

// A property the target checks: a failure aborts, which libFuzzer records as a crash.
#define RAFTIO_FUZZ_CHECK(condition)                                                  \
  do {                                                                                \
    if (!(condition)) {                                                               \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      __builtin_trap();                                                               \
    }                                                                                 \
  } while (false)

namespace raftio::fuzz {

inline std::span<const std::byte> as_bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

// The input with its last 8 bytes replaced by the xxh3-64 of the rest: random mutations almost
// never produce a valid checksum, so without this the fuzzer would rarely get past it into the
// body's fields.
inline std::vector<std::byte> resealed(std::span<const std::byte> input) {
  std::vector<std::byte> out(input.begin(), input.end());
  if (out.size() < raftio::wire::kFrameOverheadBytes) return out;
  const std::uint64_t sum = XXH3_64bits(out.data(), out.size() - 8);
  for (int i = 0; i < 8; ++i) out[out.size() - 8 + i] = static_cast<std::byte>(sum >> (8 * i));
  return out;
}

}  // namespace raftio::fuzz
