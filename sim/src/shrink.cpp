#include "raftio/sim/shrink.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace raftio::sim {

namespace {

// One client operation: the client and its session number.
using OpId = std::pair<std::size_t, std::uint64_t>;

std::vector<OpId> flatten(const std::vector<std::vector<std::uint64_t>>& client_ops) {
  std::vector<OpId> out;
  for (std::size_t c = 0; c < client_ops.size(); ++c) {
    for (std::uint64_t seq : client_ops[c]) out.emplace_back(c, seq);
  }
  return out;
}

std::vector<std::vector<std::uint64_t>> unflatten(const std::vector<OpId>& ops, std::size_t clients) {
  std::vector<std::vector<std::uint64_t>> out(clients);
  for (const auto& [client, seq] : ops) out[client].push_back(seq);
  return out;
}

class Shrinker {
 public:
  Shrinker(ShrinkResult& result, const ShrinkOptions& options) : result_(result), options_(options) {}

  bool out_of_budget() {
    if (result_.runs < options_.budget) return false;
    result_.budget_exhausted = true;
    return true;
  }

  // Replays a candidate; when it still violates the property first, it becomes the current
  // schedule as the replay recorded it (faults that took no effect there are left out).
  bool try_candidate(Schedule candidate) {
    if (out_of_budget()) return false;
    ++result_.runs;
    const SimReport report = replay(candidate);
    if (report.ok() || report.violations.front().property != result_.property) return false;
    accept(report);
    return true;
  }

  void accept(const SimReport& report) {
    result_.shrunk = report.schedule;
    result_.shrunk.property = result_.property;
    result_.shrunk_trace_hash = report.trace_hash;
    invoke_us_ = report.invoke_us;
    violation_us_ = report.first_violation_us;
  }

  // Nothing after the first violation can have caused it: a fault or an operation that comes
  // later changes no choice made before (each has its own streams), so the run up to the
  // violation, and the violation, stay. One run confirms it.
  void cut_after_violation() {
    Schedule candidate = result_.shrunk;
    const auto late = [this](const ScheduledFault& f) { return f.time_us > violation_us_; };
    candidate.faults.erase(std::remove_if(candidate.faults.begin(), candidate.faults.end(), late), candidate.faults.end());
    for (std::size_t c = 0; c < candidate.client_ops.size() && c < invoke_us_.size(); ++c) {
      std::vector<std::uint64_t> kept;
      for (std::size_t i = 0; i < candidate.client_ops[c].size() && i < invoke_us_[c].size(); ++i) {
        if (invoke_us_[c][i] <= violation_us_) kept.push_back(candidate.client_ops[c][i]);
      }
      candidate.client_ops[c] = std::move(kept);
    }
    if (candidate.faults.size() == result_.shrunk.faults.size() && candidate.operations() == result_.shrunk.operations()) return;
    try_candidate(std::move(candidate));
  }

  // ddmin, complements only: split the list in n chunks and try leaving each out; on success
  // continue with the smaller list and n - 1 chunks, else with twice as many chunks, until the
  // chunks are single items. `with` builds the candidate schedule holding a sub-list.
  template <class T, class With, class Get>
  void ddmin(With with, Get get) {
    std::size_t n = 2;
    for (;;) {
      const std::vector<T> items = get(result_.shrunk);
      if (items.empty() || out_of_budget()) return;
      if (items.size() == 1) {
        try_candidate(with(std::vector<T>{}));
        return;
      }
      n = std::min(n, items.size());
      bool reduced = false;
      for (std::size_t i = 0; i < n && !reduced; ++i) {
        const std::size_t begin = items.size() * i / n;
        const std::size_t end = items.size() * (i + 1) / n;
        std::vector<T> complement(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(begin));
        complement.insert(complement.end(), items.begin() + static_cast<std::ptrdiff_t>(end), items.end());
        reduced = try_candidate(with(std::move(complement)));
      }
      if (out_of_budget()) return;
      if (reduced) {
        n = std::max<std::size_t>(n - 1, 2);
      } else if (n >= items.size()) {
        return;  // no single item can go
      } else {
        n = std::min(2 * n, items.size());
      }
    }
  }

  void shrink_faults() {
    // Many a bug needs no fault at all: one run tells.
    if (!result_.shrunk.faults.empty()) {
      Schedule none = result_.shrunk;
      none.faults.clear();
      if (try_candidate(std::move(none))) return;
    }
    ddmin<ScheduledFault>(
        [this](std::vector<ScheduledFault> faults) {
          Schedule candidate = result_.shrunk;
          candidate.faults = std::move(faults);
          return candidate;
        },
        [](const Schedule& s) { return s.faults; });
  }

  // Whole clients first: a handful of runs, and most of the operations can go at once.
  void shrink_clients() {
    ddmin<std::size_t>(
        [this](std::vector<std::size_t> clients) {
          Schedule candidate = result_.shrunk;
          for (std::size_t c = 0; c < candidate.client_ops.size(); ++c) {
            if (std::find(clients.begin(), clients.end(), c) == clients.end()) candidate.client_ops[c].clear();
          }
          return candidate;
        },
        [](const Schedule& s) {
          std::vector<std::size_t> active;
          for (std::size_t c = 0; c < s.client_ops.size(); ++c) {
            if (!s.client_ops[c].empty()) active.push_back(c);
          }
          return active;
        });
  }

  void shrink_operations() {
    ddmin<OpId>(
        [this](std::vector<OpId> ops) {
          Schedule candidate = result_.shrunk;
          candidate.client_ops = unflatten(ops, candidate.client_ops.size());
          return candidate;
        },
        [](const Schedule& s) { return flatten(s.client_ops); });
  }

  void report(const char* pass) {
    if (options_.progress) {
      options_.progress(std::string(pass) + ": " + std::to_string(result_.shrunk.faults.size()) + " faults, " +
                        std::to_string(result_.shrunk.operations()) + " client operations (" +
                        std::to_string(result_.runs) + " runs)");
    }
  }

 private:
  ShrinkResult& result_;
  const ShrinkOptions& options_;
  std::vector<std::vector<std::uint64_t>> invoke_us_;  // of the current schedule's run
  std::uint64_t violation_us_ = 0;
};

}  // namespace

SimReport replay(const Schedule& schedule) {
  SimOptions options = schedule.options;
  options.trace = nullptr;
  options.timeline = false;
  options.last_events = 0;
  options.schedule = &schedule;
  return Simulation(options).run();
}

ShrinkResult shrink(SimOptions options, const ShrinkOptions& shrink_options) {
  ShrinkResult result;
  options.trace = nullptr;
  options.timeline = false;
  options.last_events = 0;
  const SimReport first = Simulation(options).run();
  result.runs = 1;
  result.original = first.schedule;
  result.shrunk = first.schedule;
  if (first.ok()) return result;
  result.failed = true;
  result.property = first.violations.front().property;
  result.original.property = result.property;
  result.shrunk.property = result.property;
  Shrinker shrinker(result, shrink_options);
  shrinker.accept(first);
  // The recorded schedule must reproduce the failure before anything is left out of it.
  result.reproduced = shrinker.try_candidate(result.original);
  if (!result.reproduced) return result;
  // What comes after the violation, then the faults (few, and each can matter), then whole
  // clients, then single operations; once operations went, faults they needed may go too: again
  // while anything shrinks.
  for (int round = 0; round < 3 && !result.budget_exhausted; ++round) {
    const std::size_t faults = result.shrunk.faults.size();
    const std::size_t operations = result.shrunk.operations();
    shrinker.cut_after_violation();
    shrinker.report("after the violation");
    shrinker.shrink_faults();
    shrinker.report("faults");
    shrinker.shrink_clients();
    shrinker.shrink_operations();
    shrinker.report("client operations");
    if (result.shrunk.faults.size() == faults && result.shrunk.operations() == operations) break;
  }
  return result;
}

}  // namespace raftio::sim
