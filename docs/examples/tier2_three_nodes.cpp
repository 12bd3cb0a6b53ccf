// Tier 2: a validated configuration from the builder, three nodes, and an embedder loop that
// carries out every kind of action. The "network" here is a queue in this process.
#include <raftio/raftio.h>

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

int main() {
  using namespace raftio;
  std::map<NodeId, std::unique_ptr<RaftNode>> nodes;
  for (NodeId id : {1, 2, 3}) {
    auto config = RaftConfig::builder(id)
                      .voters({1, 2, 3})
                      .election_ticks(10)
                      .heartbeat_ticks(1)
                      .pre_vote(true)
                      .check_quorum(true)
                      .max_entries_per_msg(64)
                      .max_inflight_msgs(256)
                      .seed(2024)
                      .build();
    if (!config) {  // e.g. "invalid raftio config: heartbeat_ticks: must be shorter than ..."
      std::fprintf(stderr, "%s\n", config.error().describe().c_str());
      return 1;
    }
    nodes[id] = std::make_unique<RaftNode>(std::move(config).value());
  }

  std::deque<Message> network;
  std::map<NodeId, std::vector<std::string>> state_machine;
  NodeId leader = kNoNode;
  std::vector<Action> actions;
  auto handle = [&](NodeId id, Event event) {
    actions.clear();
    nodes[id]->step(std::move(event), actions);
    for (Action& action : actions) {
      if (auto* send = std::get_if<Send>(&action)) {
        network.push_back(std::move(send->message));  // already durable: safe to send now
      } else if (auto* apply = std::get_if<Apply>(&action)) {
        if (apply->entry.kind == EntryKind::Normal) state_machine[id].push_back(apply->entry.data.to_string());
      } else if (auto* changed = std::get_if<LeaderChanged>(&action)) {
        if (changed->leader != kNoNode) leader = changed->leader;
      } else if (auto* reject = std::get_if<Reject>(&action)) {
        std::printf("node %llu refused proposal %llu (%s), try node %llu\n", static_cast<unsigned long long>(id),
                    static_cast<unsigned long long>(reject->id), std::string(to_string(reject->reason)).c_str(),
                    static_cast<unsigned long long>(reject->leader_hint));
      } else if (auto* failed = std::get_if<StorageFailed>(&action)) {
        std::fprintf(stderr, "node %llu stopped: %s\n", static_cast<unsigned long long>(id),
                     failed->error.context.c_str());
      }
      // ProposalAccepted tells which index a proposal got; this example does not need it.
    }
  };

  for (int tick = 0; tick < 200; ++tick) {
    for (NodeId id : {1, 2, 3}) handle(id, Tick{});
    while (!network.empty()) {
      Message message = std::move(network.front());
      network.pop_front();
      handle(receiver_of(message), Receive{std::move(message)});
    }
    if (leader != kNoNode && tick % 10 == 0) handle(leader, Propose{Payload::copy_of("cmd " + std::to_string(tick)), 0});
  }

  std::printf("leader %llu; node 3 applied %zu commands, the first \"%s\"\n", static_cast<unsigned long long>(leader),
              state_machine[3].size(), state_machine[3].empty() ? "" : state_machine[3].front().c_str());
  return state_machine[1] == state_machine[3] && state_machine[3].size() >= 15 ? 0 : 1;
}
