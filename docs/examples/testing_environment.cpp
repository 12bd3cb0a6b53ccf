// raftio-testing from C++: three real nodes, a partition, and assertions on what survived. The
// Environment prints every step it takes; print it when an assertion fails.
#include <raftio/testing/environment.h>

#include <cstdio>

int main() {
  raftio::testing::Environment env;
  env.add_nodes(3);  // nodes 1, 2, 3, all voters
  env.campaign(1);   // ticks node 1 until its election timeout fires
  env.stabilize();   // delivers messages until none is left
  if (!env.node(1)->is_leader()) return 1;

  env.partition({{3}});  // node 3 alone, nodes 1 and 2 together
  env.propose(1, "x");
  env.stabilize();
  env.heal();
  env.tick(1, 5);  // heartbeats; after half an election timeout the leader resends to node 3
  env.stabilize();

  const std::string transcript = env.take_output();
  for (raftio::NodeId id : env.ids()) {
    const auto& applied = env.state_machine(id);
    if (applied.size() != 1 || applied[0].second != "x") {
      std::printf("node %llu did not apply x:\n%s", static_cast<unsigned long long>(id), transcript.c_str());
      return 1;
    }
  }
  std::printf("every node applied x\n");
  return 0;
}
