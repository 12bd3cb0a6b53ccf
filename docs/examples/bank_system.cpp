// Sweeps seeds of the bank (bank.h) through the simulator: each run crashes, pauses and
// partitions a three-node cluster of runtime Drivers while clients transfer money and read the
// balances, then checks Raft's safety, that the replicas agree and that the history is
// linearizable.
//   example_bank_system [--planted] [first [last]]   seeds first..last (default 1..20)
// It exits 1 at the first seed that fails, naming it; running that seed alone replays it.
#include <cstdio>
#include <string>
#include <vector>

#include "bank.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool planted = !args.empty() && args[0] == "--planted";
  if (planted) args.erase(args.begin());
  const std::uint64_t first = args.empty() ? 1 : std::stoull(args[0]);
  const std::uint64_t last = args.size() > 1 ? std::stoull(args[1]) : args.empty() ? 20 : first;
  const auto spec = bank::spec(/*forget_last_account=*/planted);
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    raftio::sim::SystemOptions options;
    options.seed = seed;
    const auto report = raftio::sim::run_system(spec, options);
    std::printf("seed %s: %s\n", std::to_string(seed).c_str(), raftio::sim::describe(report.counts).c_str());
    if (!report.passed) {
      std::printf("FAILED %s\nreplay: example_bank_system %s%s\n", report.message.c_str(),
                  planted ? "--planted " : "", std::to_string(seed).c_str());
      return 1;
    }
  }
  return 0;
}
