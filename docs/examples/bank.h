// A bank, as a user of raftio brings it to the simulator (docs/SIMULATION.md, "Simulating your
// own system"): the StateMachine the runtime replicates, its model for the linearizability
// checker, and the workload the simulated clients run. Four accounts start with 100 each; a
// transfer moves money only when the source holds enough, so the total never changes.
//
// `forget_last_account` plants a bug: snapshot() leaves out the last account (as when a field is
// added to the state and not to its serialization), so a node that restores a snapshot starts
// that account over at 100.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "raftio/runtime/state_machine.h"
#include "raftio/sim/system.h"

namespace bank {

constexpr std::size_t kAccounts = 4;
constexpr std::int64_t kInitial = 100;
using Balances = std::array<std::int64_t, kAccounts>;

struct Input {
  bool read = false;  // true: read every balance; false: transfer `amount` from `from` to `to`
  std::uint8_t from = 0, to = 0, amount = 0;
  auto operator<=>(const Input&) const = default;
};
struct Output {
  bool moved = false;  // a transfer: whether the source held enough
  Balances balances{};  // a read: what it saw
};
using Op = raftio::sim::Operation<Input, Output>;

// Commands and responses on the wire: a transfer is "T" from to amount; a read is "R"; a read's
// answer is the balances, 8 little-endian bytes each.
inline raftio::Payload encode(const Input& in) {
  const char bytes[4] = {in.read ? 'R' : 'T', static_cast<char>(in.from), static_cast<char>(in.to),
                         static_cast<char>(in.amount)};
  return raftio::Payload::copy_of(bytes, in.read ? 1 : 4);
}
inline raftio::Payload encode_balances(const Balances& balances, std::size_t accounts = kAccounts) {
  unsigned char bytes[8 * kAccounts] = {};
  for (std::size_t a = 0; a < accounts; ++a) {
    for (int b = 0; b < 8; ++b) bytes[8 * a + b] = static_cast<unsigned char>(static_cast<std::uint64_t>(balances[a]) >> (8 * b));
  }
  return raftio::Payload::copy_of(bytes, 8 * accounts);
}
inline std::optional<Balances> decode_balances(const raftio::Payload& payload, std::size_t accounts = kAccounts) {
  if (payload.size() != 8 * accounts) return std::nullopt;
  Balances balances;
  balances.fill(kInitial);
  const auto* bytes = reinterpret_cast<const unsigned char*>(payload.data());
  for (std::size_t a = 0; a < accounts; ++a) {
    std::uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v |= std::uint64_t{bytes[8 * a + b]} << (8 * b);
    balances[a] = static_cast<std::int64_t>(v);
  }
  return balances;
}

class Bank final : public raftio::runtime::StateMachine {
 public:
  explicit Bank(bool forget_last_account = false) : forget_last_account_(forget_last_account) {
    balances_.fill(kInitial);
  }
  raftio::Payload apply(const raftio::LogEntry& entry) override {
    const auto* c = reinterpret_cast<const unsigned char*>(entry.data.data());
    if (entry.data.size() != 4 || c[0] != 'T' || c[1] >= kAccounts || c[2] >= kAccounts) {
      return raftio::Payload::copy_of("?");
    }
    const bool moved = balances_[c[1]] >= c[3];
    if (moved) {
      balances_[c[1]] -= c[3];
      balances_[c[2]] += c[3];
    }
    return raftio::Payload::copy_of(moved ? "1" : "0");
  }
  raftio::Payload query(const raftio::Payload&) const override { return encode_balances(balances_); }
  raftio::Payload snapshot() const override {
    return encode_balances(balances_, forget_last_account_ ? kAccounts - 1 : kAccounts);
  }
  bool restore(const raftio::Payload& snapshot) override {
    const auto balances = decode_balances(snapshot, forget_last_account_ ? kAccounts - 1 : kAccounts);
    if (!balances) return false;
    balances_ = *balances;
    return true;
  }

 private:
  bool forget_last_account_;
  Balances balances_{};
};

// The sequential specification: what each operation may return, from which state.
struct Model {
  using Operation = Op;
  using Step = Op;
  using State = Balances;

  State initial() const {
    State s;
    s.fill(kInitial);
    return s;
  }
  bool step(const State& s, const Step& op, State& next) const {
    next = s;
    if (op.input.read) return !op.complete_time || op.output.balances == s;
    const bool moved = s[op.input.from] >= op.input.amount;
    if (op.complete_time && op.output.moved != moved) return false;
    if (moved) {
      next[op.input.from] -= op.input.amount;
      next[op.input.to] += op.input.amount;
    }
    return true;
  }
  bool is_read(const Step& op) const { return op.input.read || (op.complete_time && !op.output.moved); }
  bool may_change(const Step& op) const { return !op.input.read; }
  Input effect(const Step& op) const { return op.input; }
  std::string describe(const Op& op) const {
    std::string s = "client " + std::to_string(op.client);
    if (op.input.read) {
      s += " read";
      if (op.complete_time) {
        for (std::int64_t b : op.output.balances) s += " " + std::to_string(b);
      }
    } else {
      s += " transfer " + std::to_string(op.input.amount) + " from " + std::to_string(op.input.from) + " to " +
           std::to_string(op.input.to);
      if (op.complete_time) s += op.output.moved ? ": moved" : ": refused";
    }
    return s + (op.complete_time ? "" : " (outcome unknown)");
  }
};

inline raftio::sim::Workload<Input, Output> workload() {
  raftio::sim::Workload<Input, Output> w;
  w.next = [](std::uint64_t, raftio::sim::SystemRng& rng) {
    Input in;
    in.read = rng.chance(0.3);
    in.from = static_cast<std::uint8_t>(rng.below(kAccounts));
    in.to = static_cast<std::uint8_t>((in.from + rng.between(1, kAccounts - 1)) % kAccounts);
    in.amount = static_cast<std::uint8_t>(rng.between(1, 60));
    return in;
  };
  w.encode = [](const Input& in) { return encode(in); };
  w.is_read = [](const Input& in) { return in.read; };
  w.decode = [](const Input& in, const raftio::Payload& response) -> std::optional<Output> {
    Output out;
    if (in.read) {
      const auto balances = decode_balances(response);
      if (!balances) return std::nullopt;
      out.balances = *balances;
      return out;
    }
    const std::string text = response.to_string();
    if (text != "1" && text != "0") return std::nullopt;
    out.moved = text == "1";
    return out;
  };
  return w;
}

inline raftio::sim::SystemSpec<Model> spec(bool forget_last_account = false) {
  return {[forget_last_account] { return std::make_unique<Bank>(forget_last_account); }, Model{}, workload()};
}

}  // namespace bank
