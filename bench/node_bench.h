// raftio-bench --suite node: three raftio::runtime::Node in one process over loopback TCP, and N
// concurrent proposers on the leader. Proposals per second and the latency of each, from
// propose() to its response, next to the raw write+fdatasync rate of the same disk.
#pragma once

#include <cstdint>
#include <string>

namespace raftio::bench {

struct NodeCaseResult {
  std::uint64_t proposals = 0;
  double seconds = 0;
  double proposals_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  // CPU time of the whole process (three nodes and the client) per proposal over the measured
  // window: what a proposal costs, less sensitive than the rate to other load on the machine.
  double cpu_us_per_proposal = 0;
  double allocations_per_proposal = 0;  // heap allocations of the whole process, the same way
};

enum class NodeStorage {
  Wal,      // a WAL in `dir` written by the node's I/O thread (NodeOptions::async_storage)
  WalSync,  // a WAL in `dir` written and synced inside the core's step (async_storage = false)
  Memory,   // an in-memory log
};
const char* name_of(NodeStorage storage);

// How the proposers wait for their responses.
enum class NodeClient {
  Futures,  // one client thread, each proposal a Node::propose(command) future
  Loop,     // proposers on the leader's loop (Node::propose(command, done)), as raftio-kv's clients
};
const char* name_of(NodeClient client);

// `batch_turns`: NodeOptions::batch_turns (one core step per loop turn, or one per input).
NodeCaseResult measure_node_proposals(const std::string& dir, NodeStorage storage, std::size_t proposers,
                                      double seconds, std::size_t payload_bytes, bool batch_turns = true,
                                      NodeClient client = NodeClient::Futures);

// 1-byte write + fdatasync on a file in `dir`, for about `seconds`.
double measure_fdatasync_per_s(const std::string& dir, double seconds);

}  // namespace raftio::bench
