// Human-readable, deterministic one-line descriptions of messages, events and actions: for logs,
// test transcripts and trace hashes. Payloads are printed as their length and a short hex prefix.
#pragma once

#include <string>

#include "raftio/actions.h"
#include "raftio/events.h"
#include "raftio/messages.h"

namespace raftio {

std::string describe(const Message& message);
std::string describe(const Event& event);
std::string describe(const Action& action);
std::string describe(const LogEntry& entry);

}  // namespace raftio
