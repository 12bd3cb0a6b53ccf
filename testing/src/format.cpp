// Text forms for transcripts: describe() everywhere, except that entries and snapshot data show
// their payloads as quoted text when they are printable (describe shows hex, for binary data).
#include <string>
#include <variant>

#include "raftio/testing/environment.h"

namespace raftio::testing {

namespace {

std::string payload_text(const Payload& payload) {
  const auto* bytes = reinterpret_cast<const char*>(payload.data());
  const std::string_view text(bytes == nullptr ? "" : bytes, payload.size());
  bool printable = text.size() <= 40;
  for (char c : text) printable = printable && c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  if (printable) return "\"" + std::string(text) + "\"";
  // Binary (or long) data: only its length, to keep lines short.
  return std::to_string(payload.size()) + "B";
}

std::string id_list(const std::vector<NodeId>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out;
}

std::string membership_text(const Membership& m) {
  return "voters=[" + id_list(m.voters) + "] learners=[" + id_list(m.learners) + "]";
}

}  // namespace

std::string format_entry(const LogEntry& entry) {
  std::string out = std::to_string(entry.index) + "@t" + std::to_string(entry.term);
  switch (entry.kind) {
    case EntryKind::Noop: return out + ":noop";
    case EntryKind::Config: {
      const auto membership = decode_membership(entry.data);
      return out + ":config(" + (membership ? membership_text(*membership) : std::string("invalid")) + ")";
    }
    case EntryKind::Normal: break;
  }
  return entry.data.empty() ? out : out + ":" + payload_text(entry.data);
}

std::string format_message(const Message& message) {
  if (const auto* m = std::get_if<AppendEntries>(&message)) {
    std::string out = "AppendEntries " + std::to_string(m->from) + "->" + std::to_string(m->to) + " t" +
                      std::to_string(m->term) + " prev=" + std::to_string(m->prev_log_index) + "@t" +
                      std::to_string(m->prev_log_term) + " commit=" + std::to_string(m->leader_commit);
    if (m->read_round != 0) out += " read_round=" + std::to_string(m->read_round);
    if (m->seq != 0) out += " seq=" + std::to_string(m->seq);
    out += " [";
    for (std::size_t i = 0; i < m->entries.size(); ++i) out += (i ? " " : "") + format_entry(m->entries[i]);
    return out + "]";
  }
  if (const auto* m = std::get_if<InstallSnapshot>(&message)) {
    return "InstallSnapshot " + std::to_string(m->from) + "->" + std::to_string(m->to) + " t" +
           std::to_string(m->term) + " snapshot=" + std::to_string(m->meta.last_index) + "@t" +
           std::to_string(m->meta.last_term) + " " + membership_text(m->meta.membership) +
           " offset=" + std::to_string(m->offset) + " chunk=" + payload_text(m->chunk) +
           " total=" + std::to_string(m->total_bytes) + (m->done ? " done" : "");
  }
  return describe(message);
}

std::string format_action(const Action& action) {
  if (const auto* send = std::get_if<Send>(&action)) return "send " + format_message(send->message);
  if (const auto* apply = std::get_if<Apply>(&action)) return "apply " + format_entry(apply->entry);
  if (const auto* restore = std::get_if<RestoreSnapshot>(&action)) {
    const Snapshot& s = restore->snapshot;
    return "restore-snapshot " + std::to_string(s.last_index) + "@t" + std::to_string(s.last_term) + " " +
           membership_text(s.membership) + " data=" + payload_text(s.data);
  }
  return describe(action);
}

}  // namespace raftio::testing
