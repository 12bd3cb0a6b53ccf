// EntryStore: the in-memory log used by RaftNode and MemoryLog. Entries live in fixed-capacity
// reference-counted blocks, so handing a run of them to an AppendEntries is a reference-count
// increment, lookups are O(1) arithmetic, and compaction drops whole blocks.
//
// Invariants: first_index() <= last_index() + 1; every held entry i sits in
// blocks_[(i - base_) / kBlockEntries] at slot (i - base_) % kBlockEntries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "raftio/entry.h"

namespace raftio::detail {

class EntryStore {
 public:
  static constexpr std::uint32_t kBlockEntries = 256;

  explicit EntryStore(Index first_index = 1) : base_(first_index), first_(first_index), last_(first_index - 1) {}
  EntryStore(const EntryStore& other);
  EntryStore& operator=(const EntryStore& other);
  EntryStore(EntryStore&& other) noexcept;
  EntryStore& operator=(EntryStore&& other) noexcept;
  ~EntryStore();

  Index first_index() const noexcept { return first_; }
  Index last_index() const noexcept { return last_; }
  bool empty() const noexcept { return last_ < first_; }
  std::size_t size() const noexcept { return static_cast<std::size_t>(last_ + 1 - first_); }
  bool contains(Index i) const noexcept { return i >= first_ && i <= last_; }

  // Preconditions: contains(i).
  const LogEntry& at(Index i) const noexcept {
    const Index offset = i - base_;
    return blocks_[offset / kBlockEntries]->slots()[offset % kBlockEntries];
  }
  Term term_at(Index i) const noexcept { return at(i).term; }

  // Precondition: entry.index == last_index() + 1.
  void append(const LogEntry& entry);
  void append(LogEntry&& entry);
  void append(std::span<const LogEntry> entries);
  // Removes entries with index >= from. Blocks still viewed by a batch are copied, never mutated.
  void truncate_suffix(Index from);
  // Removes entries with index <= upto; when upto >= last_index() the store restarts at upto + 1.
  void compact(Index upto);

  // A shared view of up to `max_count` entries starting at lo (contains(lo)), stopping at the end
  // of lo's block: callers loop if they want more.
  EntryBatch slice(Index lo, std::size_t max_count) const noexcept;
  // Entries from lo to the end of its block (the most one slice can return).
  std::size_t run_length(Index lo) const noexcept;

 private:
  EntryBlock* writable_tail();
  void clear_blocks() noexcept;

  std::vector<EntryBlock*> blocks_;  // each holds one reference
  Index base_;   // index stored in slot 0 of blocks_[0]
  Index first_;  // first held index (entries below it in blocks_[0] are compacted)
  Index last_;
};

}  // namespace raftio::detail
