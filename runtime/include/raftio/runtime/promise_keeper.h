// PromiseKeeper: sets the values of a Node's std::promises on a thread of its own.
//
// Setting a std::promise is not cheap: libstdc++ runs it under std::call_once, and glibc's
// pthread_once ends every first call with a futex wake system call, whether or not anyone waits;
// the waiting thread is then woken with another. At one promise per proposal that was a quarter of
// a busy leader's loop. The loop hands over each turn's ended requests in one batch (one lock, one
// wake-up at most), and this thread sets them, in order. A turn that ended only a few, while the
// thread has nothing left to set, sets them itself: under a light load the hop to the thread
// would add more latency than it saves.
#pragma once

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "raftio/payload.h"
#include "raftio/result.h"
#include "raftio/runtime/error.h"

namespace raftio::runtime {

class PromiseKeeper {
 public:
  using Outcome = Result<Payload, Error>;
  using Ended = std::pair<std::promise<Outcome>, Outcome>;

  PromiseKeeper();
  ~PromiseKeeper();  // stop()
  PromiseKeeper(const PromiseKeeper&) = delete;
  PromiseKeeper& operator=(const PromiseKeeper&) = delete;

  // Sets each promise to its outcome, soon, in the order given (after those of earlier calls).
  // Empties `batch`, keeping its buffer for the caller's next turn. Once stopped, or for at most
  // kSetHere promises while the thread is idle: at once, on the caller's thread.
  static constexpr std::size_t kSetHere = 4;
  void keep(std::vector<Ended>& batch);
  // Sets what was handed over, then joins the thread.
  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Ended> queue_;  // guarded by mutex_
  bool stopping_ = false;     // guarded by mutex_
  bool busy_ = false;         // guarded by mutex_: the thread is setting a batch
  bool stopped_ = false;      // stop() returned (the caller's thread only)
  std::thread thread_;        // last: starts once everything above is initialized
};

}  // namespace raftio::runtime
