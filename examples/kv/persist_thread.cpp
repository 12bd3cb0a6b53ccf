#include "persist_thread.h"

#include <utility>

namespace kv {
namespace {

// Forwards every call to the real log except sync(), so that raftio::write_persist (the
// reference order: truncation, hard state, snapshot, entries) can write several Persists and the
// caller syncs once for all of them (group commit on the I/O thread).
class UnsyncedLog final : public raftio::RaftLog {
 public:
  explicit UnsyncedLog(raftio::RaftLog& log) : log_(log) {}
  raftio::HardState hard_state() const override { return log_.hard_state(); }
  raftio::SnapshotMeta snapshot_meta() const override { return log_.snapshot_meta(); }
  raftio::Index first_index() const override { return log_.first_index(); }
  raftio::Index last_index() const override { return log_.last_index(); }
  raftio::StorageStatus read(raftio::Index lo, raftio::Index hi, std::vector<raftio::LogEntry>& out) const override {
    return log_.read(lo, hi, out);
  }
  raftio::StorageStatus append(const raftio::EntryBatch& entries) override { return log_.append(entries); }
  raftio::StorageStatus truncate_suffix(raftio::Index from) override { return log_.truncate_suffix(from); }
  raftio::StorageStatus compact(const raftio::SnapshotMeta& meta) override { return log_.compact(meta); }
  raftio::StorageStatus set_hard_state(const raftio::HardState& state) override { return log_.set_hard_state(state); }
  raftio::StorageStatus sync() override { return {}; }  // the caller syncs once per batch
  raftio::StorageStatus save_snapshot(const raftio::Snapshot& snapshot) override {
    return log_.save_snapshot(snapshot);  // durable on its own (RaftLog contract), before compact
  }
  raftio::Result<std::optional<raftio::Snapshot>, raftio::StorageError> load_snapshot() const override {
    return log_.load_snapshot();
  }

 private:
  raftio::RaftLog& log_;
};

}  // namespace

PersistThread::PersistThread(raftio::RaftLog& log, asio::io_context& loop, Report report)
    : log_(log), loop_(loop), report_(std::move(report)), thread_([this] { run(); }) {}

PersistThread::~PersistThread() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void PersistThread::submit(raftio::Persist persist) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(persist));
  }
  wake_.notify_one();
}

void PersistThread::run() {
  UnsyncedLog unsynced(log_);
  std::deque<raftio::Persist> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      batch.swap(queue_);
    }
    // Everything queued while the previous sync ran goes out under one fdatasync.
    raftio::StorageStatus status;
    for (const raftio::Persist& persist : batch) {
      status = raftio::write_persist(unsynced, persist);
      if (!status) break;
    }
    if (status) status = log_.sync();
    std::vector<raftio::Event> events;
    if (status) {
      events.reserve(batch.size());
      for (const raftio::Persist& persist : batch) events.emplace_back(raftio::Persisted{persist.index, persist.term});
      persists_.fetch_add(batch.size(), std::memory_order_relaxed);
      syncs_.fetch_add(1, std::memory_order_relaxed);
    } else {
      events.emplace_back(raftio::PersistFailed{status.error()});
    }
    batch.clear();  // drops this thread's references to the entries before the loop hears back
    asio::post(loop_, [this, events = std::move(events)]() mutable { report_(std::move(events)); });
    if (!status) return;  // the node stops; nothing after a failed write may be reported
  }
}

}  // namespace kv
