// raftio-sim: seeded simulations of a Raft cluster under faults, checked after every step.
//   raftio-sim --seed 42                       one run, with its report
//   raftio-sim --seeds 1..200 --ticks 20000    a sweep: a summary line, exit 1 if any seed fails
//   raftio-sim --seeds 1..200 --until-violation   stop the sweep at the first failing seed
//   raftio-sim --seed 42 --trace t.jsonl --html t.html --history h.jsonl
//   raftio-sim --check-history h.jsonl         check a client history from anywhere
//   raftio-sim --seed 42 --shrink              shrink a failure to a schedule file, print its replay
//   raftio-sim --seed 42 --schedule FILE       replay a schedule file
//   raftio-sim --model kv --seeds 1..200       the same key-value store as a StateMachine over runtime Drivers
//   raftio-sim --model bank --seeds 1..200     the bank of docs/examples/bank.h over runtime Drivers
// A failing run prints the violated property, the nodes, the last events before it and the
// command that replays it. See docs/SIMULATION.md.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "raftio/sim/history_io.h"
#include "raftio/sim/schedule_io.h"
#include "raftio/sim/shrink.h"
#include "raftio/sim/system.h"
#include "raftio/sim/system_schedule_io.h"
#include "raftio/sim/simulation.h"
#include "cli_output.h"
#include "system_cli.h"

namespace {

using raftio::sim::cannot_write;
using raftio::sim::open_output;
using raftio::sim::FaultProfile;
using raftio::sim::SimOptions;
using raftio::sim::SimReport;
using raftio::sim::Simulation;

struct Cli {
  std::uint64_t seed = 1;
  std::string seeds;  // "A..B"
  std::size_t nodes = 5;
  std::uint64_t ticks = 20'000;
  std::string faults = "all";
  std::string storage = "wal";
  std::string storage_mode = "mixed";
  std::string swarm = "on";
  std::size_t clients = 4;
  std::uint64_t snapshot_every = raftio::sim::SimOptions{}.snapshot_every;
  std::string trace_file;
  std::string html_file;
  bool until_violation = false;
  std::string history_file;
  std::string check_history_file;
  std::string plant_bug = "none";
  std::string schedule_file;
  bool shrink = false;
  std::size_t shrink_budget = raftio::sim::ShrinkOptions{}.budget;
  std::string shrink_out;  // default raftio-sim-<seed>.schedule
  std::string model = "core";
};

bool parse_range(const std::string& text, std::uint64_t& first, std::uint64_t& last) {
  const std::size_t dots = text.find("..");
  if (dots == std::string::npos) return false;
  try {
    first = std::stoull(text.substr(0, dots));
    last = std::stoull(text.substr(dots + 2));
  } catch (...) {
    return false;
  }
  return first <= last;
}

// Runs a seed again, this time remembering the events before the first violation.
SimReport replay_for_report(SimOptions options) {
  options.last_events = 40;
  return Simulation(options).run();
}

int run_one(SimOptions options, const Cli& cli) {
  std::ofstream trace;
  if (!cli.trace_file.empty()) {
    if (!open_output(trace, cli.trace_file)) return 2;
    options.trace = &trace;
  }
  options.timeline = !cli.html_file.empty();
  Simulation simulation(options);
  SimReport report = simulation.run();
  if (!cli.html_file.empty()) {
    std::ofstream html(cli.html_file);
    write_html_timeline(html, simulation.timeline());
    if (!html) {
      return cannot_write(cli.html_file);
    }
  }
  if (!cli.history_file.empty()) {
    std::ofstream history(cli.history_file);
    raftio::sim::write_history(history, simulation.history());
    if (!history) {
      return cannot_write(cli.history_file);
    }
  }
  if (!report.ok()) {
    options.trace = nullptr;
    options.timeline = false;
    const SimReport detailed = replay_for_report(options);
    if (detailed.trace_hash == report.trace_hash) report.last_events = detailed.last_events;
  }
  std::string text = raftio::sim::format_report(report);
  if (!cli.schedule_file.empty()) {
    // A replay is replayed by its file: the seed's own command would run the nemesis again.
    const std::string seed_command = raftio::sim::command_line(options);
    const std::string schedule_command = "raftio-sim --seed " + std::to_string(options.seed) + " --schedule " + cli.schedule_file;
    if (const std::size_t at = text.find(seed_command); at != std::string::npos) text.replace(at, seed_command.size(), schedule_command);
    text = "schedule " + cli.schedule_file + ": " + std::to_string(options.schedule->faults.size()) + " faults, " +
           std::to_string(options.schedule->operations()) + " client operations" +
           (options.schedule->property.empty() ? "" : ", recorded violating " + options.schedule->property) + "\n" + text;
  }
  std::fputs(text.c_str(), stdout);
  return report.ok() ? 0 : 1;
}

// --schedule FILE: the run the file describes (its header holds the seed and the options).
int replay_schedule(const Cli& cli, bool seed_given) {
  std::ifstream in(cli.schedule_file);
  if (!in) {
    std::fprintf(stderr, "raftio-sim: cannot read %s\n", cli.schedule_file.c_str());
    return 2;
  }
  const raftio::sim::ScheduleReadResult read = raftio::sim::read_schedule(in);
  if (!read.ok()) {
    std::fprintf(stderr, "raftio-sim: %s: %s\n", cli.schedule_file.c_str(), read.error.c_str());
    return 2;
  }
  if (seed_given && cli.seed != read.schedule.options.seed) {
    std::fprintf(stderr, "raftio-sim: %s is a schedule of seed %llu, not %llu\n", cli.schedule_file.c_str(),
                 static_cast<unsigned long long>(read.schedule.options.seed), static_cast<unsigned long long>(cli.seed));
    return 2;
  }
  SimOptions options = read.schedule.options;
  options.schedule = &read.schedule;
  return run_one(options, cli);
}

// --shrink: the seed's failure reduced to a schedule file, and the command that replays it.
int shrink_seed(const SimOptions& options, const Cli& cli) {
  raftio::sim::ShrinkOptions shrink_options;
  shrink_options.budget = cli.shrink_budget;
  shrink_options.progress = [](const std::string& line) {
    std::printf("  %s\n", line.c_str());
    std::fflush(stdout);
  };
  std::printf("shrinking seed %llu (budget %zu runs)\n", static_cast<unsigned long long>(options.seed), cli.shrink_budget);
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  const raftio::sim::ShrinkResult result = raftio::sim::shrink(options, shrink_options);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.failed) {
    std::printf("seed %llu passes: nothing to shrink\n", static_cast<unsigned long long>(options.seed));
    return 0;
  }
  if (!result.reproduced) {
    std::printf("seed %llu violates %s, but replaying its recorded schedule does not (a replay bug: please report "
                "it); nothing shrunk\n",
                static_cast<unsigned long long>(options.seed), result.property.c_str());
    return 2;
  }
  const std::string file = cli.shrink_out.empty() ? "raftio-sim-" + std::to_string(options.seed) + ".schedule" : cli.shrink_out;
  std::ofstream out(file);
  raftio::sim::write_schedule(out, result.shrunk);
  out.close();
  if (!out) {
    return cannot_write(file);
  }
  std::printf("seed %llu violates %s\n", static_cast<unsigned long long>(options.seed), result.property.c_str());
  std::printf("  faults              %zu -> %zu\n", result.original.faults.size(), result.shrunk.faults.size());
  std::printf("  client operations   %zu -> %zu\n", result.original.operations(), result.shrunk.operations());
  std::printf("  runs                %zu of %zu%s, %.1f s\n", result.runs, cli.shrink_budget,
              result.budget_exhausted ? " (budget used up: a larger --shrink-budget may shrink further)" : "", wall);
  std::printf("wrote %s\nreplay: raftio-sim --seed %llu --schedule %s\n", file.c_str(),
              static_cast<unsigned long long>(options.seed), file.c_str());
  return 1;
}

int run_sweep(SimOptions options, std::uint64_t first, std::uint64_t last, bool until_violation) {
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  std::uint64_t failed = 0;
  std::uint64_t first_failure = 0;
  std::uint64_t steps = 0;
  std::uint64_t faults = 0;
  std::uint64_t ops = 0;
  std::uint64_t unknown = 0;
  std::uint64_t crash_points = 0;
  double busy = 0;
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t total = last - first + 1;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    options.seed = seed;
    const SimReport report = Simulation(options).run();
    steps += report.steps;
    faults += report.faults.total();
    ops += report.ops_completed;
    unknown += report.ops_unknown;
    crash_points += report.faults.crash_points_fired();
    busy += report.wall_seconds;
    if (!report.ok()) {
      if (failed++ == 0) first_failure = seed;
      if (tty) std::fputs("\n", stdout);
      std::fputs(raftio::sim::format_report(replay_for_report(options)).c_str(), stdout);
      if (until_violation) {
        last = seed;  // the summary covers the seeds that ran
        break;
      }
    }
    if (tty) {
      const std::uint64_t done = seed - first + 1;
      const int width = 40;
      const int filled = static_cast<int>(width * done / total);
      std::printf("\r[%s%s] %llu/%llu seeds, %llu failed", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                  std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                  static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                  static_cast<unsigned long long>(failed));
      std::fflush(stdout);
    }
  }
  if (tty) std::fputs("\n", stdout);
  total = last - first + 1;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sweep seeds %llu..%llu nodes=%zu ticks=%llu faults=%s storage=%s %s%s: %llu passed, %llu failed",
              static_cast<unsigned long long>(first), static_cast<unsigned long long>(last), options.nodes,
              static_cast<unsigned long long>(options.ticks), std::string(to_string(options.faults)).c_str(),
              options.storage == raftio::sim::Storage::Wal ? "wal" : "mem",
              std::string(to_string(options.storage_mode)).c_str(), options.swarm ? " swarm" : "",
              static_cast<unsigned long long>(total - failed),
              static_cast<unsigned long long>(failed));
  if (failed > 0) std::printf(" (first failing seed %llu)", static_cast<unsigned long long>(first_failure));
  std::printf("; %llu events, %llu faults injected (%llu crash points), %llu client operations completed, %llu with "
              "unknown outcome, %.0f events/s, %.1f s\n",
              static_cast<unsigned long long>(steps), static_cast<unsigned long long>(faults),
              static_cast<unsigned long long>(crash_points), static_cast<unsigned long long>(ops),
              static_cast<unsigned long long>(unknown), busy > 0 ? static_cast<double>(steps) / busy : 0.0, wall);
  return failed == 0 ? 0 : 1;
}

// --check-history: the linearizability verdict on a history written by --history, by --trace, or
// by any program following the format (docs/SIMULATION.md). Exit 0 linearizable, 1 not, 2 unreadable.
int check_history(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    std::fprintf(stderr, "raftio-sim: cannot read %s\n", file.c_str());
    return 2;
  }
  const raftio::sim::HistoryReadResult read = raftio::sim::read_history(in);
  if (!read.ok()) {
    std::fprintf(stderr, "raftio-sim: %s: %s\n", file.c_str(), read.error.c_str());
    return 2;
  }
  std::size_t unknown = 0;
  for (const auto& op : read.history) unknown += op.complete_time ? 0 : 1;
  std::printf("history %s: %zu client records, %zu operations checked (%zu with unknown outcome, %zu of them never "
              "completed), %zu failed and left out",
              file.c_str(), read.records, read.history.size(), unknown, read.never_completed, read.failed);
  if (read.other_lines > 0) std::printf(", %zu other lines skipped", read.other_lines);
  std::printf("\n");
  const raftio::sim::LinearizabilityReport report = raftio::sim::check_linearizable(read.history);
  std::printf("  linearizability     %s (%zu keys, %zu operations, %llu states explored%s)\n",
              report.linearizable ? "linearizable" : "NOT linearizable", report.keys, report.operations,
              static_cast<unsigned long long>(report.states_explored),
              report.inconclusive_keys > 0
                  ? (", " + std::to_string(report.inconclusive_keys) + " keys inconclusive").c_str()
                  : "");
  if (!report.linearizable) std::printf("\n%s\n", report.explanation.c_str());
  return report.linearizable ? 0 : 1;
}

// --model kv|bank: run_system over runtime Drivers (system_cli.h).
int run_system_model(const Cli& cli, const CLI::App& app) {
  raftio::sim::SystemCliOptions options;
  options.model = cli.model;
  const char* model = cli.model.c_str();
  options.first_seed = options.last_seed = cli.seed;
  if (!cli.seeds.empty()) {
    if (!parse_range(cli.seeds, options.first_seed, options.last_seed)) {
      std::fprintf(stderr, "raftio-sim: --seeds wants A..B with A <= B, got '%s'\n", cli.seeds.c_str());
      return 2;
    }
    options.sweep = true;
  }
  options.nodes = app.count("--nodes") > 0 ? cli.nodes : 3;
  if (app.count("--ticks") > 0) options.ticks = cli.ticks;
  if (app.count("--clients") > 0) options.clients = cli.clients;
  if (cli.faults != "all" && cli.faults != "none") {
    std::fprintf(stderr, "raftio-sim: --model %s takes --faults all or none\n", model);
    return 2;
  }
  options.faults = cli.faults == "all";
  const std::vector<std::string> bugs = raftio::sim::planted_bugs(cli.model);
  if (cli.plant_bug != "none" && std::find(bugs.begin(), bugs.end(), cli.plant_bug) == bugs.end()) {
    std::string names;
    for (const std::string& bug : bugs) names += (names.empty() ? "" : ", ") + bug;
    std::fprintf(stderr, "raftio-sim: --model %s plants only %s\n", model, names.c_str());
    return 2;
  }
  options.plant_bug = cli.plant_bug;
  options.until_violation = cli.until_violation;
  if ((!cli.trace_file.empty() || !cli.html_file.empty() || !cli.history_file.empty() || cli.shrink) && options.sweep) {
    std::fprintf(stderr, "raftio-sim: --trace, --html, --history and --shrink work on one run: use --seed, not --seeds\n");
    return 2;
  }
  if (cli.shrink && (!cli.trace_file.empty() || !cli.html_file.empty() || !cli.history_file.empty())) {
    std::fprintf(stderr, "raftio-sim: --shrink runs many runs: give --trace, --html or --history to the replay of its "
                         "schedule (--schedule FILE)\n");
    return 2;
  }
  options.trace_file = cli.trace_file;
  options.html_file = cli.html_file;
  options.history_file = cli.history_file;
  options.shrink = cli.shrink;
  options.shrink_budget = app.count("--shrink-budget") > 0 ? cli.shrink_budget : raftio::sim::SystemShrinkOptions{}.budget;
  options.shrink_out = cli.shrink_out;
  return raftio::sim::run_system_model(options);
}

}  // namespace

int main(int argc, char** argv) {
  Cli cli;
  CLI::App app{"raftio-sim: seeded Raft cluster simulations with fault injection and safety checking"};
  app.add_option("--seed", cli.seed, "the seed of one run")->capture_default_str();
  app.add_option("--seeds", cli.seeds, "a sweep over seeds A..B");
  app.add_option("--nodes", cli.nodes, "cluster size")->check(CLI::Range(1, 9))->capture_default_str();
  app.add_option("--ticks", cli.ticks, "run length in ticks of 10 ms virtual time (the last 2000 are fault-free)")
      ->check(CLI::Range(100, 100'000'000))
      ->capture_default_str();
  app.add_option("--faults", cli.faults, "fault profile")
      ->check(CLI::IsMember({"none", "network", "crash", "all"}))
      ->capture_default_str();
  app.add_option("--storage", cli.storage, "wal: WalLog on a disk that crashes; mem: MemoryLog")
      ->check(CLI::IsMember({"wal", "mem"}))
      ->capture_default_str();
  app.add_option("--storage-mode", cli.storage_mode,
                 "sync: writes inside step; async: Persist actions completed by a delayed I/O queue; mixed: "
                 "some nodes of each, drawn from the seed")
      ->check(CLI::IsMember({"sync", "async", "mixed"}))
      ->capture_default_str();
  app.add_option("--swarm", cli.swarm,
                 "on: each seed draws its Raft configuration, workload and fault mix (swarm testing); off: the fixed "
                 "profile")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  app.add_option("--clients", cli.clients, "key-value clients (with --swarm on, 4 lets the seed draw 1 to 10)")->check(CLI::Range(0, 64))->capture_default_str();
  app.add_option("--snapshot-every", cli.snapshot_every, "snapshot each node's store every N applied entries (0: never)")
      ->capture_default_str();
  app.add_flag("--until-violation", cli.until_violation, "in a sweep, stop at the first failing seed");
  app.add_option("--trace", cli.trace_file, "write every event and action as JSON lines to this file");
  app.add_option("--html", cli.html_file, "write a timeline of the run as one self-contained HTML page");
  app.add_option("--history", cli.history_file,
                 "write the client history (invocations and completions) as JSON lines to this file");
  app.add_option("--check-history", cli.check_history_file,
                 "check a client history (JSON lines, from --history, --trace or a real cluster) for "
                 "linearizability instead of running; exit 1 if it is not linearizable");
  app.add_option("--plant-bug", cli.plant_bug,
                 "plant a bug to see a failure found, shrunk and replayed: crash-loses-log-tail (a restarted node "
                 "lost its last log entries; needs --storage mem); with --model kv: kv-restore-drops-sessions (its "
                 "restore() forgets the client sessions) or kv-apply-ignores-sessions (its apply() applies a "
                 "command sent again a second time); with --model bank: forget-last-account (its snapshot() "
                 "leaves out an account)")
      ->check(CLI::IsMember({"none", "crash-loses-log-tail", "kv-restore-drops-sessions", "kv-apply-ignores-sessions",
                             "forget-last-account"}))
      ->capture_default_str();
  auto* schedule_option = app.add_option(
      "--schedule", cli.schedule_file,
      "replay a schedule file (written by --shrink): its faults instead of the nemesis's, only its client operations");
  auto* shrink_flag = app.add_flag("--shrink", cli.shrink,
                                   "shrink the seed's failure to the fewest faults and client operations that still "
                                   "violate the same property; write the schedule file and print its replay command");
  app.add_option("--shrink-budget", cli.shrink_budget, "with --shrink: simulation runs at most")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--shrink-out", cli.shrink_out, "with --shrink: the schedule file (default raftio-sim-<seed>.schedule)");
  app.add_option("--model", cli.model,
                 "core: raftio's key-value store stepped on the core (the default: WAL, storage modes, swarm, "
                 "crash points, --shrink); kv: the same store as a runtime StateMachine (raftio/sim/kv_system.h) "
                 "over runtime Drivers; bank: the bank of docs/examples/bank.h, a user's StateMachine. kv and bank "
                 "run through run_system (raftio/sim/system.h): --seed(s), --nodes, --ticks, --clients, --faults "
                 "none|all, --plant-bug, --until-violation, --trace (text lines), --html, --history (JSON lines of the "
                 "model's descriptions) and --shrink apply; --schedule replays a file --shrink wrote, whatever --model says")
      ->check(CLI::IsMember({"core", "kv", "bank"}))
      ->capture_default_str();
  shrink_flag->excludes(schedule_option);
  CLI11_PARSE(app, argc, argv);
  if (!cli.check_history_file.empty()) return check_history(cli.check_history_file);
  if (!cli.schedule_file.empty()) {
    // A schedule of the system simulator names its model: it replays whatever --model says.
    std::ifstream in(cli.schedule_file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in && raftio::sim::is_system_schedule(text)) {
      raftio::sim::SystemCliOptions outputs;
      outputs.trace_file = cli.trace_file;
      outputs.html_file = cli.html_file;
      outputs.history_file = cli.history_file;
      return raftio::sim::replay_system_schedule(cli.schedule_file, text, outputs);
    }
  }
  if (cli.model != "core") return run_system_model(cli, app);

  SimOptions options;
  options.seed = cli.seed;
  options.nodes = cli.nodes;
  options.ticks = cli.ticks;
  raftio::sim::parse_fault_profile(cli.faults, options.faults);
  options.storage = cli.storage == "mem" ? raftio::sim::Storage::Memory : raftio::sim::Storage::Wal;
  raftio::sim::parse_storage_mode(cli.storage_mode, options.storage_mode);
  options.clients = cli.clients;
  options.swarm = cli.swarm == "on";
  options.snapshot_every = cli.snapshot_every;
  for (const char* model : {"kv", "bank"}) {
    const std::vector<std::string> bugs = raftio::sim::planted_bugs(model);
    if (std::find(bugs.begin(), bugs.end(), cli.plant_bug) != bugs.end()) {
      std::fprintf(stderr, "raftio-sim: --plant-bug %s needs --model %s\n", cli.plant_bug.c_str(), model);
      return 2;
    }
  }
  raftio::sim::parse_planted_bug(cli.plant_bug, options.planted_bug);
  if (options.planted_bug != raftio::sim::PlantedBug::None && options.storage != raftio::sim::Storage::Memory) {
    std::fprintf(stderr, "raftio-sim: --plant-bug %s needs --storage mem\n", cli.plant_bug.c_str());
    return 2;
  }
  if ((cli.shrink || !cli.schedule_file.empty()) && !cli.seeds.empty()) {
    std::fprintf(stderr, "raftio-sim: --shrink and --schedule work on one run: use --seed, not --seeds\n");
    return 2;
  }
  if (!cli.schedule_file.empty()) return replay_schedule(cli, app.count("--seed") > 0);
  if (cli.shrink) {
    if (!cli.trace_file.empty() || !cli.html_file.empty() || !cli.history_file.empty()) {
      std::fprintf(stderr, "raftio-sim: --shrink runs many runs: give --trace, --html or --history to the replay of its "
                           "schedule (--schedule FILE)\n");
      return 2;
    }
    return shrink_seed(options, cli);
  }
  if (!cli.seeds.empty()) {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (!parse_range(cli.seeds, first, last)) {
      std::fprintf(stderr, "raftio-sim: --seeds wants A..B with A <= B, got '%s'\n", cli.seeds.c_str());
      return 2;
    }
    if (!cli.trace_file.empty() || !cli.html_file.empty() || !cli.history_file.empty()) {
      std::fprintf(stderr, "raftio-sim: --trace, --html and --history record one run: use --seed, not --seeds\n");
      return 2;
    }
    return run_sweep(options, first, last, cli.until_violation);
  }
  return run_one(options, cli);
}
