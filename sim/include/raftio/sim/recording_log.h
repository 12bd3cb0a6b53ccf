// RecordingLog: a RaftLog that forwards to another (not owned) and reports every successful write
// to a SafetyChecker. It lets the checker see each log change exactly, without hooks in the core.
#pragma once

#include "raftio/raft_log.h"
#include "raftio/sim/safety_checker.h"

namespace raftio::sim {

class RecordingLog final : public RaftLog {
 public:
  RecordingLog(RaftLog& target, NodeId node, SafetyChecker* checker) noexcept
      : target_(target), node_(node), checker_(checker) {}

  HardState hard_state() const override { return target_.hard_state(); }
  SnapshotMeta snapshot_meta() const override { return target_.snapshot_meta(); }
  Index first_index() const override { return target_.first_index(); }
  Index last_index() const override { return target_.last_index(); }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override {
    return target_.read(lo, hi, out);
  }
  StorageStatus append(const EntryBatch& entries) override {
    auto status = target_.append(entries);
    if (status && checker_ != nullptr) checker_->on_append(node_, entries.span());
    return status;
  }
  StorageStatus truncate_suffix(Index from) override {
    auto status = target_.truncate_suffix(from);
    if (status && checker_ != nullptr) checker_->on_truncate(node_, from);
    return status;
  }
  StorageStatus compact(const SnapshotMeta& meta) override {
    auto status = target_.compact(meta);
    if (status && checker_ != nullptr) checker_->on_compact(node_, meta.last_index);
    return status;
  }
  StorageStatus save_snapshot(const Snapshot& snapshot) override { return target_.save_snapshot(snapshot); }
  Result<std::optional<Snapshot>, StorageError> load_snapshot() const override { return target_.load_snapshot(); }
  StorageStatus set_hard_state(const HardState& state) override { return target_.set_hard_state(state); }
  StorageStatus sync() override {
    auto status = target_.sync();
    if (status && checker_ != nullptr) checker_->on_sync(node_);
    return status;
  }

 private:
  RaftLog& target_;
  NodeId node_;
  SafetyChecker* checker_;
};

}  // namespace raftio::sim
