#include "raftio/entry.h"

#include <new>

namespace raftio {

namespace detail {

EntryBlock* EntryBlock::create(std::uint32_t capacity) {
  void* memory = ::operator new(sizeof(EntryBlock) + std::size_t{capacity} * sizeof(LogEntry));
  return new (memory) EntryBlock(capacity);
}

void EntryBlock::destroy(EntryBlock* block) noexcept {
  block->pop_to(0);
  block->~EntryBlock();
  ::operator delete(block);
}

void EntryBlock::push_back(const LogEntry& entry) {
  new (slots() + size_) LogEntry(entry);
  ++size_;
}

void EntryBlock::push_back(LogEntry&& entry) {
  new (slots() + size_) LogEntry(std::move(entry));
  ++size_;
}

void EntryBlock::pop_to(std::uint32_t new_size) noexcept {
  while (size_ > new_size) {
    --size_;
    slots()[size_].~LogEntry();
  }
}

}  // namespace detail

EntryBatch::EntryBatch(std::span<const LogEntry> entries) {
  if (entries.empty()) return;
  block_ = detail::EntryBlock::create(static_cast<std::uint32_t>(entries.size()));
  for (const LogEntry& entry : entries) block_->push_back(entry);
  first_ = block_->slots();
  count_ = entries.size();
}

EntryBatch::EntryBatch(std::initializer_list<LogEntry> entries)
    : EntryBatch(std::span<const LogEntry>(entries.begin(), entries.size())) {}

EntryBatchBuilder::EntryBatchBuilder(std::size_t capacity)
    : block_(capacity == 0 ? nullptr : detail::EntryBlock::create(static_cast<std::uint32_t>(capacity))) {}

EntryBatch EntryBatchBuilder::finish() && {
  if (block_ == nullptr || block_->size() == 0) return EntryBatch();
  EntryBatch batch = EntryBatch::view(block_, block_->slots(), block_->size());
  detail::EntryBlock::release(block_);  // the batch holds its own reference
  block_ = nullptr;
  return batch;
}

bool operator==(const EntryBatch& a, const EntryBatch& b) noexcept {
  if (a.count_ != b.count_) return false;
  for (std::size_t i = 0; i < a.count_; ++i) {
    if (!(a.first_[i] == b.first_[i])) return false;
  }
  return true;
}

}  // namespace raftio
