// A replicated counter for the runtime's tests (Driver and Node): the smallest StateMachine that
// has a state, a response, a read, snapshots in both flavours and a restore that can refuse.
#pragma once

#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "raftio/runtime/state_machine.h"

namespace raftio::runtime {

inline std::optional<std::int64_t> parse(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// A replicated counter: a command is a decimal amount to add, apply() answers the new value,
// every query answers the current value, a snapshot is the value in decimal.
class Counter final : public StateMachine {
 public:
  Payload apply(const LogEntry& entry) override {
    value_ += parse(entry.data.as_string_view()).value_or(0);
    ++applied_commands_;
    return Payload::copy_of(std::to_string(value_));
  }
  Payload query(const Payload&) const override { return Payload::copy_of(std::to_string(value_)); }
  Payload snapshot() const override {
    ++snapshots_taken_;
    return Payload::copy_of(std::to_string(value_));
  }
  // Background snapshots: capture the value now, serialize whenever the job runs.
  std::function<Payload()> snapshot_job() const override {
    return [value = value_, this] {
      ++jobs_run_;
      return Payload::copy_of(std::to_string(value));
    };
  }
  bool restore(const Payload& snapshot) override {
    const std::optional<std::int64_t> value = parse(snapshot.as_string_view());
    if (!value) return false;
    value_ = *value;
    ++restores_;
    return true;
  }

  std::int64_t value() const noexcept { return value_; }
  int applied_commands() const noexcept { return applied_commands_; }
  int snapshots_taken() const noexcept { return snapshots_taken_; }
  int restores() const noexcept { return restores_; }
  int jobs_run() const noexcept { return jobs_run_; }

 private:
  std::int64_t value_ = 0;
  int applied_commands_ = 0;
  mutable int snapshots_taken_ = 0;
  int restores_ = 0;
  mutable int jobs_run_ = 0;
};

}  // namespace raftio::runtime
