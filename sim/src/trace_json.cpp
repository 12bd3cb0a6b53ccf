#include "trace_json.h"

#include <type_traits>

#include <xxhash.h>

#include "json_line.h"
#include "raftio/membership.h"
#include "raftio/sim/kv_store.h"

namespace raftio::sim {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex64(std::string& out, std::uint64_t value) {
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 15];
}

void append_membership(std::string& out, const Membership& m) {
  out += "{\"voters\":" + nodes_json(m.voters) + ",\"learners\":" + nodes_json(m.learners) + "}";
}

// A key-value command in a payload, decoded, so that a trace shows which client operation an
// entry carries: {"client":..,"seq":..,"f":"put","key":..,"value":..}.
void append_command(JsonLine& line, const Payload& data) {
  const std::optional<KvCommandView> command = decode_command(data);
  if (!command) return;
  std::string& out = line.open("cmd");
  JsonLine cmd(out);
  cmd.num("client", command->client).num("seq", command->seq).str("f", op_name(command->kind)).str("key", command->key);
  if (command->kind != KvOpKind::Get) cmd.str("value", command->value);
  if (command->kind == KvOpKind::Cas) cmd.str("expected", command->expected);
  cmd.close();
}

void append_entry(std::string& out, const LogEntry& entry) {
  JsonLine e(out);
  e.num("index", entry.index).num("term", entry.term).str("entry_kind", to_string(entry.kind));
  append_payload_json(e.open("data"), entry.data);
  e.close();
}

void append_message(JsonLine& line, const Message& message) {
  line.str("msg", to_string(kind_of(message)))
      .num("from", sender_of(message))
      .num("to", receiver_of(message))
      .num("term", term_of(message));
  std::visit(
      [&line](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, RequestVote>) {
          line.num("last_log_index", m.last_log_index).num("last_log_term", m.last_log_term).boolean("leadership_transfer", m.leadership_transfer);
        } else if constexpr (std::is_same_v<M, PreVote>) {
          line.num("last_log_index", m.last_log_index).num("last_log_term", m.last_log_term);
        } else if constexpr (std::is_same_v<M, RequestVoteReply>) {
          line.boolean("granted", m.granted);
        } else if constexpr (std::is_same_v<M, PreVoteReply>) {
          line.boolean("granted", m.granted).num("voter_term", m.voter_term);
        } else if constexpr (std::is_same_v<M, AppendEntries>) {
          line.num("prev_log_index", m.prev_log_index)
              .num("prev_log_term", m.prev_log_term)
              .num("leader_commit", m.leader_commit)
              .num("read_round", m.read_round)
              .num("seq", m.seq);
          std::string& out = line.open("entries");
          out += '[';
          for (std::size_t i = 0; i < m.entries.size(); ++i) {
            if (i > 0) out += ',';
            append_entry(out, m.entries[i]);
          }
          out += ']';
        } else if constexpr (std::is_same_v<M, AppendEntriesReply>) {
          line.boolean("success", m.success)
              .num("match_index", m.match_index)
              .num("reject_index", m.reject_index)
              .num("conflict_index", m.conflict_index)
              .num("conflict_term", m.conflict_term)
              .num("read_round", m.read_round)
              .num("seq", m.seq);
        } else if constexpr (std::is_same_v<M, InstallSnapshot>) {
          line.num("last_index", m.meta.last_index).num("last_term", m.meta.last_term);
          append_membership(line.open("membership"), m.meta.membership);
          line.num("offset", m.offset).boolean("done", m.done).num("total_bytes", m.total_bytes).num("checksum", m.checksum);
          append_payload_json(line.open("chunk"), m.chunk);
        } else if constexpr (std::is_same_v<M, InstallSnapshotReply>) {
          line.num("last_index", m.last_index).num("next_offset", m.next_offset).boolean("done", m.done);
        } else if constexpr (std::is_same_v<M, ReadIndexRequest>) {
          line.num("id", m.id);
        } else if constexpr (std::is_same_v<M, ReadIndexReply>) {
          line.num("id", m.id).num("index", m.index).boolean("ok", m.ok);
        }
      },
      message);
}

JsonLine begin(std::string& out, std::uint64_t t_us, NodeId node, std::string_view type, std::string_view kind) {
  JsonLine line(out);
  line.num("t_us", t_us).num("node", node).str("type", type).str("kind", kind);
  return line;
}

}  // namespace

std::string nodes_json(const std::vector<NodeId>& nodes) {
  std::string out = "[";
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(nodes[i]);
  }
  return out + "]";
}

void append_payload_json(std::string& out, const Payload& payload) {
  JsonLine p(out);
  p.num("len", payload.size());
  std::string& hash = p.open("xxh3");
  hash += '"';
  append_hex64(hash, XXH3_64bits(payload.data(), payload.size()));
  hash += '"';
  if (payload.size() <= kTracePayloadBytes) {
    std::string& hex = p.open("hex");
    hex += '"';
    for (std::byte b : payload.bytes()) {
      hex += kHex[static_cast<unsigned>(b) >> 4];
      hex += kHex[static_cast<unsigned>(b) & 15];
    }
    hex += '"';
  }
  p.close();
}

void append_trace_json(std::string& out, std::uint64_t t_us, NodeId node, const Event& event) {
  static constexpr std::string_view kKinds[] = {"tick",           "receive",           "propose",
                                                "read-index",     "transfer-leadership", "snapshot-taken",
                                                "change-membership", "persisted",      "persist-failed"};
  static_assert(std::size(kKinds) == std::variant_size_v<Event>);
  JsonLine line = begin(out, t_us, node, "event", kKinds[event.index()]);
  std::visit(
      [&line](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, Receive>) {
          append_message(line, e.message);
        } else if constexpr (std::is_same_v<E, Propose>) {
          line.num("id", e.id);
          append_payload_json(line.open("data"), e.data);
          append_command(line, e.data);
        } else if constexpr (std::is_same_v<E, ReadIndex>) {
          line.num("id", e.id);
        } else if constexpr (std::is_same_v<E, TransferLeadership>) {
          line.num("to", e.to).num("id", e.id);
        } else if constexpr (std::is_same_v<E, SnapshotTaken>) {
          line.num("index", e.index).num("id", e.id);
          append_payload_json(line.open("data"), e.data);
        } else if constexpr (std::is_same_v<E, ChangeMembership>) {
          static constexpr std::string_view kChanges[] = {"add-voter", "add-learner", "remove"};
          const auto change = static_cast<std::size_t>(e.change);
          line.str("change", change < 3 ? kChanges[change] : "invalid").num("target", e.node).num("id", e.id);
        } else if constexpr (std::is_same_v<E, Persisted>) {
          line.num("index", e.index).num("term", e.term);
        } else if constexpr (std::is_same_v<E, PersistFailed>) {
          line.str("code", to_string(e.error.code)).str("context", e.error.context);
        }
      },
      event);
  line.close();
}

void append_trace_json(std::string& out, std::uint64_t t_us, NodeId node, const Action& action) {
  static constexpr std::string_view kKinds[] = {"send",        "apply",      "leader-changed",   "proposal-accepted",
                                                "reject",      "storage-failed", "read-ready", "restore-snapshot",
                                                "snapshot-suggested", "persist"};
  static_assert(std::size(kKinds) == std::variant_size_v<Action>);
  JsonLine line = begin(out, t_us, node, "action", kKinds[action.index()]);
  std::visit(
      [&line](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, Send>) {
          append_message(line, a.message);
        } else if constexpr (std::is_same_v<A, Apply>) {
          line.num("index", a.entry.index).num("term", a.entry.term).str("entry_kind", to_string(a.entry.kind));
          append_payload_json(line.open("data"), a.entry.data);
          if (a.entry.kind == EntryKind::Normal) append_command(line, a.entry.data);
          if (a.entry.kind == EntryKind::Config) {
            if (const std::optional<Membership> m = decode_membership(a.entry.data)) append_membership(line.open("membership"), *m);
          }
        } else if constexpr (std::is_same_v<A, LeaderChanged>) {
          line.num("term", a.term).num("leader", a.leader);
        } else if constexpr (std::is_same_v<A, ProposalAccepted>) {
          line.num("id", a.id).num("index", a.index).num("term", a.term);
        } else if constexpr (std::is_same_v<A, Reject>) {
          line.str("what", to_string(a.what)).str("reason", to_string(a.reason)).num("leader_hint", a.leader_hint).num("id", a.id);
        } else if constexpr (std::is_same_v<A, StorageFailed>) {
          line.str("code", to_string(a.error.code)).str("context", a.error.context);
        } else if constexpr (std::is_same_v<A, ReadReady>) {
          line.num("id", a.id).num("index", a.index);
        } else if constexpr (std::is_same_v<A, RestoreSnapshot>) {
          line.num("last_index", a.snapshot.last_index).num("last_term", a.snapshot.last_term);
          append_membership(line.open("membership"), a.snapshot.membership);
          append_payload_json(line.open("data"), a.snapshot.data);
        } else if constexpr (std::is_same_v<A, SnapshotSuggested>) {
          line.num("applied", a.applied).num("entries", a.entries);
        } else if constexpr (std::is_same_v<A, Persist>) {
          line.num("index", a.index).num("term", a.term).num("truncate_from", a.truncate_from);
          if (a.hard_state) {
            std::string& out = line.open("hard_state");
            JsonLine hs(out);
            hs.num("term", a.hard_state->term).num("vote", a.hard_state->vote).num("commit", a.hard_state->commit);
            hs.close();
          }
          if (a.snapshot) line.num("snapshot_index", a.snapshot->last_index).num("snapshot_term", a.snapshot->last_term);
          std::string& out = line.open("entries");
          out += '[';
          bool first = true;
          for (const EntryBatch& run : a.entries) {
            for (const LogEntry& entry : run) {
              if (!first) out += ',';
              first = false;
              append_entry(out, entry);
            }
          }
          out += ']';
        }
      },
      action);
  line.close();
}

}  // namespace raftio::sim
