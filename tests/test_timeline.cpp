// The HTML timeline writer: one self-contained page, escaped text, same bytes for the same input,
// bounded size however many events the simulation recorded, zoomable, with the sequence diagram of
// the messages before a violation, and no two labels overlapping. Writes a sample page for
// eyeballing.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "raftio/sim/simulation.h"
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

// A drawn label: its box, estimated as the writer does (11px font, 6.2 px per character).
struct Label {
  double x0, x1, y0, y1;
  std::string text;
};

std::optional<std::string> attribute(const std::string& tag, const std::string& name) {
  const std::regex pattern(" " + name + "=\"([^\"]*)\"");
  std::smatch match;
  if (!std::regex_search(tag, match, pattern)) return std::nullopt;
  return match[1].str();
}

// The visible <text> elements of the part of the page between `from` and `to`.
std::vector<Label> labels(const std::string& page, const std::string& from, const std::string& to) {
  const std::size_t begin = page.find(from);
  const std::size_t end = page.find(to, begin);
  std::vector<Label> out;
  if (begin == std::string::npos || end == std::string::npos) return out;
  const std::string part = page.substr(begin, end - begin);
  const std::regex text_element("<text([^>]*)>([^<]*)</text>");
  for (auto it = std::sregex_iterator(part.begin(), part.end(), text_element); it != std::sregex_iterator(); ++it) {
    const std::string tag = (*it)[1].str();
    const std::string text = (*it)[2].str();
    if (text.empty() || attribute(tag, "display") == std::optional<std::string>("none")) continue;
    const double x = std::stod(attribute(tag, "x").value_or("0"));
    const double y = std::stod(attribute(tag, "y").value_or("0"));
    std::size_t chars = 0;
    for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    const double w = static_cast<double>(chars) * 6.2;
    const std::string anchor = attribute(tag, "text-anchor").value_or("start");
    const double x0 = anchor == "end" ? x - w : anchor == "middle" ? x - w / 2 : x;
    out.push_back({x0, x0 + w, y - 10, y + 1, text});
  }
  return out;
}

void expect_no_overlap(const std::vector<Label>& drawn, const std::string& where) {
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    for (std::size_t j = i + 1; j < drawn.size(); ++j) {
      const Label& a = drawn[i];
      const Label& b = drawn[j];
      const bool overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
      EXPECT_FALSE(overlap) << where << ": \"" << a.text << "\" and \"" << b.text << "\"";
    }
  }
}

Timeline with_messages() {
  Timeline t = sample();
  // An election and replication just before a violation at 1.6 s, with a burst of messages within
  // a millisecond (labels that a proportional layout would pile up).
  t.focus = 1'600'000;
  t.focus_label = "violation: Election Safety";
  t.notes = {{3, 1'590'000, "candidate t5"}, {3, 1'591'000, "leader t5"}, {1, 1'595'000, "crash"}};
  for (NodeId to : {1, 2}) {
    t.messages.push_back({3, to, 1'590'000, 1'590'400, "RequestVote t5 last 200/4", "RequestVote 3->x t5"});
  }
  t.messages.push_back({1, 3, 1'590'400, 1'590'700, "vote granted t5", "RequestVoteReply 1->3 t5 granted"});
  for (std::uint64_t k = 0; k < 40; ++k) {
    const NodeId to = 1 + k % 2;
    t.messages.push_back({3, to, 1'591'000 + k * 10, 1'591'300 + k * 10,
                          "AppendEntries t5 prev " + std::to_string(200 + k) + "/4 +1 commit 200", "AppendEntries"});
    t.messages.push_back({to, 3, 1'591'300 + k * 10, 1'591'600 + k * 10, "ok t5 match " + std::to_string(201 + k), "reply"});
  }
  return t;
}

TEST(Timeline, SequenceDiagramShowsTheMessagesBeforeTheViolation) {
  const Timeline t = with_messages();
  const std::string page = render(t);
  EXPECT_TRUE(contains(page, "<svg id=\"seq\""));
  EXPECT_TRUE(contains(page, "Messages before the violation"));
  EXPECT_TRUE(contains(page, "violation: Election Safety"));
  std::size_t arrows = 0;
  for (std::size_t at = page.find("<g class=\"msg "); at != std::string::npos; at = page.find("<g class=\"msg ", at + 1)) ++arrows;
  EXPECT_EQ(arrows, t.messages.size()) << "one arrow per message";
  EXPECT_TRUE(contains(page, "data-from=\"3\" data-to=\"1\" data-sent=\"1590000\" data-received=\"1590400\""));
  EXPECT_TRUE(contains(page, "RequestVote t5 last 200/4"));
  EXPECT_TRUE(contains(page, "ok t5 match 240"));
  for (const char* note : {"candidate t5", "leader t5", ">crash<"}) EXPECT_TRUE(contains(page, note)) << note;
  EXPECT_TRUE(contains(page, "id=\"zseq\" data-a=\"1590\" data-b=\"1600\"")) << "the button zooming the timeline to these messages";
  expect_no_overlap(labels(page, "<svg id=\"seq\"", "</svg>"), "sequence diagram");
  EXPECT_EQ(page, render(t));
  const std::string path = ::testing::TempDir() + "raftio_timeline_sequence.html";
  std::ofstream(path) << page;
  std::cout << "sample with a sequence diagram: " << path << "\n";
}

TEST(Timeline, NoSequenceDiagramWithoutMessages) {
  const std::string page = render(sample());
  EXPECT_FALSE(contains(page, "<svg id=\"seq\""));
  EXPECT_FALSE(contains(page, "id=\"zseq\""));
}

TEST(Timeline, PageCanZoomIntoAWindow) {
  const std::string page = render(with_messages());
  for (const char* control : {"id=\"za\"", "id=\"zb\"", "id=\"zgo\"", "id=\"zout\"", "id=\"zall\"", "id=\"zsel\"", "id=\"ticks\""}) {
    EXPECT_TRUE(contains(page, control)) << control;
  }
  // Every shape of the plot is in a group the script stretches; labels are outside them.
  std::size_t groups = 0;
  for (std::size_t at = page.find("<g class=\"zx\">"); at != std::string::npos; at = page.find("<g class=\"zx\">", at + 1)) {
    ++groups;
    const std::size_t close = page.find("</g>", at);
    EXPECT_EQ(page.substr(at, close - at).find("<text"), std::string::npos) << "text inside a stretched group";
  }
  EXPECT_EQ(groups, 1 + 3u) << "the network lane and one per node";
  EXPECT_TRUE(contains(page, "class=\"tl zt\"")) << "leader terms move with the zoom";
  EXPECT_TRUE(contains(page, "class=\"zf\"")) << "fault labels are re-fitted";
  EXPECT_TRUE(contains(page, "<g class=\"zm\"")) << "markers move";
}

TEST(Timeline, CrowdedMarkersAndFaultsNeverOverlapTheirLabels) {
  Timeline t;
  t.title = "crowded";
  t.nodes = {1, 2, 3};
  t.end_time = 10'000'000;
  for (std::uint64_t k = 0; k < 30; ++k) t.markers.push_back({4'000'000 + k * 20'000, "membership: add voter " + std::to_string(k)});
  t.markers.push_back({9'990'000, "violation: Linearizability at the right edge"});
  for (std::uint64_t k = 0; k < 25; ++k) {
    t.faults.push_back({1'000'000 + k * 50'000, 1'400'000 + k * 90'000, "partition {1} | {2,3} number " + std::to_string(k)});
  }
  const std::string page = render(t);
  const std::vector<Label> markers = labels(page, "<g class=\"zm\"", "<line id=\"cur\"");
  EXPECT_GE(markers.size(), 4u) << "rows fill before labels are hidden";
  EXPECT_LT(markers.size(), 31u) << "some labels must be hidden: 31 cannot fit";
  expect_no_overlap(markers, "markers");
  const std::vector<Label> faults = labels(page, "<text class=\"zf\"", "<g transform");
  EXPECT_GE(faults.size(), 1u);
  expect_no_overlap(faults, "fault labels");
  for (const Label& label : markers) EXPECT_LE(label.x1, 1210.0 + 0.5) << label.text << " runs off the page";
}

TEST(Timeline, AViolatingRunRecordsItsLastMessages) {
  // Far too short for liveness: the run ends before every client is answered, so the end-of-run
  // check reports a violation; the sequence diagram freezes there.
  SimOptions o;
  o.seed = 1;
  o.ticks = 100;
  o.timeline = true;
  std::optional<SimReport> failing;
  Timeline timeline;
  for (std::uint64_t seed = 1; seed <= 20 && !failing; ++seed) {
    o.seed = seed;
    Simulation simulation(o);
    SimReport report = simulation.run();
    if (!report.ok()) {
      failing = report;
      timeline = simulation.timeline();
    }
  }
  ASSERT_TRUE(failing) << "no seed of a 100-tick run failed its end-of-run checks";
  ASSERT_TRUE(timeline.focus.has_value());
  EXPECT_EQ(timeline.focus_label, "violation: " + failing->violations.front().property);
  ASSERT_FALSE(timeline.messages.empty());
  EXPECT_LE(timeline.messages.size(), 90u);
  for (const auto& m : timeline.messages) {
    EXPECT_LE(m.sent, m.received);
    EXPECT_LE(m.received, *timeline.focus);
    EXPECT_NE(m.from, m.to);
    EXPECT_FALSE(m.label.empty());
  }
  const std::string page = render(timeline);
  EXPECT_TRUE(contains(page, "Messages before the violation"));
  EXPECT_TRUE(contains(page, timeline.messages.back().label));
  expect_no_overlap(labels(page, "<svg id=\"seq\"", "</svg>"), "sequence diagram of a run");
}

}  // namespace
}  // namespace raftio::sim
