#include "raftio/runtime/persist_thread.h"

#include <utility>

namespace raftio::runtime {

PersistThread::PersistThread(RaftLog& log, asio::io_context& loop, Report report)
    : log_(log), loop_(loop), report_(std::move(report)), thread_([this] { run(); }) {}

PersistThread::~PersistThread() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void PersistThread::submit(Persist persist) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(persist));
  }
  wake_.notify_one();
}

void PersistThread::run() {
  std::vector<Persist> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      batch.swap(queue_);
    }
    // Everything queued while the previous sync ran goes out under one fdatasync.
    const StorageStatus status = write_persist(log_, batch);
    std::vector<Event> events;
    if (status) {
      events.reserve(batch.size());
      for (const Persist& persist : batch) events.emplace_back(Persisted{persist.index, persist.term});
      persists_.fetch_add(batch.size(), std::memory_order_relaxed);
      syncs_.fetch_add(1, std::memory_order_relaxed);
    } else {
      events.emplace_back(PersistFailed{status.error()});
    }
    batch.clear();  // drops this thread's references to the entries before the loop hears back
    asio::post(loop_, [this, events = std::move(events)]() mutable { report_(std::move(events)); });
    if (!status) return;  // the node stops; nothing after a failed write may be reported
  }
}

}  // namespace raftio::runtime
