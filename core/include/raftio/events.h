// Events: everything that can happen to a node. The embedder feeds them to RaftNode::step.
#pragma once

#include <cstdint>
#include <utility>
#include <variant>

#include "raftio/messages.h"
#include "raftio/payload.h"

namespace raftio {

// One unit of logical time. Election and heartbeat timeouts are counted in ticks.
struct Tick {};

// A message arrived from the network.
struct Receive {
  Receive() = default;
  Receive(Message m) : message(std::move(m)) {}  // NOLINT: implicit, so Receive{message} reads naturally
  Message message;
};

// Ask the leader to append a command. `id` is the embedder's correlation id, echoed back in
// ProposalAccepted or Reject.
struct Propose {
  Payload data;
  std::uint64_t id = 0;
};

using Event = std::variant<Tick, Receive, Propose>;

}  // namespace raftio
