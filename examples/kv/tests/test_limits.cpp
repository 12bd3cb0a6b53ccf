// --max-clients against the descriptor limit: clamped so that clients can never take the
// descriptors the WAL and the peers need (a WAL that cannot open its next segment stops the node).
#include <gtest/gtest.h>

#include <cstdint>

#include "server.h"

namespace {

using kv::effective_max_clients;
using kv::kReservedDescriptors;

TEST(Limits, MaxClientsFitsTheDescriptorLimit) {
  EXPECT_EQ(effective_max_clients(10000, 1024), 1024 - kReservedDescriptors);
  EXPECT_EQ(effective_max_clients(5, 1024), 5u);
  EXPECT_EQ(effective_max_clients(10000, UINT64_MAX), 10000u);
  EXPECT_EQ(effective_max_clients(10000, kReservedDescriptors + 2), 2u);
  // A limit too low to leave any room still lets one client in (INFO must stay reachable).
  EXPECT_EQ(effective_max_clients(10000, kReservedDescriptors + 1), 1u);
  EXPECT_EQ(effective_max_clients(10000, 0), 1u);
}

}  // namespace
