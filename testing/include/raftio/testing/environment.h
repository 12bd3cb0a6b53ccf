// Environment: real RaftNodes on crashable MemoryLogs, joined by a MemoryTransport whose queue the
// test drives message by message. Every operation appends a readable, deterministic account of
// what happened (each step's event and the actions it returned) to output(); the same operations
// are available as text commands (execute), which is what transcripts are made of
// (raftio/testing/transcript.h, docs/TESTING.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raftio/memory_transport.h"
#include "raftio/raftio.h"

namespace raftio::testing {

// How add_nodes configures the nodes it creates.
struct NodeOptions {
  // The initial membership. Both empty: every node added so far and the new ones, as voters.
  std::vector<NodeId> voters;
  std::vector<NodeId> learners;
  bool pre_vote = true;
  bool check_quorum = true;
  std::uint32_t election_ticks = 10;
  std::uint32_t heartbeat_ticks = 1;
  std::uint64_t seed = 1;
  std::uint32_t max_inflight_msgs = 256;
  std::uint32_t max_entries_per_msg = 64;
  std::uint32_t snapshot_chunk_bytes = 256 * 1024;
  bool lease_reads = false;
  // RaftConfig::async_storage: the node's Persist actions wait until persist() writes them.
  bool async_storage = false;
  // What each new node's log starts with (MemoryLog::from). A snapshot here carries the state
  // machine's data in the environment's format (values joined by ',').
  MemoryLog::Contents log;
};

// Which queued messages an operation applies to. kNoNode and nullopt match everything.
struct MessageFilter {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  std::optional<MessageKind> kind;
  std::size_t limit = std::numeric_limits<std::size_t>::max();  // at most this many (oldest first)

  bool matches(const Message& message) const;
};

class Environment {
 public:
  Environment();
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // --- the cluster ---
  // Creates `count` nodes, numbered on from the highest so far; returns their ids.
  std::vector<NodeId> add_nodes(std::size_t count, const NodeOptions& options = {});
  std::vector<NodeId> ids() const;
  // nullptr while the node is crashed.
  RaftNode* node(NodeId id);
  // The node's log (also while it is crashed: what survived).
  const MemoryLog& log(NodeId id) const;
  // Normal entries the node's state machine applied, as (index, data); a restored snapshot's
  // values carry the snapshot's index.
  const std::vector<std::pair<Index, std::string>>& state_machine(NodeId id) const;
  MemoryTransport& network() noexcept { return network_; }

  // --- events (each steps one node and reports the actions) ---
  // Ticks `ids` round by round (every node once per round), as clocks run side by side.
  void tick(const std::vector<NodeId>& ids, std::size_t times = 1);
  void tick(NodeId id, std::size_t times = 1) { tick(std::vector<NodeId>{id}, times); }
  // Ticks the node until its election timeout fires and it campaigns (pre-vote or vote).
  void campaign(NodeId id);
  // Requests get ids 1, 2, ... in the order they are made, shared by every kind; returns the id.
  std::uint64_t propose(NodeId id, std::string_view data);
  std::uint64_t read(NodeId id);
  std::uint64_t transfer(NodeId id, NodeId to);
  std::uint64_t change_membership(NodeId id, MembershipChange change, NodeId node);
  // SnapshotTaken at `index` (default: the applied index) with the state machine's data.
  std::uint64_t snapshot(NodeId id, std::optional<Index> index = std::nullopt);

  // --- the network ---
  // Delivers the matching messages queued now (not those their delivery produces), oldest first.
  std::size_t deliver(const MessageFilter& filter = {});
  std::size_t drop(const MessageFilter& filter = {});
  std::size_t duplicate(const MessageFilter& filter = {});  // copies queue at the back
  std::size_t reorder(const MessageFilter& filter = {});    // reverses the matching messages' order
  // Delivers until no message is left (at most `rounds` rounds of deliver()).
  void stabilize(std::size_t rounds = 1000);
  // Cuts every link between nodes of different groups; nodes in no group form one more group.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void cut(NodeId from, NodeId to);  // one way
  void heal();

  // --- storage and crashes ---
  // async_storage nodes: writes the oldest `count` unwritten Persist actions (write_persist) and
  // steps the Persisted events.
  std::size_t persist(NodeId id, std::size_t count = std::numeric_limits<std::size_t>::max());
  struct CrashOptions {
    // async_storage nodes: this many of the oldest unwritten Persists reached the OS (written
    // without a sync) before the crash; the others are lost with the process.
    std::size_t written = 0;
    MemoryLog::CrashOptions log;  // which unsynced writes the disk kept anyway
  };
  // The node's process dies: its log keeps what was synced (plus what `options` keeps), its
  // state machine is lost, messages to it are lost until it restarts.
  void crash(NodeId id, CrashOptions options);
  void crash(NodeId id) { crash(id, CrashOptions{}); }
  // A new RaftNode on what the log kept; the state machine starts empty (Apply replays).
  void restart(NodeId id);

  // --- printing ---
  void print_status(const std::vector<NodeId>& ids);
  void print_log(const std::vector<NodeId>& ids);
  void print_messages(const MessageFilter& filter = {});

  // Runs one text command (see docs/TESTING.md for the list) and returns its output; a command
  // that cannot run returns a line starting with "error:".
  std::string execute(std::string_view line);

  // What the operations printed since the last take_output().
  std::string take_output();

 private:
  struct Member;
  Member& member(NodeId id);
  const Member& member(NodeId id) const;
  void step(NodeId id, Event event, std::string header);
  void tick_once(NodeId id, std::size_t round, std::size_t rounds);
  void deliver_one(const Envelope& envelope);
  void print(std::string line);
  std::vector<std::size_t> matching(const MessageFilter& filter) const;

  std::vector<std::unique_ptr<Member>> members_;
  MemoryTransport network_;
  std::uint64_t next_request_id_ = 1;
  std::string output_;
};

// Text forms used in the output (and in transcripts).
std::string format_entry(const LogEntry& entry);
std::string format_message(const Message& message);
std::string format_action(const Action& action);

}  // namespace raftio::testing
