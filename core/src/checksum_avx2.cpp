// XXH3 compiled for AVX2. This file is built with -mavx2, so it must define nothing that another
// translation unit could also define (no C++ standard library templates, no inline functions
// with external linkage): the linker could otherwise keep this AVX2 copy for every caller.
// XXH_INLINE_ALL makes all of xxHash static to this file.
#include "checksum.h"

#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>

std::uint64_t raftio::wire::detail::xxh3_64_avx2(const void* data, std::size_t size) noexcept {
  return XXH3_64bits(data, size);
}
