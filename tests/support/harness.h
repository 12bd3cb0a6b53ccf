// Test harness: one RaftNode driven by hand (forged peers), plus helpers to pick actions apart.
// Multi-node tests use raftio::sim::Cluster instead.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "raftio/raftio.h"
#include "raftio/sim/cluster.h"

namespace raftio::test {

// Every action of type A, in order.
template <class A>
std::vector<A> actions_of(const std::vector<Action>& actions) {
  std::vector<A> out;
  for (const Action& action : actions) {
    if (const auto* a = std::get_if<A>(&action)) out.push_back(*a);
  }
  return out;
}

// Every sent message of type M, in order.
template <class M>
std::vector<M> sent(const std::vector<Action>& actions) {
  std::vector<M> out;
  for (const Action& action : actions) {
    if (const auto* send = std::get_if<Send>(&action)) {
      if (const auto* m = std::get_if<M>(&send->message)) out.push_back(*m);
    }
  }
  return out;
}

std::vector<Message> all_sent(const std::vector<Action>& actions);
std::vector<LogEntry> applied(const std::vector<Action>& actions);
std::string describe_all(const std::vector<Action>& actions);

// Entries with consecutive indexes from `first`, one per term in `terms`, payload "e<index>".
std::vector<LogEntry> make_entries(Index first, const std::vector<Term>& terms);

// A MemoryLog pre-filled with entries of the given terms (index 1..n) and hard state.
std::unique_ptr<MemoryLog> log_with(const std::vector<Term>& terms, HardState hard_state);

using Tweak = std::function<void(RaftConfig::Builder&)>;

// One node under test, with the others forged by the test.
class NodeHarness {
 public:
  explicit NodeHarness(NodeId id = 1, std::vector<NodeId> voters = {1, 2, 3}, Tweak tweak = {},
                       std::unique_ptr<RaftLog> log = nullptr);

  RaftNode& node() { return *node_; }
  const MemoryLog& memory_log() const;  // when the harness made the log (or it is a MemoryLog)

  std::vector<Action> step(Event event);
  std::vector<Action> tick(int times = 1);  // the actions of every tick, concatenated
  std::vector<Action> receive(Message message) { return step(Receive{std::move(message)}); }
  std::vector<Action> propose(std::string_view data, std::uint64_t id = 0) {
    return step(Propose{Payload::copy_of(data), id});
  }

  // Ticks until the node campaigns, grants it every vote it asks for, and returns the actions
  // of the step that made it leader (with its first AppendEntries).
  std::vector<Action> elect();
  // Makes the node a follower of `leader` in `term` through a heartbeat (prev 0).
  std::vector<Action> follow(NodeId leader, Term term);

  NodeId id() const { return id_; }
  const std::vector<NodeId>& voters() const { return voters_; }

 private:
  NodeId id_;
  std::vector<NodeId> voters_;
  std::unique_ptr<RaftNode> node_;
};

RaftConfig make_config(NodeId id, std::vector<NodeId> voters, const Tweak& tweak = {});

// Node 1 leading {1, 2, 3} (plus whatever the tweak adds); followers 2 and 3 acknowledged its
// no-op, so it is committed and both followers are streaming.
struct SteadyLeader {
  explicit SteadyLeader(Tweak tweak = {});
  Term term() { return h.node().term(); }
  // A successful AppendEntriesReply from `from` acknowledging `match`, echoing `read_round`.
  std::vector<Action> ack(NodeId from, Index match, std::uint64_t read_round = 0) {
    return h.receive(AppendEntriesReply{from, 1, term(), true, match, 0, 0, 0, read_round});
  }
  NodeHarness h;
};

// One chunk of the snapshot `data`, bytes [offset, offset + length), with the size and checksum a
// leader sends along (done when it is the last).
InstallSnapshot snapshot_chunk(NodeId from, NodeId to, Term term, SnapshotMeta meta, std::string_view data,
                               std::size_t offset, std::size_t length);

// The Reject actions for requests of one kind.
std::vector<Reject> rejects_for(const std::vector<Action>& actions, RequestKind what);

// Ticks, delivers (and completes async_storage writes) until some node leads (at most `rounds`
// rounds); kNoNode if none did.
NodeId elect_leader(sim::Cluster& cluster, int rounds = 300);

}  // namespace raftio::test
