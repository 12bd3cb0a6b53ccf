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

TEST(DocsQuotes, RuntimeMdQuotesTheDriverExampleVerbatim) {
  const std::string root = RAFTIO_SOURCE_ROOT;
  const std::string doc = read_file(root + "/docs/RUNTIME.md");
  const std::string example = read_file(root + "/docs/examples/runtime_driver.cpp");
  ASSERT_FALSE(example.empty());
  EXPECT_NE(doc.find("```cpp\n" + example + "```"), std::string::npos)
      << "docs/RUNTIME.md does not quote docs/examples/runtime_driver.cpp verbatim in a ```cpp block";
}

}  // namespace
