#include "system_cli.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "bank.h"
#include "cli_output.h"
#include "raftio/sim/kv_system.h"
#include "raftio/sim/system.h"

namespace raftio::sim {

namespace {

// One model's seeds: a line per run (or, for --seeds, a summary line), and for each failure its
// message and the command that replays it.
template <LinearizabilityModel M>
int run_seeds(const SystemSpec<M>& spec, const SystemCliOptions& cli) {
  const char* model = cli.model.c_str();
  std::ofstream trace;
  if (!cli.trace_file.empty()) {
    if (!open_output(trace, cli.trace_file)) return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t passed = 0, failed = 0, first_failure = 0, inconclusive = 0;
  std::uint64_t last_seed = cli.last_seed;
  SystemCounts total;
  for (std::uint64_t seed = cli.first_seed; seed <= last_seed; ++seed) {
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
    if (!cli.sweep) {
      std::printf("%s seed %llu: %s\n", model, static_cast<unsigned long long>(seed), describe(report.counts).c_str());
    }
    if (report.passed) {
      ++passed;
      continue;
    }
    if (failed++ == 0) first_failure = seed;
    const std::string bug = cli.plant_bug == "none" ? "" : " --plant-bug " + cli.plant_bug;
    std::printf("FAILED %s\nreplay: raftio-sim --model %s --seed %llu --nodes %zu%s%s\n", report.message.c_str(), model,
                static_cast<unsigned long long>(seed), cli.nodes, bug.c_str(), cli.faults ? "" : " --faults none");
    if (cli.until_violation) last_seed = seed;  // the summary covers the seeds that ran
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (cli.sweep) {
    std::printf("%s: seeds %llu..%llu: %llu passed, %llu failed", model, static_cast<unsigned long long>(cli.first_seed),
                static_cast<unsigned long long>(last_seed), static_cast<unsigned long long>(passed),
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

}  // namespace

std::vector<std::string> planted_bugs(const std::string& model) {
  if (model == "bank") return {"forget-last-account"};
  if (model == "kv") return {std::string(to_string(KvMachineBug::RestoreDropsSessions))};
  return {};
}

int run_system_model(const SystemCliOptions& cli) {
  if (cli.model == "bank") {
    if (cli.plant_bug != "none" && cli.plant_bug != "forget-last-account") return 2;
    return run_seeds(bank::spec(/*forget_last_account=*/cli.plant_bug != "none"), cli);
  }
  if (cli.model == "kv") {
    const std::optional<KvMachineBug> bug = parse_kv_machine_bug(cli.plant_bug);
    if (!bug) return 2;
    return run_seeds(kv_system_spec(*bug), cli);
  }
  return 2;
}

}  // namespace raftio::sim
