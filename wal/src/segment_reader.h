// SegmentReader: walks the records of one segment, checking each record's header check (format
// version 2) and chain, and decides how the segment ends: cleanly, in a torn tail (only the last
// segment may have one), or in damage. The rule is docs/PROTOCOL.md, "Torn tail versus
// corruption"; in short, a record is torn only if the crash can explain it:
//  - its header is cut by the end of the file; or
//  - its header is whole and passes its check, its payload is cut by the end of the file, and no
//    record chained to it starts anywhere in the bytes that follow; or
//  - it and everything after it are zero bytes (a file that grew before its data was written).
// Anything else (a whole header failing its check, a whole record failing its chain) is damage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "raftio/payload.h"
#include "wal_format.h"

namespace raftio::wal {

// A whole record whose checks passed.
struct RecordView {
  std::size_t offset = 0;  // of the record in the segment
  std::uint8_t kind = 0;
  const std::byte* payload = nullptr;
  std::size_t payload_bytes = 0;
};

// How a segment's records end.
struct SegmentEnd {
  enum class Kind : std::uint8_t { Clean, Torn, Damaged };
  Kind kind = Kind::Clean;
  std::size_t offset = 0;  // the end of the valid records: for Torn and Damaged, the bad record
  std::string what;        // for Torn and Damaged: what is wrong with that record
  std::string detail;      // and why that means torn or damaged (may be empty)
};

class SegmentReader {
 public:
  // Records start at `start` and the first is chained from `chain`. `last`: whether this is the
  // directory's last segment.
  SegmentReader(const SharedBuffer& segment, const format::RecordLayout& layout, std::size_t start, std::uint64_t chain,
                bool last);

  // The next valid record, or nullopt once the records end; end() then says how.
  std::optional<RecordView> next();
  const SegmentEnd& end() const noexcept { return end_; }
  // The chain value of the last record returned (the seed of the next).
  std::uint64_t chain() const noexcept { return chain_; }

 private:
  // Where a record chained to a cut record starts, if one does.
  struct Successor {
    enum class Kind : std::uint8_t { None, Found, Undecided } kind = Kind::None;
    std::size_t offset = 0;
  };

  std::nullopt_t finish(SegmentEnd::Kind kind, std::string what, std::string detail = {});
  std::nullopt_t bad_record(std::string what, std::string detail, bool a_tear_can_explain_it);
  std::nullopt_t cut_record(std::uint64_t length);
  Successor chained_successor(std::uint64_t cut_chain) const;
  bool zero_to_the_end() const;

  const SharedBuffer& segment_;
  format::RecordLayout layout_;
  std::size_t at_;
  std::uint64_t chain_;
  bool last_;
  bool done_ = false;
  SegmentEnd end_;
};

}  // namespace raftio::wal
