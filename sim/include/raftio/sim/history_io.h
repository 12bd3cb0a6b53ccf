// The client history as JSON lines: one record when a client invokes an operation and one when it
// learns the outcome (ok, fail) or gives up (unknown). raftio-sim writes it (--history) and checks
// histories from anywhere, for example a real raftio-kv cluster (--check-history). The same
// records appear in the trace (--trace), so a trace is also a history. Format: docs/SIMULATION.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>

#include "raftio/sim/kv_history.h"

namespace raftio::sim {

// Appends one record (no newline):
//   {"t_us":..,"type":"client","kind":"invoke","op":..,"client":..,"f":"put","key":..,"value":..}
// kind is "invoke", "ok", "fail" or "unknown"; `op_id` ties a completion to its invocation. An ok
// record carries the result: the value a get read (null: absent), whether a cas swapped.
void append_history_record(std::string& out, std::string_view kind, std::uint64_t op_id, const KvOperation& op,
                           std::uint64_t t_us);

// The whole history in time order, operation i (from 0) with op id i + 1. An operation without a
// completion gets an "unknown" record at the latest time in the history.
void write_history(std::ostream& out, const KvHistory& history);

struct HistoryReadResult {
  KvHistory history;                 // the operations to check, in order of invocation
  std::size_t records = 0;           // client records read
  std::size_t failed = 0;            // operations that failed (left out: they did not take effect)
  std::size_t never_completed = 0;   // invoked with no completion record: taken as unknown
  std::size_t other_lines = 0;       // lines that are not client records (a trace's events), skipped
  std::string error;                 // "line N: why" when the input is malformed
  bool ok() const noexcept { return error.empty(); }
};

// Reads records written by append_history_record, write_history or another program following
// the format; other JSON lines (the rest of a trace) are skipped. Stops at the first malformed
// line.
HistoryReadResult read_history(std::istream& in);

}  // namespace raftio::sim
