#include "raftio/runtime/promise_keeper.h"

namespace raftio::runtime {

PromiseKeeper::PromiseKeeper() : thread_([this] { run(); }) {}

PromiseKeeper::~PromiseKeeper() { stop(); }

void PromiseKeeper::keep(std::vector<Ended>& batch) {
  if (batch.empty()) return;
  if (stopped_) {
    for (auto& [promise, outcome] : batch) promise.set_value(std::move(outcome));
    batch.clear();
    return;
  }
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = queue_.empty();  // else the thread is already busy with the queue, or about to be
    if (queue_.empty()) {
      queue_.swap(batch);
    } else {
      for (Ended& ended : batch) queue_.push_back(std::move(ended));
      batch.clear();
    }
  }
  if (wake) wake_.notify_one();
}

void PromiseKeeper::stop() {
  if (stopped_) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  stopped_ = true;
}

void PromiseKeeper::run() {
  std::vector<Ended> setting;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything handed over is set
      setting.swap(queue_);
    }
    for (auto& [promise, outcome] : setting) promise.set_value(std::move(outcome));
    setting.clear();
  }
}

}  // namespace raftio::runtime
