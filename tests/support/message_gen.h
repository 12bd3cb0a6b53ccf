// RapidCheck generators of arbitrary, well-formed wire messages: any u64 values (biased towards 0
// and the maximum), empty to large payloads, up to hundreds of entries, sorted memberships.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <limits>
#include <set>

#include "raftio/raftio.h"

namespace raftio::test {

inline rc::Gen<std::uint64_t> gen_u64() {
  return rc::gen::weightedOneOf<std::uint64_t>({{3, rc::gen::arbitrary<std::uint64_t>()},
                                                {2, rc::gen::inRange<std::uint64_t>(0, 100)},
                                                {1, rc::gen::just<std::uint64_t>(0)},
                                                {1, rc::gen::just(std::numeric_limits<std::uint64_t>::max())}});
}

inline rc::Gen<Payload> gen_payload(std::size_t max_bytes) {
  return rc::gen::map(rc::gen::container<std::string>(rc::gen::arbitrary<char>()), [max_bytes](std::string s) {
    if (s.size() > max_bytes) s.resize(max_bytes);
    return Payload::copy_of(s);
  });
}

inline rc::Gen<Payload> gen_sized_payload(std::size_t max_bytes) {
  return rc::gen::weightedOneOf<Payload>({{6, gen_payload(max_bytes)},
                                          {1, rc::gen::map(rc::gen::inRange<std::size_t>(0, max_bytes + 1), [](std::size_t n) {
                                             return Payload::copy_of(std::string(n, 'z'));
                                           })}});
}

inline rc::Gen<std::vector<NodeId>> gen_ids() {
  return rc::gen::map(rc::gen::container<std::set<NodeId>>(rc::gen::inRange<NodeId>(1, 1u << 20)),
                      [](const std::set<NodeId>& ids) { return std::vector<NodeId>(ids.begin(), ids.end()); });
}

inline rc::Gen<Membership> gen_membership() {
  return rc::gen::map(rc::gen::pair(gen_ids(), gen_ids()), [](const auto& lists) {
    Membership m{lists.first, {}};
    for (NodeId id : lists.second) {
      if (!m.is_voter(id)) m.learners.push_back(id);
    }
    return m;
  });
}

// `max_payload` bounds each payload; `max_entries` the entries of an AppendEntries.
inline rc::Gen<Message> gen_message(std::size_t max_payload = 4096, std::size_t max_entries = 300) {
  return rc::gen::exec([max_payload, max_entries]() -> Message {
    const NodeId from = *gen_u64();
    const NodeId to = *gen_u64();
    const Term term = *gen_u64();
    // read_round, seq, snapshot size and checksum: 0 (an older frame version) as often as not.
    const auto round = [] { return *rc::gen::weightedOneOf<std::uint64_t>({{1, rc::gen::just<std::uint64_t>(0)}, {1, gen_u64()}}); };
    switch (*rc::gen::inRange(0, 11)) {
      case 0: return RequestVote{from, to, term, *gen_u64(), *gen_u64(), *rc::gen::arbitrary<bool>()};
      case 1: return RequestVoteReply{from, to, term, *rc::gen::arbitrary<bool>()};
      case 2: return PreVote{from, to, term, *gen_u64(), *gen_u64()};
      case 3: return PreVoteReply{from, to, term, *rc::gen::arbitrary<bool>(), *gen_u64()};
      case 4: {
        const auto count = *rc::gen::weightedOneOf<std::size_t>(
            {{4, rc::gen::inRange<std::size_t>(0, 8)}, {1, rc::gen::inRange<std::size_t>(0, max_entries + 1)}});
        std::vector<LogEntry> entries;
        for (std::size_t i = 0; i < count; ++i) {
          entries.push_back(LogEntry{*gen_u64(), *gen_u64(), *rc::gen::element(EntryKind::Normal, EntryKind::Noop, EntryKind::Config),
                                     *gen_sized_payload(max_payload)});
        }
        return AppendEntries{from, to, term, *gen_u64(), *gen_u64(), *gen_u64(), EntryBatch(entries), round(), round()};
      }
      case 5:
        return AppendEntriesReply{from, to, term, *rc::gen::arbitrary<bool>(), *gen_u64(), *gen_u64(), *gen_u64(), *gen_u64(),
                                  round(), round()};
      case 6:
        return InstallSnapshot{from, to, term, SnapshotMeta{*gen_u64(), *gen_u64(), *gen_membership()}, *gen_u64(),
                               *gen_sized_payload(max_payload * 16), *rc::gen::arbitrary<bool>(), round(), round()};
      case 7: return InstallSnapshotReply{from, to, term, *gen_u64(), *gen_u64(), *rc::gen::arbitrary<bool>()};
      case 8: return TimeoutNow{from, to, term};
      case 9: return ReadIndexRequest{from, to, term, *gen_u64()};
      default: return ReadIndexReply{from, to, term, *gen_u64(), *gen_u64(), *rc::gen::arbitrary<bool>()};
    }
  });
}

}  // namespace raftio::test
