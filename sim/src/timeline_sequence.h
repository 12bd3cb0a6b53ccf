// The sequence diagram section of the HTML timeline (timeline_sequence.cpp).
#pragma once

#include <ostream>
#include <vector>

#include "raftio/sim/timeline.h"

namespace raftio::sim {

// Writes a heading and an SVG (id "seq") with one lifeline per node and an arrow per message of
// timeline.messages, one row per label so that no two labels overlap; nothing when there are no
// messages and no notes.
void write_sequence_diagram(std::ostream& out, const Timeline& timeline, const std::vector<NodeId>& nodes);

}  // namespace raftio::sim
