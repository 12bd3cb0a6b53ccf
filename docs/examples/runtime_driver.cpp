// The runtime Driver on one node: a replicated counter, a proposal answered with the state
// machine's response, then a linearizable read. No sockets: a one-node cluster sends nothing.
#include <raftio/runtime/driver.h>

#include <cstdio>
#include <memory>
#include <string>

class Counter final : public raftio::runtime::StateMachine {
 public:
  raftio::Payload apply(const raftio::LogEntry& entry) override {
    value_ += std::stoll(entry.data.to_string());
    return raftio::Payload::copy_of(std::to_string(value_));
  }
  raftio::Payload query(const raftio::Payload&) const override {
    return raftio::Payload::copy_of(std::to_string(value_));
  }
  raftio::Payload snapshot() const override { return raftio::Payload::copy_of(std::to_string(value_)); }
  bool restore(const raftio::Payload& data) override {
    value_ = std::stoll(data.to_string());
    return true;
  }

 private:
  long long value_ = 0;
};

int main() {
  Counter counter;
  raftio::runtime::Driver driver(raftio::RaftConfig::single(1), std::make_unique<raftio::MemoryLog>(), counter);
  while (!driver.is_leader()) driver.tick();  // a single voter elects itself

  driver.propose(raftio::Payload::copy_of("40"));
  driver.propose(raftio::Payload::copy_of("2"));
  driver.read(raftio::Payload::copy_of("value"));
  for (const raftio::runtime::Completion& done : driver.take_output().completions) {
    if (!done.result.ok()) {
      std::printf("request %llu failed: %s\n", static_cast<unsigned long long>(done.id),
                  raftio::runtime::describe(done.result.error()).c_str());
      return 1;
    }
    std::printf("request %llu: %s\n", static_cast<unsigned long long>(done.id), done.result.value().to_string().c_str());
  }
  return counter.query({}).to_string() == "42" ? 0 : 1;
}
