// One fixed message of every kind, with its frame pinned as hex in tests/test_wire.cpp and
// docs/PROTOCOL.md, and used to seed the fuzz corpora.
#pragma once

#include <vector>

#include "raftio/raftio.h"

namespace raftio::test {

inline std::vector<Message> golden_messages() {
  return {
      RequestVote{1, 2, 3, 10, 2, true},
      RequestVoteReply{2, 1, 3, true},
      PreVote{1, 2, 4, 10, 2},
      PreVoteReply{2, 1, 0, false, 4},  // version 1: a refusal carries only the voter's term
      AppendEntries{1, 2, 3, 7, 2, 5,
                    EntryBatch({LogEntry{3, 8, EntryKind::Normal, Payload::copy_of("hello")},
                                LogEntry{3, 9, EntryKind::Noop, Payload()}})},
      AppendEntriesReply{2, 1, 3, false, 0, 7, 6, 2},
      InstallSnapshot{1, 3, 5, SnapshotMeta{100, 4, Membership{{1, 2, 3}, {4}}}, 0, Payload::copy_of("snap"), true},
      InstallSnapshotReply{3, 1, 5, 100, 4, true},
      TimeoutNow{1, 2, 5},
      // Version 2: read-index rounds and forwarded reads.
      AppendEntries{1, 2, 3, 9, 3, 9, EntryBatch(), 4},
      AppendEntriesReply{2, 1, 3, true, 9, 0, 0, 0, 4},
      ReadIndexRequest{2, 1, 3, 77},
      ReadIndexReply{1, 2, 3, 77, 9, true},
      // Version 3: seq on AppendEntries and its reply, size and checksum on InstallSnapshot.
      AppendEntries{1, 2, 3, 9, 3, 9, EntryBatch({LogEntry{3, 10, EntryKind::Normal, Payload::copy_of("v3")}}), 0, 12},
      AppendEntriesReply{2, 1, 3, true, 10, 0, 0, 0, 4, 12},
      InstallSnapshot{1, 3, 5, SnapshotMeta{100, 4, Membership{{1, 2, 3}, {}}}, 4, Payload::copy_of("shot"), true, 8,
                      snapshot_checksum(Payload::copy_of("snapshot").bytes())},
      // Version 4: a PreVoteReply carries the pre-vote's term and the voter's.
      PreVoteReply{2, 1, 5, false, 6},
      PreVoteReply{2, 1, 5, true, 4},
  };
}

}  // namespace raftio::test
