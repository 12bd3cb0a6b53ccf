// RaftTransport: the network seam (tier 3). An embedder implements send(); dispatch_sends hands it
// every Send action of a step.
#pragma once

#include <cstddef>
#include <vector>

#include "raftio/actions.h"
#include "raftio/messages.h"

namespace raftio {

class RaftTransport {
 public:
  virtual ~RaftTransport() = default;
  // Deliver `message` to node `to` (== receiver_of(message)). Best effort: Raft tolerates loss,
  // duplication and reordering, so a transport may drop a message it cannot deliver.
  virtual void send(NodeId to, Message message) = 0;
};

// Moves the message of every Send action in `actions` to `transport`, in order, and removes those
// actions, leaving the others (Apply, Reject, ...) in their original order. Returns how many
// messages were handed over.
std::size_t dispatch_sends(std::vector<Action>& actions, RaftTransport& transport);

}  // namespace raftio
