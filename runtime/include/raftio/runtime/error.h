// Errors a runtime request can end with. Each is a typed value with what the caller needs to act
// on it (where the leader is, whether the request may have taken effect): a request always ends,
// with a response or one of these, never with silence.
#pragma once

#include <string>
#include <variant>

#include "raftio/actions.h"
#include "raftio/types.h"

namespace raftio::runtime {

// This node does not lead. `leader` is the node believed to lead (kNoNode when unknown): send
// the request there.
struct NotLeader {
  NodeId leader = kNoNode;
  friend bool operator==(const NotLeader&, const NotLeader&) = default;
};

// No outcome within the time limit. A proposal that timed out may still be applied later.
struct TimedOut {
  friend bool operator==(const TimedOut&, const TimedOut&) = default;
};

// The Driver is shutting down (or was shut down) and takes no more requests.
struct ShuttingDown {
  friend bool operator==(const ShuttingDown&, const ShuttingDown&) = default;
};

// Storage failed, or the state machine could not restore a snapshot: the node stopped and must be
// restarted once the cause is fixed. `context` says what failed.
struct StorageFailed {
  std::string context;
  friend bool operator==(const StorageFailed&, const StorageFailed&) = default;
};

// The proposal was appended but a leader change replaced its entry before it committed: it was
// certainly not applied, and may be retried.
struct ProposalLost {
  friend bool operator==(const ProposalLost&, const ProposalLost&) = default;
};

// The proposal may or may not have been applied: the state machine was replaced by a snapshot
// before its entry was applied here, or (forwarded) the leader appended it and then could not
// tell its outcome (it timed it out, stopped, or its response was too large to send back).
struct OutcomeUnknown {
  friend bool operator==(const OutcomeUnknown&, const OutcomeUnknown&) = default;
};

// The core refused the request for another reason (a leadership transfer in progress, a full
// log, ...). `leader_hint` is where to retry, when the reason names one.
struct Refused {
  RejectReason reason = RejectReason::NotLeader;
  NodeId leader_hint = kNoNode;
  friend bool operator==(const Refused&, const Refused&) = default;
};

// A leadership transfer did not happen: node `leader` leads in a later term (the target lost its
// election, e.g. because its messages did not reach enough voters). Retry, or pick another target.
struct TransferFailed {
  NodeId leader = kNoNode;
  friend bool operator==(const TransferFailed&, const TransferFailed&) = default;
};

// The request itself is invalid (an address longer than kMaxAddressBytes, ...): `why` says how.
struct InvalidRequest {
  std::string why;
  friend bool operator==(const InvalidRequest&, const InvalidRequest&) = default;
};

// The leader holds as many proposals forwarded by followers as it takes at once
// (DriverOptions::max_forwarded_proposals): not applied; retry later.
struct Overloaded {
  friend bool operator==(const Overloaded&, const Overloaded&) = default;
};

using Error =
    std::variant<NotLeader, TimedOut, ShuttingDown, StorageFailed, ProposalLost, OutcomeUnknown, Refused, InvalidRequest,
                 TransferFailed, Overloaded>;

// The error a core Reject maps to.
Error error_from(const Reject& reject);

// One line for logs and client replies, e.g. "not leader (leader is 2)".
std::string describe(const Error& error);

}  // namespace raftio::runtime
