#include "raftio/runtime/handshake.h"

#include <algorithm>

namespace raftio::runtime {
namespace {

constexpr std::byte kMagic[4] = {std::byte{'R'}, std::byte{'F'}, std::byte{'H'}, std::byte{'L'}};
constexpr std::size_t kVersionAt = 4;
constexpr std::size_t kNodeIdAt = 6;
constexpr std::size_t kLengthAt = 14;

bool cluster_id_byte(std::byte b) noexcept {
  const auto c = static_cast<unsigned char>(b);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

std::uint64_t load_le(std::span<const std::byte> bytes) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) value |= std::uint64_t{std::to_integer<std::uint8_t>(bytes[i])} << (8 * i);
  return value;
}

void store_le(std::vector<std::byte>& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xff));
}

HelloDecode error(HelloError what, std::uint64_t detail) {
  HelloDecode out;
  out.status = HelloDecode::Status::Error;
  out.error = what;
  out.detail = detail;
  return out;
}

}  // namespace

bool valid_cluster_id(std::string_view cluster_id) noexcept {
  return !cluster_id.empty() && cluster_id.size() <= kMaxClusterIdBytes &&
         std::all_of(cluster_id.begin(), cluster_id.end(), [](char c) { return cluster_id_byte(static_cast<std::byte>(c)); });
}

std::vector<std::byte> encode_hello(const Hello& hello) {
  if (hello.node_id == kNoNode || !valid_cluster_id(hello.cluster_id)) return {};
  std::vector<std::byte> out(std::begin(kMagic), std::end(kMagic));
  out.reserve(kHelloHeaderBytes + hello.cluster_id.size());
  store_le(out, kHelloVersion, 2);
  store_le(out, hello.node_id, 8);
  store_le(out, hello.cluster_id.size(), 1);
  for (char c : hello.cluster_id) out.push_back(static_cast<std::byte>(c));
  return out;
}

// Checks the fields in order and stops at the first byte that cannot belong to a hello, so a
// stream that is not a hello (a Raft frame, a TLS ClientHello, a port scanner's probe) is refused
// after its first wrong byte instead of after a timeout.
HelloDecode decode_hello(std::span<const std::byte> input) {
  const std::size_t magic_bytes = std::min(input.size(), std::size(kMagic));
  if (!std::equal(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(magic_bytes), kMagic)) {
    return error(HelloError::BadMagic, 0);
  }
  if (input.size() < kNodeIdAt) return HelloDecode{};
  const std::uint64_t version = load_le(input.subspan(kVersionAt, 2));
  if (version != kHelloVersion) return error(HelloError::UnsupportedVersion, version);
  if (input.size() < kLengthAt) return HelloDecode{};
  const NodeId node_id = load_le(input.subspan(kNodeIdAt, 8));
  if (node_id == kNoNode) return error(HelloError::ZeroNodeId, 0);
  if (input.size() < kHelloHeaderBytes) return HelloDecode{};
  const std::size_t length = std::to_integer<std::uint8_t>(input[kLengthAt]);
  if (length == 0 || length > kMaxClusterIdBytes) return error(HelloError::BadClusterIdLength, length);
  const std::size_t available = std::min(input.size(), kHelloHeaderBytes + length);
  for (std::size_t at = kHelloHeaderBytes; at < available; ++at) {
    if (!cluster_id_byte(input[at])) return error(HelloError::BadClusterIdByte, at);
  }
  if (available < kHelloHeaderBytes + length) return HelloDecode{};
  HelloDecode out;
  out.status = HelloDecode::Status::Complete;
  out.hello.node_id = node_id;
  out.hello.cluster_id.assign(reinterpret_cast<const char*>(input.data() + kHelloHeaderBytes), length);
  out.consumed = kHelloHeaderBytes + length;
  return out;
}

std::string describe(const HelloDecode& failed) {
  switch (failed.error) {
    case HelloError::BadMagic: return "not a raftio peer hello (bad magic)";
    case HelloError::UnsupportedVersion:
      return "unsupported hello version " + std::to_string(failed.detail) + " (this node speaks " +
             std::to_string(kHelloVersion) + ")";
    case HelloError::ZeroNodeId: return "the hello names node id 0";
    case HelloError::BadClusterIdLength:
      return "the hello's cluster id length " + std::to_string(failed.detail) + " is not in 1.." +
             std::to_string(kMaxClusterIdBytes);
    case HelloError::BadClusterIdByte:
      return "the hello's cluster id has a byte outside [A-Za-z0-9._-] at offset " + std::to_string(failed.detail);
  }
  return "malformed hello";
}

std::optional<HelloRefusal> check_hello(const Hello& hello, const HelloPolicy& policy) {
  if (hello.cluster_id != policy.cluster_id) return HelloRefusal::OtherCluster;
  if (hello.node_id == policy.self) return HelloRefusal::OwnId;
  if (std::find(policy.members.begin(), policy.members.end(), hello.node_id) == policy.members.end()) {
    return HelloRefusal::NotAMember;
  }
  if (policy.dialed != kNoNode && hello.node_id != policy.dialed) return HelloRefusal::NotTheDialedNode;
  return std::nullopt;
}

std::string describe(HelloRefusal refusal, const Hello& hello, const HelloPolicy& policy) {
  switch (refusal) {
    case HelloRefusal::OtherCluster:
      return "cluster id '" + hello.cluster_id + "' does not match this cluster's '" + std::string(policy.cluster_id) + "'";
    case HelloRefusal::OwnId: return "the remote claims this node's own id " + std::to_string(hello.node_id);
    case HelloRefusal::NotAMember: {
      std::string members;
      for (NodeId id : policy.members) members += (members.empty() ? "" : ", ") + std::to_string(id);
      return "node " + std::to_string(hello.node_id) + " is not a member (configured peers: " + members + ")";
    }
    case HelloRefusal::NotTheDialedNode:
      return "node " + std::to_string(hello.node_id) + " answered, but node " + std::to_string(policy.dialed) +
             " was dialled";
  }
  return "refused";
}

}  // namespace raftio::runtime
