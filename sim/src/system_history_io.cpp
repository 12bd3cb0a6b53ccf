#include <ostream>

#include "json_line.h"
#include "raftio/sim/system.h"

namespace raftio::sim {

namespace {
constexpr std::uint64_t kMicrosPerUnit = 1000;  // one engine time unit is a millisecond
}  // namespace

void write_system_history(std::ostream& out, const std::vector<SystemHistoryLine>& lines) {
  std::string line;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const SystemHistoryLine& op = lines[i];
    line.clear();
    JsonLine json(line);
    json.num("op", i + 1).num("client", op.client).num("invoke_us", op.invoke_time * kMicrosPerUnit);
    if (op.complete_time) json.num("complete_us", *op.complete_time * kMicrosPerUnit);
    else json.null("complete_us");
    json.str("operation", op.text);
    json.close();
    line += '\n';
    out << line;
  }
}

}  // namespace raftio::sim
