// raftio-kv's replicated state machine as the runtime sees it (raftio::runtime::StateMachine): the
// key-value map of kv_state.h, with every outcome already in the Redis protocol. apply() returns
// the RESP reply for the client that proposed the command, query() serves GET and EXISTS, and the
// snapshot is KvState::serialize()'s checksummed format (the runtime adds its address book around
// it). A snapshot that does not decode is refused (restore() returns false, the reason kept here):
// the runtime then stops this node's Driver, and the server reports the node unhealthy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include <raftio/runtime/state_machine.h>

#include "kv_state.h"

namespace kv {

// The RESP bytes of one outcome.
std::string reply_of(const Outcome& outcome);

class KvMachine final : public raftio::runtime::StateMachine {
 public:
  raftio::Payload apply(const raftio::LogEntry& entry) override;
  raftio::Payload query(const raftio::Payload& request) const override;
  raftio::Payload snapshot() const override;
  std::function<raftio::Payload()> snapshot_job() const override;
  bool restore(const raftio::Payload& snapshot) override;

  // A GET of a stored value is answered with a loan instead of the value's bytes: the runtime's
  // response is a Payload (a copy), and a client that pipelines GETs of a large value without
  // reading its replies would hold one copy per GET. The server, on the same thread, redeems the
  // loan for the shared, immutable value (resp::bulk_reply sends it without copying).
  static bool is_loan(const raftio::Payload& response) noexcept;
  Value redeem(const raftio::Payload& loan);

  const KvState& state() const noexcept { return state_; }
  std::uint64_t snapshots_taken() const noexcept { return snapshots_taken_; }
  // Why the last snapshot refused by restore() did not decode (empty: none was refused).
  const std::string& restore_error() const noexcept { return restore_error_; }

 private:
  KvState state_;
  mutable std::unordered_map<std::uint64_t, Value> loans_;
  mutable std::uint64_t next_loan_ = 1;
  mutable std::uint64_t snapshots_taken_ = 0;
  std::string restore_error_;
};

}  // namespace kv
