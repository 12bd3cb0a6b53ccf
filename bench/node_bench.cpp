#include "node_bench.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "alloc_counter.h"
#include "raftio/runtime/node.h"

namespace raftio::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Counts what it applies; the response is empty. The bench measures the node, not a state.
class Sink final : public runtime::StateMachine {
 public:
  Payload apply(const LogEntry&) override {
    ++applied_;
    return Payload();
  }
  Payload query(const Payload&) const override { return Payload::copy_of(std::to_string(applied_)); }
  Payload snapshot() const override { return Payload::copy_of(std::to_string(applied_)); }
  bool restore(const Payload& data) override {
    applied_ = std::stoull(data.to_string());
    return true;
  }

 private:
  std::uint64_t applied_ = 0;
};

std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// CPU time (user + system) of every thread of the process so far.
double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto at = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[at];
}

// What the proposers saw: the latency of each proposal started in the measured window.
struct Proposals {
  std::vector<double> latencies_us;
  std::uint64_t failed = 0;
  double cpu_at_start = 0;  // process_cpu_seconds() as the measured window began, and ended
  double cpu_at_end = 0;
  std::uint64_t allocations_at_start = 0;  // allocation_count() then
  std::uint64_t allocations_at_end = 0;
};

void begin_window(Proposals& run) {
  run.cpu_at_start = process_cpu_seconds();
  run.allocations_at_start = allocation_count();
}

void end_window(Proposals& run) {
  run.cpu_at_end = process_cpu_seconds();
  run.allocations_at_end = allocation_count();
}

void record(Proposals& run, Clock::time_point start, Clock::time_point done, bool ok, Clock::time_point warmup_end,
            Clock::time_point end) {
  if (!ok) ++run.failed;
  if (ok && start >= warmup_end && start < end) {
    run.latencies_us.push_back(std::chrono::duration<double, std::micro>(done - start).count());
  }
}

// One client thread keeps `proposers` proposals outstanding, each with its std::future. A node's
// proposals complete in log order, so waiting on the oldest first observes each completion when
// it happens.
Proposals propose_with_futures(runtime::Node& target, const Payload& payload, std::size_t proposers,
                               Clock::time_point warmup_end, Clock::time_point end) {
  Proposals run;
  std::deque<std::pair<Clock::time_point, std::future<runtime::Node::Outcome>>> outstanding;
  bool measuring = false;
  for (;;) {
    const auto now = Clock::now();
    const bool running = now < end;
    if (!measuring && now >= warmup_end && running) {
      measuring = true;
      begin_window(run);
    }
    if (measuring && !running) {
      measuring = false;
      end_window(run);
    }
    while (running && outstanding.size() < proposers) outstanding.emplace_back(Clock::now(), target.propose(payload));
    if (outstanding.empty()) break;
    auto [start, future] = std::move(outstanding.front());
    outstanding.pop_front();
    const bool ok = future.get().ok();
    record(run, start, Clock::now(), ok, warmup_end, end);
  }
  return run;
}

// `proposers` clients on the leader's loop, as raftio-kv's client connections are: each proposes
// with a Callback, and proposes again from the callback that brings its response.
class LoopProposers {
 public:
  LoopProposers(runtime::Node& target, Payload payload, Clock::time_point warmup_end, Clock::time_point end)
      : target_(target), payload_(std::move(payload)), warmup_end_(warmup_end), end_(end) {}

  Proposals run(std::size_t proposers) {
    active_ = proposers;
    for (std::size_t i = 0; i < proposers; ++i) propose();  // from this thread: posted to the loop
    Proposals window;
    std::this_thread::sleep_until(warmup_end_);
    begin_window(window);
    std::this_thread::sleep_until(end_);
    end_window(window);
    std::unique_lock lock(mutex_);
    all_done_.wait(lock, [this] { return active_ == 0; });
    Proposals result = std::move(run_);  // written on the loop; the mutex orders it before this
    result.cpu_at_start = window.cpu_at_start;
    result.cpu_at_end = window.cpu_at_end;
    result.allocations_at_start = window.allocations_at_start;
    result.allocations_at_end = window.allocations_at_end;
    return result;
  }

 private:
  void propose() {
    const auto start = Clock::now();
    target_.propose(payload_, [this, start](runtime::Node::Outcome outcome) { done(start, outcome.ok()); });
  }

  void done(Clock::time_point start, bool ok) {  // on the loop
    const auto now = Clock::now();
    record(run_, start, now, ok, warmup_end_, end_);
    if (now < end_) return propose();
    std::lock_guard lock(mutex_);
    if (--active_ == 0) all_done_.notify_all();
  }

  runtime::Node& target_;
  const Payload payload_;
  const Clock::time_point warmup_end_;
  const Clock::time_point end_;
  Proposals run_;
  std::mutex mutex_;
  std::condition_variable all_done_;
  std::size_t active_ = 0;  // guarded by mutex_ once the proposers run
};

Proposals propose_on_loop(runtime::Node& target, const Payload& payload, std::size_t proposers,
                          Clock::time_point warmup_end, Clock::time_point end) {
  LoopProposers loop(target, payload, warmup_end, end);
  return loop.run(proposers);
}

}  // namespace

const char* name_of(NodeClient client) { return client == NodeClient::Futures ? "futures" : "loop"; }

const char* name_of(NodeStorage storage) {
  switch (storage) {
    case NodeStorage::Wal: return "wal";
    case NodeStorage::WalSync: return "wal-sync";
    case NodeStorage::Memory: break;
  }
  return "memory";
}

NodeCaseResult measure_node_proposals(const std::string& dir, NodeStorage storage, std::size_t proposers,
                                      double seconds, std::size_t payload_bytes, bool batch_turns,
                                      NodeClient client) {
  const bool durable = storage != NodeStorage::Memory;
  const std::string root = dir + "/raftio-node-bench";
  std::filesystem::remove_all(root);
  std::map<NodeId, std::string> members;
  for (NodeId id = 1; id <= 3; ++id) members[id] = "127.0.0.1:" + std::to_string(free_port());
  std::map<NodeId, Sink> machines;
  std::map<NodeId, std::unique_ptr<runtime::Node>> nodes;
  for (NodeId id = 1; id <= 3; ++id) {
    runtime::NodeOptions options;
    options.id = id;
    options.cluster_id = "bench";
    options.members = members;
    options.data_dir = durable ? root + "/node-" + std::to_string(id) : std::string();
    options.log = [](std::string_view) {};
    options.async_storage = storage != NodeStorage::WalSync;
    options.batch_turns = batch_turns;
    auto node = runtime::Node::start(options, machines[id]);
    if (!node) throw std::runtime_error("node " + std::to_string(id) + ": " + node.error());
    nodes[id] = std::move(node).value();
  }
  const auto leader = nodes[1]->wait_for_leader(std::chrono::seconds(10));
  if (!leader) throw std::runtime_error("no leader within 10 s");
  runtime::Node& target = *nodes[leader.value()];

  const Payload payload = Payload::copy_of(std::string(payload_bytes, 'p'));
  const auto warmup_end = Clock::now() + std::chrono::milliseconds(300);
  const auto end = warmup_end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  Proposals run = client == NodeClient::Futures ? propose_with_futures(target, payload, proposers, warmup_end, end)
                                                : propose_on_loop(target, payload, proposers, warmup_end, end);
  std::vector<double>& latencies_us = run.latencies_us;
  const std::uint64_t failed = run.failed;
  nodes.clear();
  std::filesystem::remove_all(root);
  if (failed > 0 && latencies_us.empty()) throw std::runtime_error("every proposal failed");

  NodeCaseResult result;
  result.proposals = latencies_us.size();
  result.seconds = seconds;
  result.proposals_per_s = static_cast<double>(latencies_us.size()) / seconds;
  std::sort(latencies_us.begin(), latencies_us.end());
  result.p50_us = percentile(latencies_us, 0.50);
  result.p99_us = percentile(latencies_us, 0.99);
  if (result.proposals > 0) {
    const auto proposals = static_cast<double>(result.proposals);
    result.cpu_us_per_proposal = (run.cpu_at_end - run.cpu_at_start) * 1e6 / proposals;
    result.allocations_per_proposal = static_cast<double>(run.allocations_at_end - run.allocations_at_start) / proposals;
  }
  return result;
}

double measure_fdatasync_per_s(const std::string& dir, double seconds) {
  const std::string path = dir + "/raftio-fdatasync-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("open " + path);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::uint64_t syncs = 0;
  while (Clock::now() < end) {
    const char byte = 's';
    if (::write(fd, &byte, 1) != 1 || ::fdatasync(fd) != 0) {
      ::close(fd);
      throw std::runtime_error("write/fdatasync failed on " + path);
    }
    ++syncs;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::filesystem::remove(path);
  return static_cast<double>(syncs) / elapsed;
}

}  // namespace raftio::bench
