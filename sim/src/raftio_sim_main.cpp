// raftio-sim: runs a seeded in-memory cluster, checks the Raft safety properties after every step
// and prints what happened. One seed fixes the whole run: message loss, delivery order, election
// timeouts and proposals.
#include <CLI/CLI.hpp>
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <string>

#include "raftio/describe.h"
#include "raftio/sim/cluster.h"

namespace {

struct DemoOptions {
  std::uint64_t seed = 1;
  std::size_t nodes = 3;
  std::size_t proposals = 300;  // commands the client must get committed
  double loss = 0.05;
  std::uint64_t max_ticks = 20'000;
  bool verbose = false;
};

// SplitMix64 for the driver's own choices (which message to deliver next, when to propose).
struct DriverRng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }
};

int run(const DemoOptions& options) {
  using namespace raftio;
  sim::Cluster cluster(sim::ClusterOptions{.nodes = options.nodes, .seed = options.seed});
  cluster.network().set_loss(options.loss);
  DriverRng rng{options.seed * 0x2545f4914f6cdd1dULL + 7};
  XXH3_state_t* trace = XXH3_createState();
  XXH3_64bits_reset(trace);

  std::printf("raftio-sim: seed=%llu nodes=%zu proposals=%zu loss=%.2f\n",
              static_cast<unsigned long long>(options.seed), options.nodes, options.proposals, options.loss);
  // The client: commands wait in `to_send`; a proposal lost to a leader change (or to a crash of
  // the node that accepted it) puts its command back in the queue, as a real client would retry.
  std::deque<std::size_t> to_send;
  for (std::size_t c = 0; c < options.proposals; ++c) to_send.push_back(c);
  std::map<std::uint64_t, std::size_t> in_flight;  // proposal id → command
  std::size_t committed = 0;
  std::size_t retried = 0;
  auto settle_outcomes = [&] {
    const auto& proposals = cluster.proposals();
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      auto p = std::lower_bound(proposals.begin(), proposals.end(), it->first,
                                [](const sim::ClientProposal& q, std::uint64_t id) { return q.id < id; });
      using Outcome = sim::ClientProposal::Outcome;
      if (p->outcome == Outcome::Acknowledged) {
        ++committed;
        it = in_flight.erase(it);
      } else if (p->outcome == Outcome::Failed || p->outcome == Outcome::Unknown) {
        to_send.push_back(it->second);
        ++retried;
        it = in_flight.erase(it);
      } else {
        ++it;
      }
    }
  };
  std::uint64_t tick = 0;
  std::uint64_t delivered = 0;
  NodeId last_leader = kNoNode;
  Term last_term = 0;
  for (; tick < options.max_ticks && cluster.checker().ok(); ++tick) {
    cluster.tick_all();
    // Deliver what is in flight in a seeded random order, so messages reorder.
    for (std::size_t budget = cluster.network().pending(); budget > 0 && !cluster.network().empty(); --budget) {
      const std::size_t pick = rng.below(cluster.network().pending());
      const Envelope& envelope = cluster.network().peek(pick);
      const std::string line = describe(envelope.message);
      XXH3_64bits_update(trace, line.data(), line.size());
      if (cluster.deliver(pick)) ++delivered;
    }
    if (auto leader = cluster.leader()) {
      const Term term = cluster.node(*leader).term();
      if (*leader != last_leader || term != last_term) {
        std::printf("tick %6llu: node %llu leads term %llu\n", static_cast<unsigned long long>(tick),
                    static_cast<unsigned long long>(*leader), static_cast<unsigned long long>(term));
        last_leader = *leader;
        last_term = term;
      }
      for (int burst = static_cast<int>(rng.below(4)); burst > 0 && !to_send.empty(); --burst) {
        const std::size_t c = to_send.front();
        const std::string command = "set k" + std::to_string(c % 17) + "=" + std::to_string(c);
        const auto id = cluster.propose(*leader, Payload::copy_of(command));
        if (!id) break;
        in_flight[*id] = c;
        to_send.pop_front();
      }
    }
    settle_outcomes();
    if (committed == options.proposals && cluster.missing_acknowledged().empty()) break;
  }
  std::printf("\nreport\n");
  std::printf("  ticks                 %llu\n", static_cast<unsigned long long>(tick));
  std::printf("  steps                 %llu\n", static_cast<unsigned long long>(cluster.steps()));
  std::printf("  messages sent         %llu (lost %llu, delivered %llu)\n",
              static_cast<unsigned long long>(cluster.network().sent()),
              static_cast<unsigned long long>(cluster.network().lost()), static_cast<unsigned long long>(delivered));
  std::printf("  leader changes seen   %llu\n", static_cast<unsigned long long>(cluster.leader_changes()));
  std::printf("  commands              %zu of %zu committed (%zu proposals, %zu retried after a leader change)\n",
              committed, options.proposals, cluster.proposals().size(), retried);
  for (NodeId id : cluster.ids()) {
    const RaftNode& node = cluster.node(id);
    std::printf("  node %llu               %-13s term %llu commit %llu applied %llu last %llu\n",
                static_cast<unsigned long long>(id), std::string(to_string(node.role())).c_str(),
                static_cast<unsigned long long>(node.term()), static_cast<unsigned long long>(node.commit_index()),
                static_cast<unsigned long long>(node.applied_index()),
                static_cast<unsigned long long>(node.last_index()));
  }
  const std::string missing = cluster.missing_acknowledged();
  std::printf("  safety                %s\n", cluster.checker().ok() ? "all properties held" : "VIOLATED");
  std::printf("  acknowledged writes   %s\n", missing.empty() ? "applied on every node" : missing.c_str());
  std::printf("  trace hash            %016llx\n", static_cast<unsigned long long>(XXH3_64bits_digest(trace)));
  XXH3_freeState(trace);
  if (!cluster.checker().ok()) {
    std::printf("\n%s", cluster.checker().report().c_str());
    return 1;
  }
  if (committed != options.proposals || !missing.empty()) {
    std::printf("\nliveness: not every proposal was acknowledged and applied within %llu ticks\n",
                static_cast<unsigned long long>(options.max_ticks));
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  DemoOptions options;
  CLI::App app{"raftio-sim: a seeded in-memory Raft cluster with safety checking"};
  app.add_option("--seed", options.seed, "PRNG seed: fixes the whole run")->capture_default_str();
  app.add_option("--nodes", options.nodes, "cluster size")->check(CLI::Range(1, 9))->capture_default_str();
  app.add_option("--proposals", options.proposals, "commands to commit")->capture_default_str();
  app.add_option("--loss", options.loss, "probability that a message is lost")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  app.add_option("--max-ticks", options.max_ticks, "give up after this many ticks")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return run(options);
}
