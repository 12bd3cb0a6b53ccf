#include "checksum.h"

#include "raftio/state.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace raftio::wire::detail {

namespace {

using Hash = std::uint64_t (*)(const void*, std::size_t) noexcept;

std::uint64_t xxh3_64_baseline(const void* data, std::size_t size) noexcept { return XXH3_64bits(data, size); }

Hash pick() noexcept {
#if defined(RAFTIO_HAVE_AVX2_CHECKSUM) && (defined(__GNUC__) || defined(__clang__))
  if (__builtin_cpu_supports("avx2")) return xxh3_64_avx2;
#endif
  return xxh3_64_baseline;
}

}  // namespace

std::uint64_t xxh3_64(const void* data, std::size_t size) noexcept {
  static const Hash hash = pick();
  return hash(data, size);
}

}  // namespace raftio::wire::detail

namespace raftio {

std::uint64_t snapshot_checksum(std::span<const std::byte> data) noexcept {
  return wire::detail::xxh3_64(data.data(), data.size());
}

}  // namespace raftio
