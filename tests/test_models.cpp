// The linearizability checker on a model other than the key-value store: a bank whose transfers
// move money between accounts (refused when the source cannot pay) and whose audits read every
// balance at once. Transfers add and subtract, so the search cannot use the chain reduction the
// key-value model allows (model.h, kOutputFixesState): this exercises its general form, with no
// partition function (a transfer touches two accounts).
#include <gtest/gtest.h>

#include <compare>
#include <string>
#include <vector>

#include "raftio/sim/linearizability.h"
#include "raftio/sim/model.h"

namespace raftio::sim {
namespace {

using Time = std::optional<std::uint64_t>;
constexpr Time kUnknown = std::nullopt;

struct BankInput {
  bool audit = false;  // false: a transfer
  int from = 0, to = 0;
  std::int64_t amount = 0;
  auto operator<=>(const BankInput&) const = default;
};
struct BankOutput {
  bool ok = false;                      // a transfer: whether it was made
  std::vector<std::int64_t> balances;  // an audit: every account's balance
};
using BankOperation = Operation<BankInput, BankOutput>;

struct BankModel {
  using Operation = BankOperation;
  using Step = BankOperation;
  using State = std::vector<std::int64_t>;

  State initial() const { return {100, 100, 0}; }

  bool step(const State& state, const Step& op, State& next) const {
    next = state;
    const bool known = op.complete_time.has_value();
    if (op.input.audit) return !known || op.output.balances == state;
    const bool can_pay = state[op.input.from] >= op.input.amount;
    if (known && op.output.ok != can_pay) return false;
    if (!can_pay) return known;  // an unknown transfer that was refused is the same as left out
    next[op.input.from] -= op.input.amount;
    next[op.input.to] += op.input.amount;
    return true;
  }
  // Audits and refused transfers change nothing wherever they are possible.
  bool is_read(const Step& op) const { return op.input.audit || (op.complete_time && !op.output.ok); }
  bool may_change(const Step& op) const { return !op.input.audit; }
  // Transfers of the same amount between the same accounts are interchangeable.
  BankInput effect(const Step& op) const { return op.input; }

  std::string describe(const BankOperation& op) const {
    std::string s = "client " + std::to_string(op.client) + " ";
    if (op.input.audit) {
      s += "audit";
      if (op.complete_time) {
        s += " ->";
        for (std::int64_t b : op.output.balances) s += " " + std::to_string(b);
      }
    } else {
      s += "transfer(" + std::to_string(op.input.amount) + ": " + std::to_string(op.input.from) + " -> " +
           std::to_string(op.input.to) + ")";
      if (op.complete_time) s += op.output.ok ? " -> ok" : " -> refused";
    }
    return s + " [" + std::to_string(op.invoke_time) + " .. " +
           (op.complete_time ? std::to_string(*op.complete_time) : std::string("?")) + "]";
  }
};
static_assert(LinearizabilityModel<BankModel>);

BankOperation transfer(std::uint64_t client, int from, int to, std::int64_t amount, bool ok, std::uint64_t invoke,
                       Time complete) {
  return {client, {false, from, to, amount}, {ok, {}}, invoke, complete};
}
BankOperation audit(std::uint64_t client, std::vector<std::int64_t> balances, std::uint64_t invoke, Time complete) {
  return {client, {true, 0, 0, 0}, {false, std::move(balances)}, invoke, complete};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(BankModel, ConcurrentTransfersWhereOnlyOneCanPayAreLinearizableEitherWay) {
  // Both ask for 60 of account 0's 100 at overlapping times: whichever went first was paid.
  for (const bool first_paid : {true, false}) {
    const std::vector<BankOperation> h = {transfer(1, 0, 1, 60, first_paid, 0, 50),
                                          transfer(2, 0, 2, 60, !first_paid, 10, 60),
                                          audit(3, first_paid ? std::vector<std::int64_t>{40, 160, 0}
                                                              : std::vector<std::int64_t>{40, 100, 60},
                                                70, 80)};
    const LinearizabilityReport r = check_linearizable(h, BankModel{});
    EXPECT_TRUE(r.linearizable) << r.explanation;
    EXPECT_EQ(r.keys, 1u);
    EXPECT_EQ(r.operations, 3u);
    EXPECT_EQ(r.inconclusive_keys, 0u);
  }
}

TEST(BankModel, AnUnknownTransferMayHaveHappenedOrNot) {
  for (const auto& seen : {std::vector<std::int64_t>{70, 100, 30}, std::vector<std::int64_t>{100, 100, 0}}) {
    const std::vector<BankOperation> h = {transfer(1, 0, 2, 30, true, 0, kUnknown), audit(2, seen, 10, 20)};
    EXPECT_TRUE(check_linearizable(h, BankModel{}).linearizable) << seen[0];
  }
  // But it happened at most once: two withdrawals of 30 cannot come from one unknown transfer.
  const std::vector<BankOperation> twice = {transfer(1, 0, 2, 30, true, 0, kUnknown), audit(2, {40, 100, 60}, 10, 20)};
  EXPECT_FALSE(check_linearizable(twice, BankModel{}).linearizable);
  // Two identical unknown transfers can.
  const std::vector<BankOperation> two = {transfer(1, 0, 2, 30, true, 0, kUnknown),
                                          transfer(3, 0, 2, 30, true, 5, kUnknown), audit(2, {40, 100, 60}, 10, 20)};
  EXPECT_TRUE(check_linearizable(two, BankModel{}).linearizable);
}

TEST(BankModel, AnUnknownTransferThatMakesALaterRefusalPossibleIsPlacedBeforeIt) {
  // Account 0 could pay 80 unless the unknown transfer of 30 went first; the refusal says it did.
  // The audit after both then needs it before the refusal, not at the end.
  const std::vector<BankOperation> h = {transfer(1, 0, 2, 30, true, 0, kUnknown), transfer(2, 0, 1, 80, false, 10, 20),
                                        audit(3, {70, 100, 30}, 30, 40)};
  EXPECT_TRUE(check_linearizable(h, BankModel{}).linearizable);
  const std::vector<BankOperation> too_late = {transfer(1, 0, 2, 30, true, 25, kUnknown),
                                               transfer(2, 0, 1, 80, false, 10, 20), audit(3, {70, 100, 30}, 30, 40)};
  EXPECT_FALSE(check_linearizable(too_late, BankModel{}).linearizable) << "invoked after the refusal completed";
}

TEST(BankModel, ASecondPaymentBeyondTheBalanceIsCaughtAndExplained) {
  const std::vector<BankOperation> h = {transfer(1, 0, 1, 60, true, 0, 10), transfer(2, 0, 2, 60, true, 20, 30),
                                        audit(3, {-20, 160, 60}, 40, 50)};
  const LinearizabilityReport r = check_linearizable(h, BankModel{});
  ASSERT_FALSE(r.linearizable);
  EXPECT_EQ(r.failing_key, "");
  EXPECT_TRUE(contains(r.explanation, "the history is not linearizable; its 3 operations in time order:"))
      << r.explanation;
  EXPECT_TRUE(contains(r.explanation, "#1 client 1 transfer(60: 0 -> 1) -> ok [0 .. 10]")) << r.explanation;
  EXPECT_TRUE(contains(r.explanation, "(1 of 3 completed operations): #1")) << r.explanation;
  EXPECT_TRUE(contains(r.explanation, "result of #2 client 2 transfer(60: 0 -> 2) -> ok [20 .. 30]"))
      << r.explanation;
}

TEST(BankModel, AnAuditThatSeesMoneyAppearIsCaught) {
  // Totals are conserved: no order of these transfers gives account 1 more than 150.
  const std::vector<BankOperation> h = {transfer(1, 0, 1, 50, true, 0, 30), transfer(2, 2, 1, 10, false, 5, 25),
                                        audit(3, {50, 160, 0}, 10, 40)};
  const LinearizabilityReport r = check_linearizable(h, BankModel{});
  EXPECT_FALSE(r.linearizable);
  EXPECT_TRUE(contains(r.explanation, "client 3 audit -> 50 160 0 [10 .. 40]")) << r.explanation;
}

TEST(BankModel, TheBudgetMakesASearchInconclusiveNotAViolation) {
  const std::vector<BankOperation> h = {transfer(1, 0, 1, 10, true, 0, 100), transfer(2, 0, 1, 10, true, 0, 100),
                                        transfer(3, 1, 2, 10, true, 0, 100), audit(4, {80, 110, 10}, 200, 210)};
  ASSERT_TRUE(check_linearizable(h, BankModel{}).linearizable);
  const LinearizabilityReport r = check_linearizable(h, BankModel{}, 1);
  EXPECT_TRUE(r.linearizable);
  EXPECT_EQ(r.inconclusive_keys, 1u);
}

}  // namespace
}  // namespace raftio::sim
