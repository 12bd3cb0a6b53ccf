#include "raftio/transport.h"

namespace raftio {

std::size_t dispatch_sends(std::vector<Action>& actions, RaftTransport& transport) {
  std::size_t sent = 0;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (auto* send = std::get_if<Send>(&actions[i])) {
      const NodeId to = receiver_of(send->message);
      transport.send(to, std::move(send->message));
      ++sent;
    } else {
      if (kept != i) actions[kept] = std::move(actions[i]);
      ++kept;
    }
  }
  actions.erase(actions.begin() + static_cast<std::ptrdiff_t>(kept), actions.end());
  return sent;
}

}  // namespace raftio
