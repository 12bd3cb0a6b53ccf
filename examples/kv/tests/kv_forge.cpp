// Test helper for raftio-kv's end-to-end tests: makes what an attacker or a broken disk would.
//
//   kv-forge append-entries FROM TO TERM PREV_INDEX PREV_TERM KEY VALUE
//       writes to stdout one wire frame: an AppendEntries from FROM to TO in TERM carrying one
//       entry "SET KEY VALUE" (in the runtime's command envelope) at PREV_INDEX + 1 (term TERM) and
//       a commit index that covers it
//   kv-forge damage-snapshot DIR
//       rewrites the newest snapshot in the WAL directory DIR with its state-machine data cut
//       short by one byte, through WalLog::save_snapshot (so the file's own checksum is valid and
//       only raftio-kv's decoder can notice)
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <raftio/raftio.h>
#include <raftio/runtime/address_book.h>
#include <raftio/wal/wal_log.h>

#include "kv_state.h"

namespace {

std::uint64_t number(const char* text) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') {
    std::fprintf(stderr, "kv-forge: not a number: %s\n", text);
    std::exit(2);
  }
  return value;
}

int append_entries(char** argv) {
  const std::string_view args[] = {argv[5], argv[6]};
  raftio::AppendEntries message;
  message.from = number(argv[0]);
  message.to = number(argv[1]);
  message.term = number(argv[2]);
  message.prev_log_index = number(argv[3]);
  message.prev_log_term = number(argv[4]);
  message.leader_commit = message.prev_log_index + 1;
  message.entries = raftio::EntryBatch{raftio::LogEntry{message.term, message.prev_log_index + 1,
                                                        raftio::EntryKind::Normal,
                                                        raftio::runtime::wrap_command(raftio::Payload::copy_of(kv::encode_command(kv::Op::Set, args)))}};
  const std::vector<std::byte> frame = raftio::wire::encode(raftio::Message{message});
  return std::fwrite(frame.data(), 1, frame.size(), stdout) == frame.size() ? 0 : 1;
}

int damage_snapshot(const char* dir) {
  auto wal = raftio::wal::WalLog::open(dir);
  if (!wal) {
    std::fprintf(stderr, "kv-forge: %s\n", wal.error().context.c_str());
    return 1;
  }
  auto loaded = wal.value()->load_snapshot();
  if (!loaded || !loaded.value()) {
    std::fprintf(stderr, "kv-forge: no snapshot in %s\n", dir);
    return 1;
  }
  raftio::Snapshot snapshot = *loaded.value();
  const std::string_view data = snapshot.data.as_string_view();
  if (data.empty()) return 1;
  snapshot.data = raftio::Payload::copy_of(data.substr(0, data.size() - 1));
  auto saved = wal.value()->save_snapshot(snapshot);
  if (!saved) {
    std::fprintf(stderr, "kv-forge: %s\n", saved.error().context.c_str());
    return 1;
  }
  std::printf("snapshot at index %llu: data cut from %zu to %zu bytes\n",
              static_cast<unsigned long long>(snapshot.last_index), data.size(), data.size() - 1);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "append-entries" && argc == 9) return append_entries(argv + 2);
  if (command == "damage-snapshot" && argc == 3) return damage_snapshot(argv[2]);
  std::fprintf(stderr,
               "usage: kv-forge append-entries FROM TO TERM PREV_INDEX PREV_TERM KEY VALUE\n"
               "       kv-forge damage-snapshot WAL_DIR\n");
  return 2;
}
