#include "wal_format.h"

#include <cstdio>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace raftio::wal::format {

namespace {

void store(std::byte* at, std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) at[i] = static_cast<std::byte>(v >> (8 * i));
}

}  // namespace

std::string segment_name(std::uint64_t sequence) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.wal", static_cast<unsigned long long>(sequence));
  return name;
}

bool parse_segment_name(const std::string& name, std::uint64_t& sequence) {
  if (name.size() != 20 || name.compare(16, 4, ".wal") != 0) return false;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    const char c = name[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return false;
    value = value << 4 | static_cast<std::uint64_t>(digit);
  }
  sequence = value;
  return true;
}

std::uint64_t chain_of(std::uint64_t previous_chain, const std::byte* length_kind_payload, std::size_t size) noexcept {
  return XXH3_64bits_withSeed(length_kind_payload, size, previous_chain);
}

std::uint64_t record_header_check(std::uint64_t previous_chain, const std::byte* record) noexcept {
  constexpr RecordLayout v2 = kRecordLayoutV2;
  return XXH3_64bits_withSeed(record + v2.chain_at, v2.header_bytes - v2.chain_at, previous_chain);
}

const RecordLayout* record_layout(std::uint32_t version) noexcept {
  if (version == 1) return &kRecordLayoutV1;
  if (version == 2) return &kRecordLayoutV2;
  return nullptr;
}

std::uint64_t header_checksum(const std::byte* header) noexcept { return XXH3_64bits(header, kHeaderBytes - 8); }

void put_u8(std::vector<std::byte>& out, std::uint8_t v) { out.push_back(std::byte{v}); }
void put_u32(std::vector<std::byte>& out, std::uint32_t v) {
  const std::size_t at = out.size();
  out.resize(at + 4);
  store(out.data() + at, v, 4);
}
void put_u64(std::vector<std::byte>& out, std::uint64_t v) {
  const std::size_t at = out.size();
  out.resize(at + 8);
  store(out.data() + at, v, 8);
}
void put_bytes(std::vector<std::byte>& out, std::span<const std::byte> bytes) {
  if (!bytes.empty()) out.insert(out.end(), bytes.begin(), bytes.end());
}

void append_header(std::vector<std::byte>& out, const SegmentHeader& header) {
  const std::size_t start = out.size();
  put_bytes(out, std::as_bytes(std::span(kMagic)));
  put_u32(out, kVersion);
  put_u32(out, 0);
  put_u64(out, header.sequence);
  put_u64(out, header.first_index);
  put_u64(out, header.previous_chain);
  put_u64(out, header_checksum(out.data() + start));
}

std::size_t begin_record(std::vector<std::byte>& out) {
  const std::size_t start = out.size();
  out.resize(start + kRecordHeaderBytes);
  return start;
}

std::uint64_t finish_record(std::vector<std::byte>& out, std::size_t start, std::uint64_t previous_chain,
                            std::uint8_t kind) {
  constexpr RecordLayout v2 = kRecordLayoutV2;
  std::byte* record = out.data() + start;
  const std::size_t payload = out.size() - start - v2.header_bytes;
  store(record + v2.length_at, payload, 4);
  record[v2.kind_at] = std::byte{kind};
  const std::uint64_t chain = chain_of(previous_chain, record + v2.length_at, v2.header_bytes - v2.length_at + payload);
  store(record + v2.chain_at, chain, 8);
  store(record, record_header_check(previous_chain, record), 8);
  return chain;
}

void put_entries(std::vector<std::byte>& out, const EntryBatch& entries) {
  std::size_t bytes = 12;
  for (const LogEntry& e : entries) bytes += 13 + e.data.size();
  out.reserve(out.size() + bytes);
  put_u64(out, entries.empty() ? 0 : entries.front().index);
  put_u32(out, static_cast<std::uint32_t>(entries.size()));
  for (const LogEntry& e : entries) {
    put_u64(out, e.term);
    put_u8(out, static_cast<std::uint8_t>(e.kind));
    put_u32(out, static_cast<std::uint32_t>(e.data.size()));
    put_bytes(out, e.data.bytes());
  }
}

void put_hard_state(std::vector<std::byte>& out, const HardState& state) {
  put_u64(out, state.term);
  put_u64(out, state.vote);
  put_u64(out, state.commit);
}

void put_snapshot_meta(std::vector<std::byte>& out, const SnapshotMeta& meta) {
  put_u64(out, meta.last_index);
  put_u64(out, meta.last_term);
  for (const auto* ids : {&meta.membership.voters, &meta.membership.learners}) {
    put_u32(out, static_cast<std::uint32_t>(ids->size()));
    for (NodeId id : *ids) put_u64(out, id);
  }
}

}  // namespace raftio::wal::format
