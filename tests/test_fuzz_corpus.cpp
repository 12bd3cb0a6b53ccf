// The checked-in seed corpora (fuzz/corpus/<target>/) are exactly what make-corpus generates from
// the golden messages, so a format change cannot leave the fuzzers starting from stale seeds.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "fuzz/corpus_seeds.h"

namespace {

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(FuzzCorpus, CheckedInSeedsMatchTheGoldenMessages) {
  const auto seeds = raftio::fuzz::corpus_seeds();
  ASSERT_EQ(seeds.size(), 3 * raftio::test::golden_messages().size() + 3 + 5) << "a seed per golden message for three targets, three more, five WAL logs";
  for (const auto& seed : seeds) {
    const std::string path = std::string(RAFTIO_SOURCE_ROOT) + "/fuzz/corpus/" + seed.target + "/" + seed.name;
    EXPECT_EQ(read_bytes(path), seed.bytes) << path << " is stale or missing: run make-corpus fuzz/corpus";
  }
}

TEST(FuzzCorpus, EveryTargetHasSeeds) {
  for (const char* target : {"decode", "frame_decoder", "roundtrip", "step", "wal"}) {
    bool found = false;
    for (const auto& seed : raftio::fuzz::corpus_seeds()) found = found || seed.target == target;
    EXPECT_TRUE(found) << target;
  }
}

}  // namespace
