#include "raftio/runtime/promise_keeper.h"

namespace raftio::runtime {

PromiseKeeper::PromiseKeeper() : thread_([this] { run(); }) {}

PromiseKeeper::~PromiseKeeper() { stop(); }

void PromiseKeeper::keep(std::vector<Ended>& batch) {
  if (batch.empty()) return;
  bool here = stopped_;
  bool wake = false;
  if (!here) {
    std::lock_guard lock(mutex_);
    if (queue_.empty() && !busy_ && batch.size() <= kSetHere) {
      here = true;  // nothing handed over is still being set: the order holds
    } else {
      wake = queue_.empty();  // else the thread has been woken already
      for (Ended& ended : batch) queue_.push_back(std::move(ended));
    }
  }
  if (here) {
    for (auto& [promise, outcome] : batch) promise.set_value(std::move(outcome));
  } else if (wake) {
    wake_.notify_one();
  }
  batch.clear();
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
      busy_ = true;
    }
    for (auto& [promise, outcome] : setting) promise.set_value(std::move(outcome));
    setting.clear();
    std::lock_guard lock(mutex_);
    busy_ = false;
  }
}

}  // namespace raftio::runtime
