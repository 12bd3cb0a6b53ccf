// RaftConfig: the three tiers (single, builder, raw struct + validate) and one test per validation
// rule. Every rule is checked three ways: Builder::build() returns a ConfigError naming the field,
// RaftConfig::validate() on the raw struct returns the same error, and RaftNode refuses the raw
// struct with std::invalid_argument whose what() names the field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "raftio/raftio.h"

namespace raftio {
namespace {

using ::testing::HasSubstr;

// A valid three-voter config for node 1, built by hand (tier 3 style) so that each test can break
// exactly one field of it.
RaftConfig valid_raw_config() {
  RaftConfig config;
  config.id = 1;
  config.membership.voters = {1, 2, 3};
  return config;
}

// Asserts that a raw config is rejected, everywhere, for `field`.
void expect_raw_rejected(const RaftConfig& config, const std::string& field) {
  const std::optional<ConfigError> error = config.validate();
  ASSERT_TRUE(error.has_value()) << "validate() accepted a config with a bad " << field;
  EXPECT_EQ(error->field, field) << error->describe();
  EXPECT_FALSE(error->message.empty());
  EXPECT_THAT(error->describe(), HasSubstr(field));
  EXPECT_THAT(error->describe(), HasSubstr(error->message));

  try {
    RaftNode node(config);
    ADD_FAILURE() << "RaftNode accepted a config with a bad " << field;
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr(field));
    EXPECT_EQ(std::string(e.what()), error->describe());
  }
}

// Asserts that the builder refuses to build, for `field`, and returns the error validate() gives.
void expect_built_rejected(const RaftConfig::Builder& builder, const std::string& field) {
  const auto built = builder.build();
  ASSERT_FALSE(built.ok()) << "build() accepted a config with a bad " << field;
  EXPECT_FALSE(static_cast<bool>(built));
  EXPECT_EQ(built.error().field, field) << built.error().describe();
  EXPECT_FALSE(built.error().message.empty());
  EXPECT_THAT(built.error().describe(), HasSubstr(field));
}

// ---------------------------------------------------------------------------------------------
// Tier 1: RaftConfig::single

TEST(RaftConfigSingle, IsValidOneVoterClusterOfItself) {
  const RaftConfig config = RaftConfig::single(7);
  EXPECT_FALSE(config.validate().has_value());
  EXPECT_EQ(config.id, 7u);
  EXPECT_EQ(config.membership.voters, std::vector<NodeId>{7});
  EXPECT_TRUE(config.membership.learners.empty());
  EXPECT_EQ(config.membership.quorum(), 1u);
}

TEST(RaftConfigSingle, HasTheDocumentedDefaults) {
  const RaftConfig config = RaftConfig::single(3);
  EXPECT_EQ(config.election_ticks, 10u);
  EXPECT_EQ(config.heartbeat_ticks, 1u);
  EXPECT_TRUE(config.pre_vote);
  EXPECT_TRUE(config.check_quorum);
  EXPECT_EQ(config.max_entries_per_msg, 64u);
  EXPECT_EQ(config.max_bytes_per_msg, std::uint64_t{1} << 20);
  EXPECT_EQ(config.max_inflight_msgs, 256u);
  EXPECT_EQ(config.applied, 0u);
}

TEST(RaftConfigSingle, OfNodeZeroIsRejectedForId) {
  expect_raw_rejected(RaftConfig::single(kNoNode), "id");
}

TEST(RaftConfigSingle, ConstructsARaftNode) {
  RaftNode node(RaftConfig::single(5));
  EXPECT_EQ(node.id(), 5u);
  EXPECT_EQ(node.role(), Role::Follower);
  EXPECT_EQ(node.membership().voters, std::vector<NodeId>{5});
  EXPECT_EQ(node.config().election_ticks, 10u);
}

// ---------------------------------------------------------------------------------------------
// Tier 2: the builder

TEST(RaftConfigBuilder, DefaultsToSingleVoterOfItself) {
  const auto built = RaftConfig::builder(4).build();
  ASSERT_TRUE(built.ok()) << built.error().describe();
  EXPECT_EQ(built->id, 4u);
  EXPECT_EQ(built->membership.voters, std::vector<NodeId>{4});
  EXPECT_TRUE(built->membership.learners.empty());
  EXPECT_EQ(built->election_ticks, 10u);
  EXPECT_EQ(built->heartbeat_ticks, 1u);
}

TEST(RaftConfigBuilder, SortsVotersAndLearners) {
  const auto built = RaftConfig::builder(3).voters({5, 3, 1}).learners({9, 2, 7}).build();
  ASSERT_TRUE(built.ok()) << built.error().describe();
  EXPECT_EQ(built->membership.voters, (std::vector<NodeId>{1, 3, 5}));
  EXPECT_EQ(built->membership.learners, (std::vector<NodeId>{2, 7, 9}));
  EXPECT_FALSE(built->validate().has_value());
}

TEST(RaftConfigBuilder, AcceptsVectorArguments) {
  const std::vector<NodeId> voters = {30, 10, 20};
  const std::vector<NodeId> learners = {50, 40};
  const auto built = RaftConfig::builder(10).voters(voters).learners(learners).build();
  ASSERT_TRUE(built.ok()) << built.error().describe();
  EXPECT_EQ(built->membership.voters, (std::vector<NodeId>{10, 20, 30}));
  EXPECT_EQ(built->membership.learners, (std::vector<NodeId>{40, 50}));
}

TEST(RaftConfigBuilder, CarriesEverySetting) {
  const auto built = RaftConfig::builder(2)
                         .voters({1, 2, 3})
                         .election_ticks(20)
                         .heartbeat_ticks(3)
                         .pre_vote(false)
                         .check_quorum(false)
                         .max_entries_per_msg(7)
                         .max_bytes_per_msg(4096)
                         .max_inflight_msgs(5)
                         .seed(99)
                         .applied(12)
                         .build();
  ASSERT_TRUE(built.ok()) << built.error().describe();
  const RaftConfig& c = *built;
  EXPECT_EQ(c.id, 2u);
  EXPECT_EQ(c.election_ticks, 20u);
  EXPECT_EQ(c.heartbeat_ticks, 3u);
  EXPECT_FALSE(c.pre_vote);
  EXPECT_FALSE(c.check_quorum);
  EXPECT_EQ(c.max_entries_per_msg, 7u);
  EXPECT_EQ(c.max_bytes_per_msg, 4096u);
  EXPECT_EQ(c.max_inflight_msgs, 5u);
  EXPECT_EQ(c.seed, 99u);
  EXPECT_EQ(c.applied, 12u);
}

TEST(RaftConfigBuilder, LaterVotersCallReplacesEarlierOne) {
  const auto built = RaftConfig::builder(1).voters({1, 2}).voters({1, 3, 4}).build();
  ASSERT_TRUE(built.ok()) << built.error().describe();
  EXPECT_EQ(built->membership.voters, (std::vector<NodeId>{1, 3, 4}));
}

TEST(RaftConfigBuilder, SelfAsLearnerIsValidAndConstructsANode) {
  const auto built = RaftConfig::builder(4).voters({1, 2, 3}).learners({4}).build();
  ASSERT_TRUE(built.ok()) << built.error().describe();
  EXPECT_TRUE(built->membership.is_learner(4));
  EXPECT_FALSE(built->membership.is_voter(4));
  RaftNode node(*built);
  EXPECT_EQ(node.id(), 4u);
}

TEST(RaftConfigBuilder, HeartbeatJustBelowElectionIsValid) {
  const auto built = RaftConfig::builder(1).election_ticks(2).heartbeat_ticks(1).build();
  EXPECT_TRUE(built.ok());
}

TEST(RaftConfigBuilder, ValidConfigConstructsARaftNodeWithThatMembership) {
  const auto built = RaftConfig::builder(2).voters({3, 2, 1}).learners({5}).build();
  ASSERT_TRUE(built.ok()) << built.error().describe();
  RaftNode node(*built);
  EXPECT_EQ(node.membership().voters, (std::vector<NodeId>{1, 2, 3}));
  EXPECT_EQ(node.membership().learners, std::vector<NodeId>{5});
}

TEST(ConfigError, DescribeNamesFieldAndMessage) {
  const ConfigError error{"heartbeat_ticks", "must be at least 1"};
  EXPECT_EQ(error.describe(), "invalid raftio config: heartbeat_ticks: must be at least 1");
}

// ---------------------------------------------------------------------------------------------
// One test per validation rule.

TEST(RaftConfigRule, IdZeroIsRejectedForId) {
  expect_built_rejected(RaftConfig::builder(kNoNode).voters({1, 2, 3}), "id");
  RaftConfig config = valid_raw_config();
  config.id = kNoNode;
  expect_raw_rejected(config, "id");
}

TEST(RaftConfigRule, NodeIdZeroAmongVotersIsRejectedForVoters) {
  expect_built_rejected(RaftConfig::builder(1).voters({1, 0, 2}), "voters");
  RaftConfig config = valid_raw_config();
  config.membership.voters = {0, 1, 2};
  expect_raw_rejected(config, "voters");
}

TEST(RaftConfigRule, NodeIdZeroAmongLearnersIsRejectedForLearners) {
  expect_built_rejected(RaftConfig::builder(1).voters({1, 2}).learners({0, 5}), "learners");
  RaftConfig config = valid_raw_config();
  config.membership.learners = {0, 5};
  expect_raw_rejected(config, "learners");
}

TEST(RaftConfigRule, SelfNeitherVoterNorLearnerIsRejectedForVoters) {
  expect_built_rejected(RaftConfig::builder(4).voters({1, 2, 3}), "voters");
  expect_built_rejected(RaftConfig::builder(4).voters({1, 2, 3}).learners({5}), "voters");
  RaftConfig config = valid_raw_config();
  config.id = 9;
  expect_raw_rejected(config, "voters");
}

TEST(RaftConfigRule, DuplicateVotersAreRejectedNotMerged) {
  expect_built_rejected(RaftConfig::builder(1).voters({1, 2, 2, 3}), "voters");
  expect_built_rejected(RaftConfig::builder(1).voters({3, 1, 3}), "voters");  // adjacent only after sort
  RaftConfig config = valid_raw_config();
  config.membership.voters = {1, 2, 2, 3};
  expect_raw_rejected(config, "voters");
}

TEST(RaftConfigRule, DuplicateLearnersAreRejectedForLearners) {
  expect_built_rejected(RaftConfig::builder(1).voters({1}).learners({4, 5, 4}), "learners");
}

TEST(RaftConfigRule, UnsortedRawVotersAreRejectedForVoters) {
  RaftConfig config = valid_raw_config();
  config.membership.voters = {3, 1, 2};
  expect_raw_rejected(config, "voters");
}

TEST(RaftConfigRule, LearnerThatIsAlsoVoterIsRejectedForLearners) {
  expect_built_rejected(RaftConfig::builder(1).voters({1, 2, 3}).learners({2}), "learners");
  expect_built_rejected(RaftConfig::builder(1).voters({1, 2, 3}).learners({1}), "learners");
  RaftConfig config = valid_raw_config();
  config.membership.learners = {3, 4};
  expect_raw_rejected(config, "learners");
}

TEST(RaftConfigRule, NoVotersIsRejectedForVoters) {
  expect_built_rejected(RaftConfig::builder(1).voters(std::vector<NodeId>{}), "voters");
  // Even when the node itself is a learner, a cluster without voters can never elect anyone.
  expect_built_rejected(RaftConfig::builder(1).voters(std::vector<NodeId>{}).learners({1}), "voters");
  RaftConfig config = valid_raw_config();
  config.membership.voters.clear();
  config.membership.learners = {1};
  expect_raw_rejected(config, "voters");
}

TEST(RaftConfigRule, ElectionTicksBelowTwoIsRejectedForElectionTicks) {
  expect_built_rejected(RaftConfig::builder(1).election_ticks(1).heartbeat_ticks(1), "election_ticks");
  expect_built_rejected(RaftConfig::builder(1).election_ticks(0), "election_ticks");
  RaftConfig config = valid_raw_config();
  config.election_ticks = 1;
  expect_raw_rejected(config, "election_ticks");
}

TEST(RaftConfigRule, HeartbeatTicksZeroIsRejectedForHeartbeatTicks) {
  expect_built_rejected(RaftConfig::builder(1).heartbeat_ticks(0), "heartbeat_ticks");
  RaftConfig config = valid_raw_config();
  config.heartbeat_ticks = 0;
  expect_raw_rejected(config, "heartbeat_ticks");
}

TEST(RaftConfigRule, HeartbeatNotShorterThanElectionIsRejectedForHeartbeatTicks) {
  expect_built_rejected(RaftConfig::builder(1).election_ticks(5).heartbeat_ticks(5), "heartbeat_ticks");
  expect_built_rejected(RaftConfig::builder(1).election_ticks(5).heartbeat_ticks(6), "heartbeat_ticks");
  RaftConfig config = valid_raw_config();
  config.election_ticks = 4;
  config.heartbeat_ticks = 4;
  expect_raw_rejected(config, "heartbeat_ticks");
  // The message carries the offending values.
  EXPECT_THAT(config.validate()->message, HasSubstr("4 >= 4"));
}

TEST(RaftConfigRule, MaxEntriesPerMsgZeroIsRejectedForMaxEntriesPerMsg) {
  expect_built_rejected(RaftConfig::builder(1).max_entries_per_msg(0), "max_entries_per_msg");
  RaftConfig config = valid_raw_config();
  config.max_entries_per_msg = 0;
  expect_raw_rejected(config, "max_entries_per_msg");
}

TEST(RaftConfigRule, MaxBytesPerMsgZeroIsRejectedForMaxBytesPerMsg) {
  expect_built_rejected(RaftConfig::builder(1).max_bytes_per_msg(0), "max_bytes_per_msg");
  RaftConfig config = valid_raw_config();
  config.max_bytes_per_msg = 0;
  expect_raw_rejected(config, "max_bytes_per_msg");
}

TEST(RaftConfigRule, MaxInflightMsgsZeroIsRejectedForMaxInflightMsgs) {
  expect_built_rejected(RaftConfig::builder(1).max_inflight_msgs(0), "max_inflight_msgs");
  RaftConfig config = valid_raw_config();
  config.max_inflight_msgs = 0;
  expect_raw_rejected(config, "max_inflight_msgs");
}

TEST(RaftConfigRule, FirstBrokenRuleIsReported) {
  // id 0 is checked before everything else; heartbeat before the message limits.
  RaftConfig config = valid_raw_config();
  config.id = kNoNode;
  config.heartbeat_ticks = 0;
  config.max_inflight_msgs = 0;
  ASSERT_TRUE(config.validate().has_value());
  EXPECT_EQ(config.validate()->field, "id");
  config.id = 1;
  EXPECT_EQ(config.validate()->field, "heartbeat_ticks");
  config.heartbeat_ticks = 1;
  EXPECT_EQ(config.validate()->field, "max_inflight_msgs");
  config.max_inflight_msgs = 1;
  EXPECT_FALSE(config.validate().has_value());
}

TEST(RaftConfigRule, NullLogIsRejectedByRaftNode) {
  EXPECT_THROW(RaftNode(RaftConfig::single(1), nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace raftio
