// Basic vocabulary types shared by every part of raftio.
#pragma once

#include <cstdint>
#include <string_view>

namespace raftio {

using NodeId = std::uint64_t;  // 0 means "nobody"
using Term = std::uint64_t;
using Index = std::uint64_t;

inline constexpr NodeId kNoNode = 0;

// Bounds on what a message can make a node do (docs/PROTOCOL.md, "Bounds"). No honest cluster
// comes near them: they exist so that one forged or corrupted number cannot break a node.
//
// No log grows past kMaxLogIndex (a leader refuses proposals there), so a message carrying any
// index above it is forged and dropped, and index arithmetic (index + 1, index + count) never
// wraps.
inline constexpr Index kMaxLogIndex = Index{1} << 62;
// A term below kMaxFreeTerm is adopted as §5.1 says. A term at or above it, which only a forged
// message (or an ancient bug) can have put into play, is adopted only when it is at most
// kMaxTermStep above the receiver's own term, and never the last term: one message can then not
// exhaust the term space, and walking a cluster to its end takes about 2^43 forged messages. A
// node that holds the last term never campaigns (a term never wraps or goes backwards).
inline constexpr std::uint64_t kMaxFreeTerm = std::uint64_t{1} << 63;
inline constexpr std::uint64_t kMaxTermStep = std::uint64_t{1} << 20;

enum class Role : std::uint8_t { Follower, PreCandidate, Candidate, Leader };

enum class EntryKind : std::uint8_t { Normal, Noop, Config };

std::string_view to_string(Role role) noexcept;
std::string_view to_string(EntryKind kind) noexcept;

}  // namespace raftio
