// Membership: who votes and who only listens. Kept sorted so that iteration order (and so every
// action that depends on it) is the same on every run.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

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

}  // namespace raftio
