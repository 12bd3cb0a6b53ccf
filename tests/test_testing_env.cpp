// raftio-testing's Environment through its C++ API, and the transcript runner's own rules.
#include <gtest/gtest.h>

#include "raftio/testing/environment.h"
#include "raftio/testing/transcript.h"

namespace raftio::testing {
namespace {

TEST(TranscriptRunner, ReportsAMismatchAndRewritesIt) {
  const auto result = run_transcript("add-nodes 1\n----\nwrong\n");
  ASSERT_EQ(result.mismatches.size(), 1u);
  EXPECT_EQ(result.mismatches[0].line, 1u);
  EXPECT_EQ(result.rewritten, "add-nodes 1\n----\nadded 1 voters=[1]\n");
  EXPECT_TRUE(run_transcript(result.rewritten).ok());
}

TEST(TranscriptRunner, KeepsCommentsAndRefusesACommandWithoutSeparator) {
  const std::string text = "# a comment\n\nadd-nodes 1\n----\nadded 1 voters=[1]\n";
  const auto result = run_transcript(text);
  EXPECT_TRUE(result.ok()) << result.report("inline");
  EXPECT_EQ(result.rewritten, text);
  EXPECT_FALSE(run_transcript("add-nodes 1\nstatus\n").error.empty());
}

TEST(TranscriptRunner, UnknownCommandsAndOptionsAreErrors) {
  Environment env;
  EXPECT_EQ(env.execute("frobnicate 1"), "error: unknown command 'frobnicate'\n");
  EXPECT_EQ(env.execute("add-nodes 1 colour=red"), "added 1 voters=[1]\nerror: add-nodes: unknown option 'colour'\n");
}

TEST(Environment, ElectsAndReplicatesThroughTheApi) {
  Environment env;
  env.add_nodes(3);
  env.campaign(1);
  env.stabilize();
  ASSERT_NE(env.node(1), nullptr);
  EXPECT_TRUE(env.node(1)->is_leader());
  env.propose(1, "x");
  env.stabilize();
  env.tick(1);  // the heartbeat carries the new commit index to the followers
  env.stabilize();
  for (NodeId id : env.ids()) {
    ASSERT_EQ(env.state_machine(id).size(), 1u) << "node " << id;
    EXPECT_EQ(env.state_machine(id)[0].second, "x");
  }
}

}  // namespace
}  // namespace raftio::testing
