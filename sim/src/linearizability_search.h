// The search behind check_linearizable (private to linearizability.cpp): one key's history,
// Wing & Gong style, with the memo and the reductions that keep it small.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

#include "raftio/sim/kv_history.h"

namespace raftio::sim::detail {

constexpr std::int32_t kAbsent = -1;
constexpr std::int32_t kNone = -1;
constexpr std::int32_t kNoChain = INT32_MIN;
using Bits = std::vector<std::uint64_t>;

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

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

inline bool step(const Op& op, std::int32_t state, std::int32_t& next) {
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

inline bool is_read(const Op& op) {
  return op.source->kind == KvOpKind::Get || (op.source->kind == KvOpKind::Cas && !op.source->cas_succeeded);
}

// Explored states: a key (value, chain start, completed ops linearized) maps to the sets of
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
// Unknown ops are only placed as a chain right before a completed op the chain makes possible,
// with a Put (if any) first: any linearization can be brought to that form by moving unknown ops
// later or dropping them. Placing them anywhere else multiplies the states for nothing.
//
// Relaxed, an unknown op may be used any number of times. That accepts more histories, so its
// violations are real, and its linearizations are real when each use gets an op of its own
// (pure()). It is much cheaper: which unknown ops were used no longer tells states apart.
class KeySearch {
 public:
  KeySearch(const std::vector<Op>& ops, std::uint64_t budget, bool relaxed);

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
      if (i == members.size() || ops_[members[i]].source->invoke_time > frame.horizon) return false;
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
    std::int32_t prev_state, prev_chain_start;
    std::uint64_t horizon;
    bool forced;
  };

  std::int32_t find_read() const {
    for (std::int32_t e = next_[kHead]; e != end_ && !is_return_[e]; e = next_[e]) {
      const Op& op = ops_[op_of_[e]];
      std::int32_t next_state = 0;
      if (is_read(op) && step(op, state_, next_state) && ends_chain(op)) return e;
    }
    return kNone;
  }

  // Inside a chain of unknown ops, the next completed op must be one the chain made possible.
  bool ends_chain(const Op& op) const {
    std::int32_t next_state = 0;
    return chain_start_ == kNoChain || !step(op, chain_start_, next_state);
  }

  bool some_pending_impossible() const {
    std::int32_t next_state = 0;
    for (std::int32_t e = next_[kHead]; e != end_ && !is_return_[e]; e = next_[e]) {
      if (!step(ops_[op_of_[e]], state_, next_state)) return true;
    }
    return false;
  }

  // Whether a chain reaching this state could go on (a Cas from it) or end (a completed op that
  // the state makes possible and the chain's start did not).
  bool leads_somewhere(std::int32_t state) const {
    if (state >= 0 && static_cast<std::size_t>(state) < cas_from_.size() && !cas_from_[state].empty()) return true;
    const std::int32_t start = chain_start_ != kNoChain ? chain_start_ : state_;
    std::int32_t next_state = 0;
    for (std::int32_t e = next_[kHead]; e != end_ && !is_return_[e]; e = next_[e]) {
      const Op& op = ops_[op_of_[e]];
      if (step(op, state, next_state) && !step(op, start, next_state)) return true;
    }
    return false;
  }

  // The effect groups worth trying in this state, in a fixed order: Puts only to start a chain,
  // then the Cas groups that would succeed.
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

  Push push(std::int32_t call, std::uint32_t group, std::size_t pos, std::int32_t next_state, bool forced);

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

  const std::vector<Op>& ops_;
  std::uint64_t budget_;
  bool relaxed_;
  std::vector<std::uint32_t> slot_;  // an op's bit in known_bits_ or unknown_bits_
  std::vector<std::vector<std::uint32_t>> groups_;
  std::vector<std::uint32_t> put_groups_;
  std::vector<std::vector<std::uint32_t>> cas_from_;  // by expected value
  std::vector<std::size_t> used_;                     // per group: how many are linearized (a prefix)
  Bits known_bits_, unknown_bits_;
  std::size_t full_ = 0, top_ = 0;  // known_bits_: leading all-ones words; end of the nonzero ones
  std::uint64_t known_hash_ = 0;
  std::vector<std::uint32_t> key_;
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

}  // namespace raftio::sim::detail
