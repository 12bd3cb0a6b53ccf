// Config entries carry the whole configuration they install (see membership.h for the layout).
#include <cstring>

#include "raftio/membership.h"

namespace raftio {

namespace {

constexpr std::uint8_t kConfigVersion = 1;

void put_u32(std::byte* at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<std::byte>(v >> (8 * i));
}
void put_u64(std::byte* at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<std::byte>(v >> (8 * i));
}
std::uint64_t get(const std::byte* at, int width) {
  std::uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = v << 8 | static_cast<std::uint64_t>(at[i]);
  return v;
}

// Reads a count and that many strictly increasing, non-zero ids; false on anything else.
bool read_ids(const std::byte* data, std::size_t size, std::size_t& at, std::vector<NodeId>& out) {
  if (size - at < 4) return false;
  const std::uint64_t count = get(data + at, 4);
  at += 4;
  if (count > (size - at) / 8) return false;
  out.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    const NodeId id = get(data + at, 8);
    at += 8;
    if (id == kNoNode || (!out.empty() && id <= out.back())) return false;
    out.push_back(id);
  }
  return true;
}

}  // namespace

Payload encode_membership(const Membership& membership) {
  const std::size_t size = 1 + 4 + 8 * membership.voters.size() + 4 + 8 * membership.learners.size();
  SharedBuffer buffer(size);
  std::byte* out = buffer.data();
  out[0] = std::byte{kConfigVersion};
  std::size_t at = 1;
  for (const auto* list : {&membership.voters, &membership.learners}) {
    put_u32(out + at, static_cast<std::uint32_t>(list->size()));
    at += 4;
    for (NodeId id : *list) {
      put_u64(out + at, id);
      at += 8;
    }
  }
  return buffer.view(0, size);
}

std::optional<Membership> decode_membership(const Payload& payload) {
  const std::byte* data = payload.data();
  const std::size_t size = payload.size();
  if (size < 1 || data[0] != std::byte{kConfigVersion}) return std::nullopt;
  std::size_t at = 1;
  Membership membership;
  if (!read_ids(data, size, at, membership.voters) || !read_ids(data, size, at, membership.learners)) return std::nullopt;
  if (at != size || membership.voters.empty()) return std::nullopt;
  for (NodeId learner : membership.learners) {
    if (membership.is_voter(learner)) return std::nullopt;
  }
  return membership;
}

}  // namespace raftio
