// MemoryTransport: an in-process network for tests, benchmarks and the simulator. It queues every
// message sent through it; the driver decides what happens to each one (deliver, drop, duplicate,
// reorder). Links can be cut one way or both ways, and a seeded loss rate drops messages at send.
// Everything is deterministic: same seed and same calls → same queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "raftio/messages.h"
#include "raftio/transport.h"

namespace raftio {

struct Envelope {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Message message;
};

class MemoryTransport final : public RaftTransport {
 public:
  explicit MemoryTransport(std::uint64_t seed = 1) : rng_state_(seed) {}

  void send(NodeId to, Message message) override;

  // --- loss and partitions ---
  // Drops each message sent from now on with this probability (0 ≤ p ≤ 1), using the seeded PRNG.
  void set_loss(double probability) noexcept { loss_ = probability; }
  void cut(NodeId from, NodeId to) { cut_links_.insert({from, to}); }  // one way
  void cut_both(NodeId a, NodeId b) {
    cut(a, b);
    cut(b, a);
  }
  void isolate(NodeId node, const std::vector<NodeId>& all_nodes);
  void heal() { cut_links_.clear(); }
  bool link_up(NodeId from, NodeId to) const { return cut_links_.count({from, to}) == 0; }

  // --- the queue ---
  std::size_t pending() const noexcept { return queue_.size(); }
  bool empty() const noexcept { return queue_.empty(); }
  const Envelope& peek(std::size_t i) const { return queue_[i]; }
  // Removes and returns message i (oldest first), or nothing if i is out of range. A message
  // whose link was cut after it was queued is lost in transit: take returns nothing for it.
  std::optional<Envelope> take(std::size_t i);
  std::optional<Envelope> take_next() { return take(0); }
  void drop(std::size_t i);
  void duplicate(std::size_t i);  // queues a copy at the back
  void swap(std::size_t i, std::size_t j);  // exchanges two queued messages (reordering)
  void clear() { queue_.clear(); }

  std::uint64_t sent() const noexcept { return sent_; }
  std::uint64_t lost() const noexcept { return lost_; }

 private:
  double next_unit() noexcept;

  std::deque<Envelope> queue_;
  std::set<std::pair<NodeId, NodeId>> cut_links_;
  double loss_ = 0.0;
  std::uint64_t rng_state_;
  std::uint64_t sent_ = 0;
  std::uint64_t lost_ = 0;
};

}  // namespace raftio
