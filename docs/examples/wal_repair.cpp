// A damaged WAL: open() refuses it and says where; WalLog::repair cuts it there when you decide to.
#include <raftio/raftio.h>
#include <raftio/wal/faulty_file_system.h>
#include <raftio/wal/wal_log.h>

#include <cstdio>
#include <memory>
#include <vector>

int main() {
  using namespace raftio;
  auto disk = std::make_shared<wal::FaultyFileSystem>();  // in memory; WalLog::open(dir) uses the real disk
  {
    auto log = wal::WalLog::open(disk, "/data/raft").value();
    for (Index i = 1; i <= 3; ++i) {
      const std::vector<LogEntry> entries{LogEntry{1, i, EntryKind::Normal, Payload::copy_of("set x 1")}};
      if (!log->append(EntryBatch(entries)) || !log->sync()) return 1;
    }
  }
  disk->corrupt("/data/raft/0000000000000001.wal", 200, 0x04);  // one bit of a synced record

  auto refused = wal::WalLog::open(disk, "/data/raft");
  if (refused) return 1;  // never opened with a record missing
  std::printf("%s\n", refused.error().context.c_str());

  // The operator's decision: keep the records before the damage, lose the rest.
  auto repaired = wal::WalLog::repair(disk, "/data/raft");
  if (!repaired || !repaired.value().repaired) return 1;
  std::printf("cut %s at byte %llu, a copy is in %s\n", repaired.value().segment.c_str(),
              static_cast<unsigned long long>(repaired.value().offset), repaired.value().saved_as.c_str());

  auto log = wal::WalLog::open(disk, "/data/raft");
  if (!log) return 1;
  std::printf("entries %llu to %llu remain\n", static_cast<unsigned long long>(log.value()->first_index()),
              static_cast<unsigned long long>(log.value()->last_index()));
  return log.value()->last_index() == 1 ? 0 : 1;
}
