// Tier 1: one call, no builder. A single-voter cluster elects itself and commits alone.
#include <raftio/raftio.h>

#include <cstdio>
#include <variant>
#include <vector>

int main() {
  raftio::RaftNode node(raftio::RaftConfig::single(1));
  std::vector<raftio::Action> actions;

  // Time only passes when you say so: a lone voter campaigns after one election timeout.
  while (!node.is_leader()) node.step(raftio::Tick{}, actions);

  actions.clear();
  node.step(raftio::Propose{raftio::Payload::copy_of("hello"), /*id=*/1}, actions);
  for (const raftio::Action& action : actions) {
    if (const auto* apply = std::get_if<raftio::Apply>(&action)) {
      std::printf("applied index %llu: %s\n", static_cast<unsigned long long>(apply->entry.index),
                  apply->entry.data.to_string().c_str());
    }
  }
  return node.commit_index() == 2 ? 0 : 1;  // index 1 is the leader's no-op, 2 is "hello"
}
