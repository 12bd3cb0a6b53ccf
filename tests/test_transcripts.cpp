// Runs every transcript in tests/transcripts (docs/TESTING.md): each file is a scenario whose whole
// output is checked in, so any change of behaviour shows up as a diff. RAFTIO_REWRITE=1 writes the
// actual output back into the files instead of failing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "raftio/testing/transcript.h"

namespace {

// Paths relative to the source root: every tests/transcripts/*.txt, and the example in
// docs/TESTING.md (docs/examples/first_transcript.txt).
std::vector<std::string> transcript_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(RAFTIO_SOURCE_ROOT "/tests/transcripts")) {
    if (entry.path().extension() == ".txt") files.push_back("tests/transcripts/" + entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  files.push_back("docs/examples/first_transcript.txt");
  return files;
}

class Transcript : public ::testing::TestWithParam<std::string> {};

TEST_P(Transcript, MatchesItsExpectedOutput) {
  const std::string path = RAFTIO_SOURCE_ROOT "/" + GetParam();
  const auto result = raftio::testing::run_transcript_file(path, raftio::testing::rewrite_requested());
  EXPECT_TRUE(result.ok()) << result.report(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Files, Transcript, ::testing::ValuesIn(transcript_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.size() - 4);
                           name = name.substr(name.rfind('/') + 1);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
