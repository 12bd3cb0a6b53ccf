// The simulator's key-value store (kv_store.h) as a user's system: a runtime::StateMachine over
// KvStore, with KvModel as its model and a workload of put, get and compare-and-set, run by
// run_system (system.h) over runtime Drivers exactly as a user's own machine is
// (`raftio-sim --model kv`). The key-value simulator (simulation.h) drives the same store on the
// core directly; both record KvOperation histories, checked by the same KvModel.
//
// Sessions. Every command carries its client's session (client id, sequence number) and the store
// applies a session's command once. The workload numbers a command by its place in the run's
// history (OperationWorkload::encode), which increases for each client since a client runs one
// operation at a time. run_system's clients send the same bytes again only after an answer that
// says "not applied" (NotLeader, ProposalLost, ...): if that answer was wrong, or the network
// duplicated a forwarded proposal, the repeat finds its number as the session's last and gets the
// remembered result, changing nothing. An operation whose outcome is unknown (a timeout) is sent
// again with the same bytes only with SystemOptions::resends (raftio-sim --model kv: 2): the
// session applies it once whether or not the first copy had committed. Without resends, the
// client's next operation has a higher number, so a late copy of the old command that commits
// after it is ignored (an older number than the session's last), and one that commits before it
// is the unknown operation taking effect, which the checker may place there.
// Gets are linearizable reads (Driver::read, answered by query() from the data, no session).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "raftio/runtime/state_machine.h"
#include "raftio/sim/kv_history.h"
#include "raftio/sim/kv_model.h"
#include "raftio/sim/kv_store.h"
#include "raftio/sim/system.h"

namespace raftio::sim {

// Bugs to plant in the machine, to see the simulator find them.
enum class KvMachineBug : std::uint8_t {
  None,
  // restore() keeps the data but forgets the client sessions (as when a field is added to the
  // state and not to its restore): the restored replica would apply a repeated command a second
  // time, and its state is not its peers' (replica agreement compares snapshot() bytes).
  RestoreDropsSessions,
  // apply() treats every command as new to its session: a command sent again (SystemOptions::
  // resends) after an unknown outcome that had in fact been applied is applied twice.
  ApplyIgnoresSessions,
};
// "kv-restore-drops-sessions"; parse_kv_machine_bug reads it back (and "none").
std::string_view to_string(KvMachineBug bug);
std::optional<KvMachineBug> parse_kv_machine_bug(std::string_view name);

// A command's response on the wire: 'R' | flags u8 (1: a value follows, 2: the swap happened) |
// the value's bytes. A repeat older than its session's last gets "stale", which no client waits
// for (it moved on long ago) and which decode_result refuses.
Payload encode_result(const KvResult& result);
std::optional<KvResult> decode_result(const Payload& response);

class KvMachine final : public runtime::StateMachine {
 public:
  explicit KvMachine(KvMachineBug bug = KvMachineBug::None) : bug_(bug) {}
  // A KvCommand (encode_command), applied once per session number.
  Payload apply(const LogEntry& entry) override;
  // A Get's KvCommand: the key's value, from the data alone.
  Payload query(const Payload& request) const override;
  Payload snapshot() const override { return store_.snapshot(); }
  bool restore(const Payload& snapshot) override;
  const KvStore& store() const noexcept { return store_; }

 private:
  KvMachineBug bug_;
  KvStore store_;
};

struct KvWorkloadOptions {
  std::uint64_t keys = 4;  // "k0", "k1", ...: few, so that operations contend
  // Of every hundred operations: puts, then gets (the rest are compare-and-sets).
  std::uint64_t put_percent = 40;
  std::uint64_t get_percent = 35;
};
// Clients put values unique in the run ("c<client>.<number>"), get, and compare-and-set mostly
// against the value they last saw for the key (so that some swaps succeed).
OperationWorkload<KvOperation> kv_workload(const KvWorkloadOptions& options = {});

SystemSpec<KvModel> kv_system_spec(KvMachineBug bug = KvMachineBug::None, const KvWorkloadOptions& options = {});

}  // namespace raftio::sim
