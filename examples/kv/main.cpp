// raftio-kv: one node of a replicated key-value store that speaks the Redis protocol.
//
//   raftio-kv --id 1 --peers 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003
//             --client 127.0.0.1:8001 --data /path/dir
//             [--clients 1=127.0.0.1:8001,2=127.0.0.1:8002,3=127.0.0.1:8003] [--async-storage]
//             [--cluster-id ID] [--peer-cert-file F --peer-key-file F --peer-trusted-ca-file F]
//             [--client-cert-file F --client-key-file F [--client-trusted-ca-file F]] [--max-clients N]
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>

#include <raftio/wal/wal_log.h>

#include <raftio/runtime/endpoint.h>
#include <raftio/runtime/handshake.h>
#include "server.h"

namespace {

using raftio::runtime::parse_endpoint;

// "1=host:port,2=host:port,..."
std::optional<std::map<raftio::NodeId, std::string>> parse_id_map(const std::string& text) {
  std::map<raftio::NodeId, std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const std::size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0) return std::nullopt;
    raftio::NodeId id = 0;
    try {
      std::size_t used = 0;
      id = std::stoull(item.substr(0, equals), &used);
      if (used != equals) return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (id == raftio::kNoNode || !parse_endpoint(item.substr(equals + 1)) || out.count(id) != 0) return std::nullopt;
    out[id] = item.substr(equals + 1);
    start = end + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raftio-kv: one node of a replicated key-value server that redis-cli can talk to"};
  raftio::NodeId id = 0;
  std::string peers_text;
  std::string clients_text;
  std::string client_text;
  std::string data_dir;
  unsigned tick_ms = 50;
  kv::ServerOptions options;
  app.add_option("--id", id, "this node's id (one of --peers)")->required()->check(CLI::Range(1, 1 << 30));
  app.add_option("--peers", peers_text, "every node's peer address: 1=127.0.0.1:7001,2=...,3=...")->required();
  app.add_option("--client", client_text, "where Redis clients connect to this node, e.g. 127.0.0.1:8001")->required();
  app.add_option("--data", data_dir, "data directory (the write-ahead log); created if missing")->required();
  app.add_option("--clients", clients_text,
                 "every node's client address, so a follower can answer writes with -MOVED <leader's address>");
  app.add_option("--tick-ms", tick_ms, "milliseconds per Raft tick")->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--election-ticks", options.election_ticks, "election timeout in ticks (randomized up to twice)")
      ->check(CLI::Range(2, 100000))
      ->capture_default_str();
  app.add_option("--heartbeat-ticks", options.heartbeat_ticks, "leader heartbeat interval in ticks")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--snapshot-entries", options.snapshot_entries,
                 "snapshot the map after this many applied entries (0: never)")
      ->capture_default_str();
  app.add_option("--max-inflight-batches", options.max_inflight_batches,
                 "client requests wait while this many batches of writes await commit (0: never)")
      ->capture_default_str();
  unsigned linger_us = 800;
  app.add_option("--batch-linger-us", linger_us,
                 "after a commit, how long waiting client requests linger (at most) for more to join their batch")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_flag("--async-storage", options.async_storage,
               "write the WAL on an I/O thread: the leader sends AppendEntries while its own fdatasync runs");
  app.add_option("--cluster-id", options.cluster_id,
                 "the same on every node: peers whose hello names another cluster are refused (1-64 of [A-Za-z0-9._-])")
      ->capture_default_str();
  app.add_option("--peer-cert-file", options.peer_tls.cert_file,
                 "PEM certificate for links between nodes (mutual TLS); its CN or a DNS SAN must be node-<id>.<cluster id>");
  app.add_option("--peer-key-file", options.peer_tls.key_file, "PEM private key of --peer-cert-file");
  app.add_option("--peer-trusted-ca-file", options.peer_tls.trusted_ca_file,
                 "PEM CA that signed the peers' certificates; peers without one are refused");
  app.add_option("--client-cert-file", options.client_tls.cert_file, "PEM certificate: the client port speaks TLS");
  app.add_option("--client-key-file", options.client_tls.key_file, "PEM private key of --client-cert-file");
  app.add_option("--client-trusted-ca-file", options.client_tls.trusted_ca_file,
                 "PEM CA: clients must present a certificate it signed");
  app.add_option("--max-clients", options.max_clients,
                 "client connections beyond this get -ERR max number of clients reached (lowered to fit RLIMIT_NOFILE)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.batch_linger = std::chrono::microseconds(linger_us);

  const auto fail = [id](const std::string& message) {
    std::fprintf(stderr, "raftio-kv node %llu: %s\n", static_cast<unsigned long long>(id), message.c_str());
    return 1;
  };
  if (!raftio::runtime::valid_cluster_id(options.cluster_id)) {
    return fail("--cluster-id '" + options.cluster_id + "': use 1 to 64 of [A-Za-z0-9._-]");
  }
  const auto& peer_tls = options.peer_tls;
  const int peer_tls_files = !peer_tls.cert_file.empty() + !peer_tls.key_file.empty() + !peer_tls.trusted_ca_file.empty();
  if (peer_tls_files != 0 && peer_tls_files != 3) {
    return fail("mutual TLS between nodes needs all of --peer-cert-file, --peer-key-file and --peer-trusted-ca-file");
  }
  const auto& client_tls = options.client_tls;
  if (client_tls.cert_file.empty() != client_tls.key_file.empty() ||
      (client_tls.cert_file.empty() && !client_tls.trusted_ca_file.empty())) {
    return fail("TLS for clients needs --client-cert-file and --client-key-file (and optionally --client-trusted-ca-file)");
  }
  const auto peers = parse_id_map(peers_text);
  if (!peers) return fail("--peers: expected id=host:port,... with distinct non-zero ids, got '" + peers_text + "'");
  if (peers->count(id) == 0) return fail("--peers does not list this node's --id " + std::to_string(id));
  for (const auto& [peer, address] : *peers) options.peers[peer] = *parse_endpoint(address);
  if (!clients_text.empty()) {
    const auto clients = parse_id_map(clients_text);
    if (!clients) return fail("--clients: expected id=host:port,..., got '" + clients_text + "'");
    options.client_addresses = *clients;
  }
  const auto client = parse_endpoint(client_text);
  if (!client) return fail("--client: expected host:port, got '" + client_text + "'");
  options.client = *client;
  options.id = id;
  options.tick = std::chrono::milliseconds(tick_ms);

  auto wal = raftio::wal::WalLog::open(data_dir);
  if (!wal) return fail("cannot open the log in " + data_dir + ": " + wal.error().context);
  const raftio::wal::RecoveryReport report = wal.value()->recovery();

  try {
    asio::io_context io(1);
    kv::Server server(io, options, std::move(wal).value());
    server.start();
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&io](const asio::error_code&, int) { io.stop(); });
    std::fprintf(stderr,
                 "raftio-kv node %llu: cluster %s, peers on %s (%s), clients on %s (%s), data in %s "
                 "(%zu WAL records recovered%s%s), %s storage\n",
                 static_cast<unsigned long long>(id), options.cluster_id.c_str(), peers->at(id).c_str(),
                 peer_tls_files == 3 ? "mutual TLS" : "plain TCP", client_text.c_str(),
                 client_tls.cert_file.empty() ? "plain TCP" : client_tls.trusted_ca_file.empty() ? "TLS" : "mutual TLS",
                 data_dir.c_str(), report.records, report.torn_tail.empty() ? "" : "; cut a torn tail: ",
                 report.torn_tail.c_str(), options.async_storage ? "async" : "sync");
    io.run();
  } catch (const std::exception& error) {
    return fail(error.what());
  }
  return 0;
}
