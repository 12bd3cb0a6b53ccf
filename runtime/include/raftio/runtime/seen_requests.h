// SeenRequests: which forwarded proposals a leader has already taken from one follower, held or
// answered, so that a copy the network delivers again is never appended a second time.
#pragma once

#include <cstdint>
#include <set>

namespace raftio::runtime::detail {

// A follower numbers the proposals it forwards base + 1, base + 2, ... (the base drawn from its
// RaftConfig::incarnation, different on every start), so within one start the numbers seen are
// nearly consecutive. The set keeps the last `window` of them exactly and everything below as one
// floor; a number more than kStreamGap away from the newest is a new start of the follower, whose
// numbers begin afresh.
//
// A follower started with incarnation 0 numbers from 1 on every start: after it restarts, its new
// proposals reuse the numbers of its earlier life, and no leader can tell them from late copies.
// Numbers below kStreamGap (a drawn base is that small once in 2^32 starts) are therefore not
// tracked here: for them the leader recognizes only a copy of a proposal it still holds.
class SeenRequests {
 public:
  static constexpr std::uint64_t kStreamGap = std::uint64_t{1} << 32;

  explicit SeenRequests(std::size_t window) : window_(window == 0 ? 1 : window) {}

  static bool tracked(std::uint64_t request) noexcept { return request >= kStreamGap; }

  // True the first time `request` is offered (and records it); false for a number seen before, or
  // one at or below the floor of numbers forgotten to stay within the window. Always true for a
  // number that is not tracked().
  bool first_time(std::uint64_t request) {
    if (!tracked(request)) return true;
    if (!recent_.empty()) {
      const std::uint64_t newest = *recent_.rbegin();
      const std::uint64_t distance = request > newest ? request - newest : newest - request;
      if (distance > kStreamGap) {  // the follower restarted: its numbering starts over
        recent_.clear();
        has_floor_ = false;
      }
    }
    if (has_floor_ && request <= floor_) return false;
    if (!recent_.insert(request).second) return false;
    if (recent_.size() > window_) {
      floor_ = *recent_.begin();
      has_floor_ = true;
      recent_.erase(recent_.begin());
    }
    return true;
  }

 private:
  std::size_t window_;
  std::set<std::uint64_t> recent_;
  std::uint64_t floor_ = 0;
  bool has_floor_ = false;
};

}  // namespace raftio::runtime::detail
