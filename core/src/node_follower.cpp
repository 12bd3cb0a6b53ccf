// The follower side of replication (§5.3): the consistency check, conflict truncation, appending
// and the commit index. The message is hostile until proven well formed.
#include <algorithm>
#include <limits>

#include "node_core.h"

namespace raftio::detail {

// Rejects shapes no correct leader sends: gaps or overflowing indexes, terms that go backwards or
// exceed the leader's, a zero term, an unknown entry kind.
bool NodeCore::append_entries_well_formed(const AppendEntries& m) const noexcept {
  if (m.prev_log_term > m.term || (m.prev_log_index > 0 && m.prev_log_term == 0)) return false;
  if (m.prev_log_index == 0 && m.prev_log_term != 0) return false;
  if (m.entries.size() > std::numeric_limits<Index>::max() - m.prev_log_index) return false;
  Index expected = m.prev_log_index + 1;
  Term floor = m.prev_log_term;
  for (const LogEntry& entry : m.entries) {
    if (entry.index != expected || entry.term < floor || entry.term > m.term || entry.term == 0 ||
        entry.kind > EntryKind::Config) {
      return false;
    }
    floor = entry.term;
    ++expected;
  }
  return true;
}

// Replies answer `m` in its own term: the prelude made it ours (§5.1).
void NodeCore::on_append_entries(AppendEntries&& m) {
  if (role_ == Role::Leader) return;  // two leaders in one term cannot happen (§5.2): forged
  if (role_ != Role::Follower) become_follower(term_, m.from);  // §5.2: a candidate yields
  set_leader(m.from);
  election_elapsed_ = 0;
  if (!append_entries_well_formed(m)) return;

  Index prev = m.prev_log_index;
  Term prev_term = m.prev_log_term;
  EntryBatch entries = std::move(m.entries);
  const Index last_new = prev + entries.size();
  if (prev < commit_) {
    // Everything up to our commit index is committed, so (Leader Completeness) the leader holds
    // the same entries: skip them instead of comparing, and check consistency at commit_.
    if (last_new <= commit_) {
      send_after_persist(AppendEntriesReply::accept(m, last_new));
      return;
    }
    entries.drop_front(static_cast<std::size_t>(commit_ - prev));
    prev = commit_;
    prev_term = *term_at(commit_);
  }

  // §5.3 consistency check: our entry at prev must carry prev_term.
  const std::optional<Term> our_prev_term = term_at(prev);
  if (!our_prev_term || *our_prev_term != prev_term) {
    const Index hint = last_index_with_term_at_most(std::min(prev, last_index()), prev_term);
    send_after_persist(AppendEntriesReply::reject(m, hint, *term_at(hint)));
    return;
  }

  // §5.3: an existing entry that conflicts with a new one (same index, different term) is deleted
  // with all that follow it; entries we already hold are not touched (a stale, reordered
  // AppendEntries must not cut off entries a later one appended).
  std::size_t k = 0;
  for (; k < entries.size(); ++k) {
    const LogEntry& entry = entries[k];
    if (entry.index > last_index()) break;
    if (entries_.term_at(entry.index) != entry.term) {
      if (entry.index <= commit_) return;  // would rewrite a committed entry: a forged message
      truncate_local(entry.index);
      if (error_) return;
      break;
    }
  }
  for (; k < entries.size(); ++k) append_local(entries[k]);

  // Figure 2: commitIndex = min(leaderCommit, index of last new entry), never backwards.
  if (m.leader_commit > commit_) commit_ = std::max(commit_, std::min(m.leader_commit, last_new));
  send_after_persist(AppendEntriesReply::accept(m, last_new));
}

}  // namespace raftio::detail
