// The simulator's replicated key-value store. Commands travel through the Raft log; each carries
// its client's session (client id, sequence number), so a command retried after a timeout is
// applied once: a repeat of the session's last command returns the remembered result, an older
// one is ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "raftio/payload.h"
#include "raftio/sim/kv_history.h"

namespace raftio::sim {

struct KvCommand {
  std::uint64_t client = 0;
  std::uint64_t seq = 0;  // per client, from 1, increasing
  KvOpKind kind = KvOpKind::Put;
  std::string key;
  std::string value;
  std::string expected;
  friend bool operator==(const KvCommand&, const KvCommand&) = default;
};

struct KvResult {
  std::optional<std::string> read_value;  // Get
  bool cas_succeeded = false;             // Cas
  friend bool operator==(const KvResult&, const KvResult&) = default;
};

// A decoded command whose strings view the payload (no copies; valid while the payload lives).
struct KvCommandView {
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  KvOpKind kind = KvOpKind::Put;
  std::string_view key;
  std::string_view value;
  std::string_view expected;
};

// client u64 | seq u64 | kind u8 | key, value, expected as (length u32 | bytes)
Payload encode_command(const KvCommand& command);
std::optional<KvCommandView> decode_command(const Payload& payload);

class KvStore {
 public:
  // The command's result; nothing when it is a stale repeat (older than the session's last).
  std::optional<KvResult> apply(const KvCommandView& command);
  void clear() {
    data_.clear();
    sessions_.clear();
  }
  const std::map<std::string, std::string, std::less<>>& data() const noexcept { return data_; }

  // The whole store (data and sessions) as bytes, for a Raft snapshot; restore() replaces the
  // store with what snapshot() wrote and returns false (leaving it empty) on malformed bytes.
  Payload snapshot() const;
  bool restore(const Payload& bytes);
  friend bool operator==(const KvStore&, const KvStore&) = default;

 private:
  struct Session {
    std::uint64_t last_seq = 0;
    KvResult last_result;
    friend bool operator==(const Session&, const Session&) = default;
  };
  std::map<std::string, std::string, std::less<>> data_;  // looked up by string_view
  std::map<std::uint64_t, Session> sessions_;
};

}  // namespace raftio::sim
