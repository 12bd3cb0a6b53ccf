// The peer hello: what both ends of a connection between two nodes send first, before any Raft
// frame, so that a node only takes Raft messages from members of its own cluster.
//
//   offset  width  field
//   0       4      magic "RFHL" (52 46 48 4c)
//   4       2      version, u16 little-endian: 1
//   6       8      node id of the sender, u64 little-endian, non-zero
//   14      1      cluster id length n, 1..64
//   15      n      cluster id, bytes of [A-Za-z0-9._-]
//
// The codec is a pair of pure functions (no I/O, no allocation beyond the cluster id, which is
// at most 64 bytes), so it can be fuzzed without sockets. decode_hello is total: any bytes give a
// hello, "need more bytes" (a strict prefix of some valid hello), or a typed error found at the
// first byte that makes it one; what decodes re-encodes to exactly the bytes it came from.
//
// Part of the node runtime (transport, TLS, handshake): no dependency on the key-value code, so
// it moves to runtime/ (raftio::runtime) as it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <raftio/types.h>

namespace raftio::runtime {

inline constexpr std::uint16_t kHelloVersion = 1;
inline constexpr std::size_t kHelloHeaderBytes = 15;  // everything before the cluster id
inline constexpr std::size_t kMaxClusterIdBytes = 64;
inline constexpr std::size_t kMaxHelloBytes = kHelloHeaderBytes + kMaxClusterIdBytes;

struct Hello {
  NodeId node_id = kNoNode;
  std::string cluster_id;
  friend bool operator==(const Hello&, const Hello&) = default;
};

enum class HelloError : std::uint8_t {
  BadMagic,            // not a hello at all (e.g. a Raft frame sent without one)
  UnsupportedVersion,  // detail: the version
  ZeroNodeId,
  BadClusterIdLength,  // detail: the length
  BadClusterIdByte,    // detail: the offset of the byte in the hello
};

struct HelloDecode {
  enum class Status : std::uint8_t { Complete, NeedMore, Error };
  Status status = Status::NeedMore;
  Hello hello;               // Complete
  std::size_t consumed = 0;  // Complete: the hello's length; the bytes after it are the stream's
  HelloError error = HelloError::BadMagic;  // Error
  std::uint64_t detail = 0;                 // Error: see HelloError
};

// 1..64 bytes of [A-Za-z0-9._-]: usable in a log line and in a certificate name.
bool valid_cluster_id(std::string_view cluster_id) noexcept;

// The hello's bytes; empty if `hello` cannot be sent (node id 0 or an invalid cluster id).
std::vector<std::byte> encode_hello(const Hello& hello);

HelloDecode decode_hello(std::span<const std::byte> input);

// "not a raftio peer hello (bad magic)", "unsupported hello version 7 (this node speaks 1)", ...
std::string describe(const HelloDecode& failed);

// What a node accepts in a hello it received.
struct HelloPolicy {
  std::string_view cluster_id;        // this node's
  NodeId self = kNoNode;              // this node's id
  std::span<const NodeId> members;    // the configured peers, this node included
  NodeId dialed = kNoNode;            // on a connection this node dialled: the node it meant to reach
};

enum class HelloRefusal : std::uint8_t {
  OtherCluster,     // the cluster id differs: a node of another cluster, or a misconfigured one
  NotAMember,       // the node id is not among the configured peers
  OwnId,            // the remote claims this node's own id
  NotTheDialedNode  // this node dialled node A and node B answered (addresses mixed up)
};

std::optional<HelloRefusal> check_hello(const Hello& hello, const HelloPolicy& policy);
std::string describe(HelloRefusal refusal, const Hello& hello, const HelloPolicy& policy);

}  // namespace raftio::runtime
