// raftio-bench: committed-and-applied entries per second for in-memory clusters driven in one
// thread. A batch of B is B Propose events of one entry each, handed to the leader in one step;
// then every node's actions are carried out and every message delivered (each node gets its
// inbox as one step), round after round, until every entry is applied on every node.
//
// Heap allocations are counted by replacing the global operator new: the report separates the
// allocations made inside RaftNode::step (the library's own) from everything else (payloads,
// the harness's queues).
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "raftio/raftio.h"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace raftio;

struct CaseResult {
  double wall_s = 0;
  std::uint64_t events = 0;
  std::uint64_t step_allocations = 0;
  std::uint64_t other_allocations = 0;
  std::uint64_t messages = 0;
};

class BenchCluster {
 public:
  BenchCluster(std::size_t size, std::uint32_t max_entries_per_msg) {
    std::vector<NodeId> ids;
    for (NodeId id = 1; id <= size; ++id) ids.push_back(id);
    for (NodeId id : ids) {
      auto config = RaftConfig::builder(id).voters(ids).seed(1).max_entries_per_msg(max_entries_per_msg).build();
      nodes_.push_back(std::make_unique<RaftNode>(std::move(config).value()));
    }
    inbox_.resize(size);
    applied_.resize(size);
  }

  RaftNode& node(NodeId id) { return *nodes_[id - 1]; }

  void step(NodeId id, std::span<Event> events) {
    out_.clear();
    const std::uint64_t before = g_allocations.load(std::memory_order_relaxed);
    nodes_[id - 1]->step(events, out_);
    result.step_allocations += g_allocations.load(std::memory_order_relaxed) - before;
    result.events += events.size();
    for (Action& action : out_) {
      if (auto* send = std::get_if<Send>(&action)) {
        const NodeId to = receiver_of(send->message);
        inbox_[to - 1].emplace_back(std::in_place_type<Receive>, std::move(send->message));
        ++result.messages;
      } else if (std::holds_alternative<Apply>(action)) {
        ++applied_[id - 1];
      }
    }
  }

  // Delivers until no message is in flight.
  void settle() {
    for (bool busy = true; busy;) {
      busy = false;
      for (NodeId id = 1; id <= nodes_.size(); ++id) {
        if (inbox_[id - 1].empty()) continue;
        busy = true;
        delivering_.swap(inbox_[id - 1]);
        step(id, delivering_);
        delivering_.clear();
      }
    }
  }

  void tick_all() {
    for (NodeId id = 1; id <= nodes_.size(); ++id) {
      Event tick = Tick{};
      step(id, std::span<Event>(&tick, 1));
    }
  }

  std::uint64_t min_applied() const {
    std::uint64_t least = applied_[0];
    for (std::uint64_t a : applied_) least = a < least ? a : least;
    return least;
  }

  CaseResult result;

 private:
  std::vector<std::unique_ptr<RaftNode>> nodes_;
  std::vector<std::vector<Event>> inbox_;
  std::vector<Event> delivering_;
  std::vector<std::uint64_t> applied_;
  std::vector<Action> out_;
};

CaseResult run_case(std::size_t nodes, std::size_t batch, std::uint64_t entries, std::size_t payload_bytes) {
  BenchCluster cluster(nodes, 64);
  // Elect node 1: only it ticks, so only it campaigns.
  for (int i = 0; i < 100 && !cluster.node(1).is_leader(); ++i) {
    Event tick = Tick{};
    cluster.step(1, std::span<Event>(&tick, 1));
    cluster.settle();
  }
  cluster.settle();
  const std::uint64_t base = cluster.min_applied();  // the no-op
  cluster.result = CaseResult{};
  const std::string bytes(payload_bytes, 'x');
  std::vector<Event> proposals;
  proposals.reserve(batch);

  const std::uint64_t allocations_before = g_allocations.load();
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t proposed = 0;
  while (proposed < entries) {
    proposals.clear();
    for (std::size_t i = 0; i < batch && proposed < entries; ++i, ++proposed) {
      proposals.push_back(Event(std::in_place_type<Propose>, Propose{Payload::copy_of(bytes), proposed}));
    }
    cluster.step(1, proposals);
    cluster.settle();
  }
  // The last commit index reaches followers with the next message: a heartbeat round.
  while (cluster.min_applied() < base + entries) {
    cluster.tick_all();
    cluster.settle();
  }
  const auto stop = std::chrono::steady_clock::now();
  CaseResult result = cluster.result;
  result.wall_s = std::chrono::duration<double>(stop - start).count();
  result.other_allocations = g_allocations.load() - allocations_before - result.step_allocations;
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t entries = 200'000;
  std::size_t payload = 128;
  std::vector<std::size_t> node_counts{3, 5};
  std::vector<std::size_t> batches{1, 64};
  int repeat = 3;
  CLI::App app{"raftio-bench: committed-and-applied entries per second, in-memory, one thread"};
  app.add_option("--entries", entries, "entries per case")->capture_default_str();
  app.add_option("--payload", payload, "payload bytes per entry")->capture_default_str();
  app.add_option("--nodes", node_counts, "cluster sizes")->capture_default_str();
  app.add_option("--batch", batches, "proposals per round")->capture_default_str();
  app.add_option("--repeat", repeat, "runs per case; the best is reported")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  for (std::size_t nodes : node_counts) {
    for (std::size_t batch : batches) {
      CaseResult best;
      for (int r = 0; r < repeat; ++r) {
        CaseResult result = run_case(nodes, batch, entries, payload);
        if (r == 0 || result.wall_s < best.wall_s) best = result;
      }
      std::printf(
          "nodes=%zu batch=%zu entries=%llu payload=%zu wall_s=%.3f entries_per_s=%.0f "
          "events=%llu messages=%llu step_allocs_per_event=%.4f other_allocs_per_entry=%.2f\n",
          nodes, batch, static_cast<unsigned long long>(entries), payload, best.wall_s,
          static_cast<double>(entries) / best.wall_s, static_cast<unsigned long long>(best.events),
          static_cast<unsigned long long>(best.messages),
          static_cast<double>(best.step_allocations) / static_cast<double>(best.events),
          static_cast<double>(best.other_allocations) / static_cast<double>(entries));
      std::fflush(stdout);
    }
  }
  return 0;
}
