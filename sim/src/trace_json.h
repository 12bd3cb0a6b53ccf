// The trace's JSON lines: every event stepped on a node and every action it returned, as an object
// with typed fields (the fields of the structs in core/include/raftio/{events,actions,messages}.h),
// so that a trace is read by a JSON parser, not by patterns over text. docs/SIMULATION.md lists
// the fields.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raftio/actions.h"
#include "raftio/events.h"
#include "raftio/payload.h"

namespace raftio::sim {

// Appends one line (no newline): {"t_us":..,"node":..,"type":"event","kind":"receive",...}.
void append_trace_json(std::string& out, std::uint64_t t_us, NodeId node, const Event& event);
// {"t_us":..,"node":..,"type":"action","kind":"send",...}
void append_trace_json(std::string& out, std::uint64_t t_us, NodeId node, const Action& action);

// {"len":N,"xxh3":"<16 hex digits>","hex":"<every byte>"}; "hex" only up to kTracePayloadBytes.
void append_payload_json(std::string& out, const Payload& payload);
inline constexpr std::size_t kTracePayloadBytes = 4096;

// [1,2,3]
std::string nodes_json(const std::vector<NodeId>& nodes);

}  // namespace raftio::sim
