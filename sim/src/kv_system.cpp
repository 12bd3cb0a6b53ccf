#include "raftio/sim/kv_system.h"

#include <string>
#include <utility>
#include <vector>

namespace raftio::sim {

namespace {

constexpr unsigned char kHasValue = 1;
constexpr unsigned char kSwapped = 2;

Payload undecodable() { return Payload::copy_of("?"); }

}  // namespace

std::string_view to_string(KvMachineBug bug) {
  switch (bug) {
    case KvMachineBug::None: return "none";
    case KvMachineBug::RestoreDropsSessions: return "kv-restore-drops-sessions";
    case KvMachineBug::ApplyIgnoresSessions: return "kv-apply-ignores-sessions";
  }
  return "?";
}

std::optional<KvMachineBug> parse_kv_machine_bug(std::string_view name) {
  for (KvMachineBug bug : {KvMachineBug::None, KvMachineBug::RestoreDropsSessions, KvMachineBug::ApplyIgnoresSessions}) {
    if (name == to_string(bug)) return bug;
  }
  return std::nullopt;
}

Payload encode_result(const KvResult& result) {
  std::string bytes = "R";
  bytes += static_cast<char>((result.read_value ? kHasValue : 0) | (result.cas_succeeded ? kSwapped : 0));
  if (result.read_value) bytes += *result.read_value;
  return Payload::copy_of(bytes);
}

std::optional<KvResult> decode_result(const Payload& response) {
  const std::string bytes = response.to_string();
  if (bytes.size() < 2 || bytes[0] != 'R') return std::nullopt;
  const auto flags = static_cast<unsigned char>(bytes[1]);
  if ((flags & ~(kHasValue | kSwapped)) != 0 || (!(flags & kHasValue) && bytes.size() != 2)) return std::nullopt;
  KvResult result;
  if (flags & kHasValue) result.read_value = bytes.substr(2);
  result.cas_succeeded = (flags & kSwapped) != 0;
  return result;
}

Payload KvMachine::apply(const LogEntry& entry) {
  std::optional<KvCommandView> command = decode_command(entry.data);
  if (!command) return undecodable();
  // The planted bug: every command looks new to its session (its log index stands in for its
  // number), so a repeat is applied again.
  if (bug_ == KvMachineBug::ApplyIgnoresSessions) command->seq = entry.index;
  const std::optional<KvResult> result = store_.apply(*command);
  return result ? encode_result(*result) : Payload::copy_of("stale");
}

Payload KvMachine::query(const Payload& request) const {
  const std::optional<KvCommandView> command = decode_command(request);
  if (!command || command->kind != KvOpKind::Get) return undecodable();
  KvResult result;
  if (const auto it = store_.data().find(command->key); it != store_.data().end()) result.read_value = it->second;
  return encode_result(result);
}

bool KvMachine::restore(const Payload& snapshot) {
  if (!store_.restore(snapshot)) return false;
  if (bug_ == KvMachineBug::RestoreDropsSessions) {
    // The planted bug: the data survives, the sessions do not. KvStore has no way to drop only
    // its sessions, so the store is restored again from its data in snapshot() form, followed by
    // an empty list of sessions.
    KvStore data_only;
    std::vector<std::byte> bytes;
    auto put = [&bytes](std::uint64_t v, int width) {
      for (int i = 0; i < width; ++i) bytes.push_back(static_cast<std::byte>(v >> (8 * i)));
    };
    put(store_.data().size(), 4);
    for (const auto& [key, value] : store_.data()) {
      put(key.size(), 4);
      for (char c : key) bytes.push_back(static_cast<std::byte>(c));
      put(value.size(), 4);
      for (char c : value) bytes.push_back(static_cast<std::byte>(c));
    }
    put(0, 4);  // no sessions
    if (!data_only.restore(Payload::copy_of(bytes.data(), bytes.size()))) return false;
    store_ = std::move(data_only);
  }
  return true;
}

OperationWorkload<KvOperation> kv_workload(const KvWorkloadOptions& options) {
  OperationWorkload<KvOperation> w;
  w.next = [options](std::uint64_t client, const std::vector<KvOperation>& history, SystemRng& rng) {
    KvOperation op;
    const std::uint64_t pick = rng.below(100);
    op.kind = pick < options.put_percent                         ? KvOpKind::Put
              : pick < options.put_percent + options.get_percent ? KvOpKind::Get
                                                                 : KvOpKind::Cas;
    op.key = "k" + std::to_string(rng.below(options.keys));
    const std::uint64_t number = history.size() + 1;
    if (op.kind != KvOpKind::Get) op.value = "c" + std::to_string(client) + "." + std::to_string(number);
    if (op.kind == KvOpKind::Cas) {
      // What this client last saw in the key: a value it read or wrote, as a client would
      // remember it. Mostly that, so that some swaps succeed; else one that never matches.
      std::optional<std::string> seen;
      for (auto it = history.rbegin(); it != history.rend() && !seen; ++it) {
        if (it->client != client || it->key != op.key || !it->complete_time) continue;
        if (it->kind == KvOpKind::Get) {
          if (it->read_value) seen = it->read_value;
        } else if (it->kind == KvOpKind::Put || it->cas_succeeded) {
          seen = it->value;
        }
      }
      op.expected = seen && rng.chance(0.8) ? *seen : "never";
    }
    return op;
  };
  w.encode = [](const KvOperation& op, std::uint64_t number) {
    KvCommand command;
    command.client = op.client;
    command.seq = number;
    command.kind = op.kind;
    command.key = op.key;
    command.value = op.value;
    command.expected = op.expected;
    return encode_command(command);
  };
  w.is_read = [](const KvOperation& op) { return op.kind == KvOpKind::Get; };
  w.complete = [](KvOperation& op, const Payload& response) {
    const std::optional<KvResult> result = decode_result(response);
    if (!result) return false;
    // Each kind has one shape of answer: anything else is garbage, not an outcome.
    switch (op.kind) {
      case KvOpKind::Put:
        if (result->read_value || result->cas_succeeded) return false;
        break;
      case KvOpKind::Get:
        if (result->cas_succeeded) return false;
        op.read_value = result->read_value;
        break;
      case KvOpKind::Cas:
        if (result->read_value) return false;
        op.cas_succeeded = result->cas_succeeded;
        break;
    }
    return true;
  };
  return w;
}

SystemSpec<KvModel> kv_system_spec(KvMachineBug bug, const KvWorkloadOptions& options) {
  return {[bug] { return std::make_unique<KvMachine>(bug); }, KvModel{}, kv_workload(options)};
}

}  // namespace raftio::sim
