// KvMachine, raftio-kv's runtime::StateMachine: responses in RESP, reads that change nothing and
// share a GET's value instead of copying it, snapshots through the background job, and a snapshot
// that does not decode refused with its reason, the state unchanged.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "kv_machine.h"

namespace {

using kv::KvMachine;
using kv::Op;

raftio::LogEntry entry(raftio::Index index, Op op, std::vector<std::string_view> args) {
  return raftio::LogEntry{1, index, raftio::EntryKind::Normal, raftio::Payload::copy_of(kv::encode_command(op, args))};
}

raftio::Payload query(Op op, std::vector<std::string_view> args) {
  return raftio::Payload::copy_of(kv::encode_command(op, args));
}

TEST(KvMachine, ApplyAnswersInResp) {
  KvMachine machine;
  EXPECT_EQ(machine.apply(entry(1, Op::Set, {"k", "v"})).to_string(), "+OK\r\n");
  EXPECT_EQ(machine.apply(entry(2, Op::Incr, {"n"})).to_string(), ":1\r\n");
  EXPECT_EQ(machine.apply(entry(3, Op::Incr, {"k"})).to_string(), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(machine.apply(entry(4, Op::Get, {"k"})).to_string(), "$1\r\nv\r\n");  // a read ordered through the log
  EXPECT_EQ(machine.apply(entry(5, Op::Del, {"k", "gone"})).to_string(), ":1\r\n");
  EXPECT_EQ(machine.apply(entry(6, Op::Get, {"k"})).to_string(), "$-1\r\n");
}

TEST(KvMachine, AGetIsALoanOfTheStoredValueNotACopy) {
  KvMachine machine;
  machine.apply(entry(1, Op::Set, {"big", std::string(1 << 20, 'x')}));
  const raftio::Payload loan = machine.query(query(Op::Get, {"big"}));
  ASSERT_TRUE(KvMachine::is_loan(loan));
  EXPECT_LT(loan.size(), 16u);
  const kv::Value value = machine.redeem(loan);
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value, machine.state().get_shared("big"));  // the same bytes, shared
  EXPECT_EQ(machine.redeem(loan), nullptr);             // a loan is redeemed once
  EXPECT_EQ(machine.query(query(Op::Get, {"missing"})).to_string(), "$-1\r\n");
  EXPECT_EQ(machine.query(query(Op::Exists, {"big", "missing", "big"})).to_string(), ":2\r\n");
  EXPECT_FALSE(KvMachine::is_loan(machine.query(query(Op::Exists, {"big"}))));
  EXPECT_EQ(machine.query(query(Op::Set, {"k", "v"})).to_string(), "-ERR malformed log entry\r\n");  // queries write nothing
  EXPECT_EQ(machine.state().get("k"), nullptr);
}

TEST(KvMachine, SnapshotJobCapturesTheStateWhenTaken) {
  KvMachine machine;
  machine.apply(entry(1, Op::Set, {"a", "1"}));
  const auto job = machine.snapshot_job();
  machine.apply(entry(2, Op::Set, {"a", "2"}));  // after the capture: not in this snapshot
  KvMachine restored;
  ASSERT_TRUE(restored.restore(job()));
  ASSERT_NE(restored.state().get("a"), nullptr);
  EXPECT_EQ(*restored.state().get("a"), "1");
  EXPECT_EQ(machine.snapshots_taken(), 1u);
}

TEST(KvMachine, AnUndecodableSnapshotIsRefusedWithItsReasonAndChangesNothing) {
  KvMachine source;
  source.apply(entry(1, Op::Set, {"k", "v"}));
  const std::string bytes = source.snapshot().to_string();
  KvMachine machine;
  machine.apply(entry(1, Op::Set, {"mine", "kept"}));
  EXPECT_FALSE(machine.restore(raftio::Payload::copy_of(std::string_view(bytes).substr(0, bytes.size() - 1))));
  EXPECT_NE(machine.restore_error().find("raftio-kv snapshot"), std::string::npos) << machine.restore_error();
  ASSERT_NE(machine.state().get("mine"), nullptr);
  EXPECT_EQ(machine.state().get("k"), nullptr);
  EXPECT_TRUE(machine.restore(raftio::Payload::copy_of(bytes)));
  EXPECT_NE(machine.state().get("k"), nullptr);
}

}  // namespace
