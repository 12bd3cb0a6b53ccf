// The client history of the simulator's replicated key-value store: what each client asked, when,
// and what it was told. Times are virtual microseconds. The linearizability checker reads it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raftio::sim {

enum class KvOpKind : std::uint8_t {
  Put,  // key = value; always succeeds
  Get,  // read key: its value, or absent
  Cas,  // if key == expected then key = value; reports whether it did (an absent key never matches)
};

// The operation's name in traces and histories ("put", "get", "cas").
inline std::string_view op_name(KvOpKind kind) noexcept {
  switch (kind) {
    case KvOpKind::Put: return "put";
    case KvOpKind::Get: return "get";
    case KvOpKind::Cas: return "cas";
  }
  return "?";
}

struct KvOperation {
  std::uint64_t client = 0;
  KvOpKind kind = KvOpKind::Put;
  std::string key;
  std::string value;     // Put: the value written; Cas: the new value
  std::string expected;  // Cas: the value compared against
  std::uint64_t invoke_time = 0;
  // When the client got its answer; nothing when the outcome is unknown (the client gave up, or
  // the run ended while waiting): the operation may have taken effect at any time after its
  // invocation, or never.
  std::optional<std::uint64_t> complete_time;
  std::optional<std::string> read_value;  // Get: what was read (nothing = the key was absent)
  bool cas_succeeded = false;             // Cas: the answer
};

using KvHistory = std::vector<KvOperation>;

}  // namespace raftio::sim
