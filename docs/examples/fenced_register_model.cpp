// A register guarded by fencing tokens, checked for linearizability: a write carries a token and
// is accepted only if no write with a larger token was accepted before it.
#include <compare>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "raftio/sim/linearizability.h"

struct Write {
  bool read = false;  // false: a write of value under token
  int token = 0, value = 0;
  auto operator<=>(const Write&) const = default;
};
struct Result {
  bool accepted = false;  // a write: whether it was
  int token = 0, value = 0;  // a read: what it saw
};
using RegisterOp = raftio::sim::Operation<Write, Result>;

struct FencedRegister {
  using Operation = RegisterOp;
  using Step = RegisterOp;
  using State = std::pair<int, int>;  // the latest accepted token, and its value
  // An accepted write sets a state fixed by the write alone: the search may use chains.
  static constexpr bool kOutputFixesState = true;

  State initial() const { return {0, 0}; }
  bool step(const State& s, const Step& op, State& next) const {
    next = s;
    if (op.input.read) return !op.complete_time || State{op.output.token, op.output.value} == s;
    const bool accept = op.input.token >= s.first;
    if (op.complete_time && op.output.accepted != accept) return false;
    if (accept) next = {op.input.token, op.input.value};
    return accept || op.complete_time.has_value();
  }
  bool is_read(const Step& op) const { return op.input.read || (op.complete_time && !op.output.accepted); }
  bool may_change(const Step& op) const { return !op.input.read; }
  Write effect(const Step& op) const { return op.input; }
  std::string describe(const RegisterOp& op) const {
    return "client " + std::to_string(op.client) + (op.input.read ? " read" : " write") + " token " +
           std::to_string(op.input.read ? op.output.token : op.input.token);
  }
};

int main() {
  using Time = std::optional<std::uint64_t>;
  auto write = [](std::uint64_t c, int token, int value, bool ok, std::uint64_t at, Time done) {
    return RegisterOp{c, {false, token, value}, {ok, 0, 0}, at, done};
  };
  auto read = [](std::uint64_t c, int token, int value, std::uint64_t at, Time done) {
    return RegisterOp{c, {true, 0, 0}, {false, token, value}, at, done};
  };
  // A stale holder's write (token 1) is refused after token 2's; its unknown retry cannot win.
  const std::vector<RegisterOp> good = {write(1, 2, 20, true, 0, 10), write(2, 1, 10, false, 20, 30),
                                        write(2, 1, 11, true, 35, std::nullopt), read(3, 2, 20, 40, 50)};
  // Here the stale write was accepted after token 2's had completed: a fencing bug.
  const std::vector<RegisterOp> bad = {write(1, 2, 20, true, 0, 10), write(2, 1, 10, true, 20, 30)};
  const auto ok = raftio::sim::check_linearizable(good, FencedRegister{});
  const auto broken = raftio::sim::check_linearizable(bad, FencedRegister{});
  std::printf("%s", broken.explanation.c_str());
  return ok.linearizable && !broken.linearizable ? 0 : 1;
}
