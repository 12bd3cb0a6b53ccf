// Basic vocabulary types shared by every part of raftio.
#pragma once

#include <cstdint>
#include <string_view>

namespace raftio {

using NodeId = std::uint64_t;  // 0 means "nobody"
using Term = std::uint64_t;
using Index = std::uint64_t;

inline constexpr NodeId kNoNode = 0;

enum class Role : std::uint8_t { Follower, PreCandidate, Candidate, Leader };

enum class EntryKind : std::uint8_t { Normal, Noop, Config };

std::string_view to_string(Role role) noexcept;
std::string_view to_string(EntryKind kind) noexcept;

}  // namespace raftio
