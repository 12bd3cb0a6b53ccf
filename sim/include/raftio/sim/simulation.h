// Simulation: one seed fixes a whole run of a Raft cluster — network delays, losses,
// duplications and partitions, crashes and restarts on disks that lose unsynced writes, each
// node's clock drift, and the clients of a replicated key-value store. The run is checked after
// every step (the five safety properties, durability), at the end for liveness (once the faults
// stop) and for linearizability of the client history. See docs/SIMULATION.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "raftio/sim/cluster.h"
#include "raftio/sim/linearizability.h"
#include "raftio/sim/timeline.h"

namespace raftio::sim {

enum class FaultProfile : std::uint8_t {
  None,     // a perfect network and no crashes
  Network,  // partitions (halves, isolated leader, bridge, one way), loss and duplication bursts, clogged links
  Crash,    // crashes and restarts, pauses, disk errors
  All,      // both
};

std::string_view to_string(FaultProfile profile) noexcept;
bool parse_fault_profile(std::string_view text, FaultProfile& profile) noexcept;

// How the nodes persist: through RaftLog inside step (sync), through Persist actions that a
// simulated I/O queue completes after a random delay (async_storage), or a mix of both in one
// cluster (each node's mode drawn from the seed, at least one of each when there are two nodes).
enum class StorageMode : std::uint8_t { Sync, Async, Mixed };

std::string_view to_string(StorageMode mode) noexcept;
bool parse_storage_mode(std::string_view text, StorageMode& mode) noexcept;

// The kinds of fault the nemesis chooses among, each with a weight (swarm testing draws the
// weights from the seed; the fixed profile uses constant ones).
enum class FaultKind : std::uint8_t {
  Heal,
  Partition,
  IsolateLeader,
  Bridge,
  OneWay,
  Loss,
  Duplication,
  Clog,
  Crash,
  CrashLeader,
  Pause,
  DiskFault,
  Transfer,
  Membership,
  CrashPoint,  // arm a crash point (see CrashPoint)
  Count,
};
inline constexpr std::size_t kFaultKinds = static_cast<std::size_t>(FaultKind::Count);
std::string_view to_string(FaultKind kind) noexcept;

// Crash points: the nemesis arms one, and the engine crashes (or pauses) the node right after the
// step that produced the matching action, the moments a narrow-window bug needs.
enum class CrashPoint : std::uint8_t {
  AfterVote,        // the step sent a granted RequestVoteReply
  AfterAppendAck,   // the step sent a successful AppendEntriesReply
  BeforeSync,       // async node: a Persist handed out, not yet written; sync node: its next fdatasync fails
  AfterSync,        // async node: the I/O queue wrote a Persist, the node has not heard Persisted
  MidSnapshot,      // the step received or sent an InstallSnapshot chunk that is not the last
  MidMembership,    // the step appended an uncommitted configuration entry
  InLease,          // a leader's step answered a ReadIndex (inside its lease when lease reads are on)
  Count,
};
inline constexpr std::size_t kCrashPoints = static_cast<std::size_t>(CrashPoint::Count);
std::string_view to_string(CrashPoint point) noexcept;

// What one seed drew (swarm testing), or the fixed profile (SimOptions::swarm false). Everything
// here follows from the seed and the options.
struct SwarmConfig {
  bool swarm = false;
  // Raft configuration of every node.
  std::uint32_t election_ticks = 10;
  std::uint32_t heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  bool lease_reads = false;
  std::uint32_t max_entries_per_msg = 64;
  std::uint64_t max_bytes_per_msg = std::uint64_t{1} << 20;
  std::uint32_t max_inflight_msgs = 256;
  std::uint64_t snapshot_threshold = 200;
  std::uint32_t snapshot_chunk_bytes = 64;
  // Clocks and pauses: each node's tick runs up to drift_permille fast or slow; pauses last at most
  // max_pause_ticks (within the lease's bound when lease reads are on).
  std::uint32_t drift_permille = 50;
  std::uint64_t max_pause_ticks = 200;
  // Workload: clients, keys, extra bytes on each written value, and how many client writes a
  // leader gathers before proposing them back to back (1: each at once).
  std::size_t clients = 4;
  std::size_t keys = 5;
  std::uint32_t value_bytes = 0;
  std::uint32_t proposal_batch = 1;
  std::uint64_t think_ticks = 10;  // a client waits up to this long between operations
  // Clients reach the nodes through the simulated network: each request and each answer is lost
  // with this probability (while faults run), a client waits client_timeout_ticks for an answer
  // and tries client_attempts times before the outcome is unknown.
  double client_loss = 0.01;
  std::uint64_t client_timeout_ticks = 100;
  std::uint32_t client_attempts = 3;
  // The nemesis: weights of the fault kinds (0: never), its interval, and quiet stretches.
  std::array<std::uint32_t, kFaultKinds> weights{};
  std::uint64_t nemesis_min_ticks = 30;
  std::uint64_t nemesis_max_ticks = 250;
  double quiet_chance = 0;  // chance that a nemesis step starts a quiet stretch of 5-30 s
  // One or two lines saying what was drawn.
  std::string describe() const;
};

// A bug the simulator itself can plant at run time, to show that a failure is found, shrunk and
// replayed (tests, docs/SIMULATION.md); the compiled mutants of sim/mutants/ are the real score.
enum class PlantedBug : std::uint8_t {
  None,
  CrashLosesLogTail,  // Memory storage: a crashed node restarts without the last entries of its log
};

std::string_view to_string(PlantedBug bug) noexcept;
bool parse_planted_bug(std::string_view text, PlantedBug& bug) noexcept;

struct Schedule;

struct SimOptions {
  std::uint64_t seed = 1;
  // Swarm testing: the seed draws the Raft configuration, the workload and the fault mix
  // (SwarmConfig); false runs the fixed profile below.
  bool swarm = true;
  std::size_t nodes = 5;
  std::uint64_t ticks = 20'000;  // run length in base ticks; faults stop kLivenessTicks before the end
  FaultProfile faults = FaultProfile::All;
  Storage storage = Storage::Wal;
  StorageMode storage_mode = StorageMode::Mixed;
  std::size_t clients = 4;
  std::size_t keys = 5;
  // Each node snapshots its key-value store whenever this many entries were applied since its last
  // snapshot (RaftConfig::snapshot_threshold), so logs are compacted and followers that fall behind
  // get InstallSnapshot (in chunks of 64 bytes, to exercise chunking). 0: never.
  std::uint64_t snapshot_every = 200;
  std::uint64_t tick_us = 10'000;  // one base tick of virtual time; each node drifts up to ±5% from it
  std::ostream* trace = nullptr;   // JSON lines of every event, action, fault and client record, when set
  bool timeline = false;           // record the Timeline (for --html)
  std::size_t last_events = 0;     // remember this many described events for a violation report
  PlantedBug planted_bug = PlantedBug::None;
  // Replay: faults come from this schedule instead of the nemesis, and each client invokes only
  // the operations it lists (see Schedule). Not owned; must outlive the run.
  const Schedule* schedule = nullptr;
};

// One fault as the nemesis applied it, every random choice resolved: replaying it at the same
// moment of the same run does the very same thing. Which fields mean something depends on kind
// (docs/SIMULATION.md, "Shrinking and schedules").
struct ScheduledFault {
  std::uint64_t time_us = 0;
  FaultKind kind = FaultKind::Heal;  // Crash covers CrashLeader: the leader is resolved to a node
  bool quiet = false;                // Heal: the start of a quiet stretch (not counted as a heal)
  // crash, pause, disk, isolate-leader, bridge (the bridging node), one-way (the sender),
  // transfer and membership (the target), crash-point (kNoNode: whichever node gets there first)
  NodeId node = kNoNode;
  std::vector<NodeId> side;          // partition: one side; bridge: one side; one-way: the receivers cut off
  std::vector<NodeId> other;         // partition, bridge: the other side
  std::vector<std::pair<NodeId, NodeId>> links;  // clog: from, to
  std::uint32_t ppm = 0;             // loss, duplicate: the rate in parts per million
  std::uint64_t duration_us = 0;     // crash: downtime; pause: its length; crash-point: the outage it causes
  MembershipChange change = MembershipChange::AddVoter;  // membership
  bool disk_sync = false;            // disk: the next sync fails (else the next append)
  bool disk_no_space = false;        // disk: ENOSPC (else EIO)
  CrashPoint point = CrashPoint::AfterVote;  // crash-point
  bool pause = false;                // crash-point: pause the node rather than crash it
  bool operator==(const ScheduledFault&) const = default;
};

// What a run did that its seed alone does not pin once faults are replayed: the faults applied
// and the client operations invoked (by client, their session numbers; each operation's content
// follows from the seed, the client and the number). SimReport::schedule records it; passed as
// SimOptions::schedule, a run replays it: the same run when nothing was left out, and a smaller
// one when the shrinker (shrink.h) left faults or operations out.
struct Schedule {
  SimOptions options;    // seed, cluster, profile and storage: trace, timeline, schedule unused
  std::string property;  // the property the shrunk run violates (empty: none recorded)
  std::vector<ScheduledFault> faults;
  std::vector<std::vector<std::uint64_t>> client_ops;  // [client - 1]: session numbers, ascending
  std::size_t operations() const noexcept {
    std::size_t n = 0;
    for (const auto& ops : client_ops) n += ops.size();
    return n;
  }
};

// After the faults stop, the cluster gets this many ticks to elect a leader everyone follows and
// complete every client operation (liveness). It is also the minimum fault-free tail of a run.
inline constexpr std::uint64_t kLivenessTicks = 2'000;

struct FaultCounts {
  std::uint64_t partitions = 0;  // random halves
  std::uint64_t leader_isolations = 0;
  std::uint64_t bridges = 0;
  std::uint64_t one_way = 0;
  std::uint64_t loss_bursts = 0;
  std::uint64_t duplication_bursts = 0;
  std::uint64_t clogs = 0;
  std::uint64_t heals = 0;
  std::uint64_t crashes = 0;
  std::uint64_t pauses = 0;
  std::uint64_t disk_faults = 0;
  std::uint64_t transfers = 0;  // leadership transfers requested of the leader
  std::uint64_t membership_changes = 0;  // ChangeMembership requested of the leader
  std::array<std::uint64_t, kCrashPoints> crash_points{};  // crash points that fired, by point
  std::uint64_t crash_points_armed = 0;
  std::uint64_t crash_points_fired() const noexcept {
    std::uint64_t sum = 0;
    for (std::uint64_t n : crash_points) sum += n;
    return sum;
  }
  std::uint64_t total() const noexcept {
    return partitions + leader_isolations + bridges + one_way + loss_bursts + duplication_bursts + clogs + crashes +
           pauses + disk_faults + transfers + membership_changes + crash_points_fired();
  }
};

struct SimReport {
  SimOptions options;
  SwarmConfig config;  // what the seed drew (or the fixed profile)
  std::uint64_t virtual_us = 0;
  std::uint64_t steps = 0;             // events stepped on nodes (ticks, deliveries, proposals)
  std::uint64_t delivered = 0;         // messages delivered
  double wall_seconds = 0;
  std::uint64_t elections = 0;         // leaders elected (distinct terms with a leader)
  Term max_term = 0;
  Index max_commit = 0;
  FaultCounts faults;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_lost = 0;
  std::uint64_t ops_invoked = 0;
  std::uint64_t ops_completed = 0;
  std::uint64_t ops_unknown = 0;       // given up after retries: outcome unknown
  std::uint64_t client_requests = 0;   // requests clients sent through the network (retries included)
  std::uint64_t client_messages_lost = 0;  // requests and answers lost between clients and nodes
  std::uint64_t read_index_gets = 0;   // gets served through ReadIndex rather than the log
  std::uint64_t snapshots_taken = 0;   // SnapshotTaken steps (log compactions)
  std::uint64_t snapshots_restored = 0;  // RestoreSnapshot actions (installs from the leader, restarts)
  std::uint64_t async_nodes = 0;       // nodes in async_storage mode
  std::uint64_t persists = 0;          // Persist actions written by the simulated I/O queues
  std::uint64_t persists_lost = 0;     // Persist actions a crash dropped before they were written
  LinearizabilityReport linearizability;
  std::vector<Violation> violations;
  std::uint64_t first_violation_step = 0;
  std::uint64_t first_violation_us = 0;  // virtual time of the first violation (the end, for end-of-run checks)
  std::vector<std::string> last_events;  // before the first violation, when options.last_events > 0
  std::uint64_t trace_hash = 0;
  Schedule schedule;  // the faults applied and the client operations invoked (options included)
  std::vector<std::vector<std::uint64_t>> invoke_us;  // [client - 1]: when each of schedule.client_ops was invoked

  bool ok() const noexcept { return violations.empty(); }
  double events_per_second() const noexcept { return wall_seconds > 0 ? static_cast<double>(steps) / wall_seconds : 0; }
};

class Simulation {
 public:
  explicit Simulation(SimOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  SimReport run();
  const Timeline& timeline() const;
  // The client history the run checked for linearizability (complete once run() returned).
  const KvHistory& history() const;

  struct Engine;

 private:
  std::unique_ptr<Engine> engine_;
};

// The report as text, ending with the trace hash; on a violation, the property, nodes, last
// events and the command that replays the run.
std::string format_report(const SimReport& report);

// The raftio-sim command that runs these options (seed, cluster, profile, storage, planted bug).
std::string command_line(const SimOptions& options);

// The configuration a seed runs with: drawn from the seed when options.swarm, else the fixed
// profile (options.clients, keys and snapshot_every included).
SwarmConfig draw_config(const SimOptions& options);

}  // namespace raftio::sim
