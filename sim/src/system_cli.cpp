#include "system_cli.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "bank.h"
#include "cli_output.h"
#include "raftio/sim/kv_system.h"
#include "raftio/sim/system.h"
#include "raftio/sim/system_schedule_io.h"
#include "raftio/sim/timeline.h"

namespace raftio::sim {

namespace {

using ull = unsigned long long;

// Calls f(spec) with the model's SystemSpec, its machine carrying `bug`; 2 for an unknown model or bug.
template <class F>
int with_spec(const std::string& model, const std::string& bug, F&& f) {
  if (model == "bank") {
    if (bug != "none" && bug != "forget-last-account") return 2;
    return f(bank::spec(/*forget_last_account=*/bug != "none"));
  }
  if (model == "kv") {
    const std::optional<KvMachineBug> parsed = parse_kv_machine_bug(bug);
    if (!parsed) return 2;
    return f(kv_system_spec(*parsed));
  }
  return 2;
}

SystemOptions options_for(const SystemCliOptions& cli, std::uint64_t seed) {
  SystemOptions options;
  options.seed = seed;
  options.nodes = cli.nodes;
  if (cli.ticks != 0) options.ticks = cli.ticks;
  if (cli.clients != 0) options.clients = cli.clients;
  options.crashes = options.pauses = options.partitions = options.message_faults = options.transfers =
      options.crash_points = options.membership = cli.faults;
  // The key-value store's sessions make a repeated command harmless: its clients send a command
  // whose outcome is unknown again, as real clients do (the bank's cannot).
  if (cli.model == "kv") options.resends = 2;
  return options;
}

// The outputs of one run: its trace as it goes, then its timeline and history.
class RunOutputs {
 public:
  explicit RunOutputs(const SystemCliOptions& cli) : cli_(cli) {}
  bool open(SystemOptions& options) {
    if (!cli_.trace_file.empty()) {
      if (!open_output(trace_, cli_.trace_file)) return false;
      options.trace = [this](std::uint64_t time, NodeId node, const std::string& line) {
        trace_ << time << ' ' << node << ' ' << line << '\n';
      };
    }
    if (!cli_.html_file.empty()) options.timeline = &timeline_;
    return true;
  }
  template <class M>
  bool write(const SystemReport<typename M::Operation>& report, const M& model, const std::string& title) {
    if (!cli_.html_file.empty()) {
      std::ofstream html;
      if (!open_output(html, cli_.html_file)) return false;
      timeline_.title = title;
      write_html_timeline(html, timeline_);
      if (!html) return cannot_write(cli_.html_file) == 0;
      std::printf("wrote %s\n", cli_.html_file.c_str());
    }
    if (!cli_.history_file.empty()) {
      std::ofstream history;
      if (!open_output(history, cli_.history_file)) return false;
      write_system_history(history, report.history, model);
      if (!history) return cannot_write(cli_.history_file) == 0;
      std::printf("wrote %s (%zu operations)\n", cli_.history_file.c_str(), report.history.size());
    }
    return true;
  }

 private:
  const SystemCliOptions& cli_;
  std::ofstream trace_;
  Timeline timeline_;
};

std::string replay_command(const SystemCliOptions& cli, std::uint64_t seed) {
  std::string command = "raftio-sim --model " + cli.model + " --seed " + std::to_string(seed) + " --nodes " +
                        std::to_string(cli.nodes);
  if (cli.ticks != 0) command += " --ticks " + std::to_string(cli.ticks);
  if (cli.clients != 0) command += " --clients " + std::to_string(cli.clients);
  if (cli.plant_bug != "none") command += " --plant-bug " + cli.plant_bug;
  if (!cli.faults) command += " --faults none";
  return command;
}

// One model's seeds: a line per run (or, for --seeds, a summary line), and for each failure its
// message and the command that replays it.
template <LinearizabilityModel M>
int run_seeds(const SystemSpec<M>& spec, const SystemCliOptions& cli) {
  const char* model = cli.model.c_str();
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t passed = 0, failed = 0, first_failure = 0, inconclusive = 0;
  std::uint64_t last_seed = cli.last_seed;
  SystemCounts total;
  for (std::uint64_t seed = cli.first_seed; seed <= last_seed; ++seed) {
    SystemOptions options = options_for(cli, seed);
    RunOutputs outputs(cli);
    if (!cli.sweep && !outputs.open(options)) return 2;
    const auto report = run_system(spec, options);
    if (!cli.sweep && !outputs.write(report, spec.model, "raftio-sim --model " + cli.model + " seed " + std::to_string(seed))) {
      return 2;
    }
    total += report.counts;
    inconclusive += report.inconclusive;
    if (!cli.sweep) std::printf("%s seed %llu: %s\n", model, static_cast<ull>(seed), describe(report.counts).c_str());
    if (report.passed) {
      ++passed;
      continue;
    }
    if (failed++ == 0) first_failure = seed;
    std::printf("FAILED %s\nreplay: %s\n", report.message.c_str(), replay_command(cli, seed).c_str());
    if (cli.until_violation) last_seed = seed;  // the summary covers the seeds that ran
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (cli.sweep) {
    std::printf("%s: seeds %llu..%llu: %llu passed, %llu failed", model, static_cast<ull>(cli.first_seed),
                static_cast<ull>(last_seed), static_cast<ull>(passed), static_cast<ull>(failed));
    if (failed > 0) std::printf(" (first failing seed %llu)", static_cast<ull>(first_failure));
    std::printf("; %llu events, %llu operations, %llu crashes, %llu partitions, %llu histories inconclusive, %.0f "
                "events/s, %.1f s\n",
                static_cast<ull>(total.events), static_cast<ull>(total.operations), static_cast<ull>(total.crashes),
                static_cast<ull>(total.partitions), static_cast<ull>(inconclusive),
                wall > 0 ? static_cast<double>(total.events) / wall : 0.0, wall);
  }
  return failed == 0 ? 0 : 1;
}

// --shrink: the seed's failure reduced to a schedule file, and the command that replays it.
template <LinearizabilityModel M>
int shrink_seed(const SystemSpec<M>& spec, const SystemCliOptions& cli) {
  const std::uint64_t seed = cli.first_seed;
  SystemShrinkOptions shrink_options;
  shrink_options.budget = cli.shrink_budget;
  shrink_options.progress = [](const std::string& line) {
    std::printf("  %s\n", line.c_str());
    std::fflush(stdout);
  };
  std::printf("shrinking %s seed %llu (budget %zu runs)\n", cli.model.c_str(), static_cast<ull>(seed), cli.shrink_budget);
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  const SystemOptions options = options_for(cli, seed);
  const SystemShrinkResult result = shrink_system(spec, options, shrink_options);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.failed) {
    std::printf("%s seed %llu passes: nothing to shrink\n", cli.model.c_str(), static_cast<ull>(seed));
    return 0;
  }
  std::printf("FAILED %s\n", result.message.c_str());
  if (!result.reproduced) {
    std::printf("replaying its recorded schedule does not fail %s (a replay bug: please report it); nothing shrunk\n",
                to_string(result.check).c_str());
    return 2;
  }
  SystemScheduleFile file;
  file.model = cli.model;
  file.planted_bug = cli.plant_bug;
  file.options = options;
  file.check = to_string(result.check);
  file.schedule = result.shrunk;
  const std::string path = cli.shrink_out.empty()
                               ? "raftio-sim-" + cli.model + "-" + std::to_string(seed) + ".schedule"
                               : cli.shrink_out;
  std::ofstream out(path);
  out << format_system_schedule(file);
  out.close();
  if (!out) return cannot_write(path);
  std::printf("shrunk, still failing %s:\n", file.check.c_str());
  std::printf("  faults              %zu -> %zu\n", result.original.faults.size(), result.shrunk.faults.size());
  std::printf("  client operations   %zu -> %zu\n", result.original.operations(), result.shrunk.operations());
  std::printf("  runs                %zu of %zu%s, %.1f s\n", result.runs, cli.shrink_budget,
              result.budget_exhausted ? " (budget used up: a larger --shrink-budget may shrink further)" : "", wall);
  std::printf("FAILED %s\nwrote %s\nreplay: raftio-sim --schedule %s\n", result.shrunk_message.c_str(), path.c_str(),
              path.c_str());
  return 1;
}

}  // namespace

std::vector<std::string> planted_bugs(const std::string& model) {
  if (model == "bank") return {"forget-last-account"};
  if (model == "kv") {
    return {std::string(to_string(KvMachineBug::RestoreDropsSessions)), std::string(to_string(KvMachineBug::ApplyIgnoresSessions))};
  }
  return {};
}

int run_system_model(const SystemCliOptions& cli) {
  return with_spec(cli.model, cli.plant_bug, [&](const auto& spec) {
    return cli.shrink ? shrink_seed(spec, cli) : run_seeds(spec, cli);
  });
}

int replay_system_schedule(const std::string& path, const std::string& text, const SystemCliOptions& outputs) {
  SystemScheduleFile file;
  std::string error;
  if (!parse_system_schedule(text, file, error)) {
    std::fprintf(stderr, "raftio-sim: %s: %s\n", path.c_str(), error.c_str());
    return 2;
  }
  const std::vector<std::string> bugs = planted_bugs(file.model);
  if (bugs.empty() || (file.planted_bug != "none" && std::find(bugs.begin(), bugs.end(), file.planted_bug) == bugs.end())) {
    std::fprintf(stderr, "raftio-sim: %s: model '%s' with bug '%s': this raftio-sim knows the models kv and bank and their bugs\n",
                 path.c_str(), file.model.c_str(), file.planted_bug.c_str());
    return 2;
  }
  const int status = with_spec(file.model, file.planted_bug, [&](const auto& spec) {
    SystemOptions options = file.options;
    options.schedule = &file.schedule;
    RunOutputs out(outputs);
    if (!out.open(options)) return 2;
    const auto report = run_system(spec, options);
    if (!out.write(report, spec.model, "raftio-sim --schedule " + path)) return 2;
    std::printf("%s seed %llu, schedule %s (%zu faults, %zu operations): %s\n", file.model.c_str(),
                static_cast<ull>(file.options.seed), path.c_str(), file.schedule.faults.size(),
                file.schedule.operations(), describe(report.counts).c_str());
    if (report.passed) {
      std::printf("passed%s\n", file.check.empty() ? "" : (" (the file records a failure of " + file.check + ")").c_str());
      return 0;
    }
    std::printf("FAILED %s\n%s\n", report.message.c_str(),
                to_string(report.failed_check) == file.check ? "the check the file records"
                                                             : ("the file records " + (file.check.empty() ? std::string("no failure") : file.check)).c_str());
    return 1;
  });
  return status;
}

}  // namespace raftio::sim
