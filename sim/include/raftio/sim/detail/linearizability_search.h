// The search behind check_linearizable: one partition's history, Wing & Gong style, with the memo
// and the reductions that keep it small. A template on the model (see model.h for what a model
// provides and which reductions each optional member enables); not part of the public API.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace raftio::sim::detail {

constexpr std::int32_t kNone = -1;
constexpr std::uint32_t kNoChain = static_cast<std::uint32_t>(INT32_MIN);
using Bits = std::vector<std::uint64_t>;

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// When an operation was invoked and, if its outcome is known, when it completed.
struct Timing {
  std::uint64_t invoke = 0;
  std::optional<std::uint64_t> complete;
};

// The optional members of a model (model.h), with their defaults.
template <class M>
bool model_is_read(const M& m, const typename M::Step& s) {
  if constexpr (requires { m.is_read(s); }) return m.is_read(s);
  else return false;
}
template <class M>
bool model_may_change(const M& m, const typename M::Step& s) {
  if constexpr (requires { m.may_change(s); }) return m.may_change(s);
  else return true;
}
template <class M>
bool model_blind(const M& m, const typename M::Step& s) {
  if constexpr (requires { m.blind(s); }) return m.blind(s);
  else return false;
}
template <class M>
constexpr bool output_fixes_state() {
  if constexpr (requires { M::kOutputFixesState; }) return M::kOutputFixesState;
  else return false;
}

// Explored states: a key (state, chain start, completed ops linearized) maps to the sets of
// unknown-outcome ops used to get there. Reaching the same key with a subset of those ops leaves
// more options, so a state whose set contains an explored one's adds nothing. Flat pools: a
// million states must not cost a million allocations.
class Memo {
 public:
  explicit Memo(std::size_t unknown_words) : uw_(unknown_words), keys_(64, Hash{this}, Equal{this}) {}
  Memo(const Memo&) = delete;  // the set's functors point back here
  Memo& operator=(const Memo&) = delete;

  bool insert(const std::vector<std::uint32_t>& key, const Bits& unknown, std::uint64_t hash) {
    auto id = static_cast<std::uint32_t>(hashes_.size());
    pool_.insert(pool_.end(), key.begin(), key.end());
    offsets_.push_back(pool_.size());
    hashes_.push_back(hash);
    first_member_.push_back(kNone);
    const auto [it, inserted] = keys_.insert(id);
    if (!inserted) {
      offsets_.pop_back();
      pool_.resize(offsets_.empty() ? 0 : offsets_.back());
      hashes_.pop_back();
      first_member_.pop_back();
      id = *it;
      // Only the latest members are compared, to bound the cost of a state: missing a dominating
      // one costs pruning, never correctness. Members the new set dominates are dropped.
      std::int32_t* link = &first_member_[id];
      for (int compared = 0; *link != kNone && compared < 32; ++compared) {
        const std::uint64_t* used = members_.data() + static_cast<std::size_t>(*link) * uw_;
        if (subset(used, unknown.data())) return false;
        if (subset(unknown.data(), used)) *link = next_member_[*link];
        else link = &next_member_[*link];
      }
    }
    members_.insert(members_.end(), unknown.begin(), unknown.end());
    next_member_.push_back(first_member_[id]);
    first_member_[id] = static_cast<std::int32_t>(next_member_.size() - 1);
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
      const auto& o = memo->offsets_;
      const std::size_t a0 = a == 0 ? 0 : o[a - 1], b0 = b == 0 ? 0 : o[b - 1];
      return memo->hashes_[a] == memo->hashes_[b] &&
             std::equal(memo->pool_.begin() + a0, memo->pool_.begin() + o[a], memo->pool_.begin() + b0,
                        memo->pool_.begin() + o[b]);
    }
  };

  std::size_t uw_;
  std::vector<std::uint32_t> pool_;
  std::vector<std::size_t> offsets_;  // end of each key in pool_
  Bits members_;
  std::vector<std::int32_t> first_member_, next_member_;
  std::vector<std::uint64_t> hashes_;
  std::unordered_set<std::uint32_t, Hash, Equal> keys_;
};

enum class Outcome { Linearizable, Violation, Inconclusive };

// Wing & Gong's search. Completed ops' call and return events form a doubly linked list in time
// order; linearizing an op unlinks its events, backtracking relinks them. Unknown-outcome ops have
// no return to respect, so they stay out of the list, grouped by effect: ops with the same effect
// are interchangeable once invoked, and only the earliest unused one of a group is tried.
//
// Chains (models whose outputs fix their states, model.h): unknown ops are only placed as a chain
// right before a completed op the chain makes possible, with a blind one (if any) first: any
// linearization can be brought to that form by moving unknown ops later or dropping them, since
// a completed op possible both before and after a chain either changes nothing (the chain can
// follow it) or leads to the same state (the chain can go). Placing them anywhere else multiplies
// the states for nothing. Other models may place an unknown op at any point.
//
// Relaxed (chains only), an unknown op may be used any number of times. That accepts more
// histories, so its violations are real, and its linearizations are real when each use gets an op
// of its own (pure()). It is much cheaper: which unknown ops were used no longer tells states
// apart.
template <class M>
class Search {
 public:
  using State = typename M::State;
  using Step = typename M::Step;
  static constexpr bool kChains = output_fixes_state<M>();

  Search(const M& model, const std::vector<Step>& ops, const std::vector<Timing>& times, std::uint64_t budget,
         bool relaxed);

  Outcome run();

  bool has_unknown() const { return !groups_.empty(); }
  std::uint64_t states() const { return states_; }
  std::uint32_t total_completed() const { return total_completed_; }
  std::uint32_t best_completed() const { return best_completed_; }
  const std::vector<std::uint32_t>& best_prefix() const { return best_; }
  std::uint32_t best_blocker() const { return best_blocker_; }

  // Whether the linearization found gives each use of an unknown op an op of its own. Horizons
  // only grow along a path, so handing out each group's ops earliest first is enough.
  bool pure() const {
    std::vector<std::size_t> next(groups_.size(), 0);
    for (const Frame& frame : stack_) {
      if (frame.call != kNone) continue;
      const std::vector<std::uint32_t>& members = groups_[frame.group];
      std::size_t& i = next[frame.group];
      if (i == members.size() || times_[members[i]].invoke > frame.horizon) return false;
      ++i;
    }
    return true;
  }

 private:
  static constexpr std::int32_t kHead = 0;
  static constexpr std::size_t kExhausted = ~std::size_t{0};
  enum class Push { New, Seen, OverBudget };
  struct Frame {
    std::int32_t call;  // kNone: an unknown op, from group, found at pos
    std::uint32_t group, op;
    std::size_t pos, prev_top;
    State prev_state;
    std::optional<State> prev_chain_start;
    std::uint64_t horizon;
    bool forced;
  };

  bool step(std::uint32_t op, const State& state, State& next) const { return model_.step(state, ops_[op], next); }

  // The memo's name for a state: itself when it is a small integer, else its order of discovery.
  std::uint32_t state_id(const State& state) {
    if constexpr (std::is_integral_v<State>) {
      return static_cast<std::uint32_t>(state);
    } else {
      return state_ids_.emplace(state, static_cast<std::uint32_t>(state_ids_.size())).first->second;
    }
  }

  std::int32_t find_read() const {
    for (std::int32_t e = next_[kHead]; e != end_ && !is_return_[e]; e = next_[e]) {
      State next_state{};
      if (is_read_[op_of_[e]] && step(op_of_[e], state_, next_state) && ends_chain(op_of_[e])) return e;
    }
    return kNone;
  }

  // Inside a chain of unknown ops, the next completed op must be one the chain made possible.
  bool ends_chain(std::uint32_t op) const {
    if constexpr (!kChains) return true;
    State next_state{};
    return !chain_start_ || !step(op, *chain_start_, next_state);
  }

  bool some_pending_impossible() const {
    State next_state{};
    for (std::int32_t e = next_[kHead]; e != end_ && !is_return_[e]; e = next_[e]) {
      if (!step(op_of_[e], state_, next_state)) return true;
    }
    return false;
  }

  // Whether a chain reaching this state could go on (a non-blind unknown op from it) or end (a
  // completed op that the state makes possible and the chain's start did not).
  bool leads_somewhere(const State& state) const {
    State next_state{};
    for (std::uint32_t group : conditional_groups_) {
      if (step(groups_[group].front(), state, next_state)) return true;
    }
    const State& start = chain_start_ ? *chain_start_ : state_;
    for (std::int32_t e = next_[kHead]; e != end_ && !is_return_[e]; e = next_[e]) {
      if (step(op_of_[e], state, next_state) && !step(op_of_[e], start, next_state)) return true;
    }
    return false;
  }

  // The effect groups worth trying in this state, in a fixed order: with chains, blind ones only
  // to start a chain, then the others (the caller checks which are possible).
  std::int32_t group_at(std::size_t pos) const {
    const std::size_t blind = !chain_start_ ? blind_groups_.size() : 0;
    if (pos < blind) return static_cast<std::int32_t>(blind_groups_[pos]);
    if (pos == kExhausted || pos - blind >= conditional_groups_.size()) return kNone;
    return static_cast<std::int32_t>(conditional_groups_[pos - blind]);
  }

  std::int32_t first_return() const {
    std::int32_t e = next_[kHead];
    while (e != end_ && !is_return_[e]) e = next_[e];
    return e;
  }

  Push push(std::int32_t call, std::uint32_t group, std::size_t pos, const State& next_state, bool forced);

  // Undoes frames until one with untried alternatives after it; false when none is left.
  bool backtrack(std::int32_t& e, std::size_t& pos);

  // The deepest partial linearization, for the explanation. Only the part of the stack that
  // changed since the last record is copied.
  void record_best() {
    best_completed_ = total_completed_ - remaining_;
    best_.resize(stack_.size());
    for (std::size_t i = best_matches_; i < stack_.size(); ++i) best_[i] = stack_[i].op;
    best_matches_ = stack_.size();
    if (first_return() != end_) best_blocker_ = op_of_[first_return()];
  }

  void unlink(std::int32_t node) {
    next_[prev_[node]] = next_[node];
    prev_[next_[node]] = prev_[node];
  }
  void relink(std::int32_t node) {
    next_[prev_[node]] = node;
    prev_[next_[node]] = node;
  }

  const M& model_;
  const std::vector<Step>& ops_;
  const std::vector<Timing>& times_;
  std::uint64_t budget_;
  bool relaxed_;
  std::vector<bool> is_read_;
  std::vector<std::uint32_t> slot_;  // an op's bit in known_bits_ or unknown_bits_
  std::vector<std::vector<std::uint32_t>> groups_;
  std::vector<std::uint32_t> blind_groups_, conditional_groups_;  // in effect order
  std::vector<std::size_t> used_;  // per group: how many are linearized (a prefix)
  Bits known_bits_, unknown_bits_;
  std::size_t full_ = 0, top_ = 0;  // known_bits_: leading all-ones words; end of the nonzero ones
  std::uint64_t known_hash_ = 0;
  std::vector<std::uint32_t> key_;
  std::optional<Memo> memo_;
  std::map<State, std::uint32_t> state_ids_;
  std::vector<std::int32_t> next_, prev_, return_of_;
  std::vector<std::uint32_t> op_of_;
  std::vector<std::uint64_t> time_;
  std::vector<bool> is_return_;
  std::int32_t end_ = 0;
  std::uint64_t horizon_ = 0;  // unknown ops invoked up to here can be linearized now
  std::vector<Frame> stack_;
  State state_;
  std::optional<State> chain_start_;  // the state before the current chain of unknown ops
  std::uint32_t remaining_ = 0, total_completed_ = 0, best_completed_ = 0, best_blocker_ = 0;
  std::uint64_t states_ = 0;
  std::size_t best_matches_ = 0;
  std::vector<std::uint32_t> best_;
};

// Unknown ops are grouped by the model's effect(), else each is its own group.
template <class M>
auto effect_of(const M& m, const typename M::Step& s, std::uint32_t index) {
  if constexpr (requires { m.effect(s); }) return m.effect(s);
  else return index;
}

template <class M>
Search<M>::Search(const M& model, const std::vector<Step>& ops, const std::vector<Timing>& times,
                  std::uint64_t budget, bool relaxed)
    : model_(model), ops_(ops), times_(times), budget_(budget), relaxed_(relaxed), slot_(ops.size(), 0),
      state_(model.initial()) {
  struct Event {
    std::uint64_t time;
    bool is_return;
    std::uint32_t op;
  };
  std::vector<Event> events;
  std::map<decltype(effect_of(model, ops.front(), 0)), std::uint32_t> effects;
  std::uint32_t unknown = 0;
  is_read_.resize(ops_.size());
  for (std::uint32_t i = 0; i < ops_.size(); ++i) {
    const Timing& t = times_[i];
    is_read_[i] = model_is_read(model_, ops_[i]);
    if (t.complete) {
      slot_[i] = total_completed_++;
      // A completion before the invocation is malformed; read it as an instantaneous op.
      events.push_back({t.invoke, false, i});
      events.push_back({std::max(*t.complete, t.invoke), true, i});
    } else if (model_may_change(model_, ops_[i])) {
      slot_[i] = unknown++;  // (unknown ops that can change nothing are the same as left out)
      const auto [it, added] = effects.emplace(effect_of(model_, ops_[i], i), static_cast<std::uint32_t>(groups_.size()));
      if (added) groups_.emplace_back();
      groups_[it->second].push_back(i);  // ops arrive in invocation order
    }
  }
  for (const auto& [effect, group] : effects) {
    (kChains && model_blind(model_, ops_[groups_[group].front()]) ? blind_groups_ : conditional_groups_).push_back(group);
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

template <class M>
Outcome Search<M>::run() {
  // The search resumes in the current state at e (completed ops, in list order) or, once those
  // are exhausted, at pos (unknown ops: see group_at).
  std::int32_t e = kNone;
  std::size_t pos = 0;
  bool fresh = true;
  while (remaining_ > 0) {
    Push pushed = Push::Seen;
    State next_state{};
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
      if constexpr (kChains) pos = chain_start_ || some_pending_impossible() ? 0 : kExhausted;
      else pos = 0;
      horizon_ = time_[first_return()];
      continue;
    } else if (e != kNone) {
      if (step(op_of_[e], state_, next_state) && ends_chain(op_of_[e])) pushed = push(e, 0, 0, next_state, false);
      if (pushed == Push::Seen) e = next_[e];
    } else if (group_at(pos) == kNone) {  // nothing fits before that return
      if (!backtrack(e, pos)) return Outcome::Violation;
      continue;
    } else {
      const auto group = static_cast<std::uint32_t>(group_at(pos));
      const std::vector<std::uint32_t>& members = groups_[group];
      const std::size_t next = used_[group];
      // Only a change of state is worth spending an unknown op on; in a chain, one that leads
      // somewhere.
      if (next < members.size() && times_[members[next]].invoke <= horizon_ &&
          step(members[next], state_, next_state) && !(next_state == state_) &&
          (!kChains || leads_somewhere(next_state)))
        pushed = push(kNone, group, pos, next_state, false);
      if (pushed == Push::Seen) ++pos;
    }
    if (pushed == Push::OverBudget) return Outcome::Inconclusive;
    fresh = pushed == Push::New;
  }
  return Outcome::Linearizable;
}

template <class M>
typename Search<M>::Push Search<M>::push(std::int32_t call, std::uint32_t group, std::size_t pos,
                                         const State& next_state, bool forced) {
  const bool known = call != kNone;
  const bool marks = known || !relaxed_;  // relaxed, unknown ops are not used up
  const std::uint32_t op = known ? op_of_[call] : groups_[group][used_[group]];
  Bits& bits = known ? known_bits_ : unknown_bits_;
  const std::uint64_t hash = known ? known_hash_ ^ mix(op) : known_hash_;
  std::optional<State> chain_start;
  if (kChains && !known) chain_start = chain_start_ ? chain_start_ : std::optional<State>(state_);
  const std::size_t word = slot_[op] / 64;
  if (marks) bits[word] ^= std::uint64_t{1} << (slot_[op] % 64);
  // The completed set is nearly a prefix of the ops in invocation order: it is keyed as the
  // number of leading full words plus the few words after them, not as the whole bitset.
  const std::size_t top = known ? std::max(top_, word + 1) : top_;
  while (full_ < known_bits_.size() && known_bits_[full_] == ~std::uint64_t{0}) ++full_;
  key_.assign({state_id(next_state), chain_start ? state_id(*chain_start) : kNoChain, static_cast<std::uint32_t>(full_)});
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
  chain_start_ = std::move(chain_start);
  if (!known) {
    used_[group] += marks;
    return Push::New;
  }
  unlink(call);
  unlink(return_of_[call]);
  if (total_completed_ - --remaining_ > best_completed_) record_best();
  return Push::New;
}

template <class M>
bool Search<M>::backtrack(std::int32_t& e, std::size_t& pos) {
  while (!stack_.empty()) {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    best_matches_ = std::min(best_matches_, stack_.size());
    state_ = std::move(frame.prev_state);
    chain_start_ = std::move(frame.prev_chain_start);
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

}  // namespace raftio::sim::detail
