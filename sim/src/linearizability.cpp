#include "raftio/sim/linearizability.h"

#include <algorithm>
#include <climits>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace raftio::sim {

namespace {

constexpr std::int32_t kAbsent = -1;
constexpr std::int32_t kNone = -1;
constexpr std::int32_t kNoChain = INT32_MIN;
using Bits = std::vector<std::uint64_t>;

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void flip(Bits& bits, std::uint32_t i) { bits[i / 64] ^= std::uint64_t{1} << (i % 64); }

// One operation of a key, with values replaced by small ids. Values that no completed Get reads
// and no Cas expects all share one id ("other"): no step can tell them apart, and merging them
// lets the memo recognise more states as already explored.
struct Op {
  const KvOperation* source = nullptr;
  bool known = false;
  std::int32_t value = 0;
  std::int32_t expected = 0;
  std::int32_t read = kAbsent;
};

bool step(const Op& op, std::int32_t state, std::int32_t& next) {
  next = state;
  switch (op.source->kind) {
    case KvOpKind::Put:
      next = op.value;
      return true;
    case KvOpKind::Get:
      return state == op.read;
    case KvOpKind::Cas:
      // An unknown Cas that failed changed nothing, the same as leaving it out; so only its
      // successful form is tried.
      if (op.known && !op.source->cas_succeeded) return state != op.expected;
      if (state != op.expected) return false;
      next = op.value;
      return true;
  }
  return false;
}

// Explored states: (completed ops linearized, value, chain start) groups, each holding the sets of
// unknown-outcome ops used to get there. Using a subset of those ops to reach the same point
// leaves more options, so a state whose set contains an explored one's adds nothing. Everything
// lives in flat pools so a million states do not cost a million allocations.
class Memo {
 public:
  Memo(std::size_t known_words, std::size_t unknown_words)
      : kw_(known_words), uw_(unknown_words), groups_(64, Hash{this}, Equal{this}) {}
  Memo(const Memo&) = delete;  // the set's functors point back here
  Memo& operator=(const Memo&) = delete;

  bool insert(const Bits& known, const Bits& unknown, std::uint64_t state, std::uint64_t hash) {
    auto id = static_cast<std::uint32_t>(states_.size());
    keys_.insert(keys_.end(), known.begin(), known.end());
    states_.push_back(state);
    hashes_.push_back(hash);
    first_member_.push_back(kNone);
    const auto [it, inserted] = groups_.insert(id);
    if (!inserted) {
      keys_.resize(keys_.size() - kw_);
      states_.pop_back();
      hashes_.pop_back();
      first_member_.pop_back();
      id = *it;
      // Only the most recent members are compared, to bound the cost of a state: missing a
      // dominating one costs some pruning, never correctness. Dominated members are dropped.
      std::int32_t* link = &first_member_[id];
      for (int compared = 0; *link != kNone && compared < 32; ++compared) {
        const std::uint64_t* used = members_.data() + static_cast<std::size_t>(*link) * uw_;
        if (subset(used, unknown.data())) return false;
        if (subset(unknown.data(), used)) *link = next_member_[*link];
        else link = &next_member_[*link];
      }
    }
    const auto m = static_cast<std::int32_t>(next_member_.size());
    members_.insert(members_.end(), unknown.begin(), unknown.end());
    next_member_.push_back(first_member_[id]);
    first_member_[id] = m;
    return true;
  }

 private:
  bool subset(const std::uint64_t* a, const std::uint64_t* b) const {
    for (std::size_t w = 0; w < uw_; ++w) {
      if ((a[w] & ~b[w]) != 0) return false;
    }
    return true;
  }

  struct Hash {
    const Memo* memo;
    std::size_t operator()(std::uint32_t id) const { return static_cast<std::size_t>(memo->hashes_[id]); }
  };
  struct Equal {
    const Memo* memo;
    bool operator()(std::uint32_t a, std::uint32_t b) const {
      if (memo->states_[a] != memo->states_[b] || memo->hashes_[a] != memo->hashes_[b]) return false;
      const std::uint64_t* pa = memo->keys_.data() + std::size_t{a} * memo->kw_;
      return std::equal(pa, pa + memo->kw_, memo->keys_.data() + std::size_t{b} * memo->kw_);
    }
  };

  std::size_t kw_, uw_;
  Bits keys_, members_;
  std::vector<std::int32_t> first_member_, next_member_;
  std::vector<std::uint64_t> states_, hashes_;
  std::unordered_set<std::uint32_t, Hash, Equal> groups_;
};

enum class Outcome { Linearizable, Violation, Inconclusive };

// Wing & Gong's search. Completed ops' call and return events form a doubly linked list, so that
// linearizing an op unlinks its events and backtracking relinks them. Unknown-outcome ops have no
// return to respect, so they stay out of the list, grouped by effect: ops with the same effect
// are interchangeable once invoked, and only the earliest unused one of each group is tried.
// A chain of them needs at most one Put, at its start (a Put makes whatever came before moot).
class KeySearch {
 public:
  // Relaxed: an unknown op may be used any number of times. That accepts more histories, so its
  // violations are real; its linearizations are real when each use can get its own op (pure()).
  // It is much cheaper: which unknown ops were used no longer tells states apart.
  KeySearch(const std::vector<Op>& ops, std::uint64_t budget, bool relaxed)
      : ops_(ops), budget_(budget), relaxed_(relaxed), slot_(ops.size(), 0) {
    struct Event {
      std::uint64_t time;
      bool is_return;
      std::uint32_t op;
    };
    std::vector<Event> events;
    std::map<std::tuple<KvOpKind, std::int32_t, std::int32_t>, std::uint32_t> effect_group;
    std::uint32_t unknown = 0;
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      const KvOperation& h = *ops_[i].source;
      if (ops_[i].known) {
        slot_[i] = total_completed_++;
        // A completion before the invocation is malformed; read it as an instantaneous op.
        events.push_back({h.invoke_time, false, i});
        events.push_back({std::max(*h.complete_time, h.invoke_time), true, i});
      } else if (h.kind != KvOpKind::Get && !(h.kind == KvOpKind::Cas && ops_[i].value == ops_[i].expected)) {
        // (Unknown reads, and unknown Cas that would write what is there, change nothing.)
        slot_[i] = unknown++;
        const auto key = std::make_tuple(h.kind, ops_[i].value, h.kind == KvOpKind::Cas ? ops_[i].expected : 0);
        const auto [it, added] = effect_group.emplace(key, static_cast<std::uint32_t>(groups_.size()));
        if (added) groups_.emplace_back();
        groups_[it->second].push_back(i);  // ops arrive in invocation order
      }
    }
    for (const auto& [effect, group] : effect_group) {
      const auto [kind, value, expected] = effect;
      if (kind == KvOpKind::Put) {
        put_groups_.push_back(group);
      } else {
        if (cas_from_.size() <= static_cast<std::size_t>(expected)) cas_from_.resize(expected + 1);
        cas_from_[expected].push_back(group);
      }
    }
    remaining_ = total_completed_;
    used_.assign(groups_.size(), 0);
    known_bits_.assign((total_completed_ + 63) / 64, 0);
    unknown_bits_.assign((unknown + 63) / 64, 0);
    memo_.emplace(known_bits_.size(), unknown_bits_.size());
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
      if (events[i].is_return) return_of_[call_of_op[events[i].op]] = node;
      else call_of_op[events[i].op] = node;
    }
    for (std::int32_t node = 0; node <= static_cast<std::int32_t>(n); ++node) {
      next_[node] = node + 1;
      prev_[node + 1] = node;
    }
    end_ = static_cast<std::int32_t>(n + 1);
    best_blocker_ = op_of_[first_return()];
  }

  Outcome run() {
    // Where the search resumes in the current state: completed ops first (list order), then one
    // unknown op per effect group. Unknown ops are only ever placed as a chain right before a
    // completed op that the chain makes possible: any linearization can be brought to that form
    // by moving unknown ops later (they have no return to respect) or dropping them. Placing them
    // anywhere else multiplies the states for nothing.
    std::int32_t e = kNone;
    std::size_t pos = 0;  // in the unknown ops' phase: see group_at
    bool fresh = true;
    while (remaining_ > 0) {
      if (fresh) {
        fresh = false;
        e = next_[kHead];
        const std::int32_t read = find_read();
        if (read != kNone) {
          switch (push(read, 0, 0, state_, true)) {
            case Push::New: fresh = true; continue;
            case Push::Seen: if (!backtrack(e, pos)) return Outcome::Violation; continue;
            case Push::OverBudget: return Outcome::Inconclusive;
          }
        }
      }
      std::int32_t next_state = 0;
      if (e != kNone && (e == end_ || is_return_[e])) {  // a pending op must return here
        e = kNone;
        pos = chain_start_ != kNoChain || some_pending_impossible() ? 0 : kExhausted;
        horizon_ = time_[first_return()];
      } else if (e != kNone) {
        if (!step(ops_[op_of_[e]], state_, next_state) || !ends_chain(ops_[op_of_[e]])) {
          e = next_[e];
          continue;
        }
        switch (push(e, 0, 0, next_state, false)) {
          case Push::New: fresh = true; break;
          case Push::Seen: e = next_[e]; break;
          case Push::OverBudget: return Outcome::Inconclusive;
        }
      } else if (group_at(pos) == kNone) {  // nothing fits before that return
        if (!backtrack(e, pos)) return Outcome::Violation;
      } else {
        const auto group = static_cast<std::uint32_t>(group_at(pos));
        const std::vector<std::uint32_t>& members = groups_[group];
        // Only a change of state is worth spending an unknown op on.
        if (used_[group] == members.size() || ops_[members[used_[group]]].source->invoke_time > horizon_ ||
            !step(ops_[members[used_[group]]], state_, next_state) || next_state == state_) {
          ++pos;
          continue;
        }
        switch (push(kNone, group, pos, next_state, false)) {
          case Push::New: fresh = true; break;
          case Push::Seen: ++pos; break;
          case Push::OverBudget: return Outcome::Inconclusive;
        }
      }
    }
    return Outcome::Linearizable;
  }

  bool has_unknown() const { return !groups_.empty(); }
  std::uint64_t states() const { return states_; }

  // Whether the linearization found gives each use of an unknown op an op of its own. Horizons
  // only grow along a path, so handing out each group's ops earliest first is enough.
  bool pure() const {
    std::vector<std::size_t> next(groups_.size(), 0);
    for (const Frame& frame : stack_) {
      if (frame.call != kNone) continue;
      const std::vector<std::uint32_t>& members = groups_[frame.group];
      std::size_t& i = next[frame.group];
      if (i == members.size() || ops_[members[i]].source->invoke_time > frame.horizon) return false;
      ++i;
    }
    return true;
  }
  std::uint32_t total_completed() const { return total_completed_; }
  std::uint32_t best_completed() const { return best_completed_; }
  const std::vector<std::uint32_t>& best_prefix() const { return best_; }
  std::uint32_t best_blocker() const { return best_blocker_; }

 private:
  static constexpr std::int32_t kHead = 0;
  static constexpr std::size_t kExhausted = ~std::size_t{0};
  enum class Push { New, Seen, OverBudget };
  struct Frame {
    std::int32_t call;    // kNone: an unknown op, from group, found at pos
    std::uint32_t group;
    std::size_t pos;
    std::uint32_t op;
    std::int32_t prev_state;
    std::int32_t prev_chain_start;
    std::uint64_t horizon;
    bool forced;
  };

  // A pending read (a Get, or a Cas that failed) possible now can be linearized now without loss:
  // it changes nothing, so nothing that follows can tell it was not done later. No alternatives.
  std::int32_t find_read() const {
    for (std::int32_t e = next_[kHead]; e != end_ && !is_return_[e]; e = next_[e]) {
      const Op& op = ops_[op_of_[e]];
      const bool reads = op.source->kind == KvOpKind::Get || (op.source->kind == KvOpKind::Cas && !op.source->cas_succeeded);
      std::int32_t next_state = 0;
      if (reads && step(op, state_, next_state) && ends_chain(op)) return e;
    }
    return kNone;
  }

  // Inside a chain of unknown ops, the next completed op must be one the chain made possible.
  bool ends_chain(const Op& op) const {
    std::int32_t next_state = 0;
    return chain_start_ == kNoChain || !step(op, chain_start_, next_state);
  }

  bool some_pending_impossible() const {
    for (std::int32_t e = next_[kHead]; e != end_ && !is_return_[e]; e = next_[e]) {
      std::int32_t next_state = 0;
      if (!step(ops_[op_of_[e]], state_, next_state)) return true;
    }
    return false;
  }

  // The effect groups worth trying in this state, in a fixed order: Puts only to start a chain,
  // and only the Cas groups that would succeed.
  std::int32_t group_at(std::size_t pos) const {
    const std::size_t puts = chain_start_ == kNoChain ? put_groups_.size() : 0;
    if (pos < puts) return static_cast<std::int32_t>(put_groups_[pos]);
    if (pos == kExhausted || state_ < 0 || static_cast<std::size_t>(state_) >= cas_from_.size()) return kNone;
    const std::vector<std::uint32_t>& cas = cas_from_[static_cast<std::size_t>(state_)];
    return pos - puts < cas.size() ? static_cast<std::int32_t>(cas[pos - puts]) : kNone;
  }

  std::int32_t first_return() const {
    std::int32_t e = next_[kHead];
    while (e != end_ && !is_return_[e]) e = next_[e];
    return e;
  }

  Push push(std::int32_t call, std::uint32_t group, std::size_t pos, std::int32_t next_state, bool forced) {
    const bool known = call != kNone;
    const bool marks = known || !relaxed_;  // relaxed, unknown ops are not used up
    const std::uint32_t op = known ? op_of_[call] : groups_[group][used_[group]];
    Bits& bits = known ? known_bits_ : unknown_bits_;
    const std::uint64_t hash = call != kNone ? known_hash_ ^ mix(op) : known_hash_;
    const std::int32_t chain_start = call != kNone ? kNoChain : chain_start_ != kNoChain ? chain_start_ : state_;
    const std::uint64_t memo_state = std::uint64_t{static_cast<std::uint32_t>(next_state)} << 32 |
                                     static_cast<std::uint32_t>(chain_start);
    if (marks) flip(bits, slot_[op]);
    if (!memo_->insert(known_bits_, unknown_bits_, memo_state, hash ^ mix(memo_state))) {
      if (marks) flip(bits, slot_[op]);
      return Push::Seen;
    }
    if (++states_ > budget_) return Push::OverBudget;
    known_hash_ = hash;
    stack_.push_back({call, group, pos, op, state_, chain_start_, horizon_, forced});
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

  // Undoes frames until one with untried alternatives after it; false when none is left.
  bool backtrack(std::int32_t& e, std::size_t& pos) {
    while (!stack_.empty()) {
      const Frame frame = stack_.back();
      stack_.pop_back();
      best_matches_ = std::min(best_matches_, stack_.size());
      state_ = frame.prev_state;
      chain_start_ = frame.prev_chain_start;
      if (frame.call == kNone) {
        if (!relaxed_) {
          flip(unknown_bits_, slot_[frame.op]);
          --used_[frame.group];
        }
        e = kNone;
        pos = frame.pos + 1;
        horizon_ = time_[first_return()];
        return true;
      }
      flip(known_bits_, slot_[frame.op]);
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

  // The deepest partial linearization, kept for the explanation; only the part of the stack that
  // changed since the last record is copied.
  void record_best() {
    best_completed_ = total_completed_ - remaining_;
    best_.resize(stack_.size());
    for (std::size_t i = best_matches_; i < stack_.size(); ++i) best_[i] = stack_[i].op;
    best_matches_ = stack_.size();
    const std::int32_t blocker = first_return();
    if (blocker != end_) best_blocker_ = op_of_[blocker];
  }

  void unlink(std::int32_t node) {
    next_[prev_[node]] = next_[node];
    prev_[next_[node]] = prev_[node];
  }
  void relink(std::int32_t node) {
    next_[prev_[node]] = node;
    prev_[next_[node]] = node;
  }

  const std::vector<Op>& ops_;
  std::uint64_t budget_;
  bool relaxed_;
  std::vector<std::uint32_t> slot_;  // an op's bit in known_bits_ or unknown_bits_
  std::vector<std::vector<std::uint32_t>> groups_;
  std::vector<std::uint32_t> put_groups_;
  std::vector<std::vector<std::uint32_t>> cas_from_;  // by expected value
  std::vector<std::size_t> used_;  // per group: how many of its ops are linearized (a prefix)
  Bits known_bits_, unknown_bits_;
  std::uint64_t known_hash_ = 0;
  std::optional<Memo> memo_;
  std::vector<std::int32_t> next_, prev_, return_of_;
  std::vector<std::uint32_t> op_of_;
  std::vector<std::uint64_t> time_;
  std::vector<bool> is_return_;
  std::int32_t end_ = 0;
  std::uint64_t horizon_ = 0;  // unknown ops invoked up to here can be linearized now
  std::vector<Frame> stack_;
  std::int32_t state_ = kAbsent;
  std::int32_t chain_start_ = kNoChain;  // the state before the current chain of unknown ops
  std::uint32_t remaining_ = 0, total_completed_ = 0, best_completed_ = 0, best_blocker_ = 0;
  std::uint64_t states_ = 0;
  std::size_t best_matches_ = 0;
  std::vector<std::uint32_t> best_;
};

std::vector<Op> prepare(const KvHistory& history, const std::vector<std::size_t>& indices) {
  std::unordered_map<std::string, std::int32_t> observed;
  auto observe = [&](const std::string& v) { observed.emplace(v, static_cast<std::int32_t>(observed.size())); };
  for (std::size_t i : indices) {
    const KvOperation& h = history[i];
    if (h.kind == KvOpKind::Cas) observe(h.expected);
    if (h.kind == KvOpKind::Get && h.complete_time && h.read_value) observe(*h.read_value);
  }
  const auto other = static_cast<std::int32_t>(observed.size());
  auto id = [&](const std::string& v) {
    const auto it = observed.find(v);
    return it == observed.end() ? other : it->second;
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
  for (std::size_t i = 0; i < ops.size(); ++i) s += "  #" + std::to_string(i + 1) + " " + describe(*ops[i].source) + "\n";
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
    if (search->has_unknown() && (outcome == Outcome::Inconclusive || (outcome == Outcome::Linearizable && !search->pure()))) {
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
