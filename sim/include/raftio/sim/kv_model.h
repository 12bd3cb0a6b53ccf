// The sequential model of the simulator's key-value store, for check_linearizable: a register per
// key (partition = key) with put, get and compare-and-set.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "raftio/sim/kv_history.h"

namespace raftio::sim {

struct KvModel {
  using Operation = KvOperation;
  // A key's value, as an id among the values its history mentions (see prepare); -1: absent.
  using State = std::int32_t;
  static constexpr State kAbsent = -1;
  // One operation of a key, with values replaced by ids. Values that no completed Get reads and no
  // Cas expects all share one id ("other"): no step can tell them apart, and merging them lets
  // the search's memo recognise more states as already explored.
  struct Step {
    const KvOperation* source = nullptr;
    bool known = false;
    std::int32_t value = 0;
    std::int32_t expected = 0;
    std::int32_t read = kAbsent;
  };
  // Puts and successful Cas set a value of their own; Gets and failed Cas change nothing.
  static constexpr bool kOutputFixesState = true;

  State initial() const { return kAbsent; }
  const std::string& partition(const KvOperation& op) const { return op.key; }
  std::string partition_label(const std::string& key) const { return "key " + key; }
  std::vector<Step> prepare(const std::vector<const KvOperation*>& ops) const;
  std::string describe(const KvOperation& op) const;

  bool step(State state, const Step& op, State& next) const {
    next = state;
    switch (op.source->kind) {
      case KvOpKind::Put: next = op.value; return true;
      case KvOpKind::Get: return state == op.read;
      case KvOpKind::Cas:
        // An unknown Cas that failed changed nothing, the same as leaving it out: only its
        // successful form is tried.
        if (op.known && !op.source->cas_succeeded) return state != op.expected;
        if (state != op.expected) return false;
        next = op.value;
        return true;
    }
    return false;
  }
  bool is_read(const Step& op) const {
    return op.source->kind == KvOpKind::Get || (op.source->kind == KvOpKind::Cas && !op.source->cas_succeeded);
  }
  bool blind(const Step& op) const { return op.source->kind == KvOpKind::Put; }
  // (unknown Gets, and Cas that would write what is there, change nothing)
  bool may_change(const Step& op) const {
    return op.source->kind != KvOpKind::Get && !(op.source->kind == KvOpKind::Cas && op.value == op.expected);
  }
  std::tuple<KvOpKind, std::int32_t, std::int32_t> effect(const Step& op) const {
    return {op.source->kind, op.value, op.source->kind == KvOpKind::Cas ? op.expected : 0};
  }
};

}  // namespace raftio::sim
