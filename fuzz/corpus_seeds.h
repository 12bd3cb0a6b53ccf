// The seed inputs of each fuzz target, derived from the golden messages. FuzzedDataProvider
// takes integers from the end of the input and byte strings from the front, so seeds for the
// provider-driven targets are built as (front bytes) + (control bytes, last consumed first).
#pragma once

#include <map>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/wal_fuzz_input.h"
#include "raftio/wal/faulty_file_system.h"
#include "raftio/wal/wal_log.h"
#include "support/golden_messages.h"
#include "support/wal_golden.h"

namespace raftio::fuzz {

struct Seed {
  std::string target;
  std::string name;
  std::vector<std::uint8_t> bytes;
};

inline std::vector<std::uint8_t> frame_bytes(const Message& message) {
  std::vector<std::uint8_t> out;
  for (std::byte b : wire::encode(message)) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

// Input for a FuzzedDataProvider consumer: byte strings read from the front, integers (one byte
// each for the small ranges used here) from the back, in the order the target consumes them.
class ProviderInput {
 public:
  ProviderInput& front(const std::vector<std::uint8_t>& bytes) {
    front_.insert(front_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  ProviderInput& integer(std::uint8_t byte) {
    back_.push_back(byte);
    return *this;
  }
  std::vector<std::uint8_t> bytes() const {
    std::vector<std::uint8_t> out = front_;
    out.insert(out.end(), back_.rbegin(), back_.rend());
    return out;
  }

 private:
  std::vector<std::uint8_t> front_;
  std::vector<std::uint8_t> back_;
};

// fuzz_step's operation codes (see fuzz_step.cpp).
enum StepOp : std::uint8_t { kTickAll = 0, kDeliver = 3, kDeliverAll = 5, kPropose = 9, kReadIndex = 11, kTransfer = 12, kSnapshot = 13, kChange = 14, kForge = 15 };

inline std::vector<Seed> corpus_seeds() {
  std::vector<Seed> seeds;
  std::vector<std::uint8_t> all_frames;
  std::map<std::string, int> seen;
  for (const Message& message : test::golden_messages()) {
    const std::string version = wire::version_for(message) == 1 ? "" : "_v" + std::to_string(wire::version_for(message));
    std::string name = "golden_" + std::string(to_string(kind_of(message))) + version;
    // Two golden messages of one kind and version (a refused and a granted PreVoteReply) need two files.
    if (const int n = ++seen[name]; n > 1) name += "_" + std::to_string(n);
    const auto frame = frame_bytes(message);
    seeds.push_back({"decode", name, frame});
    seeds.push_back({"roundtrip", name, frame});
    // frame_decoder: default maximum (bool 1), 3 chunk sizes (1, 5, 17 → sizes 2, 6, 18), the frame.
    seeds.push_back({"frame_decoder", name, ProviderInput().front({1, 5, 17}).front(frame).integer(1).integer(3).bytes()});
    all_frames.insert(all_frames.end(), frame.begin(), frame.end());
  }
  seeds.push_back({"frame_decoder", "golden_stream", ProviderInput().front({0, 2, 60}).front(all_frames).integer(1).integer(3).bytes()});

  // step, schedule mode: elections and replication under ticks, deliveries and proposals.
  ProviderInput schedule;
  schedule.integer(0).integer(7).integer(1).integer(1);  // mode, seed, pre-vote, check-quorum
  for (int round = 0; round < 60; ++round) {
    schedule.integer(0).integer(kTickAll).integer(0).integer(kDeliverAll);
    // ConsumeRandomLengthString stops at a backslash followed by another character.
    if (round % 4 == 3) schedule.front({'c', 'm', 'd', '\\', 'x'}).integer(0).integer(kPropose);
    if (round % 10 == 5) schedule.integer(1).integer(kReadIndex).integer(static_cast<std::uint8_t>(round));
    if (round == 40) schedule.integer(0).integer(kTransfer).integer(2);
    if (round % 15 == 7) schedule.integer(static_cast<std::uint8_t>(round % 3)).integer(kSnapshot).integer(0);
    if (round == 30) schedule.integer(0).integer(kChange).integer(1).integer(3);  // 3 becomes a learner
  }
  seeds.push_back({"step", "schedule_elect_and_replicate", schedule.bytes()});

  // step, forgery mode: after an election, every golden frame is delivered to node 1.
  ProviderInput forged;
  forged.integer(1).integer(7).integer(1).integer(1);
  for (int round = 0; round < 30; ++round) forged.integer(0).integer(kTickAll).integer(0).integer(kDeliverAll);
  for (const Message& message : test::golden_messages()) {
    const auto frame = frame_bytes(message);
    // The length is an integer in [0, 256]: two bytes, high one consumed first.
    forged.front(frame).integer(0).integer(kForge).integer(0).integer(static_cast<std::uint8_t>(frame.size()));
  }
  seeds.push_back({"step", "forged_golden_frames", forged.bytes()});

  // wal: real logs written by WalLog (entries of every golden AppendEntries, a truncation, hard
  // states, a compaction), in one segment and rolled over into several.
  for (std::uint64_t segment_bytes : {std::uint64_t{1} << 20, std::uint64_t{300}}) {
    auto disk = std::make_shared<wal::FaultyFileSystem>(1);
    {
      auto log = wal::WalLog::open(disk, kWalFuzzDir, wal::WalOptions{segment_bytes}).value();
      const std::vector<Message> messages = test::golden_messages();
      const EntryBatch& golden = std::get<AppendEntries>(messages[4]).entries;
      Index next = 1;
      for (int round = 0; round < 4; ++round) {
        std::vector<LogEntry> entries;
        for (const LogEntry& e : golden) entries.push_back(LogEntry{e.term, next++, e.kind, e.data});
        (void)log->append(EntryBatch(entries));
        (void)log->set_hard_state(HardState{3, 1, next - 2});
        (void)log->sync();
      }
      (void)log->truncate_suffix(next - 1);
      (void)log->compact(SnapshotMeta{2, 3, Membership{{1, 2, 3}, {4}}});
      (void)log->sync();
    }
    std::vector<std::vector<std::byte>> segments;
    const auto names = disk->list(kWalFuzzDir);  // kept alive: the loop must not borrow from a temporary
    for (const std::string& name : names.value()) segments.push_back(*disk->contents(std::string(kWalFuzzDir) + "/" + name));
    const std::string name = segments.size() == 1 ? "one_segment" : "several_segments";
    seeds.push_back({"wal", name, make_wal_input(false, segments)});
    seeds.push_back({"wal", name + "_repair", make_wal_input(true, segments)});
  }
  // wal: a segment of the previous format version, which recovery still reads.
  seeds.push_back({"wal", "version1_segment", make_wal_input(false, {test::from_hex(test::kGoldenWalV1)})});
  return seeds;
}

}  // namespace raftio::fuzz
