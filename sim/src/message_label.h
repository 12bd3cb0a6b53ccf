// A Raft message in a few words, for the HTML timeline's arrows (e.g. "AppendEntries t7 prev 12/6
// +3 commit 11"); describe(message) (raftio/describe.h) gives every field.
#pragma once

#include <string>

#include "raftio/messages.h"

namespace raftio::sim {

std::string short_label(const Message& message);

}  // namespace raftio::sim
