// RaftNode: the public face of NodeCore.
#include "raftio/node.h"

#include "node_core.h"

namespace raftio {

RaftNode::RaftNode(RaftConfig config, std::unique_ptr<RaftLog> log)
    : core_(std::make_unique<detail::NodeCore>(std::move(config), std::move(log))) {}
RaftNode::~RaftNode() = default;
RaftNode::RaftNode(RaftNode&&) noexcept = default;
RaftNode& RaftNode::operator=(RaftNode&&) noexcept = default;

std::vector<Action> RaftNode::step(Event event) {
  std::vector<Action> out;
  core_->step(std::span<Event>(&event, 1), out);
  return out;
}

void RaftNode::step(Event event, std::vector<Action>& out) { core_->step(std::span<Event>(&event, 1), out); }

void RaftNode::step(std::span<Event> events, std::vector<Action>& out) { core_->step(events, out); }

NodeId RaftNode::id() const noexcept { return core_->id(); }
Role RaftNode::role() const noexcept { return core_->role(); }
NodeId RaftNode::leader() const noexcept { return core_->leader(); }
Term RaftNode::term() const noexcept { return core_->term(); }
NodeId RaftNode::voted_for() const noexcept { return core_->voted_for(); }
Index RaftNode::commit_index() const noexcept { return core_->commit_index(); }
Index RaftNode::applied_index() const noexcept { return core_->applied_index(); }
Index RaftNode::first_index() const noexcept { return core_->first_index(); }
Index RaftNode::last_index() const noexcept { return core_->last_index(); }
Index RaftNode::durable_index() const noexcept { return core_->durable_index(); }
const Membership& RaftNode::membership() const noexcept { return core_->membership(); }
const RaftConfig& RaftNode::config() const noexcept { return core_->config(); }
std::vector<FollowerProgress> RaftNode::progress() const { return core_->progress(); }
std::uint64_t RaftNode::incoming_snapshot_bytes() const noexcept { return core_->incoming_snapshot_bytes(); }
std::optional<Term> RaftNode::term_at(Index index) const noexcept { return core_->term_at(index); }
const LogEntry* RaftNode::entry_at(Index index) const noexcept { return core_->entry_at(index); }
const std::optional<StorageError>& RaftNode::storage_error() const noexcept { return core_->storage_error(); }
const RaftLog& RaftNode::log() const noexcept { return core_->log(); }
RaftLog& RaftNode::log() noexcept { return core_->log(); }

}  // namespace raftio
