#include "raftio/sim/linearizability.h"

#include <unordered_map>

#include "raftio/sim/kv_model.h"

namespace raftio::sim {

std::vector<KvModel::Step> KvModel::prepare(const std::vector<const KvOperation*>& ops) const {
  std::unordered_map<std::string, std::int32_t> observed;
  auto observe = [&](const std::string& v) { observed.emplace(v, static_cast<std::int32_t>(observed.size())); };
  for (const KvOperation* h : ops) {
    if (h->kind == KvOpKind::Cas) observe(h->expected);
    if (h->kind == KvOpKind::Get && h->complete_time && h->read_value) observe(*h->read_value);
  }
  auto id = [&](const std::string& v) {
    const auto it = observed.find(v);
    return it == observed.end() ? static_cast<std::int32_t>(observed.size()) : it->second;
  };
  std::vector<Step> steps;
  steps.reserve(ops.size());
  for (const KvOperation* h : ops) {
    steps.push_back({h, h->complete_time.has_value(), id(h->value), h->kind == KvOpKind::Cas ? id(h->expected) : 0,
                     h->read_value && h->complete_time ? id(*h->read_value) : kAbsent});
  }
  return steps;
}

std::string KvModel::describe(const KvOperation& op) const {
  std::string s = "client " + std::to_string(op.client) + " ";
  switch (op.kind) {
    case KvOpKind::Put: s += "put(" + op.key + ", " + op.value + ")"; break;
    case KvOpKind::Get: s += "get(" + op.key + ")"; break;
    case KvOpKind::Cas: s += "cas(" + op.key + ", " + op.expected + " -> " + op.value + ")"; break;
  }
  if (op.complete_time && op.kind == KvOpKind::Get) s += " -> " + op.read_value.value_or("(absent)");
  if (op.complete_time && op.kind == KvOpKind::Cas) s += op.cas_succeeded ? " -> ok" : " -> failed";
  return s + " [" + std::to_string(op.invoke_time) + " .. " +
         (op.complete_time ? std::to_string(*op.complete_time) : std::string("?")) + "]";
}

LinearizabilityReport check_linearizable(const KvHistory& history, std::uint64_t max_states_per_key) {
  return check_linearizable(history, KvModel{}, max_states_per_key);
}

}  // namespace raftio::sim
