// The state machine and its entry encoding: Redis semantics of SET, DEL and INCR, snapshots that
// round-trip, and payloads or snapshots that do not decode changing nothing.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <xxhash.h>

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
  ASSERT_NE(value.bulk, nullptr);
  EXPECT_EQ(*value.bulk, "v");
  EXPECT_EQ(value.bulk.get(), state.get_shared("k").get()) << "a read shares the stored value, it does not copy it";
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

// The snapshot names its format (tag and version) and carries its own checksum, so a snapshot
// from another program, another version or a damaged copy is refused with the reason rather than
// restored wrongly or misread.
TEST(KvState, SnapshotHasATagAVersionAndAChecksum) {
  KvState state;
  state.apply(command(Op::Set, {"key", "value"}));
  const std::string snapshot = state.serialize();
  ASSERT_GE(snapshot.size(), 5u + 8u + 8u);
  EXPECT_EQ(snapshot.substr(0, 5), std::string("RKVS\x01", 5));

  const auto refused = [](std::string bytes) {
    KvState scratch;
    scratch.apply(command(Op::Set, {"before", "x"}));
    std::string why;
    EXPECT_FALSE(scratch.restore(bytes, &why));
    EXPECT_NE(scratch.get("before"), nullptr) << "a refused snapshot must leave the state as it was";
    return why;
  };
  EXPECT_EQ(refused(""), "too short for a raftio-kv snapshot (0 bytes)");
  std::string other_tag = snapshot;
  other_tag[0] = 'X';
  EXPECT_EQ(refused(other_tag), "not a raftio-kv snapshot (bad tag)");
  std::string version_3 = snapshot;
  version_3[4] = 3;
  EXPECT_EQ(refused(version_3), "unsupported raftio-kv snapshot version 3 (this build reads 1 and 2)");
  // Every single flipped bit is caught, including those in a value, which the body's lengths
  // alone could never notice.
  for (std::size_t byte = 5; byte < snapshot.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = snapshot;
      flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << bit));
      EXPECT_EQ(refused(flipped), "raftio-kv snapshot checksum mismatch") << "byte " << byte << " bit " << bit;
    }
  }
  EXPECT_EQ(refused(snapshot.substr(0, snapshot.size() - 1)), "raftio-kv snapshot checksum mismatch");
  KvState copy;
  std::string why;
  EXPECT_TRUE(copy.restore(snapshot, &why)) << why;
  EXPECT_EQ(*copy.get("key"), "value");
}

// Client addresses (RAFT.ADDNODE id peer client) live outside the key space and travel in
// snapshots of version 2; a state without any still writes version 1.
TEST(KvState, ClientAddressesAreRecordedOutsideTheKeysAndSnapshotted) {
  KvState state;
  state.apply(command(Op::Set, {"k", "v"}));
  EXPECT_EQ(state.serialize()[4], 1);
  EXPECT_EQ(state.apply(command(Op::ClientAddress, {"4", "127.0.0.1:8004"})).kind, Outcome::Kind::Ok);
  EXPECT_EQ(state.apply(command(Op::ClientAddress, {"0", "127.0.0.1:8000"})).kind, Outcome::Kind::Error);
  EXPECT_EQ(state.apply(command(Op::ClientAddress, {"x", "127.0.0.1:8000"})).kind, Outcome::Kind::Error);
  EXPECT_EQ(state.size(), 1u);
  const std::string snapshot = state.serialize();
  EXPECT_EQ(snapshot[4], 2);
  KvState copy;
  copy.apply(command(Op::ClientAddress, {"9", "stale:1"}));
  std::string why;
  ASSERT_TRUE(copy.restore(snapshot, &why)) << why;
  EXPECT_EQ(copy.client_addresses(), (std::map<std::uint64_t, std::string>{{4, "127.0.0.1:8004"}}));
  EXPECT_EQ(*copy.get("k"), "v");
  KvState plain;
  ASSERT_TRUE(copy.restore(plain.serialize(), &why)) << why;  // a version-1 snapshot: no addresses
  EXPECT_TRUE(copy.client_addresses().empty());
}

// A body that is checksummed correctly but lies about its lengths (as a buggy writer could make
// one) is still refused, and never read past its end.
std::string le(std::uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

std::string sealed(const std::string& body) {
  const std::string covered = std::string("RKVS\x01", 5) + body;
  return covered + le(XXH3_64bits(covered.data(), covered.size()), 8);
}

std::string restore_error(const std::string& bytes) {
  KvState state;
  std::string why;
  EXPECT_FALSE(state.restore(bytes, &why));
  EXPECT_EQ(state.size(), 0u);
  return why;
}

TEST(KvState, SnapshotBodyLengthsAreCheckedAfterTheChecksum) {
  const std::string entry = le(1, 4) + "k" + le(1, 4) + "v";
  KvState reference;
  ASSERT_TRUE(reference.restore(sealed(le(1, 8) + entry)));  // the helper seals as serialize() does
  EXPECT_EQ(*reference.get("k"), "v");
  EXPECT_EQ(restore_error(sealed(le(~std::uint64_t{0}, 8) + entry)), "malformed raftio-kv snapshot (entry count)");
  EXPECT_EQ(restore_error(sealed(le(2, 8) + entry)), "malformed raftio-kv snapshot (entry 1)");
  EXPECT_EQ(restore_error(sealed(le(1, 8) + le(0xffffffff, 4) + "k")), "malformed raftio-kv snapshot (entry 0)");
  EXPECT_EQ(restore_error(sealed(le(1, 8) + entry + "x")), "malformed raftio-kv snapshot (bytes after the last entry)");
  EXPECT_EQ(restore_error(sealed("")), "too short for a raftio-kv snapshot (13 bytes)");
}

}  // namespace
