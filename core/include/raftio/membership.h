// Membership: who votes and who only listens. Kept sorted so that iteration order (and so every
// action that depends on it) is the same on every run.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

#include "raftio/payload.h"
#include "raftio/types.h"

namespace raftio {

struct Membership {
  std::vector<NodeId> voters;    // sorted, unique
  std::vector<NodeId> learners;  // sorted, unique, disjoint from voters

  bool is_voter(NodeId id) const noexcept {
    return std::binary_search(voters.begin(), voters.end(), id);
  }
  bool is_learner(NodeId id) const noexcept {
    return std::binary_search(learners.begin(), learners.end(), id);
  }
  bool contains(NodeId id) const noexcept { return is_voter(id) || is_learner(id); }
  // Votes (or acknowledgements) needed for a majority of the voters.
  std::size_t quorum() const noexcept { return voters.size() / 2 + 1; }

  friend bool operator==(const Membership&, const Membership&) = default;
};

// The payload of an EntryKind::Config entry: the whole configuration it installs.
//   version u8 (1) | voter count u32 | voter ids u64... | learner count u32 | learner ids u64...
// (little-endian). decode_membership returns nothing for bytes that are not exactly that, or whose
// lists are unsorted, contain 0 or duplicates, overlap, or have no voter.
Payload encode_membership(const Membership& membership);
std::optional<Membership> decode_membership(const Payload& payload);

}  // namespace raftio
