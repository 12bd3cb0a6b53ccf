// StateMachine: what a user of the runtime writes. The Driver applies every committed command to
// it in log order, serves linearizable reads from it, and asks it for snapshots and to restore
// one. All calls come from the thread that steps the Driver.
#pragma once

#include <functional>

#include "raftio/entry.h"
#include "raftio/payload.h"

namespace raftio::runtime {

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies one committed command (entry.kind is always EntryKind::Normal: no-ops and
  // configuration entries never reach the state machine) and returns the response that goes back
  // to whoever proposed it. Must be deterministic: every replica applies the same entries in the
  // same order and must reach the same state (§5.3, State Machine Safety).
  virtual Payload apply(const LogEntry& entry) = 0;

  // Answers a read against the current state. The Driver calls it only once the state includes
  // every write committed before the read began (ReadIndex, thesis §6.4).
  virtual Payload query(const Payload& request) const = 0;

  // Serializes the whole state as of the last applied entry. Called when the core suggests a
  // snapshot; the bytes are handed to the core, which compacts its log up to that point and sends
  // them to followers that fell behind.
  virtual Payload snapshot() const = 0;

  // A snapshot in two halves, for a state too large to serialize inside the loop: this call (on
  // the Driver's thread) captures the state as of the last applied entry cheaply, e.g. by taking
  // a reference to an immutable or copy-on-write structure, and returns the work that serializes
  // it, which the embedder may run on any thread while the Driver goes on applying entries. The
  // default serializes at once (it calls snapshot()). Used with DriverOptions::background_snapshots.
  virtual std::function<Payload()> snapshot_job() const {
    return [data = snapshot()] { return data; };
  }

  // Replaces the whole state with one snapshot() produced (on this node or another). Returns
  // false when the bytes do not decode: the Driver then stops serving rather than run on a state
  // that differs from its peers'.
  virtual bool restore(const Payload& snapshot) = 0;
};

}  // namespace raftio::runtime
