// Counts heap allocations: alloc_counter.cpp replaces the global operator new. Link it into
// exactly one executable's sources (raftio-bench, test_allocations) to measure what a call does.
#pragma once

#include <cstdint>

namespace raftio::bench {

std::uint64_t allocation_count() noexcept;

}  // namespace raftio::bench
