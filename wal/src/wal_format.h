// The write-ahead log's on-disk format (docs/PROTOCOL.md, "Write-ahead log"). All integers are
// little-endian.
//
//   segment = header (48 bytes) | record*
//   header  = magic "RFIOWAL1" (8) | version u32 | reserved u32 (0) | sequence u64 |
//             first_index u64 | previous chain u64 | checksum u64 (XXH3-64 of the 40 bytes before)
//   record, version 2 (written) =
//             header check u64 | chain u64 | length u32 | kind u8 | payload (length bytes)
//   record, version 1 (read only) =
//             chain u64 | length u32 | kind u8 | payload (length bytes)
//   chain        = XXH3-64 of (length | kind | payload) seeded with the previous record's chain;
//                  the first record of a segment is seeded with the header's previous-chain value
//   header check = XXH3-64 of (chain | length | kind) seeded with the previous record's chain
//                  (version 2): a record header that is complete on disk but damaged fails it,
//                  which is what tells damage from a write torn by a crash
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "raftio/entry.h"
#include "raftio/state.h"

namespace raftio::wal::format {

inline constexpr char kMagic[8] = {'R', 'F', 'I', 'O', 'W', 'A', 'L', '1'};
inline constexpr std::uint32_t kVersion = 2;               // the version this build writes
inline constexpr std::uint32_t kOldestReadableVersion = 1;  // and the oldest it still reads
inline constexpr std::size_t kHeaderBytes = 8 + 4 + 4 + 8 + 8 + 8 + 8;

// Where a record's fields lie, per segment version. The chain covers the bytes from length_at to
// the end of the record; they are contiguous in both layouts.
struct RecordLayout {
  std::size_t header_bytes;
  std::size_t chain_at;
  std::size_t length_at;
  std::size_t kind_at;
  bool header_checked;  // a header check u64 at offset 0, over bytes chain_at..header_bytes
};
inline constexpr RecordLayout kRecordLayoutV1{8 + 4 + 1, 0, 8, 12, false};
inline constexpr RecordLayout kRecordLayoutV2{8 + 8 + 4 + 1, 8, 16, 20, true};
inline constexpr std::size_t kRecordHeaderBytes = kRecordLayoutV2.header_bytes;  // written

// The record layout of a segment version, or nullptr for a version this build cannot read.
const RecordLayout* record_layout(std::uint32_t version) noexcept;

enum RecordKind : std::uint8_t {
  kEntries = 1,    // first_index u64 | count u32 | count × (term u64 | kind u8 | length u32 | bytes)
  kHardState = 2,  // term u64 | vote u64 | commit u64
  kTruncate = 3,   // from u64: entries with index >= from are removed
  kSnapshot = 4,   // last_index u64 | last_term u64 | voters | learners (count u32 | ids u64...)
};

struct SegmentHeader {
  std::uint64_t sequence = 0;
  Index first_index = 0;
  std::uint64_t previous_chain = 0;
};

std::string segment_name(std::uint64_t sequence);
// The sequence of a segment file name, or false if `name` is not one.
bool parse_segment_name(const std::string& name, std::uint64_t& sequence);

void append_header(std::vector<std::byte>& out, const SegmentHeader& header);

// Records are written in place (version 2): begin_record reserves the record header, the payload
// is appended with the put_* helpers, and finish_record fills in length, kind, chain (returned)
// and header check.
std::size_t begin_record(std::vector<std::byte>& out);
std::uint64_t finish_record(std::vector<std::byte>& out, std::size_t start, std::uint64_t previous_chain,
                            std::uint8_t kind);
void put_u8(std::vector<std::byte>& out, std::uint8_t v);
void put_u32(std::vector<std::byte>& out, std::uint32_t v);
void put_u64(std::vector<std::byte>& out, std::uint64_t v);
void put_bytes(std::vector<std::byte>& out, std::span<const std::byte> bytes);

void put_entries(std::vector<std::byte>& out, const EntryBatch& entries);
void put_hard_state(std::vector<std::byte>& out, const HardState& state);
void put_snapshot_meta(std::vector<std::byte>& out, const SnapshotMeta& meta);

std::uint64_t chain_of(std::uint64_t previous_chain, const std::byte* length_kind_payload, std::size_t size) noexcept;
// The header check of a version 2 record starting at `record`, chained from `previous_chain`.
std::uint64_t record_header_check(std::uint64_t previous_chain, const std::byte* record) noexcept;
std::uint64_t header_checksum(const std::byte* header) noexcept;  // of a segment header

}  // namespace raftio::wal::format
