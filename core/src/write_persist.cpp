// write_persist: the reference way to carry out a Persist action on a RaftLog (async_storage
// mode). The order of the parts is part of the contract (see actions.h): truncation, hard state,
// snapshot, entries, one sync.
#include "raftio/raft_log.h"

#include <string>

namespace raftio {

namespace {

// Everything but the sync.
StorageStatus write_parts(RaftLog& log, const Persist& persist) {
  // The cut goes first: written after the hard state, a crash in between could leave a commit
  // index that covers a conflicting entry the cut was about to remove.
  if (persist.truncate_from != 0 && persist.truncate_from <= log.last_index()) {
    // Entries below the log's first index are already compacted away: cut from there.
    const Index from = persist.truncate_from < log.first_index() ? log.first_index() : persist.truncate_from;
    if (auto status = log.truncate_suffix(from); !status) return status;
  }
  if (persist.hard_state) {
    if (auto status = log.set_hard_state(*persist.hard_state); !status) return status;
  }
  if (persist.snapshot) {
    // Durable before the compaction mark that depends on it (recovery finishes the compaction
    // when a crash comes in between).
    if (auto status = log.save_snapshot(*persist.snapshot); !status) return status;
    if (auto status = log.compact(persist.snapshot->meta()); !status) return status;
  }
  for (const EntryBatch& run : persist.entries) {
    if (run.empty()) continue;
    if (run.front().index != log.last_index() + 1) {
      return unexpected(StorageError{StorageError::Code::Misuse,
                          "write_persist: entries start at " + std::to_string(run.front().index) +
                              " but the log ends at " + std::to_string(log.last_index()) +
                              " (Persist actions written out of order?)"});
    }
    if (auto status = log.append(run); !status) return status;
  }
  return {};
}

}  // namespace

StorageStatus write_persist(RaftLog& log, const Persist& persist) {
  if (auto status = write_parts(log, persist); !status) return status;
  return log.sync();
}

StorageStatus write_persist(RaftLog& log, std::span<const Persist> persists) {
  for (const Persist& persist : persists) {
    if (auto status = write_parts(log, persist); !status) return status;
  }
  return log.sync();
}

}  // namespace raftio
