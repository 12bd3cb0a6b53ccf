// PersistThread: the storage I/O thread of a node in async_storage mode (runtime::Node,
// raftio-kv --async-storage).
//
//   loop thread                                   I/O thread (owns the WalLog after construction)
//   node.step → Persist ── submit() ──► queue ──► write every queued Persist under ONE sync
//                                                 (write_persist of a span)
//   enqueue(Persisted…) ◄── asio::post(loop) ◄──  one Persisted per Persist, in order
//                                                 (or one PersistFailed, and the thread stops)
//
// The RaftNode stays on the loop thread: the thread only sees the Persist actions (whose entry
// batches and payloads are shared through atomic counts) and the RaftLog.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <raftio/raftio.h>

namespace raftio::runtime {

class PersistThread {
 public:
  // `report` runs on `loop` with the events to step: Persisted{index, term} per Persist, in the
  // order submitted, or a single PersistFailed after which nothing more is reported.
  using Report = std::function<void(std::vector<Event>)>;

  PersistThread(RaftLog& log, asio::io_context& loop, Report report);
  ~PersistThread();  // writes what is queued, then joins
  PersistThread(const PersistThread&) = delete;
  PersistThread& operator=(const PersistThread&) = delete;

  void submit(Persist persist);  // loop thread

  std::uint64_t persists_written() const noexcept { return persists_.load(std::memory_order_relaxed); }
  std::uint64_t syncs() const noexcept { return syncs_.load(std::memory_order_relaxed); }

 private:
  void run();

  RaftLog& log_;
  asio::io_context& loop_;
  Report report_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Persist> queue_;  // guarded by mutex_
  bool stop_ = false;                  // guarded by mutex_
  std::atomic<std::uint64_t> persists_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::thread thread_;  // last: starts once everything above is initialized
};

}  // namespace raftio::runtime
