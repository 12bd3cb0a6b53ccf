// Linearizability of a client history (Herlihy & Wing) against a sequential model (model.h).
// Operations of different partitions are independent (P-compositionality), so each partition's
// sub-history is searched separately with the Wing & Gong algorithm, memoized as in Lowe's and
// Porcupine's checkers. The key-value store is one model (kv_model.h), partitioned by key.
//
// Operations with an unknown outcome have no completion: they may be linearized anywhere after
// their invocation, or left out entirely. The search has a budget of explored states per
// partition; a partition whose search runs out is reported as inconclusive (not as a violation).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "raftio/sim/detail/linearizability_search.h"
#include "raftio/sim/kv_history.h"
#include "raftio/sim/model.h"

namespace raftio::sim {

struct LinearizabilityReport {
  bool linearizable = true;          // false only when a partition's history is proven not linearizable
  std::size_t keys = 0;              // partitions (for the key-value model: keys) checked
  std::size_t operations = 0;        // operations checked
  std::size_t inconclusive_keys = 0; // partitions whose search hit the budget
  std::uint64_t states_explored = 0;
  std::string failing_key;           // the first partition found not linearizable
  std::string explanation;           // human-readable: the operations of that partition, in time order
};

// The key-value store's history against KvModel (kv_model.h).
LinearizabilityReport check_linearizable(const KvHistory& history, std::uint64_t max_states_per_key = 1'000'000);

namespace detail {

template <class M>
std::string partition_label(const M& model, const std::string& name) {
  if constexpr (requires { model.partition_label(name); }) return model.partition_label(name);
  else if constexpr (requires(const typename M::Operation& op) { model.partition(op); }) return "partition " + name;
  else return "the history";
}

template <class M>
std::string explain(const M& model, const std::string& label, const std::vector<const typename M::Operation*>& ops,
                    const Search<M>& search) {
  std::string s = label + " is not linearizable; its " + std::to_string(ops.size()) + " operations in time order:\n";
  for (std::size_t i = 0; i < ops.size(); ++i) s += "  #" + std::to_string(i + 1) + " " + model.describe(*ops[i]) + "\n";
  s += "longest linearizable prefix found (" + std::to_string(search.best_completed()) + " of " +
       std::to_string(search.total_completed()) + " completed operations):";
  if (search.best_prefix().empty()) s += " none";
  for (std::uint32_t op : search.best_prefix()) s += " #" + std::to_string(op + 1);
  return s + "\nafter it no order of the pending operations is consistent with the result of #" +
         std::to_string(search.best_blocker() + 1) + " " + model.describe(*ops[search.best_blocker()]) + "\n";
}

}  // namespace detail

// Whether history is linearizable with respect to model. Partitions are checked in name order.
template <LinearizabilityModel M>
LinearizabilityReport check_linearizable(const std::vector<typename M::Operation>& history, const M& model,
                                         std::uint64_t max_states_per_partition = 1'000'000) {
  using Op = typename M::Operation;
  LinearizabilityReport report;
  report.operations = history.size();
  std::map<std::string, std::vector<std::size_t>> partitions;  // ordered: a stable report
  for (std::size_t i = 0; i < history.size(); ++i) {
    if constexpr (requires { model.partition(history[i]); }) partitions[model.partition(history[i])].push_back(i);
    else partitions[std::string()].push_back(i);
  }
  report.keys = partitions.size();

  for (auto& [name, indices] : partitions) {
    // Time order, independent of the order the history was recorded in, for a stable explanation.
    std::stable_sort(indices.begin(), indices.end(), [&](std::size_t a, std::size_t b) {
      const Op& x = history[a];
      const Op& y = history[b];
      const std::uint64_t never = ~std::uint64_t{0};
      return std::make_tuple(x.invoke_time, x.complete_time.value_or(never), x.client) <
             std::make_tuple(y.invoke_time, y.complete_time.value_or(never), y.client);
    });
    std::vector<const Op*> ops;
    std::vector<detail::Timing> times;
    ops.reserve(indices.size());
    times.reserve(indices.size());
    for (std::size_t i : indices) {
      ops.push_back(&history[i]);
      times.push_back({history[i].invoke_time, history[i].complete_time});
    }
    std::vector<typename M::Step> steps;
    if constexpr (requires { model.prepare(ops); }) {
      steps = model.prepare(ops);
    } else {
      for (const Op* op : ops) steps.push_back(*op);
    }
    // Chains first try the cheap relaxed search (linearizability_search.h), then the exact one
    // if unknown outcomes leave the verdict open.
    constexpr bool relaxed_first = detail::Search<M>::kChains;
    std::optional<detail::Search<M>> search;
    search.emplace(model, steps, times, max_states_per_partition, relaxed_first);
    detail::Outcome outcome = search->run();
    std::uint64_t states = search->states();
    const bool settled = !relaxed_first || outcome == detail::Outcome::Violation ||
                         (outcome == detail::Outcome::Linearizable && search->pure());
    if (search->has_unknown() && !settled) {
      search.emplace(model, steps, times, max_states_per_partition - std::min(states, max_states_per_partition), false);
      outcome = search->run();
      states += search->states();
    }
    report.states_explored += states;
    if (outcome == detail::Outcome::Inconclusive) ++report.inconclusive_keys;
    if (outcome == detail::Outcome::Violation && report.linearizable) {
      report.linearizable = false;
      report.failing_key = name;
      report.explanation = detail::explain(model, detail::partition_label(model, name), ops, *search);
    }
  }
  return report;
}

}  // namespace raftio::sim
