#include "raftio/config.h"

#include <algorithm>
#include <string>

namespace raftio {

namespace {

std::optional<ConfigError> check_member_list(const std::vector<NodeId>& ids, const char* field) {
  if (std::find(ids.begin(), ids.end(), kNoNode) != ids.end()) {
    return ConfigError{field, "node id 0 is reserved for \"nobody\""};
  }
  if (!std::is_sorted(ids.begin(), ids.end())) {
    return ConfigError{field, "must be sorted (use RaftConfig::builder, which sorts)"};
  }
  auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end()) {
    return ConfigError{field, "node " + std::to_string(*dup) + " is listed twice"};
  }
  return std::nullopt;
}

}  // namespace

RaftConfig RaftConfig::single(NodeId id) {
  RaftConfig config;
  config.id = id;
  config.membership.voters = {id};
  config.seed = id;
  return config;
}

RaftConfig::Builder RaftConfig::builder(NodeId id) { return Builder(id); }

std::optional<ConfigError> RaftConfig::validate() const {
  if (id == kNoNode) return ConfigError{"id", "node id 0 is reserved for \"nobody\""};
  if (auto error = check_member_list(membership.voters, "voters")) return error;
  if (auto error = check_member_list(membership.learners, "learners")) return error;
  if (membership.voters.empty()) return ConfigError{"voters", "at least one voter is required"};
  for (NodeId learner : membership.learners) {
    if (membership.is_voter(learner)) {
      return ConfigError{"learners", "node " + std::to_string(learner) + " is also a voter"};
    }
  }
  if (!membership.contains(id)) {
    return ConfigError{"voters", "this node (" + std::to_string(id) + ") is neither a voter nor a learner"};
  }
  if (election_ticks < 2) {
    return ConfigError{"election_ticks", "must be at least 2 (got " + std::to_string(election_ticks) + ")"};
  }
  if (heartbeat_ticks == 0) return ConfigError{"heartbeat_ticks", "must be at least 1"};
  if (heartbeat_ticks >= election_ticks) {
    return ConfigError{"heartbeat_ticks", "must be shorter than election_ticks (" + std::to_string(heartbeat_ticks) +
                                              " >= " + std::to_string(election_ticks) + ")"};
  }
  if (max_entries_per_msg == 0) return ConfigError{"max_entries_per_msg", "must be at least 1"};
  if (max_bytes_per_msg == 0) return ConfigError{"max_bytes_per_msg", "must be at least 1"};
  if (max_inflight_msgs == 0) return ConfigError{"max_inflight_msgs", "must be at least 1"};
  if (lease_reads && !check_quorum) {
    return ConfigError{"lease_reads", "needs check_quorum: without it nothing stops another leader inside the lease"};
  }
  if (lease_reads && lease_drift_ticks >= election_ticks) {
    return ConfigError{"lease_drift_ticks", "must be below election_ticks (" + std::to_string(election_ticks) +
                                                "), got " + std::to_string(lease_drift_ticks)};
  }
  if (snapshot_chunk_bytes == 0 || snapshot_chunk_bytes > (2u << 20)) {
    return ConfigError{"snapshot_chunk_bytes",
                       "must be between 1 and 2097152 (a chunk must fit a wire frame), got " +
                           std::to_string(snapshot_chunk_bytes)};
  }
  if (max_snapshot_bytes == 0) return ConfigError{"max_snapshot_bytes", "must be at least 1"};
  if (applied > kMaxLogIndex) {
    return ConfigError{"applied", "must be at most kMaxLogIndex (2^62), got " + std::to_string(applied)};
  }
  return std::nullopt;
}

RaftConfig::Builder::Builder(NodeId id) {
  config_.id = id;
  config_.seed = id;
  voters_ = {id};
}

RaftConfig::Builder& RaftConfig::Builder::voters(std::vector<NodeId> ids) {
  voters_ = std::move(ids);
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::learners(std::vector<NodeId> ids) {
  learners_ = std::move(ids);
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::election_ticks(std::uint32_t ticks) {
  config_.election_ticks = ticks;
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::heartbeat_ticks(std::uint32_t ticks) {
  config_.heartbeat_ticks = ticks;
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::pre_vote(bool enabled) {
  config_.pre_vote = enabled;
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::check_quorum(bool enabled) {
  config_.check_quorum = enabled;
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::max_entries_per_msg(std::uint32_t count) {
  config_.max_entries_per_msg = count;
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::max_bytes_per_msg(std::uint64_t bytes) {
  config_.max_bytes_per_msg = bytes;
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::max_inflight_msgs(std::uint32_t count) {
  config_.max_inflight_msgs = count;
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::seed(std::uint64_t value) {
  config_.seed = value;
  return *this;
}

RaftConfig::Builder& RaftConfig::Builder::incarnation(std::uint64_t value) {
  config_.incarnation = value;
  return *this;
}
RaftConfig::Builder& RaftConfig::Builder::async_storage(bool enabled) {
  config_.async_storage = enabled;
  return *this;
}

RaftConfig::Builder& RaftConfig::Builder::lease_reads(bool enabled) {
  config_.lease_reads = enabled;
  return *this;
}

RaftConfig::Builder& RaftConfig::Builder::lease_drift_ticks(std::uint32_t ticks) {
  config_.lease_drift_ticks = ticks;
  return *this;
}

RaftConfig::Builder& RaftConfig::Builder::snapshot_threshold(std::uint64_t entries) {
  config_.snapshot_threshold = entries;
  return *this;
}

RaftConfig::Builder& RaftConfig::Builder::max_snapshot_bytes(std::uint64_t bytes) {
  config_.max_snapshot_bytes = bytes;
  return *this;
}

RaftConfig::Builder& RaftConfig::Builder::snapshot_chunk_bytes(std::uint32_t bytes) {
  config_.snapshot_chunk_bytes = bytes;
  return *this;
}

RaftConfig::Builder& RaftConfig::Builder::applied(Index index) {
  config_.applied = index;
  return *this;
}

Result<RaftConfig, ConfigError> RaftConfig::Builder::build() const {
  RaftConfig config = config_;
  config.membership.voters = voters_;
  config.membership.learners = learners_;
  std::sort(config.membership.voters.begin(), config.membership.voters.end());
  std::sort(config.membership.learners.begin(), config.membership.learners.end());
  if (auto error = config.validate()) return unexpected(std::move(*error));
  return config;
}

}  // namespace raftio
