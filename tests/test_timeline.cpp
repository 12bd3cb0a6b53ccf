// The HTML timeline writer: one self-contained page, escaped text, same bytes for the same input,
// bounded size however many events the simulation recorded. Writes a sample page for eyeballing.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "raftio/sim/timeline.h"

namespace raftio::sim {
namespace {

std::string render(const Timeline& timeline) {
  std::ostringstream out;
  write_html_timeline(out, timeline);
  return out.str();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A small but complete run: every role, churn, both outage kinds, overlapping faults, commits and
// markers, one with characters that must be escaped.
Timeline sample() {
  Timeline t;
  t.title = "raftio-sim seed 42, 3 nodes, faults=all <test>";
  t.nodes = {1, 2, 3};
  t.end_time = 2'000'000;  // 2 s
  using R = Role;
  t.roles = {
      {1, R::Follower, 1, 0, 150'000},           {1, R::PreCandidate, 1, 150'000, 160'000},
      {1, R::Candidate, 2, 160'000, 175'000},    {1, R::Leader, 2, 175'000, 900'000},
      {1, R::Follower, 3, 900'000, 2'000'000},   {2, R::Follower, 1, 0, 880'000},
      {2, R::Candidate, 3, 880'000, 900'000},    {2, R::Leader, 3, 900'000, 1'400'000},
      {2, R::Follower, 4, 1'400'000, 2'000'000}, {3, R::Follower, 1, 0, 1'300'000},
      {3, R::Leader, 4, 1'450'000, 2'000'000},
  };
  // Election churn: many spans narrower than a pixel on node 3.
  for (std::uint64_t k = 0; k < 150; ++k) {
    t.roles.push_back(
        {3, k % 2 ? R::Candidate : R::PreCandidate, 4, 1'300'000 + k * 1000, 1'300'000 + k * 1000 + 1000});
  }
  t.outages = {{1, 950'000, 1'200'000, "crash"}, {3, 400'000, 600'000, "pause"}};
  t.faults = {{850'000, 1'250'000, "partition {1} | {2,3}"}, {1'000'000, 1'100'000, "loss 30%"}};
  for (std::uint64_t k = 1; k <= 200; ++k) {
    for (NodeId n = 1; n <= 3; ++n) t.commits.push_back({n, 180'000 + k * 9000 + n * 500, k});
  }
  t.markers = {{1'500'000, "faults stop"}, {1'600'000, "violation: <b>&\"'"}};
  return t;
}

TEST(Timeline, SamplePageIsSelfContainedAndEscaped) {
  const Timeline timeline = sample();
  const std::string page = render(timeline);

  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_TRUE(contains(page, "<svg"));
  EXPECT_TRUE(contains(page, "</html>"));
  for (const char* lane : {"node 1", "node 2", "node 3", "network"}) EXPECT_TRUE(contains(page, lane)) << lane;
  for (const char* role : {"follower, term", "pre-candidate, term", "candidate, term", "leader, term 2"}) {
    EXPECT_TRUE(contains(page, role)) << role;
  }
  EXPECT_TRUE(contains(page, "crash")) << "outage tooltip";
  EXPECT_TRUE(contains(page, "partition {1} | {2,3}"));
  EXPECT_TRUE(contains(page, "commit index 200"));
  EXPECT_TRUE(contains(page, "faults stop"));

  EXPECT_TRUE(contains(page, "violation: &lt;b&gt;&amp;&quot;&#39;"));
  EXPECT_FALSE(contains(page, "<b>&\"'"));
  EXPECT_TRUE(contains(page, "faults=all &lt;test&gt;"));
  EXPECT_FALSE(contains(page, "<test>"));

  for (const char* external : {"http://", "https://", "src=", "@import", "url(//"}) {
    EXPECT_FALSE(contains(page, external)) << external;
  }

  EXPECT_EQ(page, render(timeline));

  const std::string path = ::testing::TempDir() + "raftio_timeline_sample.html";
  std::ofstream(path) << page;
  std::cout << "sample timeline (" << page.size() << " bytes): " << path << "\n";
}

TEST(Timeline, EmptyTimelineStillRenders) {
  const std::string page = render(Timeline{});
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_TRUE(contains(page, "<svg"));
  EXPECT_TRUE(contains(page, "</html>"));
  EXPECT_FALSE(contains(page, "nan")) << "a zero end time must not divide by zero";
  EXPECT_FALSE(contains(page, "inf"));

  Timeline nodes_only;
  nodes_only.nodes = {7};
  const std::string lane = render(nodes_only);
  EXPECT_TRUE(contains(lane, "node 7"));
  EXPECT_FALSE(contains(lane, "nan"));
}

TEST(Timeline, ThinsCommitsAndMergesChurnToBoundTheSize) {
  Timeline t;
  t.title = "large";
  t.nodes = {1, 2, 3, 4, 5};
  t.end_time = 20'000'000;  // a 20 s run
  for (std::uint64_t k = 0; k < 100'000; ++k) {
    const NodeId node = k % 5 + 1;
    t.commits.push_back({node, k * 200, k / 5 + 1});
  }
  // Thousands of short role spans per node, as a long run of election churn would produce.
  for (NodeId node = 1; node <= 5; ++node) {
    for (std::uint64_t k = 0; k < 4000; ++k) {
      const std::uint64_t start = k * 5000;
      t.roles.push_back({node, static_cast<Role>((k + node) % 4), k / 4 + 1, start, start + 5000});
    }
  }
  const std::string page = render(t);
  std::cout << "20 s, 5 nodes, 100000 commits, 20000 role spans: " << page.size() << " bytes\n";
  EXPECT_LT(page.size(), 2'000'000U);
  EXPECT_TRUE(contains(page, "commit index 20000")) << "the last point is kept";
  EXPECT_TRUE(contains(page, "commit index 1 ")) << "the first point is kept";
}

}  // namespace
}  // namespace raftio::sim
