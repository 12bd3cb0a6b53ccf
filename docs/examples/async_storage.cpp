// Asynchronous storage: a single node whose writes happen on an I/O thread. The event loop hands
// each Persist to the thread and keeps stepping; the thread writes it with write_persist (one
// fsync) and posts Persisted back. Replies and Apply wait for it; nothing else does.
#include <raftio/raftio.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

int main() {
  using namespace raftio;
  auto config = RaftConfig::builder(1).voters({1}).async_storage(true).build();
  if (!config) return 1;
  RaftNode node(std::move(config).value());  // a MemoryLog here; a WalLog works the same way
  RaftLog& log = node.log();                 // the node reads it only in its constructor

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Persist> to_write;  // loop → I/O thread, in order
  std::deque<Event> completed;   // I/O thread → loop: Persisted or PersistFailed, in order
  bool stop = false;
  std::thread io([&] {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stop || !to_write.empty(); });
      if (to_write.empty()) return;
      Persist persist = std::move(to_write.front());
      to_write.pop_front();
      lock.unlock();
      auto status = write_persist(log, persist);  // truncation, hard state, snapshot, entries, fsync
      lock.lock();
      if (status) {
        completed.push_back(Persisted{persist.index, persist.term});
      } else {
        completed.push_back(PersistFailed{status.error()});
      }
    }
  });

  std::vector<Action> actions;
  int applied = 0;
  auto handle = [&](Event event) {
    actions.clear();
    node.step(std::move(event), actions);
    for (Action& action : actions) {
      if (auto* persist = std::get_if<Persist>(&action)) {
        std::lock_guard lock(mutex);
        to_write.push_back(std::move(*persist));
        wake.notify_one();
      } else if (auto* apply = std::get_if<Apply>(&action)) {
        if (apply->entry.kind == EntryKind::Normal) {
          std::printf("apply %llu: %s\n", static_cast<unsigned long long>(apply->entry.index),
                      apply->entry.data.to_string().c_str());
          ++applied;
        }
      } else if (auto* failed = std::get_if<StorageFailed>(&action)) {
        std::fprintf(stderr, "storage failed: %s\n", failed->error.context.c_str());
      }
      // Send, ReadReady, ...: as in synchronous mode.
    }
  };

  int proposed = 0;
  for (int turn = 0; turn < 10'000 && applied < 3; ++turn) {
    handle(Tick{});
    if (node.is_leader() && proposed < 3) handle(Propose{Payload::copy_of("command " + std::to_string(proposed++))});
    std::deque<Event> reports;
    {
      std::lock_guard lock(mutex);
      reports.swap(completed);
    }
    for (Event& report : reports) handle(std::move(report));
    std::this_thread::yield();
  }
  {
    std::lock_guard lock(mutex);
    stop = true;
    wake.notify_one();
  }
  io.join();
  std::printf("applied %d commands; durable up to %llu\n", applied, static_cast<unsigned long long>(node.durable_index()));
  return applied == 3 ? 0 : 1;
}
