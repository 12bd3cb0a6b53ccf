// Fuzz target: a WAL directory built from fuzzer bytes, one or more segments, is opened and
// recovered. It must recover or fail with a typed error: no crash, no out-of-bounds read, no
// allocation beyond what the input's size justifies. A refused directory is left exactly as it
// was (recovery never cuts what it reports as corrupt). A recovered log must be self-consistent,
// and opening it again must give the same log (the torn-tail cut is durable).
//
// Input: mode u8 | count u8 | count × (sequence step u8 | length u32 LE | bytes). In "repair"
// mode (mode bit 0) each segment's header checksum and record chain are recomputed, so that the
// fuzzer explores the records rather than the checksums.
#include <cstring>
#include <map>

#include "fuzz_common.h"
#include "fuzz/wal_fuzz_input.h"
#include "raftio/wal/faulty_file_system.h"
#include "raftio/wal/wal_log.h"

namespace {

struct Image {
  raftio::HardState hard;
  raftio::SnapshotMeta snapshot;
  raftio::Index first;
  raftio::Index last;
  std::vector<raftio::LogEntry> entries;
  bool operator==(const Image&) const = default;
};

Image image_of(const raftio::wal::WalLog& log) {
  Image image{log.hard_state(), log.snapshot_meta(), log.first_index(), log.last_index(), {}};
  RAFTIO_FUZZ_CHECK(image.first >= 1 && image.first <= image.last + 1);
  RAFTIO_FUZZ_CHECK(image.first == image.snapshot.last_index + 1);
  if (image.last >= image.first) RAFTIO_FUZZ_CHECK(log.read(image.first, image.last, image.entries).ok());
  for (std::size_t i = 0; i < image.entries.size(); ++i) RAFTIO_FUZZ_CHECK(image.entries[i].index == image.first + i);
  return image;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace raftio;
  const auto input = fuzz::parse_wal_input(data, size);
  auto disk = std::make_shared<wal::FaultyFileSystem>(1);
  for (const auto& segment : input.segments) disk->put_file(std::string(fuzz::kWalFuzzDir) + "/" + segment.name, segment.bytes);
  auto log = wal::WalLog::open(disk, fuzz::kWalFuzzDir, wal::WalOptions{1024});
  if (!log) {
    RAFTIO_FUZZ_CHECK(!log.error().context.empty());
    std::map<std::string, const std::vector<std::byte>*> files;  // a repeated name overwrote the file
    for (const auto& segment : input.segments) files[segment.name] = &segment.bytes;
    for (const auto& [name, bytes] : files) RAFTIO_FUZZ_CHECK(disk->contents(std::string(fuzz::kWalFuzzDir) + "/" + name) == *bytes);
    return 0;
  }
  const Image first = image_of(*log.value());
  log.value().reset();
  auto again = wal::WalLog::open(disk, fuzz::kWalFuzzDir, wal::WalOptions{1024});
  RAFTIO_FUZZ_CHECK(again.ok());
  RAFTIO_FUZZ_CHECK(image_of(*again.value()) == first);
  RAFTIO_FUZZ_CHECK(again.value()->recovery().torn_tail.empty());
  return 0;
}
