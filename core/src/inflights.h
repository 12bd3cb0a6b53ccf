// Inflights: the pipeline window of one follower. Each entry is the last log index carried by an
// AppendEntries still awaiting its reply; replies are cumulative, so an acknowledgement of index i
// frees every message that ended at or before i.
//
// Invariant: the stored indexes increase from oldest to newest.
#pragma once

#include <cstdint>
#include <vector>

#include "raftio/types.h"

namespace raftio::detail {

class Inflights {
 public:
  explicit Inflights(std::uint32_t capacity) : ring_(capacity) {}

  bool full() const noexcept { return count_ == ring_.size(); }
  bool empty() const noexcept { return count_ == 0; }
  std::uint32_t count() const noexcept { return count_; }

  // Precondition: !full() and last_index is greater than every index already held.
  void add(Index last_index) noexcept {
    std::uint32_t slot = head_ + count_;
    if (slot >= ring_.size()) slot -= static_cast<std::uint32_t>(ring_.size());
    ring_[slot] = last_index;
    ++count_;
  }

  void free_to(Index acked) noexcept {
    while (count_ > 0 && ring_[head_] <= acked) {
      if (++head_ == ring_.size()) head_ = 0;
      --count_;
    }
  }

  void reset() noexcept {
    head_ = 0;
    count_ = 0;
  }

 private:
  std::vector<Index> ring_;
  std::uint32_t head_ = 0;
  std::uint32_t count_ = 0;
};

}  // namespace raftio::detail
