#include "system_cli.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "bank.h"
#include "cli_output.h"
#include "raftio/sim/system.h"

namespace raftio::sim {

int run_bank(const SystemCliOptions& cli) {
  const auto spec = bank::spec(cli.planted);
  std::ofstream trace;
  if (!cli.trace_file.empty()) {
    if (!open_output(trace, cli.trace_file)) return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t passed = 0, failed = 0, first_failure = 0, inconclusive = 0;
  SystemCounts total;
  for (std::uint64_t seed = cli.first_seed; seed <= cli.last_seed; ++seed) {
    SystemOptions options;
    options.seed = seed;
    options.nodes = cli.nodes;
    if (cli.ticks != 0) options.ticks = cli.ticks;
    if (cli.clients != 0) options.clients = cli.clients;
    options.crashes = options.pauses = options.partitions = options.message_faults = cli.faults;
    if (trace.is_open()) {
      options.trace = [&trace](std::uint64_t time, NodeId node, const std::string& line) {
        trace << time << ' ' << node << ' ' << line << '\n';
      };
    }
    const auto report = run_system(spec, options);
    total.events += report.counts.events;
    total.operations += report.counts.operations;
    total.crashes += report.counts.crashes;
    total.partitions += report.counts.partitions;
    inconclusive += report.inconclusive;
    if (!cli.sweep) std::printf("bank seed %llu: %s\n", static_cast<unsigned long long>(seed), describe(report.counts).c_str());
    if (report.passed) {
      ++passed;
      continue;
    }
    if (failed++ == 0) first_failure = seed;
    std::printf("FAILED %s\nreplay: raftio-sim --model bank --seed %llu --nodes %zu%s%s\n", report.message.c_str(),
                static_cast<unsigned long long>(seed), cli.nodes, cli.planted ? " --plant-bug forget-last-account" : "",
                cli.faults ? "" : " --faults none");
    if (cli.until_violation) break;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (cli.sweep) {
    std::printf("bank: seeds %llu..%llu: %llu passed, %llu failed", static_cast<unsigned long long>(cli.first_seed),
                static_cast<unsigned long long>(cli.last_seed), static_cast<unsigned long long>(passed),
                static_cast<unsigned long long>(failed));
    if (failed > 0) std::printf(" (first failing seed %llu)", static_cast<unsigned long long>(first_failure));
    std::printf("; %llu events, %llu operations, %llu crashes, %llu partitions, %llu histories inconclusive, %.0f "
                "events/s, %.1f s\n",
                static_cast<unsigned long long>(total.events), static_cast<unsigned long long>(total.operations),
                static_cast<unsigned long long>(total.crashes), static_cast<unsigned long long>(total.partitions),
                static_cast<unsigned long long>(inconclusive), wall > 0 ? static_cast<double>(total.events) / wall : 0.0,
                wall);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace raftio::sim
