// The simulator's key-value store: its command codec, and client sessions making retried
// commands apply once.
#include <gtest/gtest.h>

#include "raftio/sim/kv_store.h"

namespace raftio::sim {
namespace {

KvCommand command(std::uint64_t client, std::uint64_t seq, KvOpKind kind, std::string key, std::string value = "",
                  std::string expected = "") {
  return KvCommand{client, seq, kind, std::move(key), std::move(value), std::move(expected)};
}

std::optional<KvResult> apply(KvStore& store, const KvCommand& c) {
  const Payload payload = encode_command(c);
  const auto view = decode_command(payload);
  EXPECT_TRUE(view.has_value());
  return store.apply(*view);
}

TEST(KvStore, CommandsRoundTripThroughTheirEncoding) {
  const KvCommand original = command(7, 42, KvOpKind::Cas, "key", "new value", "old value");
  const Payload payload = encode_command(original);
  const auto decoded = decode_command(payload);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->client, 7u);
  EXPECT_EQ(decoded->seq, 42u);
  EXPECT_EQ(decoded->kind, KvOpKind::Cas);
  EXPECT_EQ(decoded->key, "key");
  EXPECT_EQ(decoded->value, "new value");
  EXPECT_EQ(decoded->expected, "old value");
}

TEST(KvStore, GarbageIsNotACommand) {
  EXPECT_FALSE(decode_command(Payload::copy_of("not a command")).has_value());
  EXPECT_FALSE(decode_command(Payload()).has_value());
  const Payload valid = encode_command(command(1, 1, KvOpKind::Put, "k", "v"));
  EXPECT_FALSE(decode_command(Payload::copy_of(valid.data(), valid.size() - 1)).has_value()) << "truncated";
}

TEST(KvStore, PutGetAndCompareAndSet) {
  KvStore store;
  EXPECT_EQ(apply(store, command(1, 1, KvOpKind::Get, "k"))->read_value, std::nullopt);
  apply(store, command(1, 2, KvOpKind::Put, "k", "a"));
  EXPECT_EQ(apply(store, command(1, 3, KvOpKind::Get, "k"))->read_value, std::optional<std::string>("a"));
  EXPECT_FALSE(apply(store, command(1, 4, KvOpKind::Cas, "k", "b", "z"))->cas_succeeded);
  EXPECT_TRUE(apply(store, command(1, 5, KvOpKind::Cas, "k", "b", "a"))->cas_succeeded);
  EXPECT_FALSE(apply(store, command(1, 6, KvOpKind::Cas, "absent", "x", ""))->cas_succeeded) << "an absent key never matches";
  EXPECT_EQ(store.data().at("k"), "b");
}

// A command retried after a timeout may be committed twice; the session applies it once and
// answers the repeat with the same result.
TEST(KvStore, RetriedCommandAppliesOnceAndAnswersTheSame) {
  KvStore store;
  apply(store, command(1, 1, KvOpKind::Put, "k", "a"));
  const auto swap = command(2, 1, KvOpKind::Cas, "k", "b", "a");
  EXPECT_TRUE(apply(store, swap)->cas_succeeded);
  apply(store, command(1, 2, KvOpKind::Put, "k", "c"));
  const auto repeat = apply(store, swap);
  ASSERT_TRUE(repeat.has_value());
  EXPECT_TRUE(repeat->cas_succeeded) << "the remembered answer";
  EXPECT_EQ(store.data().at("k"), "c") << "not applied again";
}

TEST(KvStore, OlderCommandOfASessionIsIgnored) {
  KvStore store;
  apply(store, command(1, 5, KvOpKind::Put, "k", "five"));
  EXPECT_FALSE(apply(store, command(1, 4, KvOpKind::Put, "k", "four")).has_value());
  EXPECT_EQ(store.data().at("k"), "five");
}

}  // namespace
}  // namespace raftio::sim
