// raftio-kv: one node of a replicated key-value store that speaks the Redis protocol, built on
// raftio::runtime::Node (docs/RUNTIME.md).
//
//   raftio-kv --id 1 --peers 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003
//             --client 127.0.0.1:8001 --data /path/dir
//             [--clients 1=127.0.0.1:8001,2=127.0.0.1:8002,3=127.0.0.1:8003] [--sync-storage]
//             [--join] [--cluster-id ID] [--peer-cert-file F --peer-key-file F --peer-trusted-ca-file F]
//             [--client-cert-file F --client-key-file F [--client-trusted-ca-file F]] [--max-clients N]
//
// With --join the node starts empty and waits until a member adds it (RAFT.ADDNODE id host:port on
// the leader); --peers then lists the running cluster's members and this node.
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
  unsigned election_ticks = 20;
  unsigned heartbeat_ticks = 2;
  bool join = false;
  kv::ServerOptions options;
  raftio::runtime::NodeOptions& node = options.node;
  node.cluster_id = "raftio-kv";
  node.snapshot_entries = 100000;
  node.async_storage = true;
  bool sync_storage = false;
  bool async_storage_flag = false;
  raftio::runtime::TlsFiles peer_tls;
  app.add_option("--id", id, "this node's id (one of --peers)")->required()->check(CLI::Range(1, 1 << 30));
  app.add_option("--peers", peers_text,
                 "every node's peer address: 1=127.0.0.1:7001,2=...,3=... (with --join: the running cluster's "
                 "members and this node)")
      ->required();
  app.add_flag("--join", join,
               "start empty and wait to be added (RAFT.ADDNODE id host:port on the leader) instead of "
               "bootstrapping a new cluster of --peers; ignored once the data directory holds a log");
  app.add_option("--client", client_text, "where Redis clients connect to this node, e.g. 127.0.0.1:8001")->required();
  app.add_option("--data", data_dir, "data directory (the write-ahead log); created if missing")->required();
  app.add_option("--clients", clients_text,
                 "every node's client address, so a follower can answer writes with -MOVED <leader's address>");
  app.add_option("--tick-ms", tick_ms, "milliseconds per Raft tick")->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--election-ticks", election_ticks, "election timeout in ticks (randomized up to twice)")
      ->check(CLI::Range(2, 100000))
      ->capture_default_str();
  app.add_option("--heartbeat-ticks", heartbeat_ticks, "leader heartbeat interval in ticks")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--snapshot-entries", node.snapshot_entries,
                 "snapshot the map after this many applied entries (0: never)")
      ->capture_default_str();
  app.add_flag("--sync-storage", sync_storage,
               "write the WAL inside each step instead of on the I/O thread: one fdatasync per request and per "
               "message (slow; the default batches them: group commit)");
  app.add_flag("--async-storage", async_storage_flag, "the default (kept for compatibility)");
  // Redis Cluster clients follow -MOVED themselves (redis-cli -c); plain clients are better served
  // by a follower that forwards the write and answers with its outcome.
  bool forward_writes = false;
  app.add_flag("--forward-writes", forward_writes,
               "a follower forwards writes to the leader and answers with the outcome (default: -MOVED <leader>)");
  app.add_option("--cluster-id", node.cluster_id,
                 "the same on every node: peers whose hello names another cluster are refused (1-64 of [A-Za-z0-9._-])")
      ->capture_default_str();
  app.add_option("--peer-cert-file", peer_tls.cert_file,
                 "PEM certificate for links between nodes (mutual TLS); its CN or a DNS SAN must be node-<id>.<cluster id>");
  app.add_option("--peer-key-file", peer_tls.key_file, "PEM private key of --peer-cert-file");
  app.add_option("--peer-trusted-ca-file", peer_tls.trusted_ca_file,
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
  node.async_storage = !sync_storage;
  node.forward_proposals = forward_writes;

  const auto fail = [id](const std::string& message) {
    std::fprintf(stderr, "raftio-kv node %llu: %s\n", static_cast<unsigned long long>(id), message.c_str());
    return 1;
  };
  if (!raftio::runtime::valid_cluster_id(node.cluster_id)) {
    return fail("--cluster-id '" + node.cluster_id + "': use 1 to 64 of [A-Za-z0-9._-]");
  }
  const int peer_tls_files = !peer_tls.cert_file.empty() + !peer_tls.key_file.empty() + !peer_tls.trusted_ca_file.empty();
  if (peer_tls_files != 0 && peer_tls_files != 3) {
    return fail("mutual TLS between nodes needs all of --peer-cert-file, --peer-key-file and --peer-trusted-ca-file");
  }
  if (peer_tls_files == 3) node.peer_tls = peer_tls;
  const auto& client_tls = options.client_tls;
  if (client_tls.cert_file.empty() != client_tls.key_file.empty() ||
      (client_tls.cert_file.empty() && !client_tls.trusted_ca_file.empty())) {
    return fail("TLS for clients needs --client-cert-file and --client-key-file (and optionally --client-trusted-ca-file)");
  }
  const auto peers = parse_id_map(peers_text);
  if (!peers) return fail("--peers: expected id=host:port,... with distinct non-zero ids, got '" + peers_text + "'");
  if (peers->count(id) == 0) return fail("--peers does not list this node's --id " + std::to_string(id));
  if (join && peers->size() < 2) return fail("--join: --peers must list at least one running member besides this node");
  node.id = id;
  node.members = *peers;
  node.start = join ? raftio::runtime::NodeOptions::Start::Join : raftio::runtime::NodeOptions::Start::Bootstrap;
  node.data_dir = data_dir;
  node.tick = std::chrono::milliseconds(tick_ms);
  node.election_timeout = std::chrono::milliseconds(std::uint64_t{tick_ms} * election_ticks);
  node.heartbeat = std::chrono::milliseconds(std::uint64_t{tick_ms} * heartbeat_ticks);
  // Above two election timeouts: the core refuses unconfirmed reads itself by then, more precisely.
  node.request_timeout = std::max(std::chrono::milliseconds(5000), 3 * node.election_timeout);
  if (!clients_text.empty()) {
    const auto clients = parse_id_map(clients_text);
    if (!clients) return fail("--clients: expected id=host:port,..., got '" + clients_text + "'");
    options.client_addresses = *clients;
  }
  const auto client = parse_endpoint(client_text);
  if (!client) return fail("--client: expected host:port, got '" + client_text + "'");
  options.client = *client;

  // What the data directory holds, for the start-up line and INFO (the node opens it again).
  std::string recovered;
  {
    auto wal = raftio::wal::WalLog::open(data_dir);
    if (!wal) return fail("cannot open the log in " + data_dir + ": " + wal.error().context);
    const raftio::wal::RecoveryReport report = wal.value()->recovery();
    options.recovered_wal_records = report.records;
    recovered = std::to_string(report.records) + " WAL records recovered" +
                (report.torn_tail.empty() ? "" : "; cut a torn tail: " + report.torn_tail);
  }

  try {
    asio::io_context io(1);
    kv::Server server(io, options);
    server.start();
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code&, int) {
      server.stop(std::chrono::milliseconds(1000), [&io] { io.stop(); });
    });
    std::fprintf(stderr,
                 "raftio-kv node %llu: cluster %s, peers on %s (%s), clients on %s (%s), data in %s (%s), %s storage%s\n",
                 static_cast<unsigned long long>(id), node.cluster_id.c_str(), peers->at(id).c_str(),
                 peer_tls_files == 3 ? "mutual TLS" : "plain TCP", client_text.c_str(),
                 client_tls.cert_file.empty() ? "plain TCP" : client_tls.trusted_ca_file.empty() ? "TLS" : "mutual TLS",
                 data_dir.c_str(), recovered.c_str(), node.async_storage ? "async" : "sync",
                 join ? ", joining" : "");
    io.run();
  } catch (const std::exception& error) {
    return fail(error.what());
  }
  return 0;
}
