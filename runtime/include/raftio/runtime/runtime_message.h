// Messages between the runtimes of two nodes, beside Raft's own: a follower forwards a client's
// proposal to the leader it knows, and the leader answers with the proposal's outcome once it has
// one. The Driver produces and consumes them (DriverOutput::peer_messages, Driver::receive); the
// peer links carry them in frames of their own (runtime_wire.h).
#pragma once

#include <cstdint>
#include <variant>

#include "raftio/actions.h"
#include "raftio/payload.h"
#include "raftio/types.h"

namespace raftio::runtime {

// A client's proposal that node `from` received while `to` led (as far as `from` knew). `request`
// names it in `from`'s numbering, which differs from one incarnation of `from` to the next (an
// answer meant for an earlier life never completes a later request).
struct ForwardedProposal {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  std::uint64_t request = 0;
  Payload command;
  friend bool operator==(const ForwardedProposal&, const ForwardedProposal&) = default;
};

// How a forwarded proposal ended on the node it was sent to. Only Applied and the "may have been
// applied" status OutcomeUnknown leave the question open on the follower; every other status
// says the command was not applied.
enum class ForwardStatus : std::uint8_t {
  Applied = 0,         // committed and applied: `response` is the state machine's answer
  NotLeader = 1,       // the receiver does not lead (`leader_hint`: who does, or kNoNode); not proposed
  Refused = 2,         // the receiver's core refused it (`reason`, `leader_hint`); not appended
  ProposalLost = 3,    // appended, then replaced by another leader's entry (§5.3): not applied
  OutcomeUnknown = 4,  // appended, then no outcome (the leader timed it out, stopped, or restored a
                       // snapshot over it): it may have been applied
  ShuttingDown = 5,    // the receiver is shutting down; not proposed
  Overloaded = 6,      // the receiver holds its maximum of forwarded proposals; not proposed
  TooLarge = 7,        // the command exceeds kMaxForwardedCommandBytes; not proposed
};
inline constexpr std::uint8_t kMaxForwardStatus = 7;

struct ForwardedOutcome {
  NodeId from = kNoNode;  // the node that was asked
  NodeId to = kNoNode;    // the node that forwarded the proposal
  std::uint64_t request = 0;
  ForwardStatus status = ForwardStatus::Applied;
  NodeId leader_hint = kNoNode;                 // NotLeader and Refused only
  RejectReason reason = RejectReason::NotLeader;  // Refused only
  Payload response;                             // Applied only
  friend bool operator==(const ForwardedOutcome&, const ForwardedOutcome&) = default;
};

using PeerMessage = std::variant<ForwardedProposal, ForwardedOutcome>;

inline NodeId sender_of(const PeerMessage& message) noexcept {
  return std::visit([](const auto& m) { return m.from; }, message);
}
inline NodeId receiver_of(const PeerMessage& message) noexcept {
  return std::visit([](const auto& m) { return m.to; }, message);
}

}  // namespace raftio::runtime
