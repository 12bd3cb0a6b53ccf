// The Redis commands raftio-kv understands, and how each maps to a raftio event:
//
//   SET key value, DEL key..., INCR key   → Propose (answered after Apply, on the leader only)
//   GET key, EXISTS key...                → ReadIndex (linearizable; served on any node), or into the
//                                           log behind the connection's unanswered writes (leader)
//   PING, INFO, DBSIZE, QUIT              → answered at once from local state
//   COMMAND, CONFIG                       → an empty array (CONFIG GET save|appendonly: "" and "no"),
//                                           so redis-cli and redis-benchmark start quietly
#include <algorithm>
#include <cctype>

#include "server.h"

namespace kv {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string simple(std::string_view text) {
  std::string reply;
  resp::append_simple(reply, text);
  return reply;
}

std::string error(std::string_view text) {
  std::string reply;
  resp::append_error(reply, text);
  return reply;
}

std::string_view role_name(raftio::Role role) {
  switch (role) {
    case raftio::Role::Leader: return "leader";
    case raftio::Role::Follower: return "follower";
    case raftio::Role::Candidate: return "candidate";
    case raftio::Role::PreCandidate: return "precandidate";
  }
  return "unknown";
}

}  // namespace

void Server::submit(const std::shared_ptr<ClientSession>& session, const std::vector<std::string_view>& args,
                    std::size_t request_bytes) {
  const std::uint64_t slot = session->reserve_slot(request_bytes);
  const std::string name = upper(args[0]);
  if (!unhealthy_reason_.empty() &&
      (name == "SET" || name == "GET" || name == "DEL" || name == "INCR" || name == "EXISTS")) {
    session->fill(slot, error("ERR node unhealthy: " + unhealthy_reason_));
    return;
  }
  const std::size_t argc = args.size();
  const auto rest = std::span<const std::string_view>(args).subspan(1);
  const auto arity = [&](bool ok) {
    if (!ok) session->fill(slot, error("ERR wrong number of arguments for '" + lower(args[0]) + "' command"));
    return ok;
  };

  if (name == "SET") {
    if (arity(argc >= 3)) {
      if (argc == 3) {
        propose(session, slot, Op::Set, rest);
      } else {
        session->fill(slot, error("ERR syntax error (SET options are not supported)"));
      }
    }
  } else if (name == "GET") {
    if (arity(argc == 2)) read(session, slot, ReadKind::Get, rest);
  } else if (name == "DEL") {
    if (arity(argc >= 2)) propose(session, slot, Op::Del, rest);
  } else if (name == "INCR") {
    if (arity(argc == 2)) propose(session, slot, Op::Incr, rest);
  } else if (name == "EXISTS") {
    if (arity(argc >= 2)) read(session, slot, ReadKind::Exists, rest);
  } else if (name == "PING") {
    if (arity(argc <= 2)) {
      std::string reply;
      if (argc == 1) {
        resp::append_simple(reply, "PONG");
      } else {
        resp::append_bulk(reply, args[1]);
      }
      session->fill(slot, std::move(reply));
    }
  } else if (name == "INFO") {
    std::string reply;
    resp::append_bulk(reply, info());
    session->fill(slot, std::move(reply));
  } else if (name == "DBSIZE") {
    // Local and not linearizable: the number of keys this node has applied so far.
    std::string reply;
    resp::append_integer(reply, static_cast<std::int64_t>(state_.size()));
    session->fill(slot, std::move(reply));
  } else if (name == "QUIT") {
    session->fill_and_close(slot, simple("OK"));
  } else if (name == "CONFIG" && argc == 3 && upper(args[1]) == "GET" &&
             (lower(args[2]) == "save" || lower(args[2]) == "appendonly")) {
    // redis-benchmark asks for these two; raftio-kv has neither RDB saves nor an AOF (its
    // durability is the Raft WAL), which is what "" and "no" say.
    std::string reply;
    resp::append_array_header(reply, 2);
    resp::append_bulk(reply, lower(args[2]));
    resp::append_bulk(reply, lower(args[2]) == "save" ? "" : "no");
    session->fill(slot, std::move(reply));
  } else if (name == "COMMAND" || name == "CONFIG") {
    std::string reply;
    resp::append_array_header(reply, 0);
    session->fill(slot, std::move(reply));
  } else {
    std::string shown(args[0].substr(0, 64));
    std::replace_if(shown.begin(), shown.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
    session->fill(slot, error("ERR unknown command '" + shown + "'"));
  }
}

// A read goes through ReadIndex (a heartbeat round, no log entry, served by this node), unless
// the connection still waits for a command it sent into the log: then the read goes into the log
// behind it, so the connection's commands take effect in the order it sent them.
void Server::read(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, ReadKind kind,
                  std::span<const std::string_view> keys) {
  if (session->pending_logged > 0) {
    propose(session, slot, kind == ReadKind::Get ? Op::Get : Op::Exists, keys);
  } else {
    read_index(session, slot, kind, keys);
  }
}

void Server::propose(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, Op op,
                     std::span<const std::string_view> args) {
  const std::uint64_t id = next_request_id_++;
  ++session->pending_logged;
  writes_.emplace(id, PendingWrite{session, slot, 0, 0});
  enqueue(raftio::Propose{raftio::Payload::copy_of(encode_command(op, args)), id});
}

void Server::read_index(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, ReadKind kind,
                        std::span<const std::string_view> keys) {
  const std::uint64_t id = next_request_id_++;
  PendingRead read{session, slot, kind, {}};
  read.keys.assign(keys.begin(), keys.end());
  reads_.emplace(id, std::move(read));
  enqueue(raftio::ReadIndex{id});
}

// Writes go to the leader. A follower answers "-MOVED 0 host:port" naming the leader's client
// address (redis-cli -c follows it); without --clients it can only name the leader's id.
std::string Server::not_leader_reply(raftio::NodeId hint) const {
  if (hint == raftio::kNoNode) return error("TRYAGAIN no leader known yet; retry shortly");
  const auto address = options_.client_addresses.find(hint);
  if (address != options_.client_addresses.end()) return error("MOVED 0 " + address->second);
  return error("TRYAGAIN not the leader; the leader is node " + std::to_string(hint));
}

std::string Server::info() const {
  std::string out;
  const auto line = [&out](std::string_view key, const auto& value) {
    out += key;
    out += ':';
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(value)>>) {
      out += std::to_string(value);
    } else {
      out += value;
    }
    out += "\r\n";
  };
  const raftio::NodeId leader = node_.leader();
  const auto leader_address = options_.client_addresses.find(leader);
  out += "# Raft\r\n";
  line("node_id", node_.id());
  line("cluster_id", options_.cluster_id);
  line("health", std::string(unhealthy_reason_.empty() ? "ok" : "unhealthy"));
  if (!unhealthy_reason_.empty()) line("unhealthy_reason", unhealthy_reason_);
  line("role", role_name(node_.role()));
  line("term", node_.term());
  line("leader_id", leader);
  line("leader_client", leader_address != options_.client_addresses.end() ? leader_address->second : std::string());
  line("commit_index", node_.commit_index());
  line("applied_index", applied_);
  line("last_index", node_.last_index());
  line("durable_index", node_.durable_index());
  line("snapshot_index", node_.first_index() - 1);
  line("snapshots_taken", snapshots_taken_);
  out += "# Recovery\r\n";
  line("recovered_last_index", recovered_last_index_);
  line("recovered_commit_index", recovered_commit_index_);
  line("recovered_snapshot_index", recovered_snapshot_index_);
  line("recovered_wal_records", recovered_wal_records_);
  out += "# Keyspace\r\n";
  line("keys", state_.size());
  line("pending_writes", writes_.size());
  line("pending_reads", reads_.size());
  out += "# Stats\r\n";
  line("steps", steps_);
  line("stepped_events", stepped_events_);
  line("stepped_proposals", stepped_proposals_);
  line("appending_steps", appending_steps_);
  line("step_micros", step_micros_);
  line("storage", std::string(persist_thread_ ? "async" : "sync"));
  if (persist_thread_) {
    line("io_thread_persists", persist_thread_->persists_written());
    line("io_thread_syncs", persist_thread_->syncs());
  }
  out += "# Connections\r\n";
  line("peer_tls", std::string(peers_.tls() ? "mutual" : "off"));
  line("client_tls", std::string(!client_tls_ ? "off" : options_.client_tls.trusted_ca_file.empty() ? "on" : "mutual"));
  line("peer_links_connected", peers_.connected_links());
  line("refused_peer_connections", peers_.refused_connections());
  line("connected_clients", client_sessions_);
  line("max_clients", max_clients_);
  line("rejected_clients", rejected_clients_);
  line("client_tls_handshake_failures", client_tls_failures_);
  line("failed_accepts", client_acceptor_.failed_accepts());
  line("idle_client_connections", idle_sessions_);
  line("batches_released_full", early_releases_);
  line("batches_released_by_timer", timer_releases_);
  return out;
}

}  // namespace kv
