// The Redis commands raftio-kv understands, and what each becomes on the runtime Node:
//
//   SET key value, DEL key..., INCR key   → propose (answered once applied; -MOVED on a follower)
//   GET key, EXISTS key...                → read (linearizable, served on any node), or a proposal
//                                           behind the connection's unanswered writes
//   RAFT.ADDNODE id host:port [client]    → add_voter: the node (started with --join) catches up
//                                           as a learner, then votes; its client address, if
//                                           given, is recorded in the log first (for -MOVED)
//   RAFT.REMOVENODE id, RAFT.TRANSFER id  → remove_node, transfer_leadership
//   RAFT.STATUS                           → role, term, indexes, members, and each peer's match
//                                           and lag (on the leader)
//   PING, INFO, DBSIZE, QUIT              → answered at once from local state
//   COMMAND, CONFIG                       → an empty array (CONFIG GET save|appendonly: "" and "no"),
//                                           so redis-cli and redis-benchmark start quietly
#include <algorithm>
#include <cctype>
#include <charconv>

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

std::optional<raftio::NodeId> parse_node_id(std::string_view text) {
  raftio::NodeId id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id == raftio::kNoNode) return std::nullopt;
  return id;
}

std::string join_ids(const std::vector<raftio::NodeId>& ids) {
  std::string out;
  for (const raftio::NodeId id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

}  // namespace

void Server::submit(const std::shared_ptr<ClientSession>& session, const std::vector<std::string_view>& args,
                    std::size_t request_bytes) {
  const std::uint64_t slot = session->reserve_slot(request_bytes);
  const std::string name = upper(args[0]);
  const bool data_command = name == "SET" || name == "GET" || name == "DEL" || name == "INCR" || name == "EXISTS";
  if (data_command && !unhealthy_reason_.empty()) {
    session->fill(slot, error("ERR node unhealthy: " + unhealthy_reason_));
    return;
  }
  if (data_command && stopping_) {
    session->fill(slot, error("TRYAGAIN shutting down"));
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
        propose(session, slot, encode_command(Op::Set, rest));
      } else {
        session->fill(slot, error("ERR syntax error (SET options are not supported)"));
      }
    }
  } else if (name == "GET") {
    if (arity(argc == 2)) read(session, slot, Op::Get, rest);
  } else if (name == "DEL") {
    if (arity(argc >= 2)) propose(session, slot, encode_command(Op::Del, rest));
  } else if (name == "INCR") {
    if (arity(argc == 2)) propose(session, slot, encode_command(Op::Incr, rest));
  } else if (name == "EXISTS") {
    if (arity(argc >= 2)) read(session, slot, Op::Exists, rest);
  } else if (name.rfind("RAFT.", 0) == 0) {
    membership(session, slot, name, rest);
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
    resp::append_integer(reply, static_cast<std::int64_t>(machine_.state().size()));
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

// A write waits (in the connection's order) while a read the connection sent before it is
// unanswered: Redis runs a connection's commands in order, so a pipelined GET then SET must not
// read the SET, and the node may apply the SET before it serves the read.
void Server::propose(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, std::string command) {
  if (session->pending_reads > 0 || !session->deferred.empty()) {
    session->deferred.emplace_back(slot, std::move(command));
    return;
  }
  send_proposal(session, slot, std::move(command));
}

void Server::send_proposal(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, std::string command) {
  ++session->pending_logged;
  node_->propose(raftio::Payload::copy_of(command), [this, session, slot](Outcome outcome) {
    --session->pending_logged;
    session->fill(slot, outcome.ok() ? resp::Reply(outcome.value().to_string()) : resp::Reply(error_reply(outcome.error())));
  });
}

// A read goes through ReadIndex (a heartbeat round, no log entry, served by this node), unless
// the connection still waits for a command it sent into the log: then the read goes into the log
// behind it, so the connection's commands take effect in the order it sent them.
void Server::read(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, Op op,
                  std::span<const std::string_view> keys) {
  std::string command = encode_command(op, keys);
  if (session->pending_logged > 0 || !session->deferred.empty()) {
    propose(session, slot, std::move(command));
    return;
  }
  ++session->pending_reads;
  node_->read(raftio::Payload::copy_of(command), [this, session, slot](Outcome outcome) {
    --session->pending_reads;
    if (!outcome.ok()) {
      session->fill(slot, error_reply(outcome.error()));
    } else if (KvMachine::is_loan(outcome.value())) {
      session->fill(slot, resp::bulk_reply(machine_.redeem(outcome.value())));  // shares the value: no copy
    } else {
      session->fill(slot, outcome.value().to_string());
    }
    if (session->pending_reads == 0 && !session->deferred.empty()) {
      std::vector<std::pair<std::uint64_t, std::string>> deferred;
      deferred.swap(session->deferred);
      for (auto& [waiting_slot, waiting] : deferred) send_proposal(session, waiting_slot, std::move(waiting));
    }
  });
}

void Server::membership(const std::shared_ptr<ClientSession>& session, std::uint64_t slot, const std::string& name,
                        std::span<const std::string_view> args) {
  const auto done = [this, session, slot](Outcome outcome) {
    session->fill(slot, outcome.ok() ? simple("OK") : error_reply(outcome.error()));
  };
  const auto usage = [&](std::string_view text) { session->fill(slot, error("ERR usage: " + std::string(text))); };
  if (name == "RAFT.STATUS") {
    std::string reply;
    resp::append_bulk(reply, raft_status());
    session->fill(slot, std::move(reply));
    return;
  }
  if (stopping_ || !unhealthy_reason_.empty()) {
    session->fill(slot, error(stopping_ ? "TRYAGAIN shutting down" : "ERR node unhealthy: " + unhealthy_reason_));
    return;
  }
  const raftio::NodeId id = args.empty() ? raftio::kNoNode : parse_node_id(args[0]).value_or(raftio::kNoNode);
  if (name == "RAFT.ADDNODE") {
    if ((args.size() != 2 && args.size() != 3) || id == raftio::kNoNode) {
      return usage("RAFT.ADDNODE id host:port [client-host:port] (the new node's peer and client addresses)");
    }
    log("adding node " + std::to_string(id) + " at " + std::string(args[1]));
    if (args.size() == 2) {
      node_->add_voter(id, std::string(args[1]), done);
      return;
    }
    // Its client address first, through the log, so that every member can name it in -MOVED.
    const std::string_view record[] = {args[0], args[2]};
    node_->propose(raftio::Payload::copy_of(encode_command(Op::ClientAddress, record)),
                   [this, id, peer = std::string(args[1]), done](Outcome recorded) {
                     if (!recorded.ok()) return done(std::move(recorded));
                     node_->add_voter(id, peer, done);
                   });
  } else if (name == "RAFT.REMOVENODE") {
    if (args.size() != 1 || id == raftio::kNoNode) return usage("RAFT.REMOVENODE id");
    log("removing node " + std::to_string(id));
    node_->remove_node(id, done);
  } else if (name == "RAFT.TRANSFER") {
    if (args.size() != 1 || id == raftio::kNoNode) return usage("RAFT.TRANSFER id");
    node_->transfer_leadership(id, done);
  } else {
    session->fill(slot, error("ERR unknown command '" + name + "' (RAFT.ADDNODE, RAFT.REMOVENODE, RAFT.TRANSFER, "
                                                              "RAFT.STATUS)"));
  }
}

std::string Server::error_reply(const raftio::runtime::Error& failure) {
  using namespace raftio::runtime;
  if (const auto* not_leader = std::get_if<NotLeader>(&failure)) return not_leader_reply(not_leader->leader);
  if (std::holds_alternative<StorageFailed>(failure)) {
    become_unhealthy(failure);
    return error("ERR node unhealthy: " + unhealthy_reason_);
  }
  if (const auto* refused = std::get_if<Refused>(&failure)) {
    if (refused->reason == raftio::RejectReason::NotLeader) return not_leader_reply(refused->leader_hint);
    if (refused->reason == raftio::RejectReason::TransferInProgress) {
      return error("TRYAGAIN leadership transfer in progress; retry shortly");
    }
    return error("TRYAGAIN " + describe(failure));
  }
  if (std::holds_alternative<ProposalLost>(failure)) return error("TRYAGAIN write lost to a leader change; retry");
  if (std::holds_alternative<TimedOut>(failure)) {
    return error("TRYAGAIN timed out; a write may or may not have been applied");
  }
  if (std::holds_alternative<OutcomeUnknown>(failure)) {
    return error("TRYAGAIN outcome unknown; the write may have been applied");
  }
  if (std::holds_alternative<ShuttingDown>(failure)) return error("TRYAGAIN shutting down");
  return error("ERR " + describe(failure));
}

// Writes go to the leader. A follower answers "-MOVED 0 host:port" naming the leader's client
// address (redis-cli -c follows it); without it (no --clients, or a node added later) it can only
// name the leader's id.
std::string Server::not_leader_reply(raftio::NodeId hint) const {
  if (hint == raftio::kNoNode) return error("TRYAGAIN no leader known yet; retry shortly");
  const std::string address = client_address(hint);
  if (!address.empty()) return error("MOVED 0 " + address);
  return error("TRYAGAIN not the leader; the leader is node " + std::to_string(hint));
}

// Where `node` serves clients: as the log recorded it (RAFT.ADDNODE), else as --clients said.
std::string Server::client_address(raftio::NodeId node) const {
  const auto& recorded = machine_.state().client_addresses();
  if (const auto it = recorded.find(node); it != recorded.end()) return it->second;
  if (const auto it = options_.client_addresses.find(node); it != options_.client_addresses.end()) return it->second;
  return {};
}

std::string Server::raft_status() {
  const raftio::runtime::Status status = node_->status();
  std::string out;
  const auto line = [&out](std::string_view key, const std::string& value) {
    out += key;
    out += ':';
    out += value;
    out += "\r\n";
  };
  line("node_id", std::to_string(status.id));
  line("role", std::string(role_name(status.role)));
  line("term", std::to_string(status.term));
  line("leader_id", std::to_string(status.leader));
  line("commit_index", std::to_string(status.commit_index));
  line("applied_index", std::to_string(status.applied_index));
  line("last_index", std::to_string(status.last_index));
  line("voters", join_ids(status.membership.voters));
  line("learners", join_ids(status.membership.learners));
  for (const auto& [id, address] : status.addresses) line("address_" + std::to_string(id), address);
  for (const raftio::runtime::PeerStatus& peer : status.peers) {
    line("peer_" + std::to_string(peer.id), std::string(peer.voter ? "voter" : "learner") +
                                                ",match=" + std::to_string(peer.match) + ",lag=" +
                                                std::to_string(peer.lag) + ",active=" +
                                                (peer.recent_active ? "yes" : "no"));
  }
  return out;
}

std::string Server::info() {
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
  const raftio::runtime::Status status = node_->status();
  out += "# Raft\r\n";
  line("node_id", status.id);
  line("cluster_id", options_.node.cluster_id);
  line("health", std::string(unhealthy_reason_.empty() ? "ok" : "unhealthy"));
  if (!unhealthy_reason_.empty()) line("unhealthy_reason", unhealthy_reason_);
  line("role", role_name(status.role));
  line("term", status.term);
  line("leader_id", status.leader);
  line("leader_client", client_address(status.leader));
  line("commit_index", status.commit_index);
  line("applied_index", status.applied_index);
  line("last_index", status.last_index);
  line("durable_index", status.durable_index);
  line("snapshot_index", status.first_index == 0 ? 0 : status.first_index - 1);
  line("snapshots_taken", machine_.snapshots_taken());
  line("voters", join_ids(status.membership.voters));
  line("learners", join_ids(status.membership.learners));
  out += "# Recovery\r\n";
  line("recovered_last_index", recovered_last_index_);
  line("recovered_commit_index", recovered_commit_index_);
  line("recovered_snapshot_index", recovered_snapshot_index_);
  line("recovered_wal_records", options_.recovered_wal_records);
  out += "# Keyspace\r\n";
  line("keys", machine_.state().size());
  line("pending_requests", status.pending_requests);
  out += "# Stats\r\n";
  line("storage", std::string(options_.node.async_storage ? "async" : "sync"));
  if (options_.node.async_storage) {
    line("io_thread_persists", node_->persists_written());
    line("io_thread_syncs", node_->storage_syncs());
  }
  out += "# Connections\r\n";
  line("peer_tls", std::string(options_.node.peer_tls ? "mutual" : "off"));
  line("client_tls", std::string(!client_tls_ ? "off" : options_.client_tls.trusted_ca_file.empty() ? "on" : "mutual"));
  line("connected_clients", client_sessions_);
  line("max_clients", max_clients_);
  line("rejected_clients", rejected_clients_);
  line("client_tls_handshake_failures", client_tls_failures_);
  line("failed_accepts", client_acceptor_.failed_accepts());
  line("idle_client_connections", idle_sessions_);
  return out;
}

}  // namespace kv
