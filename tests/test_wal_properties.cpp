// WalLog under crashes, checked against a MemoryLog model.
//
// After a crash the recovered log must equal the model's state at the last successful sync, or at
// a later operation whose records had been written (but not synced) when the power went: a torn
// write may keep whole records. Never anything else: no synced record lost, no record that was not
// written whole returned.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "support/wal_helpers.h"

namespace raftio::test {
namespace {

using wal::FaultyFileSystem;

struct WalOp {
  enum Kind : int { Append, Truncate, Compact, SetHardState, Sync, FailedSync, Crash };
  Kind kind = Append;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
};

rc::Gen<WalOp> gen_wal_op() {
  return rc::gen::build<WalOp>(
      rc::gen::set(&WalOp::kind, rc::gen::weightedElement<WalOp::Kind>({{30, WalOp::Append},
                                                                       {6, WalOp::Truncate},
                                                                       {5, WalOp::Compact},
                                                                       {8, WalOp::SetHardState},
                                                                       {20, WalOp::Sync},
                                                                       {3, WalOp::FailedSync},
                                                                       {6, WalOp::Crash}})),
      rc::gen::set(&WalOp::a, rc::gen::inRange<std::uint32_t>(0, 1u << 16)),
      rc::gen::set(&WalOp::b, rc::gen::inRange<std::uint32_t>(0, 1u << 16)));
}

MemoryLog model_from(const LogImage& image) {
  MemoryLog model;
  (void)model.compact(image.snapshot);
  (void)model.append(std::span<const LogEntry>(image.entries));
  (void)model.set_hard_state(image.hard_state);
  return model;
}

// Runs a sequence on a WalLog and the model side by side, checking every recovery.
class CrashHarness {
 public:
  CrashHarness(std::uint64_t seed, std::uint64_t segment_bytes)
      : fs_(std::make_shared<FaultyFileSystem>(seed)), segment_bytes_(segment_bytes) {
    wal_ = open_wal(fs_, segment_bytes_);
    candidates_.push_back(image_of(model_));
  }

  // Returns a description of what went wrong, or "".
  std::string apply(const WalOp& op) {
    Term term = std::max<Term>(model_.hard_state().term, 1);
    switch (op.kind) {
      case WalOp::Append: {
        std::vector<LogEntry> entries;
        const Index first = model_.last_index() + 1;
        for (std::uint32_t i = 0; i < 1 + op.b % 5; ++i) {
          entries.push_back(entry(first + i, term, std::string(op.a % 97, static_cast<char>('a' + (first + i) % 26))));
        }
        if (!model_.append(std::span<const LogEntry>(entries))) return "model refused an append";
        if (!wal_->append(EntryBatch(entries))) return "append failed";
        break;
      }
      case WalOp::Truncate: {
        const Index first = model_.first_index();
        const Index from = first + op.a % (model_.last_index() + 2 - first);
        if (!model_.truncate_suffix(from)) return {};
        if (!wal_->truncate_suffix(from)) return "truncate failed";
        break;
      }
      case WalOp::Compact: {
        const Index lo = model_.snapshot_meta().last_index;
        const Index upto = lo + op.a % (model_.last_index() + 1 - lo);
        std::vector<LogEntry> at;
        if (upto > lo && !model_.read(upto, upto, at)) return "model read failed";
        const Term upto_term = upto == lo ? model_.snapshot_meta().last_term : at[0].term;
        const SnapshotMeta meta{upto, upto_term, Membership{{1, 2, 3}, {op.b % 2 ? NodeId{9} : NodeId{}}}};
        SnapshotMeta clean = meta;
        if (clean.membership.learners[0] == 0) clean.membership.learners.clear();
        if (!model_.compact(clean)) return {};
        if (!wal_->compact(clean)) return "compact failed";
        break;
      }
      case WalOp::SetHardState: {
        const HardState state{term + op.a % 2, op.b % 4, model_.last_index()};
        (void)model_.set_hard_state(state);
        if (!wal_->set_hard_state(state)) return "set_hard_state failed";
        break;
      }
      case WalOp::Sync:
        if (!wal_->sync()) return "sync failed";
        candidates_.clear();
        break;
      case WalOp::FailedSync: {
        // An entry is written, the fdatasync fails: the log stops; only a crash and reopen helps.
        if (auto problem = apply(WalOp{WalOp::Append, op.a, 0}); !problem.empty()) return problem;
        fs_->fail_next(FaultyFileSystem::Op::Sync, StorageError::Code::Io);
        if (wal_->sync()) return "a failed fdatasync was not reported";
        return crash(true);
      }
      case WalOp::Crash:
        return crash(op.a % 2 == 0);
    }
    candidates_.push_back(image_of(model_));
    return {};
  }

  std::string crash(bool tear) {
    wal_.reset();
    fs_->crash(tear);
    auto reopened = wal::WalLog::open(fs_, kWalDir, wal::WalOptions{segment_bytes_});
    if (!reopened) return "recovery failed: " + reopened.error().context;
    wal_ = std::move(reopened).value();
    const LogImage recovered = image_of(*wal_);
    bool matched = false;
    for (const LogImage& candidate : candidates_) matched = matched || candidate == recovered;
    if (!matched) {
      return "recovered last index " + std::to_string(recovered.last) + " (first " + std::to_string(recovered.first) +
             ") matches no state since the last sync (" + std::to_string(candidates_.size()) + " candidates, synced last " +
             std::to_string(candidates_.front().last) + ")";
    }
    model_ = model_from(recovered);
    candidates_.assign(1, recovered);
    return {};
  }

 private:
  std::shared_ptr<FaultyFileSystem> fs_;
  std::uint64_t segment_bytes_;
  std::unique_ptr<wal::WalLog> wal_;
  MemoryLog model_;
  std::vector<LogImage> candidates_;  // states since the last sync; [0] is the synced one
};

RC_GTEST_PROP(WalProperties, RecoveryAfterAnyCrashEqualsASyncedOrWrittenState, ()) {
  const auto ops = *rc::gen::scale(2.0, rc::gen::container<std::vector<WalOp>>(gen_wal_op()));
  const auto segment_bytes = *rc::gen::element<std::uint64_t>(256, 1024, std::uint64_t{1} << 20);
  CrashHarness harness(*rc::gen::inRange<std::uint64_t>(1, 1'000'000), segment_bytes);
  for (const WalOp& op : ops) {
    const std::string problem = harness.apply(op);
    if (!problem.empty()) RC_FAIL("operation " + std::to_string(op.kind) + ": " + problem);
  }
  const std::string final_check = harness.crash(true);
  if (!final_check.empty()) RC_FAIL("final crash: " + final_check);
  RC_CLASSIFY(std::count_if(ops.begin(), ops.end(), [](const WalOp& o) { return o.kind == WalOp::Crash; }) > 2, "several crashes");
}

// Crash after every operation of one fixed random sequence: each prefix is replayed on a fresh
// disk, the power is cut (tearing the last write), and the log must recover to a valid state.
TEST(WalProperties, CrashAfterEveryOperationOfARandomSequence) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    std::uint64_t rng = seed * 0x9e3779b97f4a7c15ULL;
    auto next = [&rng] {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      return rng;
    };
    std::vector<WalOp> ops;
    for (int i = 0; i < 80; ++i) {
      const auto kind = static_cast<WalOp::Kind>(next() % 5);  // no crash ops: the crash is ours
      ops.push_back(WalOp{kind, static_cast<std::uint32_t>(next() % 65536), static_cast<std::uint32_t>(next() % 65536)});
    }
    for (std::size_t prefix = 0; prefix <= ops.size(); ++prefix) {
      CrashHarness harness(seed * 1000 + prefix, 512);
      for (std::size_t i = 0; i < prefix; ++i) ASSERT_EQ(harness.apply(ops[i]), "") << "seed " << seed << " op " << i;
      ASSERT_EQ(harness.crash(true), "") << "seed " << seed << ", crash after " << prefix << " operations";
    }
  }
}

}  // namespace
}  // namespace raftio::test
