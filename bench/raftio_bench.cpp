// raftio-bench: wire codec throughput next to memcpy; WAL synced appends next to raw
// write+fdatasync, and recovery speed; then committed-and-applied entries per second for in-memory
// clusters driven in one thread. A batch of B is B Propose events of one entry each, handed to the leader in one step;
// then every node's actions are carried out and every message delivered (each node gets its
// inbox as one step), round after round, until every entry is applied on every node.
//
// Heap allocations are counted by replacing the global operator new (alloc_counter.cpp): the
// report separates the allocations made inside RaftNode::step (the library's own) from everything
// else (payloads, the harness's queues).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_cluster.h"
#include "codec_bench.h"
#ifdef RAFTIO_BENCH_NODE
#include "node_bench.h"
#endif
#include "wal_bench.h"

namespace {

using namespace raftio;

struct CaseResult {
  double wall_s = 0;
  std::uint64_t events = 0;
  std::uint64_t step_allocations = 0;
  std::uint64_t other_allocations = 0;
  std::uint64_t messages = 0;
};

CaseResult run_case(std::size_t nodes, std::size_t batch, std::uint64_t entries, std::size_t payload_bytes) {
  bench::BenchCluster cluster(nodes, 64);
  if (!cluster.elect_first()) return CaseResult{};
  const std::uint64_t base = cluster.min_applied();  // the no-op
  cluster.reset_counters();
  const std::string bytes(payload_bytes, 'x');
  std::vector<Event> proposals;
  proposals.reserve(batch);

  const std::uint64_t allocations_before = bench::allocation_count();
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t proposed = 0;
  while (proposed < entries) {
    proposals.clear();
    for (std::size_t i = 0; i < batch && proposed < entries; ++i, ++proposed) {
      proposals.push_back(Event(std::in_place_type<Propose>, Propose{Payload::copy_of(bytes), proposed}));
    }
    cluster.step(1, proposals);
    cluster.settle();
  }
  // The last commit index reaches followers with the next message: a heartbeat round.
  while (cluster.min_applied() < base + entries) {
    cluster.tick_all();
    cluster.settle();
  }
  const auto stop = std::chrono::steady_clock::now();
  CaseResult result;
  result.wall_s = std::chrono::duration<double>(stop - start).count();
  result.events = cluster.events_stepped;
  result.messages = cluster.messages;
  result.step_allocations = cluster.step_allocations;
  result.other_allocations = bench::allocation_count() - allocations_before - result.step_allocations;
  return result;
}

}  // namespace

void run_codec_cases(double seconds) {
  std::vector<LogEntry> entries;
  for (Index i = 1; i <= 64; ++i) entries.push_back(LogEntry{7, 1000 + i, EntryKind::Normal, Payload::copy_of(std::string(128, 'a'))});
  const Message append = AppendEntries{1, 2, 7, 1000, 7, 990, EntryBatch(entries), 0, 4242};
  const Message snapshot = InstallSnapshot{1, 2, 7, SnapshotMeta{5000, 7, Membership{{1, 2, 3}, {}}}, 0,
                                           Payload::copy_of(std::string(std::size_t{1} << 20, 's')), true,
                                           std::size_t{1} << 20, 0x5eed};
  const std::pair<const char*, const Message*> cases[] = {{"AppendEntries(64x128B)", &append},
                                                          {"InstallSnapshot(1MiB)", &snapshot}};
  for (const auto& [name, message] : cases) {
    const bench::CodecResult r = bench::measure_codec(*message, seconds);
    std::printf(
        "codec message=%s frame_bytes=%zu encode_MB_s=%.0f decode_MB_s=%.0f decode_copy_MB_s=%.0f memcpy_MB_s=%.0f "
        "encode_vs_memcpy=%.2f decode_vs_memcpy=%.2f\n",
        name, r.frame_bytes, r.encode_mb_s, r.decode_mb_s, r.decode_copy_mb_s, r.memcpy_mb_s,
        r.encode_mb_s / r.memcpy_mb_s, r.decode_mb_s / r.memcpy_mb_s);
    std::fflush(stdout);
  }
}

void run_wal_cases(const std::string& dir, std::uint64_t syncs, std::uint64_t recovery_mib) {
  for (std::size_t batch : {std::size_t{1}, std::size_t{64}}) {
    const bench::WalAppendResult r = bench::measure_wal_appends(dir, batch, 128, syncs);
    std::printf(
        "wal batch=%zu entry_bytes=128 syncs=%llu wal_batches_per_s=%.0f raw_batches_per_s=%.0f wal_vs_raw=%.2f "
        "wal_entries_per_s=%.0f wal_MB_s=%.1f\n",
        batch, static_cast<unsigned long long>(r.batches), r.wal_batches_per_s, r.raw_batches_per_s,
        r.wal_batches_per_s / r.raw_batches_per_s, r.wal_batches_per_s * static_cast<double>(batch), r.wal_mb_s);
    std::fflush(stdout);
  }
  const bench::WalRecoveryResult r = bench::measure_wal_recovery(dir, recovery_mib << 20, 128);
  std::printf("wal recovery log_MB=%.0f entries=%llu seconds=%.3f recovery_MB_s=%.0f\n", r.log_mb,
              static_cast<unsigned long long>(r.entries), r.seconds, r.mb_s);
  std::fflush(stdout);
}

// Three Nodes over loopback TCP; on the WAL (fdatasync) and on in-memory logs.
void run_node_cases(const std::string& dir, const std::vector<std::size_t>& proposers, double seconds,
                    std::size_t payload, bool batch_turns, const std::vector<std::string>& storages,
                    const std::vector<std::string>& clients) {
#ifndef RAFTIO_BENCH_NODE
  (void)dir, (void)proposers, (void)seconds, (void)payload, (void)batch_turns, (void)storages, (void)clients;
  throw std::runtime_error("raftio-bench was built without the runtime's network transport (libasio-dev, libssl-dev)");
#else
  const double fdatasync_per_s = bench::measure_fdatasync_per_s(dir, 1.0);
  for (const bench::NodeStorage storage :
       {bench::NodeStorage::Wal, bench::NodeStorage::WalSync, bench::NodeStorage::Memory}) {
    if (std::find(storages.begin(), storages.end(), bench::name_of(storage)) == storages.end()) continue;
    for (const bench::NodeClient client : {bench::NodeClient::Futures, bench::NodeClient::Loop}) {
      if (std::find(clients.begin(), clients.end(), bench::name_of(client)) == clients.end()) continue;
      for (const std::size_t count : proposers) {
        const bench::NodeCaseResult r =
            bench::measure_node_proposals(dir, storage, count, seconds, payload, batch_turns, client);
        std::printf("node storage=%s client=%s batch_turns=%d proposers=%zu payload=%zu seconds=%.1f proposals=%llu "
                    "proposals_per_s=%.0f p50_us=%.0f p99_us=%.0f cpu_us_per_proposal=%.1f allocs_per_proposal=%.1f fdatasync_per_s=%.0f\n",
                    bench::name_of(storage), bench::name_of(client), batch_turns ? 1 : 0, count, payload, r.seconds,
                    static_cast<unsigned long long>(r.proposals), r.proposals_per_s, r.p50_us, r.p99_us,
                    r.cpu_us_per_proposal, r.allocations_per_proposal, fdatasync_per_s);
        std::fflush(stdout);
      }
    }
  }
#endif
}

int main(int argc, char** argv) {
  std::uint64_t entries = 200'000;
  std::size_t payload = 128;
  std::vector<std::size_t> node_counts{3, 5};
  std::vector<std::size_t> batches{1, 64};
  int repeat = 3;
  std::string suite = "all";
  std::string wal_dir = "/tmp";
  std::uint64_t wal_syncs = 2000;
  std::uint64_t recovery_mib = 256;
  double codec_seconds = 0.5;
  std::vector<std::size_t> proposer_counts{1, 16, 64, 256};
  double node_seconds = 3;
  CLI::App app{"raftio-bench: committed-and-applied entries per second, in-memory, one thread"};
  app.add_option("--entries", entries, "entries per case")->capture_default_str();
  app.add_option("--payload", payload, "payload bytes per entry")->capture_default_str();
  app.add_option("--nodes", node_counts, "cluster sizes")->capture_default_str();
  app.add_option("--batch", batches, "proposals per round")->capture_default_str();
  app.add_option("--repeat", repeat, "runs per case; the best is reported")->capture_default_str();
  app.add_option("--suite", suite, "what to measure")->check(CLI::IsMember({"all", "cluster", "codec", "wal", "node"}))->capture_default_str();
  app.add_option("--wal-dir", wal_dir, "directory (on the disk to measure) for the WAL cases")->capture_default_str();
  app.add_option("--wal-syncs", wal_syncs, "synced batches per WAL case")->capture_default_str();
  app.add_option("--recovery-mib", recovery_mib, "size of the log recovered")->capture_default_str();
  app.add_option("--codec-seconds", codec_seconds, "time per codec measurement")->capture_default_str();
  app.add_option("--proposers", proposer_counts, "node suite: concurrent proposals")->capture_default_str();
  app.add_option("--node-seconds", node_seconds, "node suite: measured time per case")->capture_default_str();
  bool node_unbatched = false;
  app.add_flag("--node-unbatched", node_unbatched,
               "node suite: one core step per input instead of one per loop turn (NodeOptions::batch_turns = false)");
  std::vector<std::string> node_storages{"wal", "wal-sync", "memory"};
  app.add_option("--node-storage", node_storages, "node suite: the logs to measure on")
      ->check(CLI::IsMember({"wal", "wal-sync", "memory"}))
      ->capture_default_str();
  std::vector<std::string> node_clients{"futures", "loop"};
  app.add_option("--node-client", node_clients,
                 "node suite: how proposers wait: futures (one client thread, a std::future per proposal), "
                 "loop (callbacks on the leader's loop, each proposing again from its callback, as raftio-kv)")
      ->check(CLI::IsMember({"futures", "loop"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (suite == "all" || suite == "codec") run_codec_cases(codec_seconds);
  if (suite == "all" || suite == "wal") run_wal_cases(wal_dir, wal_syncs, recovery_mib);
  if (suite == "node") {
    run_node_cases(wal_dir, proposer_counts, node_seconds, payload, !node_unbatched, node_storages, node_clients);
    return 0;
  }
  if (suite == "codec" || suite == "wal") return 0;

  for (std::size_t nodes : node_counts) {
    for (std::size_t batch : batches) {
      CaseResult best;
      for (int r = 0; r < repeat; ++r) {
        CaseResult result = run_case(nodes, batch, entries, payload);
        if (r == 0 || result.wall_s < best.wall_s) best = result;
      }
      std::printf(
          "nodes=%zu batch=%zu entries=%llu payload=%zu wall_s=%.3f entries_per_s=%.0f "
          "events=%llu messages=%llu step_allocs_per_event=%.4f other_allocs_per_entry=%.2f\n",
          nodes, batch, static_cast<unsigned long long>(entries), payload, best.wall_s,
          static_cast<double>(entries) / best.wall_s, static_cast<unsigned long long>(best.events),
          static_cast<unsigned long long>(best.messages),
          static_cast<double>(best.step_allocations) / static_cast<double>(best.events),
          static_cast<double>(best.other_allocations) / static_cast<double>(entries));
      std::fflush(stdout);
    }
  }
  return 0;
}
