#include "raftio/sim_network.h"

#include <algorithm>

namespace raftio {

std::uint64_t SimNetwork::next_random() noexcept {
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Most messages arrive quickly, a few much later: the square of a uniform draw skews the jitter
// towards short delays and still reorders plenty.
std::uint64_t SimNetwork::latency() noexcept {
  const double u = unit();
  return profile_.min_latency_us + static_cast<std::uint64_t>(u * u * static_cast<double>(profile_.jitter_us));
}

void SimNetwork::schedule(Envelope envelope) {
  std::uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(std::move(envelope));
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = std::move(envelope);
  }
  queue_.push_back(InFlight{*now_ + latency(), sequence_++, slot});
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

void SimNetwork::send(NodeId to, Message message) {
  ++stats_.sent;
  const NodeId from = sender_of(message);
  if (!link_up(from, to) || (profile_.loss > 0 && unit() < profile_.loss)) {
    ++stats_.lost;
    return;
  }
  Envelope envelope{from, to, std::move(message)};
  if (clogged(from, to)) {
    held_.push_back(std::move(envelope));
    return;
  }
  if (profile_.duplicate > 0 && unit() < profile_.duplicate) {
    ++stats_.duplicated;
    schedule(envelope);  // a copy, with its own latency
  }
  schedule(std::move(envelope));
}

void SimNetwork::partition(const std::vector<std::vector<NodeId>>& groups) {
  cut_.clear();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t h = 0; h < groups.size(); ++h) {
      if (g == h) continue;
      for (NodeId a : groups[g]) {
        for (NodeId b : groups[h]) cut(a, b);
      }
    }
  }
}

void SimNetwork::unclog_all() {
  clogged_.clear();
  std::vector<Envelope> released = std::move(held_);
  held_.clear();
  for (Envelope& envelope : released) schedule(std::move(envelope));
}

void SimNetwork::unclog(NodeId from, NodeId to) {
  clogged_.erase({from, to});
  std::vector<Envelope> kept;
  for (Envelope& envelope : held_) {
    if (envelope.from == from && envelope.to == to) {
      schedule(std::move(envelope));
    } else {
      kept.push_back(std::move(envelope));
    }
  }
  held_ = std::move(kept);
}

std::optional<std::uint64_t> SimNetwork::next_delivery() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.front().time;
}

std::optional<Envelope> SimNetwork::pop_due(std::uint64_t now) {
  while (!queue_.empty() && queue_.front().time <= now) {
    std::pop_heap(queue_.begin(), queue_.end(), Later{});
    const std::uint32_t slot = queue_.back().slot;
    queue_.pop_back();
    free_slots_.push_back(slot);
    Envelope& envelope = slots_[slot];
    if (!link_up(envelope.from, envelope.to)) {
      ++stats_.lost;
      envelope.message = Message();  // release the payloads now
      continue;
    }
    ++stats_.delivered;
    return std::move(envelope);
  }
  return std::nullopt;
}

void SimNetwork::drop_to(NodeId node) {
  const auto before = queue_.size() + held_.size();
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                              [this, node](const InFlight& m) {
                                if (slots_[m.slot].to != node) return false;
                                slots_[m.slot].message = Message();
                                free_slots_.push_back(m.slot);
                                return true;
                              }),
               queue_.end());
  std::make_heap(queue_.begin(), queue_.end(), Later{});
  held_.erase(std::remove_if(held_.begin(), held_.end(), [node](const Envelope& e) { return e.to == node; }), held_.end());
  stats_.lost += before - queue_.size() - held_.size();
}

}  // namespace raftio
