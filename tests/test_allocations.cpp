// The steady-state path allocates nothing per event: this executable replaces the global
// operator new, counts the calls made inside RaftNode::step, and checks that heartbeat rounds
// allocate nothing and that replication allocates only as the log grows (one entry block per 256
// entries in each node's log), never per event. Counting, not timing: the result is exact.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "raftio/raftio.h"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace raftio {
namespace {

// Three nodes wired directly, with every buffer reserved up front so the driver itself does not
// allocate while counting.
class Trio {
 public:
  Trio() {
    for (NodeId id = 1; id <= 3; ++id) {
      auto config = RaftConfig::builder(id).voters({1, 2, 3}).seed(3).build();
      nodes_.push_back(std::make_unique<RaftNode>(std::move(config).value()));
      inbox_.emplace_back().reserve(4096);
    }
    out_.reserve(4096);
    delivering_.reserve(4096);
  }

  void step(NodeId id, std::span<Event> events) {
    out_.clear();
    const std::uint64_t before = g_allocations.load();
    nodes_[id - 1]->step(events, out_);
    step_allocations += g_allocations.load() - before;
    for (Action& action : out_) {
      if (auto* send = std::get_if<Send>(&action)) {
        inbox_[receiver_of(send->message) - 1].emplace_back(std::in_place_type<Receive>, std::move(send->message));
      }
    }
  }

  void round() {
    for (NodeId id = 1; id <= 3; ++id) {
      Event tick = Tick{};
      step(id, std::span<Event>(&tick, 1));
    }
    settle();
  }

  void settle() {
    for (bool busy = true; busy;) {
      busy = false;
      for (NodeId id = 1; id <= 3; ++id) {
        if (inbox_[id - 1].empty()) continue;
        busy = true;
        delivering_.swap(inbox_[id - 1]);
        step(id, delivering_);
        delivering_.clear();
      }
    }
  }

  RaftNode* leader() {
    for (auto& node : nodes_) {
      if (node->is_leader()) return node.get();
    }
    return nullptr;
  }
  NodeId leader_id() { return leader()->id(); }

  std::uint64_t step_allocations = 0;

 private:
  std::vector<std::unique_ptr<RaftNode>> nodes_;
  std::vector<std::vector<Event>> inbox_;
  std::vector<Event> delivering_;
  std::vector<Action> out_;
};

TEST(Allocations, HeartbeatRoundsAllocateNothing) {
  Trio trio;
  for (int i = 0; i < 100 && trio.leader() == nullptr; ++i) trio.round();
  ASSERT_NE(trio.leader(), nullptr);
  for (int i = 0; i < 50; ++i) trio.round();  // warm up: every buffer reaches its working size
  trio.step_allocations = 0;
  for (int i = 0; i < 1000; ++i) trio.round();
  EXPECT_EQ(trio.step_allocations, 0u) << "allocations inside step during 1000 idle rounds";
  EXPECT_NE(trio.leader(), nullptr);
}

TEST(Allocations, ReplicationAllocatesOnlyForLogGrowth) {
  Trio trio;
  for (int i = 0; i < 100 && trio.leader() == nullptr; ++i) trio.round();
  ASSERT_NE(trio.leader(), nullptr);
  const NodeId leader = trio.leader_id();
  std::vector<Event> batch;
  batch.reserve(64);
  auto propose_rounds = [&](int rounds, std::size_t per_round) {
    for (int r = 0; r < rounds; ++r) {
      batch.clear();
      for (std::size_t i = 0; i < per_round; ++i) batch.emplace_back(std::in_place_type<Propose>, Propose{Payload(), 0});
      trio.step(leader, batch);
      trio.settle();
    }
  };
  propose_rounds(50, 64);  // warm up
  for (std::size_t per_round : {std::size_t{1}, std::size_t{64}}) {
    trio.step_allocations = 0;
    const int rounds = per_round == 1 ? 20'000 : 400;
    propose_rounds(rounds, per_round);
    const std::uint64_t entries = static_cast<std::uint64_t>(rounds) * per_round;
    // Log growth: a 256-entry block per node, plus the node's and MemoryLog's block and run lists
    // doubling now and then: a few dozen allocations over these runs.
    const std::uint64_t log_growth_bound = 3 * (entries / 256 + 1) + 64;
    EXPECT_LE(trio.step_allocations, log_growth_bound) << per_round << " proposals per round, " << entries << " entries";
  }
}

}  // namespace
}  // namespace raftio
