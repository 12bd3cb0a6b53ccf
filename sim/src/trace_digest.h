// Compact digests of events and actions for the trace hash: the fields that define them, hashed
// without building strings, so that hashing every step keeps the simulator fast. Payloads count
// by size and by their first bytes.
#pragma once

#include <cstdint>

#include "raftio/actions.h"
#include "raftio/events.h"

namespace raftio::sim {

std::uint64_t digest(const Message& message) noexcept;
std::uint64_t digest(const Event& event) noexcept;
std::uint64_t digest(const Action& action) noexcept;
std::uint64_t mix(std::uint64_t hash, std::uint64_t value) noexcept;

}  // namespace raftio::sim
