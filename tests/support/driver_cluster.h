// Three runtime Drivers (ids 1..3) over counters, and the network between them: Raft's messages
// through a MemoryTransport, the runtime's (forwarded proposals and outcomes) through a queue of
// their own that a test can hold, inspect and deliver. No sockets, no threads, no clock.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raftio/memory_log.h"
#include "raftio/memory_transport.h"
#include "raftio/runtime/driver.h"
#include "support/runtime_counter.h"

namespace raftio::runtime::test {

inline Payload text(const std::string& s) { return Payload::copy_of(s); }

// Three drivers (ids 1..3) and the network between them. Each node's state machine and log
// outlive its driver, so a node can be restarted on what it had persisted.
class Cluster {
 public:
  explicit Cluster(std::uint64_t snapshot_threshold = 0, DriverOptions options = {})
      : snapshot_threshold_(snapshot_threshold), options_(options) {
    for (NodeId id = 1; id <= 3; ++id) {
      machines_[id] = std::make_unique<Counter>();
      drivers_[id] = std::make_unique<Driver>(config(id), std::make_unique<MemoryLog>(), *machines_[id], options_);
    }
  }

  Driver& driver(NodeId id) { return *drivers_.at(id); }
  Counter& machine(NodeId id) { return *machines_.at(id); }
  MemoryTransport& network() { return network_; }

  // Every request's outcome, by node and request id.
  std::optional<Result<Payload, Error>> outcome(NodeId node, RequestId id) const {
    const auto it = outcomes_.find({node, id});
    if (it == outcomes_.end()) return std::nullopt;
    return it->second;
  }

  // How many completions node `node` reported for request `id` (a request ends exactly once).
  int completions(NodeId node, RequestId id) const {
    const auto it = completion_counts_.find({node, id});
    return it == completion_counts_.end() ? 0 : it->second;
  }

  // Moves what the driver produced onto the network and into outcomes_.
  void drain(NodeId id) {
    DriverOutput out = drivers_.at(id)->take_output();
    for (Message& message : out.messages) network_.send(receiver_of(message), std::move(message));
    for (PeerMessage& message : out.peer_messages) {
      // The runtime's messages take the links Raft's take: a cut link loses them too.
      if (network_.link_up(sender_of(message), receiver_of(message))) peer_network_.push_back(std::move(message));
    }
    for (Completion& done : out.completions) {
      ++completion_counts_[{id, done.id}];
      outcomes_.insert_or_assign({id, done.id}, std::move(done.result));
    }
    for (SnapshotJob& job : out.snapshot_jobs) snapshot_jobs_[id].push_back(std::move(job));
    addresses_changed_[id] = out.addresses_changed;
  }
  std::vector<SnapshotJob>& snapshot_jobs(NodeId id) { return snapshot_jobs_[id]; }

  // Runtime messages between the drivers. While held, they stay queued for a test to inspect,
  // reorder, drop or deliver (deliver_peer); otherwise they are delivered before Raft's.
  std::deque<PeerMessage>& peer_network() { return peer_network_; }
  void hold_peer_messages(bool hold) { hold_peer_ = hold; }
  void deliver_peer(PeerMessage message) {
    const NodeId to = receiver_of(message);
    if (drivers_.count(to) == 0) return;
    drivers_.at(to)->receive(std::move(message));
    drain(to);
  }
  // The queued runtime messages of one type, taken out of the queue.
  template <class T>
  std::vector<T> take_peer() {
    std::vector<T> taken;
    for (auto it = peer_network_.begin(); it != peer_network_.end();) {
      if (auto* message = std::get_if<T>(&*it)) {
        taken.push_back(std::move(*message));
        it = peer_network_.erase(it);
      } else {
        ++it;
      }
    }
    return taken;
  }

  // Delivers the oldest queued message; false when none is left.
  bool deliver_one() {
    if (!hold_peer_ && !peer_network_.empty()) {
      PeerMessage message = std::move(peer_network_.front());
      peer_network_.pop_front();
      deliver_peer(std::move(message));
      return true;
    }
    if (network_.empty()) return false;
    std::optional<Envelope> envelope = network_.take_next();
    if (envelope && drivers_.count(envelope->to) != 0) {
      drivers_.at(envelope->to)->receive(std::move(envelope->message));
      drain(envelope->to);
    }
    return true;
  }
  // Delivers everything queued, dropping the messages `drop` picks; how many it delivered that
  // `count` picks.
  template <class Drop, class Count>
  int deliver_all_dropping(Drop drop, Count count) {
    int counted = 0;
    for (int i = 0; i < 100000 && (!network_.empty() || (!hold_peer_ && !peer_network_.empty())); ++i) {
      if (network_.empty() || (!hold_peer_ && !peer_network_.empty())) {
        deliver_one();  // a runtime message: neither dropped nor counted here
        continue;
      }
      if (drop(network_.peek(0))) {
        network_.drop(0);
        continue;
      }
      counted += count(network_.peek(0)) ? 1 : 0;
      deliver_one();
    }
    return counted;
  }
  void deliver_all() {
    for (int i = 0; i < 100000 && deliver_one(); ++i) {
    }
  }

  void tick_all(int times = 1) {
    for (int t = 0; t < times; ++t) {
      for (auto& [id, driver] : drivers_) {
        driver->tick();
        drain(id);
      }
      deliver_all();
    }
  }

  // Ticks until one node leads and every other node knows it; that leader's id.
  NodeId elect() {
    for (int t = 0; t < 500; ++t) {
      tick_all();
      const NodeId leader = leader_id();
      if (leader != kNoNode) return leader;
    }
    return kNoNode;
  }
  NodeId leader_id() {
    NodeId leader = kNoNode;
    for (auto& [id, driver] : drivers_) {
      if (driver->is_leader()) leader = id;
    }
    if (leader == kNoNode) return kNoNode;
    for (auto& [id, driver] : drivers_) {
      if (driver->leader_id() != leader) return kNoNode;
    }
    return leader;
  }
  NodeId follower_of(NodeId leader) const { return leader == 1 ? 2 : 1; }

  RequestId propose(NodeId id, const std::string& command) {
    const RequestId request = drivers_.at(id)->propose(text(command));
    drain(id);
    return request;
  }
  RequestId read(NodeId id) {
    const RequestId request = drivers_.at(id)->read(text("value"));
    drain(id);
    return request;
  }
  // Ticks (delivering everything) until the request ended, at most `ticks` times.
  std::optional<Result<Payload, Error>> wait(NodeId node, RequestId id, int ticks = 200) {
    deliver_all();
    for (int t = 0; t < ticks && !outcome(node, id); ++t) tick_all();
    return outcome(node, id);
  }

  // A new, empty node `id` starts as a learner of {1, 2, 3} (it adopts the cluster's
  // configuration from the log) and waits for the cluster to add it.
  void start_new_node(NodeId id) {
    machines_[id] = std::make_unique<Counter>();
    RaftConfig config = RaftConfig::builder(id).voters({1, 2, 3}).learners({id}).seed(7).build().value();
    drivers_[id] = std::make_unique<Driver>(std::move(config), std::make_unique<MemoryLog>(), *machines_[id], options_);
  }
  RequestId request(NodeId id, RequestId (Driver::*call)(NodeId), NodeId target) {
    const RequestId request = (drivers_.at(id).get()->*call)(target);
    drain(id);
    return request;
  }
  RequestId request(NodeId id, RequestId (Driver::*call)(NodeId, std::string), NodeId target, std::string address) {
    const RequestId request = (drivers_.at(id).get()->*call)(target, std::move(address));
    drain(id);
    return request;
  }
  // Whether the last drain of `id` said its addresses changed.
  bool addresses_changed(NodeId id) const {
    const auto it = addresses_changed_.find(id);
    return it != addresses_changed_.end() && it->second;
  }
  std::vector<NodeId> ids() const {
    std::vector<NodeId> out;
    for (const auto& [id, driver] : drivers_) out.push_back(id);
    return out;
  }

  // The same, as a new incarnation (RaftConfig::incarnation), with this cluster's options.
  void restart_as(NodeId id, std::uint64_t incarnation) {
    const MemoryLog persisted = dynamic_cast<MemoryLog&>(drivers_.at(id)->log());
    drivers_.erase(id);
    machines_[id] = std::make_unique<Counter>();
    incarnations_[id] = incarnation;
    drivers_[id] = std::make_unique<Driver>(config(id), std::make_unique<MemoryLog>(persisted), *machines_[id], options_);
  }
  void set_incarnation(NodeId id, std::uint64_t incarnation) {
    incarnations_[id] = incarnation;
    drivers_[id] = std::make_unique<Driver>(config(id), std::make_unique<MemoryLog>(), *machines_[id], options_);
  }

  // The node crashes and comes back on a copy of the log it had persisted and a new, empty state
  // machine.
  void restart(NodeId id) {
    const MemoryLog persisted = dynamic_cast<MemoryLog&>(drivers_.at(id)->log());
    drivers_.erase(id);
    machines_[id] = std::make_unique<Counter>();
    drivers_[id] = std::make_unique<Driver>(config(id), std::make_unique<MemoryLog>(persisted), *machines_[id]);
  }

 private:
  RaftConfig config(NodeId id) const {
    const auto incarnation = incarnations_.find(id);
    return RaftConfig::builder(id)
        .voters({1, 2, 3})
        .seed(7)
        .snapshot_threshold(snapshot_threshold_)
        .incarnation(incarnation == incarnations_.end() ? 0 : incarnation->second)
        .build()
        .value();
  }

  std::uint64_t snapshot_threshold_;
  DriverOptions options_;
  std::map<NodeId, std::unique_ptr<Counter>> machines_;
  std::map<NodeId, std::unique_ptr<Driver>> drivers_;
  std::map<std::pair<NodeId, RequestId>, Result<Payload, Error>> outcomes_;
  std::map<NodeId, std::vector<SnapshotJob>> snapshot_jobs_;
  std::map<NodeId, bool> addresses_changed_;
  std::map<std::pair<NodeId, RequestId>, int> completion_counts_;
  std::map<NodeId, std::uint64_t> incarnations_;
  MemoryTransport network_{1};
  std::deque<PeerMessage> peer_network_;
  bool hold_peer_ = false;
};

inline std::string value_of(const std::optional<Result<Payload, Error>>& outcome) {
  if (!outcome) return "<pending>";
  if (!outcome->ok()) return "<error: " + describe(outcome->error()) + ">";
  return outcome->value().to_string();
}

}  // namespace raftio::runtime::test
