#include "segment_reader.h"

#include <algorithm>

namespace raftio::wal {

namespace {

std::uint64_t load(const std::byte* at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = width; i-- > 0;) v = v << 8 | static_cast<std::uint64_t>(at[i]);
  return v;
}

// A version 1 record has no header check, so looking for a chained successor means hashing each
// candidate's payload. Past this many bytes hashed the scan gives up, and the cut record counts
// as damage: refusing is safe, guessing "torn" is not.
std::size_t v1_scan_budget(std::size_t region_bytes) { return 16 * region_bytes + (std::size_t{1} << 20); }

}  // namespace

SegmentReader::SegmentReader(const SharedBuffer& segment, const format::RecordLayout& layout, std::size_t start,
                             std::uint64_t chain, bool last)
    : segment_(segment), layout_(layout), at_(start), chain_(chain), last_(last) {}

std::optional<RecordView> SegmentReader::next() {
  if (done_) return std::nullopt;
  const std::size_t size = segment_.size();
  if (at_ == size) return finish(SegmentEnd::Kind::Clean, {});
  const std::byte* record = segment_.data() + at_;
  const std::size_t remaining = size - at_;
  if (remaining < layout_.header_bytes) return bad_record("incomplete record header", {}, true);
  if (layout_.header_checked && load(record, 8) != format::record_header_check(chain_, record)) {
    return bad_record("record header checksum mismatch", "its chain, length or kind field is damaged", false);
  }
  const std::uint64_t length = load(record + layout_.length_at, 4);
  if (length > remaining - layout_.header_bytes) return cut_record(length);
  const std::uint64_t chain = load(record + layout_.chain_at, 8);
  const std::size_t chained_bytes = layout_.header_bytes - layout_.length_at + static_cast<std::size_t>(length);
  if (chain != format::chain_of(chain_, record + layout_.length_at, chained_bytes)) {
    return bad_record("record checksum mismatch", "the record is whole on disk, so it was damaged, not torn by a crash",
                      false);
  }
  const RecordView view{at_, static_cast<std::uint8_t>(record[layout_.kind_at]), record + layout_.header_bytes,
                        static_cast<std::size_t>(length)};
  chain_ = chain;
  at_ += layout_.header_bytes + static_cast<std::size_t>(length);
  return view;
}

std::nullopt_t SegmentReader::finish(SegmentEnd::Kind kind, std::string what, std::string detail) {
  done_ = true;
  end_ = SegmentEnd{kind, at_, std::move(what), std::move(detail)};
  return std::nullopt;
}

bool SegmentReader::zero_to_the_end() const {
  return std::all_of(segment_.data() + at_, segment_.data() + segment_.size(), [](std::byte b) { return b == std::byte{0}; });
}

// A record at at_ that is not valid. Only the last segment can end in a torn write, and zero
// bytes to the end of the file are one too (no valid record is all zeros: its kind is not 0).
std::nullopt_t SegmentReader::bad_record(std::string what, std::string detail, bool a_tear_can_explain_it) {
  if (!last_) return finish(SegmentEnd::Kind::Damaged, std::move(what), std::move(detail));
  if (zero_to_the_end()) return finish(SegmentEnd::Kind::Torn, "zero-filled tail", "every byte from here to the end is 0");
  return finish(a_tear_can_explain_it ? SegmentEnd::Kind::Torn : SegmentEnd::Kind::Damaged, std::move(what),
                std::move(detail));
}

// A record whose header is whole (and, in version 2, passes its check) but whose payload runs
// past the end of the file: a write cut by a crash, unless its length field is damaged. A
// damaged length swallows the records after it; the first of them is chained to this record's
// chain value, so finding one anywhere in the bytes that follow proves damage.
std::nullopt_t SegmentReader::cut_record(std::uint64_t length) {
  const std::string sizes = std::to_string(length) + " payload bytes, " +
                            std::to_string(segment_.size() - at_ - layout_.header_bytes) + " in the file";
  if (!last_) return finish(SegmentEnd::Kind::Damaged, "incomplete record", sizes);
  const Successor successor = chained_successor(load(segment_.data() + at_ + layout_.chain_at, 8));
  switch (successor.kind) {
    case Successor::Kind::None: return finish(SegmentEnd::Kind::Torn, "incomplete record", sizes);
    case Successor::Kind::Found:
      return finish(SegmentEnd::Kind::Damaged, "record length damaged",
                    sizes + ", but the record chained to it starts at byte " + std::to_string(successor.offset));
    case Successor::Kind::Undecided: break;
  }
  return finish(SegmentEnd::Kind::Damaged, "incomplete record",
                sizes + "; too many bytes follow to rule out a damaged length");
}

// Version 2: a record at p is chained to the cut one if its header check, seeded with the cut
// record's chain value, matches: 13 bytes hashed per offset. No payload can hold such a record
// by accident or design, because the cut record's chain value depends on that very payload.
// Version 1 has no header check: each candidate's whole chain is checked, within a budget.
SegmentReader::Successor SegmentReader::chained_successor(std::uint64_t cut_chain) const {
  const std::byte* data = segment_.data();
  const std::size_t size = segment_.size();
  const std::size_t header = layout_.header_bytes;
  const std::size_t first = at_ + header;
  // Every record this log writes has a known kind: a cheap test that skips most offsets.
  auto known_kind = [&](std::size_t p) {
    const auto kind = static_cast<std::uint8_t>(data[p + layout_.kind_at]);
    return kind >= format::kEntries && kind <= format::kSnapshot;
  };
  if (layout_.header_checked) {
    for (std::size_t p = first; p + header <= size; ++p) {
      if (known_kind(p) && load(data + p, 8) == format::record_header_check(cut_chain, data + p)) {
        return {Successor::Kind::Found, p};
      }
    }
    return {};
  }
  std::size_t budget = v1_scan_budget(size - at_);
  for (std::size_t p = first; p + header <= size; ++p) {
    const std::uint64_t length = load(data + p + layout_.length_at, 4);
    if (!known_kind(p) || length > size - p - header) continue;
    const std::size_t chained_bytes = header - layout_.length_at + static_cast<std::size_t>(length);
    if (chained_bytes > budget) return {Successor::Kind::Undecided, p};
    budget -= chained_bytes;
    if (load(data + p + layout_.chain_at, 8) == format::chain_of(cut_chain, data + p + layout_.length_at, chained_bytes)) {
      return {Successor::Kind::Found, p};
    }
  }
  return {};
}

}  // namespace raftio::wal
