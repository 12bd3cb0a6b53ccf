// The replicated state machine of raftio-kv: a map from keys to values, changed only by applying
// committed log entries, in log order, on every node alike.
//
// Entry payload encoding (one write command per entry):
//
//   payload = op (1 byte) | argument*      argument = length (u32, little-endian) | bytes
//
//   op 'S'  SET  key value     → OK
//   op 'D'  DEL  key...        → the number of keys that existed
//   op 'I'  INCR key           → the new value, or an error if the value is not a 64-bit integer
//   op 'G'  GET  key           → the value or nil; changes nothing   (reads ordered through the log:
//   op 'E'  EXISTS key...      → how many exist; changes nothing      see docs/EMBEDDING.md)
//   op 'C'  node-id address    → OK; records where node `node-id` serves clients (for -MOVED), outside
//                                the key space (RAFT.ADDNODE with a client address)
//
// The command is replicated, not its effect: INCR's result is computed when the entry is applied,
// from the state every node has at that index, so all nodes compute the same value.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kv {

enum class Op : char { Set = 'S', Del = 'D', Incr = 'I', Get = 'G', Exists = 'E', ClientAddress = 'C' };

// Encodes a write command; `args` are the command's arguments after its name.
std::string encode_command(Op op, std::span<const std::string_view> args);

// A stored value. Immutable and shared: a GET's reply refers to the value instead of copying it,
// so replies waiting for a slow client cost a pointer each, whatever the value's size.
using Value = std::shared_ptr<const std::string>;

// What applying one command produced, for the client that proposed it.
struct Outcome {
  enum class Kind : std::uint8_t { Ok, Integer, Error, Bulk, Null };
  Kind kind = Kind::Ok;
  std::int64_t integer = 0;
  std::string_view error;  // static text, e.g. "ERR value is not an integer or out of range"
  Value bulk;              // GET's value
};

class KvState {
 public:
  // Applies one entry payload. A payload that does not decode (it cannot come from
  // encode_command) changes nothing and yields an error outcome.
  Outcome apply(std::string_view payload);
  // Answers a read command (GET or EXISTS, encoded as for apply()) without changing anything;
  // any other payload yields an error outcome.
  Outcome query(std::string_view payload) const;

  // Local lookup, for reads that the node has confirmed (ReadIndex) or that accept staleness.
  const std::string* get(std::string_view key) const;
  Value get_shared(std::string_view key) const;  // nullptr when absent
  std::size_t size() const noexcept { return map_.size(); }
  // Node id → client address, from applied ClientAddress commands.
  const std::map<std::uint64_t, std::string>& client_addresses() const noexcept { return clients_; }

  // Snapshot of the whole map (docs/EMBEDDING.md, "Snapshot format"):
  //   tag "RKVS" | version u8 (1 or 2) | u64 count | (u32 key length | key | u32 value length | value)*
  //   | version 2 only: u64 count | (u64 node id | u32 address length | address)*
  //   | xxh3-64 of everything before it
  // Version 2 is written only when client addresses were recorded, so older readers still read
  // every snapshot of a cluster that never recorded one.
  std::string serialize() const;
  // Replaces the state with a serialized one. Returns false, with the state unchanged and the
  // reason in `why` (if given), when the bytes are not a snapshot this code wrote: another tag or
  // version, a checksum mismatch (a flipped bit anywhere), or a malformed body.
  bool restore(std::string_view bytes, std::string* why = nullptr);

 private:
  std::unordered_map<std::string, Value> map_;
  std::map<std::uint64_t, std::string> clients_;
};

}  // namespace kv
