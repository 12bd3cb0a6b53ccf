// Tier 3: your own storage and your own transport. The node writes through RaftLog and syncs once
// per step that wrote; your transport receives every Send through dispatch_sends.
#include <raftio/raftio.h>

#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace {

// A RaftLog that keeps its data in a MemoryLog but counts the fsyncs a disk-backed log would
// issue. A real implementation persists each call and makes it durable in sync().
class CountingLog final : public raftio::RaftLog {
 public:
  explicit CountingLog(int* syncs) : syncs_(syncs) {}

  raftio::HardState hard_state() const override { return inner_.hard_state(); }
  raftio::SnapshotMeta snapshot_meta() const override { return inner_.snapshot_meta(); }
  raftio::Index first_index() const override { return inner_.first_index(); }
  raftio::Index last_index() const override { return inner_.last_index(); }
  raftio::StorageStatus read(raftio::Index lo, raftio::Index hi, std::vector<raftio::LogEntry>& out) const override {
    return inner_.read(lo, hi, out);
  }
  raftio::StorageStatus append(const raftio::EntryBatch& entries) override { return inner_.append(entries); }
  raftio::StorageStatus truncate_suffix(raftio::Index from) override { return inner_.truncate_suffix(from); }
  raftio::StorageStatus compact(const raftio::SnapshotMeta& meta) override { return inner_.compact(meta); }
  // Snapshot data must be durable when save_snapshot returns (write, fsync, rename, fsync dir).
  raftio::StorageStatus save_snapshot(const raftio::Snapshot& snapshot) override {
    return inner_.save_snapshot(snapshot);
  }
  raftio::Result<std::optional<raftio::Snapshot>, raftio::StorageError> load_snapshot() const override {
    return inner_.load_snapshot();
  }
  raftio::StorageStatus set_hard_state(const raftio::HardState& state) override {
    return inner_.set_hard_state(state);
  }
  raftio::StorageStatus sync() override {
    ++*syncs_;
    return inner_.sync();
  }

 private:
  raftio::MemoryLog inner_;
  int* syncs_;
};

// A transport that queues messages; a real one would frame and write them to sockets.
class QueueTransport final : public raftio::RaftTransport {
 public:
  void send(raftio::NodeId to, raftio::Message message) override {
    queue.emplace_back(to, std::move(message));
  }
  std::deque<std::pair<raftio::NodeId, raftio::Message>> queue;
};

}  // namespace

int main() {
  using namespace raftio;
  int syncs = 0;
  QueueTransport transport;
  std::vector<std::unique_ptr<RaftNode>> nodes;
  for (NodeId id : {1, 2, 3}) {
    auto config = RaftConfig::builder(id).voters({1, 2, 3}).seed(7).build();
    nodes.push_back(std::make_unique<RaftNode>(std::move(config).value(), std::make_unique<CountingLog>(&syncs)));
  }
  std::vector<Action> actions;
  auto step = [&](NodeId id, Event event) {
    actions.clear();
    nodes[id - 1]->step(std::move(event), actions);
    dispatch_sends(actions, transport);  // moves every Send to the transport, keeps the rest
  };
  for (int tick = 0; tick < 100; ++tick) {
    for (NodeId id : {1, 2, 3}) step(id, Tick{});
    while (!transport.queue.empty()) {
      auto [to, message] = std::move(transport.queue.front());
      transport.queue.pop_front();
      step(to, Receive{std::move(message)});
    }
  }
  // Group commit: several proposals in one step cost one sync on the leader.
  for (auto& node : nodes) {
    if (!node->is_leader()) continue;
    std::vector<Event> batch;
    for (int i = 0; i < 64; ++i) batch.push_back(Propose{Payload::copy_of("x"), 0});
    const int before = syncs;
    actions.clear();
    node->step(std::span<Event>(batch), actions);
    std::printf("64 proposals, %d sync\n", syncs - before);
    return syncs - before == 1 ? 0 : 1;
  }
  return 1;  // no leader was elected
}
