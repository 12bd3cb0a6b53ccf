// Value types: Payload and SharedBuffer, EntryBatch, MemoryLog, dispatch_sends and describe().
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "raftio/raftio.h"

namespace raftio {
namespace {

using ::testing::HasSubstr;

LogEntry entry(Index index, Term term, const std::string& data) {
  return LogEntry{term, index, EntryKind::Normal, Payload::copy_of(data)};
}

// Entries first..last of one term, payload tag + index.
std::vector<LogEntry> entries(Index first, Index last, Term term, const std::string& tag = "v") {
  std::vector<LogEntry> out;
  for (Index i = first; i <= last; ++i) out.push_back(entry(i, term, tag + std::to_string(i)));
  return out;
}

std::vector<LogEntry> concat(std::vector<LogEntry> a, const std::vector<LogEntry>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---- Payload and SharedBuffer -------------------------------------------------------------------

TEST(Payload, CopyOfCopiesTheBytesWhateverTheSourceType) {
  std::string text = "hello";
  const Payload p = Payload::copy_of(std::string_view(text));
  EXPECT_EQ(p.size(), 5u);
  EXPECT_FALSE(p.empty());
  EXPECT_EQ(p.as_string_view(), "hello");
  EXPECT_NE(static_cast<const void*>(p.data()), static_cast<const void*>(text.data()));
  text[0] = 'J';  // a copy, not a view of the caller's memory
  EXPECT_EQ(p.to_string(), "hello");
  const std::array<std::byte, 3> raw = {std::byte{'a'}, std::byte{0}, std::byte{0xff}};
  const Payload from_span = Payload::copy_of(std::span<const std::byte>(raw));
  const Payload from_pointer = Payload::copy_of(raw.data(), raw.size());
  const Payload from_text = Payload::copy_of(std::string_view("a\0\xff", 3));
  ASSERT_EQ(from_span.size(), 3u);
  EXPECT_EQ(from_span.bytes()[1], std::byte{0});  // embedded NUL kept
  EXPECT_EQ(from_span.bytes()[2], std::byte{0xff});
  EXPECT_EQ(from_span, from_pointer);
  EXPECT_EQ(from_span, from_text);
  EXPECT_FALSE(from_span.shares_buffer_with(from_pointer));
}

TEST(Payload, EqualityComparesBytesNotBuffers) {
  const Payload a = Payload::copy_of("abc");
  EXPECT_EQ(a, Payload::copy_of("abc"));
  EXPECT_FALSE(a.shares_buffer_with(Payload::copy_of("abc")));
  EXPECT_FALSE(a == Payload::copy_of("abd"));
  EXPECT_FALSE(a == Payload::copy_of("ab"));
  EXPECT_FALSE(a == Payload());
}

TEST(Payload, EmptyPayloadsAreEqualAndShareNothing) {
  const Payload none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.data(), nullptr);
  EXPECT_TRUE(none.bytes().empty());
  EXPECT_EQ(none.to_string(), "");
  EXPECT_EQ(none, Payload::copy_of(std::string_view()));
  EXPECT_EQ(none, Payload::copy_of(nullptr, 0));
  EXPECT_FALSE(none.shares_buffer_with(none));
  const Payload copy = none;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_FALSE(copy.shares_buffer_with(none));
}

TEST(Payload, CopiesShareTheBufferAndOutliveTheOriginal) {
  Payload assigned = Payload::copy_of("other");
  Payload copy;
  {
    const Payload original = Payload::copy_of("shared bytes");
    copy = original;
    EXPECT_TRUE(copy.shares_buffer_with(original));
    EXPECT_TRUE(original.shares_buffer_with(copy));
    EXPECT_EQ(copy.data(), original.data());
    assigned = original;
    EXPECT_TRUE(assigned.shares_buffer_with(original));
  }
  EXPECT_EQ(copy.to_string(), "shared bytes");
  EXPECT_EQ(assigned.to_string(), "shared bytes");
  EXPECT_TRUE(copy.shares_buffer_with(assigned));
}

TEST(Payload, MovedFromIsEmpty) {
  Payload source = Payload::copy_of("moving");
  const std::byte* bytes = source.data();
  Payload target(std::move(source));
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(source.data(), nullptr);
  EXPECT_EQ(target.data(), bytes);
  Payload assigned = Payload::copy_of("x");
  assigned = std::move(target);
  EXPECT_TRUE(target.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(assigned.to_string(), "moving");
}

TEST(SharedBuffer, ViewsSeeTheBytesShareTheBufferAndKeepItAlive) {
  Payload a;
  Payload b;
  {
    SharedBuffer buffer(10);
    ASSERT_EQ(buffer.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i) buffer.data()[i] = static_cast<std::byte>('0' + i);
    const SharedBuffer copy = buffer;  // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_EQ(copy.data(), buffer.data());
    a = buffer.view(2, 3);
    b = copy.view(5, 5);
    EXPECT_EQ(a.data(), buffer.data() + 2);
    EXPECT_EQ(buffer.view(0, 10).to_string(), "0123456789");
  }
  EXPECT_EQ(a.to_string(), "234");
  EXPECT_EQ(b.to_string(), "56789");
  EXPECT_TRUE(a.shares_buffer_with(b));
}

TEST(SharedBuffer, OutOfRangeViewIsEmpty) {
  const SharedBuffer buffer(8);
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  // (2, kMax): offset + length wraps around and must not pass for a fitting range.
  const std::pair<std::size_t, std::size_t> bad[] = {{9, 0}, {9, 1}, {0, 9}, {7, 2}, {8, 1}, {2, kMax}, {kMax, 2}, {3, 0}};
  for (const auto& [offset, length] : bad) EXPECT_TRUE(buffer.view(offset, length).empty()) << offset << "+" << length;
  EXPECT_EQ(buffer.view(7, 1).size(), 1u);  // the last byte still fits
  EXPECT_TRUE(SharedBuffer().view(0, 1).empty());
  EXPECT_EQ(SharedBuffer().data(), nullptr);
}

// ---- EntryBatch ---------------------------------------------------------------------------------

TEST(EntryBatch, FromVectorCopiesEntriesAndSharesPayloads) {
  const auto source = entries(5, 8, 2);
  const EntryBatch batch(source);
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch.front().index, 5u);
  EXPECT_EQ(batch.back().index, 8u);
  EXPECT_EQ(std::vector<LogEntry>(batch.begin(), batch.end()), source);
  EXPECT_EQ(batch.span().size(), 4u);
  EXPECT_NE(&batch[0], &source[0]);
  EXPECT_TRUE(batch[0].data.shares_buffer_with(source[0].data));
  EXPECT_TRUE(EntryBatch(std::vector<LogEntry>()).empty());
  EXPECT_EQ(EntryBatch(std::vector<LogEntry>()), EntryBatch());
}

TEST(EntryBatch, FromInitializerListEqualsFromVector) {
  const EntryBatch batch{entry(1, 1, "v1"), entry(2, 1, "v2")};
  EXPECT_EQ(batch, EntryBatch(entries(1, 2, 1)));
}

TEST(EntryBatch, CopiesShareEntriesAndOutliveTheOriginal) {
  EntryBatch copy;
  const LogEntry* first = nullptr;
  {
    EntryBatch original(entries(1, 3, 1));
    copy = original;
    first = original.begin();
    EXPECT_EQ(copy.begin(), original.begin());
    const EntryBatch moved(std::move(original));
    EXPECT_TRUE(original.empty());  // NOLINT(bugprone-use-after-move): documented state
    EXPECT_EQ(moved.begin(), first);
  }
  EXPECT_EQ(copy.begin(), first);
  EXPECT_EQ(copy, EntryBatch(entries(1, 3, 1)));
}

TEST(EntryBatch, EqualityComparesEntries) {
  const EntryBatch a(entries(1, 3, 1));
  EXPECT_EQ(a, EntryBatch(entries(1, 3, 1)));
  EXPECT_FALSE(a == EntryBatch(entries(1, 3, 2)));       // term differs
  EXPECT_FALSE(a == EntryBatch(entries(1, 3, 1, "w")));  // payload differs
  EXPECT_FALSE(a == EntryBatch(entries(2, 4, 1, "v")));  // indexes differ
  EXPECT_FALSE(a == EntryBatch(entries(1, 2, 1)));       // shorter
  auto kinds = entries(1, 3, 1);
  kinds[1].kind = EntryKind::Noop;
  EXPECT_FALSE(a == EntryBatch(kinds));                  // kind differs
}

TEST(EntryBatch, DropFrontAdvancesAndClampsAtSize) {
  EntryBatch batch(entries(1, 5, 1));
  batch.drop_front(2);
  EXPECT_EQ(batch, EntryBatch(entries(3, 5, 1)));
  batch.drop_front(0);
  EXPECT_EQ(batch.size(), 3u);
  batch.drop_front(10);
  EXPECT_TRUE(batch.empty());
  batch.drop_front(1);
  EXPECT_EQ(batch.size(), 0u);
}

// ---- MemoryLog ----------------------------------------------------------------------------------

std::vector<LogEntry> read_all(const MemoryLog& log) {
  std::vector<LogEntry> out;
  if (log.last_index() >= log.first_index()) {
    EXPECT_TRUE(log.read(log.first_index(), log.last_index(), out).ok());
  }
  return out;
}

void expect_misuse(const StorageStatus& status) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, StorageError::Code::Misuse);
  EXPECT_FALSE(status.error().context.empty());
}

TEST(MemoryLog, StartsEmptyAtIndexOne) {
  const MemoryLog log;
  EXPECT_EQ(log.first_index(), 1u);
  EXPECT_EQ(log.last_index(), 0u);
  EXPECT_EQ(log.hard_state(), HardState{});
  EXPECT_EQ(log.snapshot_meta(), SnapshotMeta{});
  EXPECT_EQ(log.sync_count(), 0u);
}

TEST(MemoryLog, AppendMustBeConsecutiveElseMisuseAndNothingChanges) {
  MemoryLog log;
  ASSERT_TRUE(log.append(entries(1, 2, 1)).ok());
  ASSERT_TRUE(log.append(std::span<const LogEntry>()).ok());
  expect_misuse(log.append(entries(4, 5, 1)));  // gap
  expect_misuse(log.append(entries(2, 3, 1)));  // overlap
  auto holey = entries(3, 5, 1);
  holey[2].index = 6;  // 3, 4, 6: the good prefix must not be appended either
  expect_misuse(log.append(holey));
  EXPECT_EQ(log.last_index(), 2u);
  ASSERT_TRUE(log.append(entries(3, 3, 2)).ok());
  EXPECT_EQ(read_all(log), concat(entries(1, 2, 1), entries(3, 3, 2)));
}

TEST(MemoryLog, ReadOutsideTheLogIsMisuse) {
  MemoryLog log;
  std::vector<LogEntry> out;
  expect_misuse(log.read(1, 1, out));  // empty log
  ASSERT_TRUE(log.append(entries(1, 5, 1)).ok());
  expect_misuse(log.read(0, 2, out));  // below first
  expect_misuse(log.read(4, 6, out));  // past last
  expect_misuse(log.read(3, 2, out));  // lo > hi
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(log.read(2, 4, out).ok());
  ASSERT_TRUE(log.read(5, 5, out).ok());  // read appends to `out`
  EXPECT_EQ(out, entries(2, 5, 1));
}

TEST(MemoryLog, TruncateSuffixRemovesTheTailWithinBounds) {
  MemoryLog log;
  ASSERT_TRUE(log.append(entries(1, 5, 1)).ok());
  ASSERT_TRUE(log.truncate_suffix(6).ok());  // last + 1: nothing to remove
  EXPECT_EQ(log.last_index(), 5u);
  expect_misuse(log.truncate_suffix(7));
  ASSERT_TRUE(log.truncate_suffix(3).ok());
  EXPECT_EQ(log.last_index(), 2u);
  ASSERT_TRUE(log.append(entries(3, 4, 2, "new")).ok());
  EXPECT_EQ(read_all(log), concat(entries(1, 2, 1), entries(3, 4, 2, "new")));
  ASSERT_TRUE(log.compact(SnapshotMeta{2, 1, {}}).ok());
  expect_misuse(log.truncate_suffix(2));  // below first_index
  ASSERT_TRUE(log.truncate_suffix(3).ok());
  EXPECT_EQ(log.first_index(), 3u);
  EXPECT_EQ(log.last_index(), 2u);
}

TEST(MemoryLog, CompactBelowTheEndDropsThePrefixAndRecordsTheSnapshot) {
  MemoryLog log;
  ASSERT_TRUE(log.append(entries(1, 6, 1)).ok());
  const SnapshotMeta meta{3, 1, Membership{{1, 2, 3}, {}}};
  ASSERT_TRUE(log.compact(meta).ok());
  EXPECT_EQ(log.snapshot_meta(), meta);
  EXPECT_EQ(log.first_index(), 4u);
  EXPECT_EQ(log.last_index(), 6u);
  EXPECT_EQ(read_all(log), entries(4, 6, 1));
  std::vector<LogEntry> out;
  expect_misuse(log.read(3, 4, out));
  ASSERT_TRUE(log.compact(meta).ok());  // the same snapshot again: no change
  EXPECT_EQ(log.first_index(), 4u);
  expect_misuse(log.compact(SnapshotMeta{2, 1, {}}));  // below the recorded snapshot
  EXPECT_EQ(log.snapshot_meta(), meta);
}

TEST(MemoryLog, CompactAtOrPastTheEndEmptiesTheLogAndRestartsAfterTheSnapshot) {
  MemoryLog log;
  ASSERT_TRUE(log.append(entries(1, 4, 2)).ok());
  ASSERT_TRUE(log.compact(SnapshotMeta{4, 2, {}}).ok());
  EXPECT_EQ(log.first_index(), 5u);
  EXPECT_EQ(log.last_index(), 4u);
  ASSERT_TRUE(log.append(entries(5, 5, 3)).ok());
  EXPECT_EQ(read_all(log), entries(5, 5, 3));

  // Past the end: the log restarts right after the snapshot.
  const SnapshotMeta meta{10, 3, {}};
  ASSERT_TRUE(log.compact(meta).ok());
  EXPECT_EQ(log.first_index(), meta.last_index + 1);
  EXPECT_EQ(log.last_index(), meta.last_index);
  expect_misuse(log.append(entries(6, 6, 3)));  // the old next index is gone
  ASSERT_TRUE(log.append(entries(11, 12, 3)).ok());
  EXPECT_EQ(read_all(log), entries(11, 12, 3));
}

TEST(MemoryLog, HardStateRoundTripsAndSyncIsCounted) {
  MemoryLog log;
  ASSERT_TRUE(log.set_hard_state(HardState{7, 3, 42}).ok());
  EXPECT_EQ(log.hard_state(), (HardState{7, 3, 42}));
  ASSERT_TRUE(log.set_hard_state(HardState{8, kNoNode, 40}).ok());
  EXPECT_EQ(log.hard_state(), (HardState{8, kNoNode, 40}));
  EXPECT_EQ(log.sync_count(), 0u);  // writes do not sync by themselves
  ASSERT_TRUE(log.sync().ok());
  ASSERT_TRUE(log.sync().ok());
  EXPECT_EQ(log.sync_count(), 2u);
}

TEST(MemoryLog, CopyIsIndependent) {
  MemoryLog original;
  ASSERT_TRUE(original.append(entries(1, 5, 1)).ok());
  ASSERT_TRUE(original.set_hard_state(HardState{1, 1, 2}).ok());
  ASSERT_TRUE(original.sync().ok());
  MemoryLog copy(original);
  EXPECT_EQ(copy.sync_count(), 1u);
  ASSERT_TRUE(original.truncate_suffix(3).ok());
  ASSERT_TRUE(original.append(entries(3, 4, 2, "o")).ok());
  ASSERT_TRUE(original.set_hard_state(HardState{2, 2, 4}).ok());
  EXPECT_EQ(read_all(copy), entries(1, 5, 1));
  EXPECT_EQ(copy.hard_state(), (HardState{1, 1, 2}));
  ASSERT_TRUE(copy.compact(SnapshotMeta{2, 1, {}}).ok());
  EXPECT_EQ(original.first_index(), 1u);
  EXPECT_EQ(read_all(original), concat(entries(1, 2, 1), entries(3, 4, 2, "o")));
  EXPECT_EQ(original.snapshot_meta(), SnapshotMeta{});
}

// Random append / truncate / compact sequences agree with a plain vector model.
RC_GTEST_PROP(MemoryLogModel, AgreesWithVectorModel, ()) {
  MemoryLog log;
  Index first = 1;
  std::vector<LogEntry> model;  // entries first ...
  const int steps = *rc::gen::inRange(1, 40);
  for (int step = 0; step < steps; ++step) {
    const Index last = first + model.size() - 1;
    const int op = *rc::gen::inRange(0, 3);
    if (op == 0) {
      const auto k = *rc::gen::inRange<Index>(0, 300);
      const auto batch = entries(last + 1, last + k, static_cast<Term>(step + 1), std::to_string(step) + ":");
      RC_ASSERT(log.append(batch).ok());
      model.insert(model.end(), batch.begin(), batch.end());
    } else if (op == 1) {
      const auto from = *rc::gen::inRange<Index>(first, last + 2);
      RC_ASSERT(log.truncate_suffix(from).ok());
      model.resize(static_cast<std::size_t>(from - first));
    } else {
      const auto upto = *rc::gen::inRange<Index>(log.snapshot_meta().last_index, last + 20);
      RC_ASSERT(log.compact(SnapshotMeta{upto, 1, {}}).ok());
      const auto dropped = std::min(model.size(), static_cast<std::size_t>(upto + 1 - first));
      model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(dropped));
      first = upto + 1;
    }
    RC_ASSERT(log.first_index() == first);
    RC_ASSERT(log.last_index() == first + model.size() - 1);
    std::vector<LogEntry> out;
    if (!model.empty()) RC_ASSERT(log.read(first, first + model.size() - 1, out).ok());
    RC_ASSERT(out == model);
  }
}

// ---- dispatch_sends -----------------------------------------------------------------------------

class RecordingTransport final : public RaftTransport {
 public:
  void send(NodeId to, Message message) override { sent.emplace_back(to, std::move(message)); }
  // "to: message" for every message received, in order.
  std::vector<std::string> log() const {
    std::vector<std::string> out;
    for (const auto& [to, message] : sent) out.push_back(std::to_string(to) + ": " + describe(message));
    return out;
  }
  std::vector<std::pair<NodeId, Message>> sent;
};

std::vector<std::string> describe_each(const std::vector<Action>& actions) {
  std::vector<std::string> out;
  for (const Action& action : actions) out.push_back(describe(action));
  return out;
}

using Lines = std::vector<std::string>;

TEST(DispatchSends, MovesEverySendInOrderAndKeepsTheRestInOrder) {
  const EntryBatch batch(entries(1, 1, 3));
  std::vector<Action> actions;
  actions.emplace_back(Apply{entry(1, 1, "a")});
  actions.emplace_back(Send{AppendEntries{1, 2, 3, 0, 0, 0, batch}});
  actions.emplace_back(LeaderChanged{3, 1});
  actions.emplace_back(Send{RequestVote{1, 3, 4, 7, 2, false}});
  actions.emplace_back(Send{TimeoutNow{1, 2, 5}});
  actions.emplace_back(Reject{RequestKind::Propose, RejectReason::NotLeader, 2, 9});

  RecordingTransport transport;
  EXPECT_EQ(dispatch_sends(actions, transport), 3u);
  EXPECT_EQ(transport.log(), (Lines{"2: AppendEntries 1->2 t3 prev=0 prev_term=0 commit=0 [1@t3:normal:2B:7631]",
                                    "3: RequestVote 1->3 t4 last_index=7 last_term=2",
                                    "2: TimeoutNow 1->2 t5"}));
  ASSERT_TRUE(std::holds_alternative<AppendEntries>(transport.sent[0].second));
  EXPECT_EQ(std::get<AppendEntries>(transport.sent[0].second).entries.begin(), batch.begin());  // shared
  EXPECT_EQ(describe_each(actions), (Lines{"apply 1@t1:normal:1B:61", "leader-changed t3 leader=1",
                                           "reject propose id=9 not-leader leader_hint=2"}));
}

TEST(DispatchSends, NoSendsLeavesActionsAloneOnlySendsLeavesNothing) {
  std::vector<Action> actions = {LeaderChanged{1, 2}, ProposalAccepted{4, 5, 1}};
  RecordingTransport transport;
  EXPECT_EQ(dispatch_sends(actions, transport), 0u);
  EXPECT_TRUE(transport.sent.empty());
  EXPECT_EQ(describe_each(actions), (Lines{"leader-changed t1 leader=2", "proposal-accepted id=4 index=5 t1"}));
  std::vector<Action> sends;
  for (NodeId to = 2; to <= 4; ++to) sends.emplace_back(Send{TimeoutNow{1, to, 1}});
  EXPECT_EQ(dispatch_sends(sends, transport), 3u);
  EXPECT_TRUE(sends.empty());
  EXPECT_EQ(transport.log(), (Lines{"2: TimeoutNow 1->2 t1", "3: TimeoutNow 1->3 t1", "4: TimeoutNow 1->4 t1"}));
}

// ---- describe -----------------------------------------------------------------------------------

TEST(Describe, MessagesNameRouteTermAndKeyFields) {
  const std::string ae = describe(Message(AppendEntries{1, 2, 3, 4, 2, 1, EntryBatch{entry(5, 3, "abc")}}));
  EXPECT_THAT(ae, HasSubstr("AppendEntries 1->2 t3 prev=4 prev_term=2 commit=1"));
  EXPECT_THAT(ae, HasSubstr("5@t3:normal:3B:616263"));
  EXPECT_THAT(describe(Message(RequestVote{2, 1, 7, 9, 6, true})),
              HasSubstr("RequestVote 2->1 t7 last_index=9 last_term=6 transfer"));
  EXPECT_THAT(describe(Message(PreVoteReply{3, 1, 8, false, 9})), HasSubstr("PreVoteReply 3->1 t8 refused voter_term=9"));
  EXPECT_THAT(describe(Message(AppendEntriesReply{2, 1, 5, false, 0, 10, 7, 4})),
              HasSubstr("AppendEntriesReply 2->1 t5 reject index=10 hint=7 hint_term=4"));
  EXPECT_THAT(describe(Message(AppendEntriesReply{2, 1, 5, true, 12, 0, 0, 0})), HasSubstr("ok match=12"));
  const std::string snap = describe(Message(InstallSnapshot{
      1, 3, 2, SnapshotMeta{40, 2, Membership{{1, 2, 3}, {4}}}, 0, Payload::copy_of("0123456789"), true, 10, 0xab}));
  EXPECT_THAT(snap, HasSubstr("InstallSnapshot 1->3 t2 last_index=40"));
  EXPECT_THAT(snap, HasSubstr("voters=[1,2,3] learners=[4]"));
  EXPECT_THAT(snap, HasSubstr("chunk=10B:3031323334353637.. done total=10 checksum=00000000000000ab"));
}

TEST(Describe, ActionsAndEventsNameTheirKeyFields) {
  EXPECT_EQ(describe(Action(Send{Message(TimeoutNow{1, 2, 3})})), "send TimeoutNow 1->2 t3");
  EXPECT_EQ(describe(Action(Apply{LogEntry{2, 5, EntryKind::Noop, Payload()}})), "apply 5@t2:noop:0B");
  EXPECT_EQ(describe(Action(LeaderChanged{4, 2})), "leader-changed t4 leader=2");
  EXPECT_EQ(describe(Action(ProposalAccepted{7, 11, 3})), "proposal-accepted id=7 index=11 t3");
  EXPECT_THAT(describe(Action(Reject{RequestKind::Propose, RejectReason::NotLeader, 3, 8})),
              HasSubstr("id=8 not-leader leader_hint=3"));
  EXPECT_EQ(describe(Action(StorageFailed{StorageError{StorageError::Code::NoSpace, "wal.log"}})),
            "storage-failed no-space: wal.log");
  EXPECT_EQ(describe(Event(Tick{})), "tick");
  EXPECT_EQ(describe(Event(Propose{Payload::copy_of("hi"), 6})), "propose id=6 2B:6869");
  EXPECT_THAT(describe(Event(Receive{Message(TimeoutNow{2, 1, 9})})), HasSubstr("receive TimeoutNow 2->1 t9"));
}

}  // namespace
}  // namespace raftio
