#include "raftio/memory_transport.h"

namespace raftio {

double MemoryTransport::next_unit() noexcept {
  // SplitMix64, as in the core: deterministic on every platform.
  std::uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

void MemoryTransport::send(NodeId to, Message message) {
  ++sent_;
  const NodeId from = sender_of(message);
  if (!link_up(from, to) || (loss_ > 0.0 && next_unit() < loss_)) {
    ++lost_;
    return;
  }
  queue_.push_back(Envelope{from, to, std::move(message)});
}

void MemoryTransport::isolate(NodeId node, const std::vector<NodeId>& all_nodes) {
  for (NodeId other : all_nodes) {
    if (other != node) cut_both(node, other);
  }
}

std::optional<Envelope> MemoryTransport::take(std::size_t i) {
  if (i >= queue_.size()) return std::nullopt;
  Envelope envelope = std::move(queue_[i]);
  queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
  if (!link_up(envelope.from, envelope.to)) {
    ++lost_;
    return std::nullopt;
  }
  return envelope;
}

void MemoryTransport::drop(std::size_t i) {
  if (i < queue_.size()) {
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
    ++lost_;
  }
}

void MemoryTransport::duplicate(std::size_t i) {
  if (i < queue_.size()) queue_.push_back(queue_[i]);
}

void MemoryTransport::swap(std::size_t i, std::size_t j) {
  if (i < queue_.size() && j < queue_.size()) std::swap(queue_[i], queue_[j]);
}

}  // namespace raftio
