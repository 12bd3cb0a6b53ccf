// Linearizability of a key-value history (Herlihy & Wing), checked per key: operations on
// different keys are independent (P-compositionality), so each key's sub-history is searched
// separately with the Wing & Gong algorithm, memoized as in Lowe's and Porcupine's checkers.
//
// Operations with an unknown outcome have no completion: they may be linearized anywhere after
// their invocation, or left out entirely. The search has a budget of explored states per key; a
// key whose search runs out is reported as inconclusive (not as a violation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "raftio/sim/kv_history.h"

namespace raftio::sim {

struct LinearizabilityReport {
  bool linearizable = true;          // false only when a key's history is proven not linearizable
  std::size_t keys = 0;              // keys checked
  std::size_t operations = 0;        // operations checked
  std::size_t inconclusive_keys = 0; // keys whose search hit the budget
  std::uint64_t states_explored = 0;
  std::string failing_key;           // the first key found not linearizable
  std::string explanation;           // human-readable: the operations of that key, in time order
};

LinearizabilityReport check_linearizable(const KvHistory& history, std::uint64_t max_states_per_key = 1'000'000);

}  // namespace raftio::sim
