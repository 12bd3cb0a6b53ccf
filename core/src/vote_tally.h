// VoteTally: the votes (or pre-votes) a candidate has received in one campaign.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "raftio/types.h"

namespace raftio::detail {

class VoteTally {
 public:
  enum class Outcome { Pending, Won, Lost };

  // The first answer of each voter counts; a duplicated or changed reply is ignored.
  void record(NodeId voter, bool granted) {
    for (const auto& [id, _] : answers_) {
      if (id == voter) return;
    }
    answers_.emplace_back(voter, granted);
    (granted ? granted_ : refused_) += 1;
  }

  Outcome outcome(std::size_t voter_count, std::size_t quorum) const noexcept {
    if (granted_ >= quorum) return Outcome::Won;
    if (refused_ > voter_count - quorum) return Outcome::Lost;
    return Outcome::Pending;
  }

  void clear() noexcept {
    answers_.clear();
    granted_ = refused_ = 0;
  }

 private:
  std::vector<std::pair<NodeId, bool>> answers_;
  std::size_t granted_ = 0;
  std::size_t refused_ = 0;
};

}  // namespace raftio::detail
