// LogEntry and EntryBatch: entries are stored in reference-counted blocks, and an AppendEntries
// message carries an EntryBatch, a view of a run of entries inside one block. Sending the same
// entries to N followers therefore shares one block N times instead of copying N vectors.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "raftio/payload.h"
#include "raftio/types.h"

namespace raftio {

struct LogEntry {
  Term term = 0;
  Index index = 0;
  EntryKind kind = EntryKind::Normal;
  Payload data;

  friend bool operator==(const LogEntry& a, const LogEntry& b) noexcept {
    return a.term == b.term && a.index == b.index && a.kind == b.kind && a.data == b.data;
  }
};

namespace detail {

// A fixed-capacity array of entries with an intrusive atomic count. Slots [0, size) are
// constructed and never modified again while the block is shared; the single owner may append
// into free slots because no view can reach past the size it was created with.
class EntryBlock {
 public:
  static EntryBlock* create(std::uint32_t capacity);
  static void retain(EntryBlock* block) noexcept {
    if (block != nullptr) block->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  static void release(EntryBlock* block) noexcept {
    if (block != nullptr && block->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      destroy(block);
    }
  }

  bool shared() const noexcept { return refs_.load(std::memory_order_acquire) > 1; }
  std::uint32_t size() const noexcept { return size_; }
  std::uint32_t capacity() const noexcept { return capacity_; }
  bool full() const noexcept { return size_ == capacity_; }
  LogEntry* slots() noexcept { return reinterpret_cast<LogEntry*>(this + 1); }
  const LogEntry* slots() const noexcept { return reinterpret_cast<const LogEntry*>(this + 1); }

  void push_back(const LogEntry& entry);
  void push_back(LogEntry&& entry);
  void pop_to(std::uint32_t new_size) noexcept;  // only when not shared

 private:
  explicit EntryBlock(std::uint32_t capacity) noexcept : refs_(1), capacity_(capacity), size_(0) {}
  static void destroy(EntryBlock* block) noexcept;

  std::atomic<std::uint64_t> refs_;
  std::uint32_t capacity_;
  std::uint32_t size_;
};

static_assert(alignof(LogEntry) <= 16 && sizeof(EntryBlock) % alignof(LogEntry) == 0);

}  // namespace detail

// An immutable view of consecutive entries that keeps their block alive.
class EntryBatch {
 public:
  EntryBatch() noexcept = default;
  EntryBatch(std::initializer_list<LogEntry> entries);
  explicit EntryBatch(std::span<const LogEntry> entries);
  explicit EntryBatch(const std::vector<LogEntry>& entries)
      : EntryBatch(std::span<const LogEntry>(entries)) {}

  EntryBatch(const EntryBatch& other) noexcept
      : block_(other.block_), first_(other.first_), count_(other.count_) {
    detail::EntryBlock::retain(block_);
  }
  EntryBatch(EntryBatch&& other) noexcept
      : block_(other.block_), first_(other.first_), count_(other.count_) {
    other.block_ = nullptr;
    other.first_ = nullptr;
    other.count_ = 0;
  }
  EntryBatch& operator=(EntryBatch other) noexcept {
    std::swap(block_, other.block_);
    std::swap(first_, other.first_);
    std::swap(count_, other.count_);
    return *this;
  }
  ~EntryBatch() { detail::EntryBlock::release(block_); }

  // A view of `count` entries starting at `first`, which must lie inside `block`.
  static EntryBatch view(detail::EntryBlock* block, const LogEntry* first, std::size_t count) noexcept {
    detail::EntryBlock::retain(block);
    return EntryBatch(block, first, count);
  }

  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  const LogEntry* begin() const noexcept { return first_; }
  const LogEntry* end() const noexcept { return first_ + count_; }
  const LogEntry& operator[](std::size_t i) const noexcept { return first_[i]; }
  const LogEntry& front() const noexcept { return first_[0]; }
  const LogEntry& back() const noexcept { return first_[count_ - 1]; }
  std::span<const LogEntry> span() const noexcept { return {first_, count_}; }

  // Drops the first n entries from the view (used by a follower that already holds them).
  void drop_front(std::size_t n) noexcept {
    if (n > count_) n = count_;
    first_ += n;
    count_ -= n;
  }
  // Keeps only the first n entries of the view.
  void keep_front(std::size_t n) noexcept {
    if (n < count_) count_ = n;
  }
  // Grows this view over `next` when `next` continues it in the same block; false otherwise.
  bool try_extend(const EntryBatch& next) noexcept {
    if (block_ == nullptr || block_ != next.block_ || first_ + count_ != next.first_) return false;
    count_ += next.count_;
    return true;
  }

  friend bool operator==(const EntryBatch& a, const EntryBatch& b) noexcept;

 private:
  EntryBatch(detail::EntryBlock* block, const LogEntry* first, std::size_t count) noexcept
      : block_(block), first_(first), count_(count) {}

  detail::EntryBlock* block_ = nullptr;
  const LogEntry* first_ = nullptr;
  std::size_t count_ = 0;
};

// Builds an EntryBatch of known size in a single allocation (the wire decoder uses it).
class EntryBatchBuilder {
 public:
  explicit EntryBatchBuilder(std::size_t capacity);
  EntryBatchBuilder(const EntryBatchBuilder&) = delete;
  EntryBatchBuilder& operator=(const EntryBatchBuilder&) = delete;
  ~EntryBatchBuilder() { detail::EntryBlock::release(block_); }

  // At most `capacity` entries.
  void push_back(LogEntry&& entry) { block_->push_back(std::move(entry)); }
  EntryBatch finish() &&;

 private:
  detail::EntryBlock* block_ = nullptr;
};

}  // namespace raftio
