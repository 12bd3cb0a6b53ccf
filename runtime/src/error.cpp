#include "raftio/runtime/error.h"

#include <type_traits>

namespace raftio::runtime {

Error error_from(const Reject& reject) {
  switch (reject.reason) {
    case RejectReason::NotLeader: return NotLeader{reject.leader_hint};
    case RejectReason::TimedOut: return TimedOut{};
    case RejectReason::StorageFailed: return StorageFailed{"the node stopped after a storage error"};
    default: return Refused{reject.reason, reject.leader_hint};
  }
}

std::string describe(const Error& error) {
  return std::visit(
      [](const auto& e) -> std::string {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, NotLeader>) {
          return e.leader == kNoNode ? "not leader (leader unknown)"
                                     : "not leader (leader is " + std::to_string(e.leader) + ")";
        } else if constexpr (std::is_same_v<E, TimedOut>) {
          return "timed out";
        } else if constexpr (std::is_same_v<E, ShuttingDown>) {
          return "shutting down";
        } else if constexpr (std::is_same_v<E, StorageFailed>) {
          return "storage failed: " + e.context;
        } else if constexpr (std::is_same_v<E, ProposalLost>) {
          return "proposal lost to a leader change (not applied; retry)";
        } else if constexpr (std::is_same_v<E, OutcomeUnknown>) {
          return "outcome unknown (it may have been applied)";
        } else if constexpr (std::is_same_v<E, TransferFailed>) {
          return "leadership transfer failed (node " + std::to_string(e.leader) + " leads)";
        } else if constexpr (std::is_same_v<E, Overloaded>) {
          return "overloaded (the leader holds its maximum of forwarded proposals; not applied, retry)";
        } else if constexpr (std::is_same_v<E, InvalidRequest>) {
          return "invalid request: " + e.why;
        } else {
          std::string text = "refused: " + std::string(to_string(e.reason));
          if (e.leader_hint != kNoNode) text += " (try " + std::to_string(e.leader_hint) + ")";
          return text;
        }
      },
      error);
}

}  // namespace raftio::runtime
