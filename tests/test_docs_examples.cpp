// docs/API.md must quote every example in docs/examples/ verbatim (the examples themselves are
// compiled and run as tests by docs/meson.build). An edit to one without the other fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class DocsExample : public ::testing::TestWithParam<const char*> {};

TEST_P(DocsExample, ApiMdQuotesTheExampleVerbatim) {
  const std::string root = RAFTIO_SOURCE_ROOT;
  const std::string api = read_file(root + "/docs/API.md");
  const std::string example = read_file(root + "/docs/examples/" + GetParam() + ".cpp");
  ASSERT_FALSE(api.empty()) << "docs/API.md not found under " << root;
  ASSERT_FALSE(example.empty()) << "example not found: " << GetParam();
  EXPECT_NE(api.find("```cpp\n" + example + "```"), std::string::npos)
      << "docs/API.md does not contain docs/examples/" << GetParam() << ".cpp verbatim in a ```cpp block";
}

INSTANTIATE_TEST_SUITE_P(Tiers, DocsExample,
                         ::testing::Values("tier1_single_node", "tier2_three_nodes", "tier3_custom_seams",
                                           "async_storage", "wal_repair"));

TEST(DocsQuotes, SimulationMdQuotesTheHandWrittenHistoryVerbatim) {
  const std::string root = RAFTIO_SOURCE_ROOT;
  const std::string doc = read_file(root + "/docs/SIMULATION.md");
  const std::string history = read_file(root + "/docs/examples/history_stale_read.jsonl");
  ASSERT_FALSE(history.empty());
  EXPECT_NE(doc.find("```json\n" + history + "```"), std::string::npos)
      << "docs/SIMULATION.md does not quote docs/examples/history_stale_read.jsonl verbatim in a ```json block";
}

TEST(DocsQuotes, SimulationMdQuotesTheModelExampleVerbatim) {
  const std::string root = RAFTIO_SOURCE_ROOT;
  const std::string doc = read_file(root + "/docs/SIMULATION.md");
  const std::string example = read_file(root + "/docs/examples/fenced_register_model.cpp");
  ASSERT_FALSE(example.empty());
  EXPECT_NE(doc.find("```cpp\n" + example + "```"), std::string::npos)
      << "docs/SIMULATION.md does not quote docs/examples/fenced_register_model.cpp verbatim in a ```cpp block";
}

// docs/SIMULATION.md ("Simulating your own system") quotes the bank and its sweep.
TEST(DocsQuotes, SimulationMdQuotesTheSystemExampleVerbatim) {
  const std::string root = RAFTIO_SOURCE_ROOT;
  const std::string doc = read_file(root + "/docs/SIMULATION.md");
  for (const char* name : {"bank.h", "bank_system.cpp"}) {
    const std::string example = read_file(root + "/docs/examples/" + name);
    ASSERT_FALSE(example.empty()) << name;
    EXPECT_NE(doc.find("```cpp\n" + example + "```"), std::string::npos)
        << "docs/SIMULATION.md does not quote docs/examples/" << name << " verbatim in a ```cpp block";
  }
}

// docs/TESTING.md quotes raftio-testing's C++ example and the example transcript (which
// test_transcripts runs).
TEST(TestingMd, QuotesItsExamplesVerbatim) {
  const std::string root = RAFTIO_SOURCE_ROOT;
  const std::string testing_md = read_file(root + "/docs/TESTING.md");
  ASSERT_FALSE(testing_md.empty()) << "docs/TESTING.md not found under " << root;
  const std::string example = read_file(root + "/docs/examples/testing_environment.cpp");
  const std::string transcript = read_file(root + "/docs/examples/first_transcript.txt");
  ASSERT_FALSE(example.empty());
  ASSERT_FALSE(transcript.empty());
  EXPECT_NE(testing_md.find("```cpp\n" + example + "```"), std::string::npos)
      << "docs/TESTING.md does not quote docs/examples/testing_environment.cpp verbatim";
  EXPECT_NE(testing_md.find("```text\n" + transcript + "```"), std::string::npos)
      << "docs/TESTING.md does not quote docs/examples/first_transcript.txt verbatim";
}

TEST(DocsQuotes, RuntimeMdQuotesTheDriverExampleVerbatim) {
  const std::string root = RAFTIO_SOURCE_ROOT;
  const std::string doc = read_file(root + "/docs/RUNTIME.md");
  for (const char* name : {"runtime_driver.cpp", "runtime_cluster.cpp", "runtime_node.cpp"}) {
    const std::string example = read_file(root + "/docs/examples/" + name);
    ASSERT_FALSE(example.empty()) << name;
    EXPECT_NE(doc.find("```cpp\n" + example + "```"), std::string::npos)
        << "docs/RUNTIME.md does not quote docs/examples/" << name << " verbatim in a ```cpp block";
  }
}

}  // namespace
