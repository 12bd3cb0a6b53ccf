// The state machine and its entry encoding: Redis semantics of SET, DEL and INCR, snapshots that
// round-trip, and payloads or snapshots that do not decode changing nothing.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kv_state.h"

namespace {

using kv::KvState;
using kv::Op;
using kv::Outcome;

std::string command(Op op, std::vector<std::string_view> args) { return kv::encode_command(op, args); }

TEST(KvState, SetGetDel) {
  KvState state;
  EXPECT_EQ(state.apply(command(Op::Set, {"k", "v"})).kind, Outcome::Kind::Ok);
  ASSERT_NE(state.get("k"), nullptr);
  EXPECT_EQ(*state.get("k"), "v");
  const Outcome removed = state.apply(command(Op::Del, {"k", "missing", "k"}));
  EXPECT_EQ(removed.kind, Outcome::Kind::Integer);
  EXPECT_EQ(removed.integer, 1);
  EXPECT_EQ(state.get("k"), nullptr);
}

TEST(KvState, IncrIsComputedOnApply) {
  KvState state;
  EXPECT_EQ(state.apply(command(Op::Incr, {"n"})).integer, 1);
  EXPECT_EQ(state.apply(command(Op::Incr, {"n"})).integer, 2);
  state.apply(command(Op::Set, {"n", "-10"}));
  EXPECT_EQ(state.apply(command(Op::Incr, {"n"})).integer, -9);
  state.apply(command(Op::Set, {"s", "abc"}));
  EXPECT_EQ(state.apply(command(Op::Incr, {"s"})).kind, Outcome::Kind::Error);
  EXPECT_EQ(*state.get("s"), "abc");
  state.apply(command(Op::Set, {"max", "9223372036854775807"}));
  const Outcome overflow = state.apply(command(Op::Incr, {"max"}));
  EXPECT_EQ(overflow.kind, Outcome::Kind::Error);
  EXPECT_EQ(overflow.error, "ERR increment or decrement would overflow");
}

TEST(KvState, ReadsThroughTheLogChangeNothing) {
  KvState state;
  state.apply(command(Op::Set, {"k", "v"}));
  const Outcome value = state.apply(command(Op::Get, {"k"}));
  EXPECT_EQ(value.kind, Outcome::Kind::Bulk);
  EXPECT_EQ(value.bulk, "v");
  EXPECT_EQ(state.apply(command(Op::Get, {"missing"})).kind, Outcome::Kind::Null);
  EXPECT_EQ(state.apply(command(Op::Exists, {"k", "missing", "k"})).integer, 2);
  EXPECT_EQ(state.size(), 1u);
}

TEST(KvState, BinaryKeysAndValues) {
  KvState state;
  const std::string key("k\0\r\n", 4);
  const std::string value(1000, '\0');
  state.apply(command(Op::Set, {key, value}));
  ASSERT_NE(state.get(key), nullptr);
  EXPECT_EQ(*state.get(key), value);
}

TEST(KvState, SnapshotRoundTrips) {
  KvState state;
  for (int i = 0; i < 100; ++i) state.apply(command(Op::Set, {"key" + std::to_string(i), std::string(i, 'x')}));
  KvState copy;
  ASSERT_TRUE(copy.restore(state.serialize()));
  EXPECT_EQ(copy.size(), 100u);
  EXPECT_EQ(*copy.get("key42"), std::string(42, 'x'));
  EXPECT_EQ(copy.serialize().size(), state.serialize().size());
}

TEST(KvState, MalformedPayloadsAndSnapshotsChangeNothing) {
  KvState state;
  state.apply(command(Op::Set, {"k", "v"}));
  const std::string snapshot = state.serialize();
  std::mt19937_64 random(11);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes;
    if (round % 2 == 0) {
      const std::size_t size = random() % 24;
      for (std::size_t i = 0; i < size; ++i) bytes += static_cast<char>(random() & 0xff);
    } else {
      bytes = snapshot;
      bytes[random() % bytes.size()] = static_cast<char>(random() & 0xff);
      if (random() % 2 == 0) bytes.resize(random() % bytes.size());
    }
    KvState scratch;
    scratch.apply(bytes);  // any outcome, never a crash
    if (!scratch.restore(bytes)) {
      EXPECT_EQ(scratch.size(), 0u);
    }
  }
  EXPECT_EQ(state.apply("").kind, Outcome::Kind::Error);
  EXPECT_EQ(state.apply(std::string_view("S\x05\x00\x00\x00k", 6)).kind, Outcome::Kind::Error);  // past the end
  EXPECT_EQ(state.apply(command(Op::Set, {"only-key"})).kind, Outcome::Kind::Error);
  EXPECT_FALSE(state.restore(snapshot.substr(0, snapshot.size() - 1)));
  EXPECT_EQ(*state.get("k"), "v");
}

}  // namespace
