// Sweeps seeds of the bank (bank.h) through the simulator: every run crashes, pauses and
// partitions a three-node cluster of runtime Drivers while clients transfer money and read the
// balances, then checks Raft's safety, that replicas agree, and that the history is linearizable.
//   bank_system [--planted] [first [last]]   seeds first..last (default 1..20); exit 1 on a violation
// Replaying a seed is running it alone: bank_system --planted 3 3.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bank.h"

int main(int argc, char** argv) {
  int arg = 1;
  const bool planted = argc > arg && std::string(argv[arg]) == "--planted";
  arg += planted ? 1 : 0;
  const std::uint64_t first = argc > arg ? std::strtoull(argv[arg], nullptr, 10) : 1;
  const std::uint64_t last = argc > arg + 1 ? std::strtoull(argv[arg + 1], nullptr, 10) : first + 19 * (argc <= arg);
  const auto spec = bank::spec(/*forget_last_account=*/planted);
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    raftio::sim::SystemOptions options;
    options.seed = seed;
    const auto report = raftio::sim::run_system(spec, options);
    std::printf("seed %llu: %s, %s\n", static_cast<unsigned long long>(seed), report.passed ? "ok" : "FAILED",
                raftio::sim::describe(report.counts).c_str());
    if (!report.passed) {
      std::printf("%s\nreplay: bank_system%s %llu %llu\n", report.message.c_str(), planted ? " --planted" : "",
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
      return 1;
    }
  }
  return 0;
}
