// SimNetwork: the network of the simulator, in virtual time. A message sent at time t is
// delivered at t + latency, with latency drawn per message from the seeded PRNG (so messages
// reorder), unless the network loses it. Faults: loss and duplication rates, links cut one way or
// both ways (checked when a message is sent and again when it arrives), and clogged links that
// hold every message until they are unclogged. Ties in delivery time are broken by send order,
// so a run depends on nothing but the seed.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "raftio/memory_transport.h"
#include "raftio/transport.h"

namespace raftio {

struct NetworkProfile {
  std::uint64_t min_latency_us = 100;
  std::uint64_t jitter_us = 900;  // latency = min + a draw in [0, jitter) skewed towards short
  double loss = 0.0;              // probability a message is dropped
  double duplicate = 0.0;         // probability a message is delivered twice
};

struct NetworkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;        // loss rate, cut links, messages to a node that was down
  std::uint64_t duplicated = 0;
};

class SimNetwork final : public RaftTransport {
 public:
  // `now` is the simulation clock, read at every send.
  SimNetwork(std::uint64_t seed, const std::uint64_t* now) : rng_(seed), now_(now) {}

  void send(NodeId to, Message message) override;

  void set_profile(const NetworkProfile& profile) noexcept { profile_ = profile; }
  const NetworkProfile& profile() const noexcept { return profile_; }

  void cut(NodeId from, NodeId to) { cut_.insert({from, to}); }
  void cut_both(NodeId a, NodeId b) {
    cut(a, b);
    cut(b, a);
  }
  // Splits the nodes into groups; only links inside a group stay up.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void heal_cuts() { cut_.clear(); }
  bool link_up(NodeId from, NodeId to) const { return cut_.count({from, to}) == 0; }

  // Messages on a clogged link are held; unclogging releases them with fresh latencies.
  void clog(NodeId from, NodeId to) { clogged_.insert({from, to}); }
  void unclog_all();
  // Releases the messages held on one link.
  void unclog(NodeId from, NodeId to);
  bool clogged(NodeId from, NodeId to) const { return clogged_.count({from, to}) > 0; }

  // The earliest delivery time of a message in flight.
  std::optional<std::uint64_t> next_delivery() const;
  // Removes and returns the next message due at or before `now`; a message whose link is cut by
  // then is lost instead (and the next one is tried).
  std::optional<Envelope> pop_due(std::uint64_t now);
  // Drops every message in flight to `node` (it crashed: its socket buffers are gone).
  void drop_to(NodeId node);

  const NetworkStats& stats() const noexcept { return stats_; }
  std::size_t in_flight() const noexcept { return queue_.size() + held_.size(); }

 private:
  // The heap orders small keys; the envelopes stay put in a slab, so sifting the heap moves
  // three integers instead of a message.
  struct InFlight {
    std::uint64_t time;
    std::uint64_t sequence;
    std::uint32_t slot;
  };
  struct Later {
    bool operator()(const InFlight& a, const InFlight& b) const noexcept {
      return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
    }
  };

  std::uint64_t next_random() noexcept;
  double unit() noexcept { return static_cast<double>(next_random() >> 11) * 0x1.0p-53; }
  std::uint64_t latency() noexcept;
  void schedule(Envelope envelope);

  NetworkProfile profile_;
  std::vector<InFlight> queue_;  // a binary heap ordered by Later
  std::vector<Envelope> slots_;  // envelopes in flight, by InFlight::slot
  std::vector<std::uint32_t> free_slots_;
  std::vector<Envelope> held_;   // on clogged links, in send order
  std::set<std::pair<NodeId, NodeId>> cut_;
  std::set<std::pair<NodeId, NodeId>> clogged_;
  std::uint64_t rng_;
  const std::uint64_t* now_;
  std::uint64_t sequence_ = 0;
  NetworkStats stats_;
};

}  // namespace raftio
