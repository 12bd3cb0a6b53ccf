// raftio::detail::EntryStore: block layout, lookups, slices that stay valid and unchanged whatever
// the store does afterwards, truncation, compaction, copies and moves; plus a model-based property.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "raftio/detail/entry_store.h"

namespace raftio::detail {
namespace {

constexpr Index kBlock = EntryStore::kBlockEntries;
static_assert(kBlock == 256, "the tests below pick indexes around 256-entry blocks");

LogEntry make(Index index, Term term, const std::string& tag = "e") {
  return LogEntry{term, index, EntryKind::Normal, Payload::copy_of(tag + std::to_string(index))};
}

std::vector<LogEntry> range(Index first, Index last, Term term, const std::string& tag = "e") {
  std::vector<LogEntry> out;
  for (Index i = first; i <= last; ++i) out.push_back(make(i, term, tag));
  return out;
}

void fill(EntryStore& store, Index last, Term term = 1, const std::string& tag = "e") {
  for (Index i = store.last_index() + 1; i <= last; ++i) store.append(make(i, term, tag));
}

// The whole store as a vector (entries first_index() .. last_index()).
std::vector<LogEntry> contents(const EntryStore& store) {
  std::vector<LogEntry> out;
  for (Index i = store.first_index(); i <= store.last_index() && !store.empty(); ++i) out.push_back(store.at(i));
  return out;
}

std::vector<LogEntry> contents(const EntryBatch& batch) { return {batch.begin(), batch.end()}; }

TEST(EntryStore, EmptyStoreStartsAtTheGivenIndex) {
  const EntryStore fresh;
  EXPECT_EQ(fresh.first_index(), 1u);
  EXPECT_EQ(fresh.last_index(), 0u);
  EXPECT_TRUE(fresh.empty());
  EXPECT_EQ(fresh.size(), 0u);
  EXPECT_FALSE(fresh.contains(0));
  EXPECT_FALSE(fresh.contains(1));

  EntryStore later(100);
  EXPECT_EQ(later.first_index(), 100u);
  EXPECT_EQ(later.last_index(), 99u);
  EXPECT_TRUE(later.empty());
  later.append(make(100, 4));
  EXPECT_TRUE(later.contains(100));
  EXPECT_EQ(later.term_at(100), 4u);
}

TEST(EntryStore, AppendAcrossManyBlocksKeepsEveryEntryReachable) {
  EntryStore store;
  const auto first = range(1, 300, 1);
  store.append(std::span<const LogEntry>(first));   // span overload
  for (Index i = 301; i <= 600; ++i) {
    const LogEntry e = make(i, 2);
    store.append(e);                                // const& overload
  }
  for (Index i = 601; i <= 700; ++i) store.append(make(i, 3));  // && overload
  EXPECT_EQ(store.first_index(), 1u);
  EXPECT_EQ(store.last_index(), 700u);
  EXPECT_EQ(store.size(), 700u);
  EXPECT_FALSE(store.contains(701));
  for (Index i = 1; i <= 700; ++i) {
    ASSERT_TRUE(store.contains(i));
    ASSERT_EQ(store.at(i).index, i);
    ASSERT_EQ(store.term_at(i), i <= 300 ? 1u : (i <= 600 ? 2u : 3u));
    ASSERT_EQ(store.at(i).data.to_string(), "e" + std::to_string(i));
  }
}

TEST(EntryStore, RunLengthStopsAtBlockBoundaries) {
  EntryStore store;
  fill(store, 700);
  EXPECT_EQ(store.run_length(1), kBlock);
  EXPECT_EQ(store.run_length(100), kBlock - 99);
  EXPECT_EQ(store.run_length(kBlock), 1u);
  EXPECT_EQ(store.run_length(kBlock + 1), kBlock);
  EXPECT_EQ(store.run_length(2 * kBlock + 1), 700 - 2 * kBlock);  // the partial tail block
  EXPECT_EQ(store.run_length(700), 1u);
}

TEST(EntryStore, SliceIsAViewThatStopsAtTheBlockEnd) {
  EntryStore store;
  fill(store, 700);
  const EntryBatch whole_block = store.slice(1, 1000);
  EXPECT_EQ(whole_block.size(), kBlock);
  EXPECT_EQ(whole_block.begin(), &store.at(1));  // no copy: the batch points into the store
  const EntryBatch capped = store.slice(10, 5);
  EXPECT_EQ(contents(capped), range(10, 14, 1));
  const EntryBatch crossing = store.slice(250, 100);
  EXPECT_EQ(contents(crossing), range(250, kBlock, 1));
  const EntryBatch tail = store.slice(600, 1000);
  EXPECT_EQ(contents(tail), range(600, 700, 1));
  EXPECT_TRUE(store.slice(5, 0).empty());
}

TEST(EntryStore, SliceOutlivesTheStore) {
  EntryBatch batch;
  {
    EntryStore store;
    fill(store, 300);
    batch = store.slice(kBlock + 1, 10);
  }
  EXPECT_EQ(contents(batch), range(kBlock + 1, kBlock + 10, 1));
}

TEST(EntryStore, SliceIsUnchangedWhenTheStoreRewritesInsideIt) {
  EntryStore store;
  fill(store, 10, 1, "old");
  const EntryBatch held = store.slice(1, 10);
  const LogEntry* held_first = held.begin();
  ASSERT_EQ(contents(held), range(1, 10, 1, "old"));

  store.truncate_suffix(5);  // inside the held range
  EXPECT_EQ(store.last_index(), 4u);
  fill(store, 12, 2, "new");  // different entries at 5..12

  // The held view still shows the old entries, in the same memory: the block was copied.
  EXPECT_EQ(held.begin(), held_first);
  EXPECT_EQ(contents(held), range(1, 10, 1, "old"));
  EXPECT_NE(&store.at(1), held_first);

  auto expected = range(1, 4, 1, "old");
  for (const auto& e : range(5, 12, 2, "new")) expected.push_back(e);
  EXPECT_EQ(contents(store), expected);
}

TEST(EntryStore, SliceInALaterBlockIsUnchangedByTruncationInsideIt) {
  EntryStore store;
  fill(store, 500, 1, "old");
  const EntryBatch held = store.slice(kBlock + 1, 200);  // 257 .. 456
  store.truncate_suffix(300);
  fill(store, 800, 3, "new");
  EXPECT_EQ(contents(held), range(kBlock + 1, kBlock + 200, 1, "old"));
  EXPECT_EQ(store.at(299).data.to_string(), "old299");
  EXPECT_EQ(store.at(300).data.to_string(), "new300");
  EXPECT_EQ(store.term_at(456), 3u);
  EXPECT_EQ(store.run_length(kBlock + 1), kBlock);
}

TEST(EntryStore, SliceIsUnchangedWhenTheStoreAppendsAfterIt) {
  EntryStore store;
  fill(store, 10);
  const EntryBatch held = store.slice(1, 10);
  fill(store, 20);  // appends into the same (shared) tail block
  EXPECT_EQ(contents(held), range(1, 10, 1));
  EXPECT_EQ(contents(store.slice(1, 100)), range(1, 20, 1));
}

TEST(EntryStore, SliceSurvivesCompactionOfItsBlock) {
  EntryStore store;
  fill(store, 700);
  const EntryBatch held = store.slice(3, 50);
  store.compact(600);  // drops the held block from the store
  EXPECT_EQ(store.first_index(), 601u);
  EXPECT_EQ(contents(held), range(3, 52, 1));
  store.compact(2000);  // and everything else
  EXPECT_EQ(contents(held), range(3, 52, 1));
}

TEST(EntryStore, TruncateSuffixWithoutViewsRewritesInPlace) {
  EntryStore store;
  fill(store, 10, 1, "old");
  const LogEntry* slot1 = &store.at(1);
  store.truncate_suffix(6);
  fill(store, 8, 2, "new");
  EXPECT_EQ(&store.at(1), slot1);  // unshared block reused
  auto expected = range(1, 5, 1, "old");
  for (const auto& e : range(6, 8, 2, "new")) expected.push_back(e);
  EXPECT_EQ(contents(store), expected);
}

TEST(EntryStore, TruncateSuffixAcrossAndAtBlockBoundaries) {
  EntryStore store;
  fill(store, 700);
  store.truncate_suffix(701);  // past the end: nothing
  EXPECT_EQ(store.last_index(), 700u);
  store.truncate_suffix(2 * kBlock + 1);  // exactly at a block boundary
  EXPECT_EQ(store.last_index(), 2 * kBlock);
  EXPECT_EQ(store.run_length(kBlock + 1), kBlock);
  store.append(make(2 * kBlock + 1, 2));
  EXPECT_EQ(store.run_length(2 * kBlock + 1), 1u);
  store.truncate_suffix(100);  // two blocks back
  EXPECT_EQ(store.last_index(), 99u);
  fill(store, 400, 5, "x");
  EXPECT_EQ(store.at(99).data.to_string(), "e99");
  EXPECT_EQ(store.at(100).data.to_string(), "x100");
  EXPECT_EQ(store.term_at(400), 5u);
  EXPECT_EQ(store.run_length(100), kBlock - 99);
  store.truncate_suffix(1);
  EXPECT_TRUE(store.empty());
  EXPECT_EQ(store.first_index(), 1u);
  EXPECT_EQ(store.last_index(), 0u);
}

TEST(EntryStore, CompactDropsThePrefixAndKeepsLookupsRight) {
  EntryStore store;
  fill(store, 700);
  store.compact(0);  // below first: nothing
  EXPECT_EQ(store.first_index(), 1u);
  store.compact(300);
  EXPECT_EQ(store.first_index(), 301u);
  EXPECT_EQ(store.last_index(), 700u);
  EXPECT_EQ(store.size(), 400u);
  EXPECT_FALSE(store.contains(300));
  for (Index i = 301; i <= 700; ++i) ASSERT_EQ(store.at(i), make(i, 1));
  EXPECT_EQ(store.run_length(301), 2 * kBlock - 300);  // block boundaries unchanged
  EXPECT_EQ(contents(store.slice(301, 1000)), range(301, 2 * kBlock, 1));
  store.compact(200);  // below first again: nothing
  EXPECT_EQ(store.first_index(), 301u);
  fill(store, 900);
  EXPECT_EQ(store.at(900), make(900, 1));
}

TEST(EntryStore, CompactThenTruncateToFirstEmptiesButKeepsFirstIndex) {
  EntryStore store;
  fill(store, 300);
  store.compact(100);
  store.truncate_suffix(101);
  EXPECT_TRUE(store.empty());
  EXPECT_EQ(store.first_index(), 101u);
  EXPECT_EQ(store.last_index(), 100u);
  fill(store, 500, 2);
  EXPECT_EQ(contents(store), range(101, 500, 2));
  EXPECT_EQ(store.run_length(101), kBlock);  // a fresh block starts at the first index
}

TEST(EntryStore, CompactAtOrPastTheEndRestartsAtUptoPlusOne) {
  EntryStore at_end;
  fill(at_end, 300);
  at_end.compact(300);
  EXPECT_TRUE(at_end.empty());
  EXPECT_EQ(at_end.first_index(), 301u);
  EXPECT_EQ(at_end.last_index(), 300u);

  EntryStore past;
  fill(past, 300);
  past.compact(1000);
  EXPECT_TRUE(past.empty());
  EXPECT_EQ(past.first_index(), 1001u);
  EXPECT_EQ(past.last_index(), 1000u);
  EXPECT_FALSE(past.contains(300));
  fill(past, 1300, 7);
  EXPECT_EQ(past.first_index(), 1001u);
  EXPECT_EQ(contents(past), range(1001, 1300, 7));
  EXPECT_EQ(past.run_length(1001), kBlock);
  EXPECT_EQ(past.run_length(1001 + kBlock), 1300 - 1000 - kBlock);
}

TEST(EntryStore, CopyIsIndependentOfTheOriginal) {
  EntryStore original;
  fill(original, 600);
  original.compact(100);
  EntryStore copy(original);
  EXPECT_EQ(copy.first_index(), 101u);
  EXPECT_EQ(copy.last_index(), 600u);
  EXPECT_EQ(contents(copy), contents(original));
  EXPECT_NE(&copy.at(101), &original.at(101));

  original.truncate_suffix(200);
  fill(original, 250, 9, "changed");
  EXPECT_EQ(contents(copy), range(101, 600, 1));

  EntryStore assigned;
  fill(assigned, 3, 4);
  assigned = original;
  EXPECT_EQ(contents(assigned), contents(original));
  assigned.compact(240);
  EXPECT_EQ(original.first_index(), 101u);
  EXPECT_EQ(original.last_index(), 250u);
}

TEST(EntryStore, MoveTransfersEntriesAndLeavesAnEmptyUsableStore) {
  EntryStore source;
  fill(source, 400);
  source.compact(50);
  const LogEntry* slot = &source.at(60);
  EntryStore moved(std::move(source));
  EXPECT_EQ(moved.first_index(), 51u);
  EXPECT_EQ(moved.last_index(), 400u);
  EXPECT_EQ(&moved.at(60), slot);  // the blocks moved, not the entries
  EXPECT_EQ(contents(moved), range(51, 400, 1));
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): documented state
  source.append(make(source.last_index() + 1, 2));
  EXPECT_EQ(source.size(), 1u);

  EntryStore target;
  fill(target, 10);
  target = std::move(moved);
  EXPECT_EQ(contents(target), range(51, 400, 1));
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)
}

// A held slice and the entries it showed when it was taken.
struct HeldSlice {
  EntryBatch batch;
  std::vector<LogEntry> expected;
};

// EntryStore agrees with a vector model under random appends, truncations, compactions and slices,
// and no slice taken along the way ever changes.
RC_GTEST_PROP(EntryStoreModel, AgreesWithVectorModelAndSlicesNeverChange, ()) {
  auto store = std::make_unique<EntryStore>();
  Index first = 1;
  std::vector<LogEntry> model;  // entries first ...
  std::vector<HeldSlice> held;
  const int steps = *rc::gen::inRange(1, 50);
  for (int step = 0; step < steps; ++step) {
    const Index last = first + model.size() - 1;
    const int op = *rc::gen::inRange(0, 5);
    if (op == 0) {
      const auto k = *rc::gen::inRange<Index>(0, 400);
      const auto batch = range(last + 1, last + k, static_cast<Term>(step + 1), "s" + std::to_string(step) + ":");
      store->append(std::span<const LogEntry>(batch));
      model.insert(model.end(), batch.begin(), batch.end());
    } else if (op == 1) {
      const auto from = *rc::gen::inRange<Index>(first, last + 3);  // includes past-the-end no-ops
      store->truncate_suffix(from);
      model.resize(std::min(model.size(), static_cast<std::size_t>(from - first)));
    } else if (op == 2) {
      const auto upto = *rc::gen::inRange<Index>(first - 1, last + 30);
      store->compact(upto);
      if (upto >= last) {
        model.clear();
        first = upto + 1;
      } else if (upto >= first) {
        model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(upto + 1 - first));
        first = upto + 1;
      }
    } else if (op == 3 && !model.empty()) {
      const auto lo = *rc::gen::inRange<Index>(first, last + 1);
      const auto max_count = *rc::gen::inRange<std::size_t>(0, 400);
      const std::size_t run = store->run_length(lo);
      RC_ASSERT(run >= 1u);
      RC_ASSERT(run <= EntryStore::kBlockEntries);
      RC_ASSERT(lo + run - 1 <= last);
      // A run ends at the end of the log or where a full block begins.
      RC_ASSERT(lo + run > last || store->run_length(lo + run) == std::min<Index>(kBlock, last + 1 - (lo + run)));
      EntryBatch batch = store->slice(lo, max_count);
      RC_ASSERT(batch.size() == std::min(run, max_count));
      const auto offset = static_cast<std::ptrdiff_t>(lo - first);
      std::vector<LogEntry> expected(model.begin() + offset,
                                     model.begin() + offset + static_cast<std::ptrdiff_t>(batch.size()));
      RC_ASSERT(contents(batch) == expected);
      if (!batch.empty()) RC_ASSERT(batch.begin() == &store->at(lo));
      held.push_back(HeldSlice{std::move(batch), std::move(expected)});
    } else if (op == 4) {
      // Replace the store by a copy or a move of itself; the held slices must not care.
      if (*rc::gen::arbitrary<bool>()) {
        store = std::make_unique<EntryStore>(*store);
      } else {
        store = std::make_unique<EntryStore>(std::move(*store));
      }
    }
    RC_ASSERT(store->first_index() == first);
    RC_ASSERT(store->last_index() == first + model.size() - 1);
    RC_ASSERT(store->size() == model.size());
    RC_ASSERT(contents(*store) == model);
    for (const HeldSlice& h : held) RC_ASSERT(contents(h.batch) == h.expected);
  }
  store.reset();
  for (const HeldSlice& h : held) RC_ASSERT(contents(h.batch) == h.expected);
}

}  // namespace
}  // namespace raftio::detail
