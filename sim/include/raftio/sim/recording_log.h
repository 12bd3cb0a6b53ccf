// RecordingLog: a RaftLog that forwards to another (not owned) and reports every successful write
// to a SafetyChecker. It lets the checker see each log change exactly, without hooks in the core.
// In async_storage mode (`disk`) the writes are the embedder's, and go to the checker's disk view.
#pragma once

#include "raftio/raft_log.h"
#include "raftio/sim/safety_checker.h"

namespace raftio::sim {

class RecordingLog final : public RaftLog {
 public:
  RecordingLog(RaftLog& target, NodeId node, SafetyChecker* checker, bool disk = false) noexcept
      : target_(target), node_(node), checker_(checker), disk_(disk) {}

  HardState hard_state() const override { return target_.hard_state(); }
  SnapshotMeta snapshot_meta() const override { return target_.snapshot_meta(); }
  Index first_index() const override { return target_.first_index(); }
  Index last_index() const override { return target_.last_index(); }
  StorageStatus read(Index lo, Index hi, std::vector<LogEntry>& out) const override {
    return target_.read(lo, hi, out);
  }
  StorageStatus append(const EntryBatch& entries) override {
    auto status = target_.append(entries);
    if (status && checker_ != nullptr) {
      disk_ ? checker_->on_disk_append(node_, entries.span()) : checker_->on_append(node_, entries.span());
    }
    return status;
  }
  StorageStatus truncate_suffix(Index from) override {
    auto status = target_.truncate_suffix(from);
    if (status && checker_ != nullptr) disk_ ? checker_->on_disk_truncate(node_, from) : checker_->on_truncate(node_, from);
    return status;
  }
  StorageStatus compact(const SnapshotMeta& meta) override {
    auto status = target_.compact(meta);
    if (status && checker_ != nullptr) {
      disk_ ? checker_->on_disk_compact(node_, meta.last_index) : checker_->on_compact(node_, meta.last_index);
    }
    return status;
  }
  StorageStatus save_snapshot(const Snapshot& snapshot) override { return target_.save_snapshot(snapshot); }
  Result<std::optional<Snapshot>, StorageError> load_snapshot() const override { return target_.load_snapshot(); }
  StorageStatus set_hard_state(const HardState& state) override { return target_.set_hard_state(state); }
  StorageStatus sync() override {
    auto status = target_.sync();
    if (status && checker_ != nullptr) disk_ ? checker_->on_disk_sync(node_) : checker_->on_sync(node_);
    return status;
  }

 private:
  RaftLog& target_;
  NodeId node_;
  SafetyChecker* checker_;
  bool disk_;
};

}  // namespace raftio::sim
