// The frame checksum, XXH3-64. The value is the same on every machine; only the speed differs:
// on x86-64 CPUs with AVX2 an AVX2 build of XXH3 is chosen at run time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace raftio::wire::detail {

std::uint64_t xxh3_64(const void* data, std::size_t size) noexcept;

// Built with -mavx2 (checksum_avx2.cpp); only called after the CPU was checked.
std::uint64_t xxh3_64_avx2(const void* data, std::size_t size) noexcept;

}  // namespace raftio::wire::detail
