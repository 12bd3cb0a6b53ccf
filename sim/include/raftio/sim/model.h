// Sequential models for the linearizability checker (check_linearizable in linearizability.h).
//
// A model is the sequential specification of a state machine, in the shape of Porcupine's
// models: an initial state and a step that, given a state and one operation (its input, and its
// output when the client got one), says whether the operation could have returned that output
// from that state and, if so, the state after it. The checker searches for an order of the
// history's operations that respects real time and that the model accepts.
//
// The checker is a template instantiated per model (see docs/SIMULATION.md, "Models"): the
// search calls step() millions of times, and an indirect call plus a heap-allocated state per
// call would cost the key-value check several times its speed.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>

namespace raftio::sim {

// One client operation, for models that have no history type of their own. A model may use any
// record with these three time fields and a client (the key-value model uses KvOperation).
template <class Input, class Output>
struct Operation {
  std::uint64_t client = 0;
  Input input{};
  Output output{};  // what the client was told; meaningless when complete_time is empty
  std::uint64_t invoke_time = 0;
  // Nothing: the outcome is unknown (the client gave up, or the run ended). The operation may have
  // taken effect at any time after its invocation, or never.
  std::optional<std::uint64_t> complete_time;
};

// What the checker needs from a model M:
//   M::Operation   the history's record (client, invoke_time, complete_time, and the rest)
//   M::State       a regular, totally ordered value (the search's memo tells states apart by it)
//   M::Step        what step() is given: M::Operation itself, or the compact form prepare() makes
//   initial()      the state before any operation
//   step(state, op, next) -> bool   whether op may take effect in state (with its output if it
//                  has one; any output when its outcome is unknown), and the state after it in next
//   describe(op) -> string          one operation, for explanations
// Optional:
//   partition(op) -> string         operations of different partitions never constrain each
//                  other (P-compositionality): each partition is searched on its own. Without it
//                  the whole history is one partition.
//   partition_label(name) -> string how the explanation names a partition ("key k")
//   prepare(ops of one partition) -> std::vector<M::Step>  a compact form of the operations
//   effect(step) -> ordered value   unknown-outcome operations with equal effects are
//                  interchangeable; the search tries only the earliest unused one of each effect.
//                  Without it, every unknown operation is its own effect.
//   may_change(step) -> bool        false: the operation, if its outcome is unknown, can never
//                  change the state, so the search may leave it out
//   is_read(step) -> bool           true: whenever the operation is possible it changes nothing.
//                  The search linearizes such an operation as soon as it is possible.
//   kOutputFixesState (static constexpr bool) true when every successful step either changes
//                  nothing or leads to a state fixed by the operation alone (a write or a
//                  compare-and-set, not an increment). The search then places unknown-outcome
//                  operations only as a chain right before a completed operation that the chain
//                  makes possible, which makes it far smaller; it also tries blind() ones only
//                  at a chain's start.
//   blind(step) -> bool             the operation succeeds from every state, to one state
template <class M>
concept LinearizabilityModel = requires(const M& m, const typename M::State& s, typename M::State& next,
                                        const typename M::Operation& op, const typename M::Step& step) {
  { m.initial() } -> std::convertible_to<typename M::State>;
  { m.step(s, step, next) } -> std::same_as<bool>;
  { m.describe(op) } -> std::convertible_to<std::string>;
  { op.client } -> std::convertible_to<std::uint64_t>;
  { op.invoke_time } -> std::convertible_to<std::uint64_t>;
  { op.complete_time } -> std::convertible_to<std::optional<std::uint64_t>>;
};

}  // namespace raftio::sim
