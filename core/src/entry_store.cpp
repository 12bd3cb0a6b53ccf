#include "raftio/detail/entry_store.h"

#include <algorithm>
#include <utility>

namespace raftio::detail {

EntryStore::EntryStore(const EntryStore& other) : base_(other.first_), first_(other.first_), last_(other.first_ - 1) {
  for (Index i = other.first_; i <= other.last_; ++i) append(other.at(i));
}

EntryStore& EntryStore::operator=(const EntryStore& other) {
  if (this != &other) {
    EntryStore copy(other);
    *this = std::move(copy);
  }
  return *this;
}

EntryStore::EntryStore(EntryStore&& other) noexcept
    : blocks_(std::move(other.blocks_)), base_(other.base_), first_(other.first_), last_(other.last_) {
  other.blocks_.clear();
  other.base_ = other.first_ = last_ + 1;
  other.last_ = last_;
}

EntryStore& EntryStore::operator=(EntryStore&& other) noexcept {
  if (this != &other) {
    clear_blocks();
    blocks_ = std::move(other.blocks_);
    base_ = other.base_;
    first_ = other.first_;
    last_ = other.last_;
    other.blocks_.clear();
    other.base_ = other.first_ = last_ + 1;
    other.last_ = last_;
  }
  return *this;
}

EntryStore::~EntryStore() { clear_blocks(); }

void EntryStore::clear_blocks() noexcept {
  for (EntryBlock* block : blocks_) EntryBlock::release(block);
  blocks_.clear();
}

// The block that receives the next entry: the tail, or a fresh block when it is full or absent.
// Appending to a shared tail is safe: views only reach slots that existed when they were made,
// and constructing a later slot touches none of them.
EntryBlock* EntryStore::writable_tail() {
  if (blocks_.empty() || blocks_.back()->full()) {
    blocks_.push_back(EntryBlock::create(kBlockEntries));
  }
  return blocks_.back();
}

void EntryStore::append(const LogEntry& entry) {
  writable_tail()->push_back(entry);
  ++last_;
}

void EntryStore::append(LogEntry&& entry) {
  writable_tail()->push_back(std::move(entry));
  ++last_;
}

void EntryStore::append(std::span<const LogEntry> entries) {
  for (const LogEntry& entry : entries) append(entry);
}

void EntryStore::truncate_suffix(Index from) {
  if (from > last_) return;
  if (from <= first_) {
    clear_blocks();
    base_ = first_;
    last_ = first_ - 1;
    return;
  }
  const Index keep_offset = from - base_;  // entries kept in total, counted from base_
  const std::size_t keep_blocks = static_cast<std::size_t>((keep_offset + kBlockEntries - 1) / kBlockEntries);
  while (blocks_.size() > keep_blocks) {
    EntryBlock::release(blocks_.back());
    blocks_.pop_back();
  }
  const auto keep_in_tail = static_cast<std::uint32_t>(keep_offset - (keep_blocks - 1) * kBlockEntries);
  EntryBlock* tail = blocks_.back();
  if (keep_in_tail < tail->size()) {
    if (tail->shared()) {
      // An AppendEntries in flight still views the removed slots: leave that block to it.
      EntryBlock* copy = EntryBlock::create(kBlockEntries);
      for (std::uint32_t s = 0; s < keep_in_tail; ++s) copy->push_back(tail->slots()[s]);
      EntryBlock::release(tail);
      blocks_.back() = copy;
    } else {
      tail->pop_to(keep_in_tail);
    }
  }
  last_ = from - 1;
}

void EntryStore::compact(Index upto) {
  if (upto < first_) return;
  if (upto >= last_) {
    clear_blocks();
    base_ = first_ = upto + 1;
    last_ = upto;
    return;
  }
  const std::size_t drop_blocks = static_cast<std::size_t>((upto + 1 - base_) / kBlockEntries);
  for (std::size_t b = 0; b < drop_blocks; ++b) EntryBlock::release(blocks_[b]);
  blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<std::ptrdiff_t>(drop_blocks));
  base_ += drop_blocks * kBlockEntries;
  first_ = upto + 1;
}

std::size_t EntryStore::run_length(Index lo) const noexcept {
  const Index offset = lo - base_;
  const Index block_end = base_ + (offset / kBlockEntries + 1) * kBlockEntries;  // exclusive
  return static_cast<std::size_t>(std::min(block_end, last_ + 1) - lo);
}

EntryBatch EntryStore::slice(Index lo, std::size_t max_count) const noexcept {
  const std::size_t count = std::min(run_length(lo), max_count);
  const Index offset = lo - base_;
  EntryBlock* block = blocks_[offset / kBlockEntries];
  return EntryBatch::view(block, block->slots() + offset % kBlockEntries, count);
}

}  // namespace raftio::detail
