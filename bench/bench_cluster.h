// BenchCluster: N RaftNodes wired directly in one thread, with no checking, for measuring. Each
// node receives its whole inbox as one step (as an event loop that drains its socket would), and
// the allocations made inside RaftNode::step are counted apart from the driver's own.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "alloc_counter.h"
#include "raftio/raftio.h"

namespace raftio::bench {

class BenchCluster {
 public:
  explicit BenchCluster(std::size_t size, std::uint32_t max_entries_per_msg = 64) {
    std::vector<NodeId> ids;
    for (NodeId id = 1; id <= size; ++id) ids.push_back(id);
    for (NodeId id : ids) {
      auto config = RaftConfig::builder(id).voters(ids).seed(1).max_entries_per_msg(max_entries_per_msg).build();
      nodes_.push_back(std::make_unique<RaftNode>(std::move(config).value()));
      inbox_.emplace_back().reserve(4096);
    }
    applied_.resize(size);
    out_.reserve(4096);
    delivering_.reserve(4096);
  }

  std::size_t size() const noexcept { return nodes_.size(); }
  RaftNode& node(NodeId id) { return *nodes_[id - 1]; }

  void step(NodeId id, std::span<Event> events) {
    out_.clear();
    const std::uint64_t before = allocation_count();
    nodes_[id - 1]->step(events, out_);
    step_allocations += allocation_count() - before;
    events_stepped += events.size();
    for (Action& action : out_) {
      if (auto* send = std::get_if<Send>(&action)) {
        inbox_[receiver_of(send->message) - 1].emplace_back(std::in_place_type<Receive>, std::move(send->message));
        ++messages;
      } else if (std::holds_alternative<Apply>(action)) {
        ++applied_[id - 1];
      }
    }
  }

  void tick(NodeId id) {
    Event tick = Tick{};
    step(id, std::span<Event>(&tick, 1));
  }

  void tick_all() {
    for (NodeId id = 1; id <= size(); ++id) tick(id);
  }

  // Delivers until no message is in flight.
  void settle() {
    for (bool busy = true; busy;) {
      busy = false;
      for (NodeId id = 1; id <= size(); ++id) {
        if (inbox_[id - 1].empty()) continue;
        busy = true;
        delivering_.swap(inbox_[id - 1]);
        step(id, delivering_);
        delivering_.clear();
      }
    }
  }

  // Ticks node 1 alone until it leads, so no other node campaigns.
  bool elect_first() {
    for (int i = 0; i < 100 && !node(1).is_leader(); ++i) {
      tick(1);
      settle();
    }
    settle();
    return node(1).is_leader();
  }

  std::uint64_t min_applied() const {
    std::uint64_t least = applied_[0];
    for (std::uint64_t a : applied_) least = a < least ? a : least;
    return least;
  }

  void reset_counters() { step_allocations = events_stepped = messages = 0; }

  std::uint64_t step_allocations = 0;
  std::uint64_t events_stepped = 0;
  std::uint64_t messages = 0;

 private:
  std::vector<std::unique_ptr<RaftNode>> nodes_;
  std::vector<std::vector<Event>> inbox_;
  std::vector<Event> delivering_;
  std::vector<std::uint64_t> applied_;
  std::vector<Action> out_;
};

}  // namespace raftio::bench
