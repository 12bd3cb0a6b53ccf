// PromiseKeeper: a Node's future requests are set off its loop, a turn's batch at a time.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "raftio/runtime/promise_keeper.h"

namespace raftio::runtime {
namespace {

using namespace std::chrono_literals;

std::vector<std::future<PromiseKeeper::Outcome>> fill(std::vector<PromiseKeeper::Ended>& batch, int count, int first) {
  std::vector<std::future<PromiseKeeper::Outcome>> futures;
  for (int i = 0; i < count; ++i) {
    std::promise<PromiseKeeper::Outcome> promise;
    futures.push_back(promise.get_future());
    batch.emplace_back(std::move(promise), Payload::copy_of(std::to_string(first + i)));
  }
  return futures;
}

TEST(PromiseKeeper, SetsEveryPromiseToItsOwnOutcome) {
  PromiseKeeper keeper;
  std::vector<PromiseKeeper::Ended> batch;
  std::vector<std::future<PromiseKeeper::Outcome>> futures;
  for (int turn = 0; turn < 20; ++turn) {
    auto more = fill(batch, 50, turn * 50);
    keeper.keep(batch);
    EXPECT_TRUE(batch.empty());
    for (auto& future : more) futures.push_back(std::move(future));
  }
  for (std::size_t i = 0; i < futures.size(); ++i) {
    ASSERT_EQ(futures[i].wait_for(10s), std::future_status::ready);
    const auto outcome = futures[i].get();
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome.value().to_string(), std::to_string(i));
  }
}

// A light load does not pay for the hop to the thread: a few promises while it is idle are set
// before keep() returns; so is everything once it stopped.
TEST(PromiseKeeper, AFewWhileIdleAndAllAfterStopAreSetInTheCall) {
  PromiseKeeper keeper;
  std::vector<PromiseKeeper::Ended> batch;
  auto few = fill(batch, static_cast<int>(PromiseKeeper::kSetHere), 0);
  keeper.keep(batch);
  for (auto& future : few) EXPECT_EQ(future.wait_for(0s), std::future_status::ready);
  keeper.stop();
  auto many = fill(batch, 100, 0);
  keeper.keep(batch);
  for (auto& future : many) EXPECT_EQ(future.wait_for(0s), std::future_status::ready);
}

}  // namespace
}  // namespace raftio::runtime
