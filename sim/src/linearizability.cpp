#include "raftio/sim/linearizability.h"

#include <map>
#include <tuple>
#include <unordered_map>

#include "linearizability_search.h"

namespace raftio::sim {

namespace detail {

KeySearch::KeySearch(const std::vector<Op>& ops, std::uint64_t budget, bool relaxed)
    : ops_(ops), budget_(budget), relaxed_(relaxed), slot_(ops.size(), 0) {
  struct Event {
    std::uint64_t time;
    bool is_return;
    std::uint32_t op;
  };
  std::vector<Event> events;
  std::map<std::tuple<KvOpKind, std::int32_t, std::int32_t>, std::uint32_t> effects;
  std::uint32_t unknown = 0;
  for (std::uint32_t i = 0; i < ops_.size(); ++i) {
    const KvOperation& h = *ops_[i].source;
    if (ops_[i].known) {
      slot_[i] = total_completed_++;
      // A completion before the invocation is malformed; read it as an instantaneous op.
      events.push_back({h.invoke_time, false, i});
      events.push_back({std::max(*h.complete_time, h.invoke_time), true, i});
    } else if (h.kind != KvOpKind::Get && !(h.kind == KvOpKind::Cas && ops_[i].value == ops_[i].expected)) {
      slot_[i] = unknown++;  // (unknown Gets, and Cas that would write what is there, change nothing)
      const auto effect = std::make_tuple(h.kind, ops_[i].value, h.kind == KvOpKind::Cas ? ops_[i].expected : 0);
      const auto [it, added] = effects.emplace(effect, static_cast<std::uint32_t>(groups_.size()));
      if (added) groups_.emplace_back();
      groups_[it->second].push_back(i);  // ops arrive in invocation order
    }
  }
  for (const auto& [effect, group] : effects) {
    const auto expected = static_cast<std::size_t>(std::get<2>(effect));
    if (std::get<0>(effect) == KvOpKind::Put) {
      put_groups_.push_back(group);
    } else {
      if (cas_from_.size() <= expected) cas_from_.resize(expected + 1);
      cas_from_[expected].push_back(group);
    }
  }
  remaining_ = total_completed_;
  used_.assign(groups_.size(), 0);
  known_bits_.assign((total_completed_ + 63) / 64, 0);
  unknown_bits_.assign(relaxed_ ? 0 : (unknown + 63) / 64, 0);
  memo_.emplace(unknown_bits_.size());
  // At equal times calls go first: an op invoked at the instant another completes overlaps it.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.time != b.time ? a.time < b.time : (!a.is_return && b.is_return);
  });
  const std::size_t n = events.size();
  next_.resize(n + 2);
  prev_.resize(n + 2);
  op_of_.resize(n + 2);
  time_.resize(n + 2);
  return_of_.assign(n + 2, kNone);
  is_return_.assign(n + 2, false);
  std::vector<std::int32_t> call_of_op(ops_.size(), kNone);
  for (std::size_t i = 0; i < n; ++i) {
    const auto node = static_cast<std::int32_t>(i + 1);
    op_of_[node] = events[i].op;
    time_[node] = events[i].time;
    is_return_[node] = events[i].is_return;
    (events[i].is_return ? return_of_[call_of_op[events[i].op]] : call_of_op[events[i].op]) = node;
  }
  for (std::int32_t node = 0; node <= static_cast<std::int32_t>(n); ++node) {
    next_[node] = node + 1;
    prev_[node + 1] = node;
  }
  end_ = static_cast<std::int32_t>(n + 1);
  best_blocker_ = op_of_[first_return()];
}

Outcome KeySearch::run() {
  // The search resumes in the current state at e (completed ops, in list order) or, once those
  // are exhausted, at pos (unknown ops: see group_at).
  std::int32_t e = kNone;
  std::size_t pos = 0;
  bool fresh = true;
  while (remaining_ > 0) {
    Push pushed = Push::Seen;
    std::int32_t next_state = 0;
    if (fresh) {
      fresh = false;
      e = next_[kHead];
      // A read possible now can be linearized now without loss: it changes nothing, so nothing
      // that follows can tell it was not done later. No alternatives to try.
      const std::int32_t read = find_read();
      if (read == kNone) continue;
      pushed = push(read, 0, 0, state_, true);
      if (pushed == Push::Seen && !backtrack(e, pos)) return Outcome::Violation;
    } else if (e != kNone && (e == end_ || is_return_[e])) {  // a pending op must return here
      e = kNone;
      pos = chain_start_ != kNoChain || some_pending_impossible() ? 0 : kExhausted;
      horizon_ = time_[first_return()];
      continue;
    } else if (e != kNone) {
      const Op& op = ops_[op_of_[e]];
      if (step(op, state_, next_state) && ends_chain(op)) pushed = push(e, 0, 0, next_state, false);
      if (pushed == Push::Seen) e = next_[e];
    } else if (group_at(pos) == kNone) {  // nothing fits before that return
      if (!backtrack(e, pos)) return Outcome::Violation;
      continue;
    } else {
      const auto group = static_cast<std::uint32_t>(group_at(pos));
      const std::vector<std::uint32_t>& members = groups_[group];
      const std::size_t next = used_[group];
      // Only a change of state that leads somewhere is worth spending an unknown op on.
      if (next < members.size() && ops_[members[next]].source->invoke_time <= horizon_ &&
          step(ops_[members[next]], state_, next_state) && next_state != state_ && leads_somewhere(next_state))
        pushed = push(kNone, group, pos, next_state, false);
      if (pushed == Push::Seen) ++pos;
    }
    if (pushed == Push::OverBudget) return Outcome::Inconclusive;
    fresh = pushed == Push::New;
  }
  return Outcome::Linearizable;
}

KeySearch::Push KeySearch::push(std::int32_t call, std::uint32_t group, std::size_t pos, std::int32_t next_state, bool forced) {
  const bool known = call != kNone;
  const bool marks = known || !relaxed_;  // relaxed, unknown ops are not used up
  const std::uint32_t op = known ? op_of_[call] : groups_[group][used_[group]];
  Bits& bits = known ? known_bits_ : unknown_bits_;
  const std::uint64_t hash = known ? known_hash_ ^ mix(op) : known_hash_;
  const std::int32_t chain_start = known ? kNoChain : chain_start_ != kNoChain ? chain_start_ : state_;
  const std::size_t word = slot_[op] / 64;
  if (marks) bits[word] ^= std::uint64_t{1} << (slot_[op] % 64);
  // The completed set is nearly a prefix of the ops in invocation order: it is keyed as the
  // number of leading full words plus the few words after them, not as the whole bitset.
  const std::size_t top = known ? std::max(top_, word + 1) : top_;
  while (full_ < known_bits_.size() && known_bits_[full_] == ~std::uint64_t{0}) ++full_;
  key_.assign({static_cast<std::uint32_t>(next_state), static_cast<std::uint32_t>(chain_start),
               static_cast<std::uint32_t>(full_)});
  for (std::size_t w = full_; w < top; ++w) {
    key_.push_back(static_cast<std::uint32_t>(known_bits_[w]));
    key_.push_back(static_cast<std::uint32_t>(known_bits_[w] >> 32));
  }
  if (!memo_->insert(key_, unknown_bits_, hash ^ mix(std::uint64_t{key_[0]} << 32 | key_[1]))) {
    if (marks) bits[word] ^= std::uint64_t{1} << (slot_[op] % 64);
    if (known) full_ = std::min(full_, word);
    return Push::Seen;
  }
  if (++states_ > budget_) return Push::OverBudget;
  stack_.push_back({call, group, op, pos, top_, state_, chain_start_, horizon_, forced});
  known_hash_ = hash;
  top_ = top;
  state_ = next_state;
  chain_start_ = chain_start;
  if (!known) {
    used_[group] += marks;
    return Push::New;
  }
  unlink(call);
  unlink(return_of_[call]);
  if (total_completed_ - --remaining_ > best_completed_) record_best();
  return Push::New;
}

bool KeySearch::backtrack(std::int32_t& e, std::size_t& pos) {
  while (!stack_.empty()) {
    const Frame frame = stack_.back();
    stack_.pop_back();
    best_matches_ = std::min(best_matches_, stack_.size());
    state_ = frame.prev_state;
    chain_start_ = frame.prev_chain_start;
    if (frame.call == kNone) {
      if (!relaxed_) unknown_bits_[slot_[frame.op] / 64] ^= std::uint64_t{1} << (slot_[frame.op] % 64);
      used_[frame.group] -= !relaxed_;
      e = kNone;
      pos = frame.pos + 1;
      horizon_ = time_[first_return()];
      return true;
    }
    known_bits_[slot_[frame.op] / 64] ^= std::uint64_t{1} << (slot_[frame.op] % 64);
    full_ = std::min<std::size_t>(full_, slot_[frame.op] / 64);
    top_ = frame.prev_top;
    known_hash_ ^= mix(frame.op);
    relink(return_of_[frame.call]);
    relink(frame.call);
    ++remaining_;
    if (!frame.forced) {
      e = next_[frame.call];
      return true;
    }
  }
  return false;
}

}  // namespace detail

namespace {

using detail::KeySearch;
using detail::Op;
using detail::Outcome;
using detail::kAbsent;

std::vector<Op> prepare(const KvHistory& history, const std::vector<std::size_t>& indices) {
  std::unordered_map<std::string, std::int32_t> observed;
  auto observe = [&](const std::string& v) { observed.emplace(v, static_cast<std::int32_t>(observed.size())); };
  for (std::size_t i : indices) {
    const KvOperation& h = history[i];
    if (h.kind == KvOpKind::Cas) observe(h.expected);
    if (h.kind == KvOpKind::Get && h.complete_time && h.read_value) observe(*h.read_value);
  }
  auto id = [&](const std::string& v) {
    const auto it = observed.find(v);
    return it == observed.end() ? static_cast<std::int32_t>(observed.size()) : it->second;
  };
  std::vector<Op> ops;
  for (std::size_t i : indices) {
    const KvOperation& h = history[i];
    ops.push_back({&h, h.complete_time.has_value(), id(h.value), h.kind == KvOpKind::Cas ? id(h.expected) : 0,
                   h.read_value && h.complete_time ? id(*h.read_value) : kAbsent});
  }
  return ops;
}

std::string describe(const KvOperation& op) {
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

std::string explain(const std::string& key, const std::vector<Op>& ops, const KeySearch& search) {
  std::string s = "key " + key + " is not linearizable; its " + std::to_string(ops.size()) +
                  " operations in time order:\n";
  for (std::size_t i = 0; i < ops.size(); ++i) {
    s += "  #" + std::to_string(i + 1) + " " + describe(*ops[i].source) + "\n";
  }
  s += "longest linearizable prefix found (" + std::to_string(search.best_completed()) + " of " +
       std::to_string(search.total_completed()) + " completed operations):";
  if (search.best_prefix().empty()) s += " none";
  for (std::uint32_t op : search.best_prefix()) s += " #" + std::to_string(op + 1);
  return s + "\nafter it no order of the pending operations is consistent with the result of #" +
         std::to_string(search.best_blocker() + 1) + " " + describe(*ops[search.best_blocker()].source) + "\n";
}

}  // namespace

LinearizabilityReport check_linearizable(const KvHistory& history, std::uint64_t max_states_per_key) {
  LinearizabilityReport report;
  report.operations = history.size();
  std::map<std::string, std::vector<std::size_t>> by_key;  // ordered: keys are checked in name order
  for (std::size_t i = 0; i < history.size(); ++i) by_key[history[i].key].push_back(i);
  report.keys = by_key.size();

  for (auto& [key, indices] : by_key) {
    // Time order, independent of the order the history was recorded in, for a stable explanation.
    std::stable_sort(indices.begin(), indices.end(), [&](std::size_t a, std::size_t b) {
      const KvOperation& x = history[a];
      const KvOperation& y = history[b];
      const std::uint64_t never = ~std::uint64_t{0};
      return std::make_tuple(x.invoke_time, x.complete_time.value_or(never), x.client) <
             std::make_tuple(y.invoke_time, y.complete_time.value_or(never), y.client);
    });
    const std::vector<Op> ops = prepare(history, indices);
    std::optional<KeySearch> search;
    search.emplace(ops, max_states_per_key, true);
    Outcome outcome = search->run();
    std::uint64_t states = search->states();
    const bool settled = outcome == Outcome::Violation || (outcome == Outcome::Linearizable && search->pure());
    if (search->has_unknown() && !settled) {
      search.emplace(ops, max_states_per_key - std::min(states, max_states_per_key), false);
      outcome = search->run();
      states += search->states();
    }
    report.states_explored += states;
    if (outcome == Outcome::Inconclusive) ++report.inconclusive_keys;
    if (outcome == Outcome::Violation && report.linearizable) {
      report.linearizable = false;
      report.failing_key = key;
      report.explanation = explain(key, ops, *search);
    }
  }
  return report;
}

}  // namespace raftio::sim
