// Where each node listens, replicated through the log. A node that joins after the others started
// is known to them only by id; every member (and every leader elected later) must still be able
// to reach it. So add_voter/add_learner with an address first append an address record, and the
// book travels in the Driver's snapshots too: every node rebuilds the same book from its log, the
// way the configuration itself is rebuilt (hashicorp/raft and NuRaft keep addresses in the
// configuration for the same reason).
//
// The runtime's envelope: every Normal entry the Driver proposes starts with one tag byte, so the
// Driver tells the user's commands from its own records; the StateMachine sees a command without
// its tag (a view of the same bytes, no copy). Snapshots are the book followed by the state
// machine's bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "raftio/payload.h"
#include "raftio/types.h"

namespace raftio::runtime {

// Node id → "host:port" (whatever the transport understands; the Driver does not parse it).
using AddressBook = std::map<NodeId, std::string>;

inline constexpr std::size_t kMaxAddressBytes = 1024;

enum class EntryTag : std::uint8_t { Command = 0, Address = 1 };

// A user's command, as the Driver proposes it (one copy, with the tag in front).
Payload wrap_command(const Payload& command);
// An address record. `address` at most kMaxAddressBytes, `node` not kNoNode.
Payload encode_address_record(NodeId node, std::string_view address);

// A committed Normal entry's data, opened. nullopt for bytes the runtime did not write: an
// unknown tag, an empty entry, or a malformed address record.
struct OpenedEntry {
  EntryTag tag = EntryTag::Command;
  Payload command;          // Command: the user's bytes (a view, no copy)
  NodeId node = kNoNode;    // Address
  std::string address;      // Address
};
std::optional<OpenedEntry> open_entry(const Payload& data);

// Snapshot layout: version u8 (1) | record count u32 | per record: node u64, length u16, bytes |
// the state machine's snapshot (all the rest). Little-endian.
Payload wrap_snapshot(const AddressBook& book, const Payload& machine_snapshot);
struct OpenedSnapshot {
  AddressBook book;
  Payload machine;  // a view, no copy
};
std::optional<OpenedSnapshot> open_snapshot(const Payload& data);

}  // namespace raftio::runtime
