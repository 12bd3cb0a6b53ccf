// The steady-state path allocates nothing per event. This executable links bench/alloc_counter.cpp,
// which replaces the global operator new; BenchCluster counts the calls made inside
// RaftNode::step. Heartbeat rounds must allocate nothing, and replication may allocate only as the
// log grows (one entry block per 256 entries in each node's log), never per event. Counting, not
// timing: the result is exact.
#include <gtest/gtest.h>

#include <vector>

#include "bench_cluster.h"

namespace raftio {
namespace {

TEST(Allocations, HeartbeatRoundsAllocateNothing) {
  bench::BenchCluster trio(3);
  ASSERT_TRUE(trio.elect_first());
  for (int i = 0; i < 50; ++i) {  // warm up: every buffer reaches its working size
    trio.tick_all();
    trio.settle();
  }
  trio.reset_counters();
  for (int i = 0; i < 1000; ++i) {
    trio.tick_all();
    trio.settle();
  }
  EXPECT_EQ(trio.step_allocations, 0u) << "allocations inside step during 1000 idle rounds";
  EXPECT_GT(trio.messages, 2000u) << "heartbeats and replies flowed";
  EXPECT_TRUE(trio.node(1).is_leader());
}

TEST(Allocations, ReplicationAllocatesOnlyForLogGrowth) {
  bench::BenchCluster trio(3);
  ASSERT_TRUE(trio.elect_first());
  std::vector<Event> batch;
  batch.reserve(64);
  auto propose_rounds = [&](int rounds, std::size_t per_round) {
    for (int r = 0; r < rounds; ++r) {
      batch.clear();
      for (std::size_t i = 0; i < per_round; ++i) batch.emplace_back(std::in_place_type<Propose>, Propose{Payload(), 0});
      trio.step(1, batch);
      trio.settle();
    }
  };
  propose_rounds(50, 64);  // warm up
  for (std::size_t per_round : {std::size_t{1}, std::size_t{64}}) {
    trio.reset_counters();
    const int rounds = per_round == 1 ? 20'000 : 400;
    propose_rounds(rounds, per_round);
    const std::uint64_t entries = static_cast<std::uint64_t>(rounds) * per_round;
    // Log growth: a 256-entry block per node, plus the node's and MemoryLog's block and run lists
    // doubling now and then: a few dozen allocations over these runs.
    const std::uint64_t log_growth_bound = 3 * (entries / 256 + 1) + 64;
    EXPECT_LE(trio.step_allocations, log_growth_bound) << per_round << " proposals per round, " << entries << " entries";
    EXPECT_GT(trio.events_stepped, entries) << "every entry went through the cluster";
  }
}

}  // namespace
}  // namespace raftio
