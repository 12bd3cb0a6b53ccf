// The peer hello codec (runtime/handshake.h): its bytes pinned by a golden vector, every prefix
// "need more", each field refused at its first wrong byte with hostile values (0, 2^64 - 1,
// lengths 0, 65 and 255, a byte outside the alphabet), random input never crashing, and the
// membership policy a received hello is checked against.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <raftio/runtime/handshake.h>

namespace {

using raftio::runtime::check_hello;
using raftio::runtime::decode_hello;
using raftio::runtime::describe;
using raftio::runtime::encode_hello;
using raftio::runtime::Hello;
using raftio::runtime::HelloDecode;
using raftio::runtime::HelloError;
using raftio::runtime::HelloPolicy;
using raftio::runtime::HelloRefusal;
using Status = HelloDecode::Status;

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

std::vector<std::byte> bytes(const std::string& text) {
  std::vector<std::byte> out;
  for (char c : text) out.push_back(static_cast<std::byte>(c));
  return out;
}

std::vector<std::byte> concat(std::vector<std::byte> a, const std::vector<std::byte>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Handshake, GoldenBytes) {
  const auto encoded = encode_hello(Hello{0x0102030405060708, "kv-1"});
  const auto expected = concat(bytes({'R', 'F', 'H', 'L', 0x01, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 4}),
                               bytes("kv-1"));
  EXPECT_EQ(encoded, expected);
}

TEST(Handshake, RoundTripsAndLeavesWhatFollowsToTheStream) {
  for (const Hello& hello : {Hello{1, "a"}, Hello{~std::uint64_t{0}, std::string(64, 'z')}, Hello{42, "A.b_c-9"}}) {
    const auto encoded = encode_hello(hello);
    ASSERT_FALSE(encoded.empty());
    const auto stream = concat(encoded, bytes({'R', 'F', 'I', 'O', 9, 9}));  // a frame follows
    const HelloDecode decoded = decode_hello(stream);
    ASSERT_EQ(decoded.status, Status::Complete);
    EXPECT_EQ(decoded.hello, hello);
    EXPECT_EQ(decoded.consumed, encoded.size());
  }
}

TEST(Handshake, EveryStrictPrefixNeedsMore) {
  const auto encoded = encode_hello(Hello{7, "cluster"});
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_EQ(decode_hello(std::span(encoded).first(size)).status, Status::NeedMore) << size;
  }
}

HelloDecode decode(const std::vector<std::byte>& input) { return decode_hello(input); }

TEST(Handshake, EachFieldIsRefusedAtItsFirstWrongByte) {
  // A Raft frame sent without a hello: refused at its third byte, before any more arrives.
  const HelloDecode frame = decode(bytes({'R', 'F', 'I'}));
  EXPECT_EQ(frame.status, Status::Error);
  EXPECT_EQ(frame.error, HelloError::BadMagic);
  EXPECT_EQ(describe(frame), "not a raftio peer hello (bad magic)");
  EXPECT_EQ(decode(bytes({0x16, 0x03, 0x01})).error, HelloError::BadMagic);  // a TLS ClientHello

  const auto magic = bytes({'R', 'F', 'H', 'L'});
  const HelloDecode version = decode(concat(magic, bytes({0x07, 0x00})));
  EXPECT_EQ(version.error, HelloError::UnsupportedVersion);
  EXPECT_EQ(version.detail, 7u);
  EXPECT_EQ(describe(version), "unsupported hello version 7 (this node speaks 1)");
  EXPECT_EQ(decode(concat(magic, bytes({0x00, 0x00}))).error, HelloError::UnsupportedVersion);
  EXPECT_EQ(decode(concat(magic, bytes({0xff, 0xff}))).detail, 0xffffu);

  const auto header = concat(magic, bytes({0x01, 0x00}));
  const HelloDecode zero = decode(concat(header, bytes({0, 0, 0, 0, 0, 0, 0, 0})));
  EXPECT_EQ(zero.error, HelloError::ZeroNodeId);
  EXPECT_EQ(describe(zero), "the hello names node id 0");

  const auto with_id = concat(header, bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  for (int length : {0, 65, 255}) {
    const HelloDecode bad = decode(concat(with_id, bytes({length})));
    EXPECT_EQ(bad.error, HelloError::BadClusterIdLength) << length;
    EXPECT_EQ(bad.detail, static_cast<std::uint64_t>(length));
  }
  // A byte outside [A-Za-z0-9._-] is refused where it stands, before the rest arrives.
  for (int byte : {int{' '}, int{'/'}, 0, 0x80, 0xff, int{'\n'}, int{':'}}) {
    const HelloDecode bad = decode(concat(concat(with_id, bytes({10})), bytes({'a', 'b', byte})));
    EXPECT_EQ(bad.error, HelloError::BadClusterIdByte) << byte;
    EXPECT_EQ(bad.detail, 17u);
  }
}

TEST(Handshake, EncodeRefusesWhatCannotBeSent) {
  EXPECT_TRUE(encode_hello(Hello{0, "kv"}).empty());
  EXPECT_TRUE(encode_hello(Hello{1, ""}).empty());
  EXPECT_TRUE(encode_hello(Hello{1, std::string(65, 'a')}).empty());
  EXPECT_TRUE(encode_hello(Hello{1, "a b"}).empty());
  EXPECT_FALSE(raftio::runtime::valid_cluster_id("kv/1"));
  EXPECT_TRUE(raftio::runtime::valid_cluster_id("Kv.1_x-2"));
}

// Random bytes and mutated hellos: decode is total (never crashes, never reads past the input),
// a Complete decode re-encodes to exactly the bytes it consumed, and an error stays an error
// whatever follows it.
TEST(Handshake, HostileInputIsTotal) {
  std::mt19937_64 random(7);
  const auto valid = encode_hello(Hello{3, "kv-test"});
  for (int round = 0; round < 50000; ++round) {
    std::vector<std::byte> input;
    if (round % 2 == 0) {
      input.resize(random() % 90);
      for (auto& b : input) b = static_cast<std::byte>(random() & 0xff);
      if (random() % 4 == 0 && input.size() >= 4) std::copy(valid.begin(), valid.begin() + 4, input.begin());
    } else {
      input = valid;
      input[random() % input.size()] = static_cast<std::byte>(random() & 0xff);
      input.resize(random() % (input.size() + 1));
    }
    const HelloDecode decoded = decode_hello(input);
    if (decoded.status == Status::Complete) {
      ASSERT_LE(decoded.consumed, input.size());
      EXPECT_EQ(encode_hello(decoded.hello), std::vector<std::byte>(input.begin(), input.begin() + decoded.consumed));
    } else if (decoded.status == Status::Error) {
      auto longer = input;
      longer.push_back(std::byte{'x'});
      const HelloDecode again = decode_hello(longer);
      EXPECT_EQ(again.status, Status::Error);
      EXPECT_EQ(again.error, decoded.error);
    }
  }
}

TEST(Handshake, PolicyRefusesStrangers) {
  const std::vector<raftio::NodeId> members = {1, 2, 3};
  const HelloPolicy accepting{"kv", 2, members, raftio::kNoNode};
  EXPECT_EQ(check_hello(Hello{1, "kv"}, accepting), std::nullopt);
  EXPECT_EQ(check_hello(Hello{3, "kv"}, accepting), std::nullopt);
  EXPECT_EQ(check_hello(Hello{1, "other"}, accepting), HelloRefusal::OtherCluster);
  EXPECT_EQ(check_hello(Hello{1, "KV"}, accepting), HelloRefusal::OtherCluster) << "cluster ids compare exactly";
  EXPECT_EQ(check_hello(Hello{2, "kv"}, accepting), HelloRefusal::OwnId);
  EXPECT_EQ(check_hello(Hello{4, "kv"}, accepting), HelloRefusal::NotAMember);
  EXPECT_EQ(check_hello(Hello{~std::uint64_t{0}, "kv"}, accepting), HelloRefusal::NotAMember);
  EXPECT_EQ(describe(HelloRefusal::NotAMember, Hello{4, "kv"}, accepting), "node 4 is not a member (configured peers: 1, 2, 3)");
  EXPECT_EQ(describe(HelloRefusal::OtherCluster, Hello{1, "other"}, accepting),
            "cluster id 'other' does not match this cluster's 'kv'");

  const HelloPolicy dialing{"kv", 2, members, 3};
  EXPECT_EQ(check_hello(Hello{3, "kv"}, dialing), std::nullopt);
  EXPECT_EQ(check_hello(Hello{1, "kv"}, dialing), HelloRefusal::NotTheDialedNode);
  EXPECT_EQ(describe(HelloRefusal::NotTheDialedNode, Hello{1, "kv"}, dialing), "node 1 answered, but node 3 was dialled");
}

}  // namespace
