// The wire format: golden vectors pin every message kind byte for byte, and each decode error is
// produced by a precise piece of surgery on a valid frame (LevelDB-log-test style).
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "support/golden_messages.h"

namespace raftio::test {
namespace {

using wire::DecodeErrorCode;

std::vector<std::byte> from_hex(const std::string& hex) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<std::byte>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string to_hex(const std::vector<std::byte>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::byte b : bytes) {
    out += kDigits[static_cast<unsigned>(b) >> 4];
    out += kDigits[static_cast<unsigned>(b) & 15];
  }
  return out;
}

// Recomputes the checksum after surgery, so the decoder gets past it to the field under test.
void reseal(std::vector<std::byte>& frame) {
  const std::uint64_t sum = XXH3_64bits(frame.data(), frame.size() - 8);
  for (int i = 0; i < 8; ++i) frame[frame.size() - 8 + i] = static_cast<std::byte>(sum >> (8 * i));
}

// Replaces the body (keeps the kind) and fixes the length and checksum.
std::vector<std::byte> with_body(std::vector<std::byte> frame, std::vector<std::byte> body) {
  std::vector<std::byte> out(frame.begin(), frame.begin() + 10);
  const auto length = static_cast<std::uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) out[6 + i] = static_cast<std::byte>(length >> (8 * i));
  for (std::byte b : body) out.push_back(b);  // (insert() trips a GCC 12 -Warray-bounds false positive)
  out.resize(out.size() + 8);
  reseal(out);
  return out;
}

wire::DecodeError decode_error(const std::vector<std::byte>& bytes, wire::DecodeOptions options = {}) {
  auto result = wire::decode(bytes, options);
  EXPECT_FALSE(result.ok()) << "decoded a frame that should have been refused";
  return result.ok() ? wire::DecodeError{} : result.error();
}

// Golden vectors: the format is frozen. A change here breaks every deployed peer; it needs a new
// version number (docs/PROTOCOL.md, "Versioning").
const char* const kGolden[] = {
    "5246494f0100290000000100000000000000020000000000000003000000000000000a0000000000000002000000000000000103bbb6a191f331c8",
    "5246494f01011900000002000000000000000100000000000000030000000000000001909cc1debd013bee",
    "5246494f0102280000000100000000000000020000000000000004000000000000000a000000000000000200000000000000d8cc364415cd5d6e",
    "5246494f0103190000000200000000000000010000000000000004000000000000000061042b4946653955",
    "5246494f0104630000000100000000000000020000000000000003000000000000000700000000000000020000000000000005000000000000000200"
    "000003000000000000000800000000000000000500000068656c6c6f030000000000000009000000000000000100000000d7ad0d29ab7c6163",
    "5246494f010539000000020000000000000001000000000000000300000000000000000000000000000000070000000000000006000000000000000200"
    "000000000000efc3a6a274de0096",
    "5246494f0106610000000100000000000000030000000000000005000000000000006400000000000000040000000000000003000000010000000000"
    "000002000000000000000300000000000000010000000400000000000000000000000000000004000000736e6170015f85fd6e15df5064",
    "5246494f0107290000000300000000000000010000000000000005000000000000006400000000000000040000000000000001563ffb30c8443986",
    "5246494f01081800000001000000000000000200000000000000050000000000000015b2d430e6ca9785",
    // version 2
    "5246494f02043c00000001000000000000000200000000000000030000000000000009000000000000000300000000000000090000000000"
    "0000000000000400000000000000cd4dbb2b8a15d88b",
    "5246494f02054100000002000000000000000100000000000000030000000000000001090000000000000000000000000000000000000000"
    "0000000000000000000000040000000000000014cc37add90ab4c4",
    "5246494f0209200000000200000000000000010000000000000003000000000000004d00000000000000c6791b90190fcb91",
    "5246494f020a290000000100000000000000020000000000000003000000000000004d00000000000000090000000000000001b39db18d8bbe3760",
    // version 3
    "5246494f03045b0000000100000000000000020000000000000003000000000000000900000000000000030000000000000009000000000000000100"
    "000003000000000000000a000000000000000002000000763300000000000000000c0000000000000002eb7e6c46e2f51f",
    "5246494f030549000000020000000000000001000000000000000300000000000000010a0000000000000000000000000000000000000000000000"
    "000000000000000004000000000000000c000000000000007a58bc8475e68bf1",
    "5246494f03066900000001000000000000000300000000000000050000000000000064000000000000000400000000000000030000000100000000"
    "000000020000000000000003000000000000000000000004000000000000000400000073686f74010800000000000000839023c1fa19a4acf08d1f79"
    "372bbab5",
    // version 4
    "5246494f04032100000002000000000000000100000000000000050000000000000000060000000000000059a0cedf4415ba6e",
    "5246494f040321000000020000000000000001000000000000000500000000000000010400000000000000969aa8ca06be6f0b",
};

TEST(WireGolden, EveryKindEncodesToItsPinnedBytes) {
  const auto messages = golden_messages();
  ASSERT_EQ(messages.size(), std::size(kGolden));
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(to_hex(wire::encode(messages[i])), kGolden[i]) << to_string(kind_of(messages[i]));
    EXPECT_EQ(wire::frame_size(messages[i]), from_hex(kGolden[i]).size());
  }
}

TEST(WireGolden, EveryPinnedVectorDecodesToItsMessage) {
  const auto messages = golden_messages();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto decoded = wire::decode(from_hex(kGolden[i]));
    ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
    EXPECT_EQ(decoded.value(), messages[i]) << to_string(kind_of(messages[i]));
  }
}

TEST(WireGolden, ProtocolMdPublishesTheSameVectors) {
  std::ifstream in(std::string(RAFTIO_SOURCE_ROOT) + "/docs/PROTOCOL.md");
  std::stringstream text;
  text << in.rdbuf();
  for (const char* vector : kGolden) {
    EXPECT_NE(text.str().find(std::string("`") + vector + "`"), std::string::npos) << "docs/PROTOCOL.md lacks " << vector;
  }
}

TEST(WireEncode, EncodeIntoAppendsWithoutAllocatingWhenThereIsRoom) {
  const Message message = golden_messages()[4];
  std::vector<std::byte> buffer(3, std::byte{0x7f});
  buffer.reserve(1024);
  const std::byte* storage = buffer.data();
  wire::encode_into(message, buffer);
  wire::encode_into(message, buffer);
  EXPECT_EQ(buffer.data(), storage) << "the buffer was reallocated";
  EXPECT_EQ(buffer.size(), 3 + 2 * wire::frame_size(message));
  EXPECT_EQ(buffer[0], std::byte{0x7f});
  const auto first = std::vector<std::byte>(buffer.begin() + 3, buffer.begin() + 3 + static_cast<std::ptrdiff_t>(wire::frame_size(message)));
  EXPECT_EQ(first, wire::encode(message));
}

TEST(WireDecode, SharedBufferDecodeViewsPayloadsWithoutCopying) {
  const auto bytes = wire::encode(golden_messages()[4]);
  SharedBuffer frame(bytes.size());
  std::memcpy(frame.data(), bytes.data(), bytes.size());
  auto decoded = wire::decode(frame);
  ASSERT_TRUE(decoded.ok());
  const auto& entry = std::get<AppendEntries>(decoded.value()).entries[0];
  EXPECT_TRUE(entry.data.shares_buffer_with(frame.view(0, 1)));
  EXPECT_GE(entry.data.data(), frame.data());
  EXPECT_LT(entry.data.data(), frame.data() + frame.size());
  EXPECT_EQ(entry.data.as_string_view(), "hello");
}

// --- one test per error, each from a valid frame ---

TEST(WireDecode, EmptyInputIsTruncatedAtZero) {
  const auto error = decode_error({});
  EXPECT_EQ(error.code, DecodeErrorCode::Truncated);
  EXPECT_EQ(error.offset, 0u);
}

TEST(WireDecode, WrongMagicIsBadMagicAtTheFirstWrongByte) {
  auto frame = wire::encode(golden_messages()[0]);
  frame[2] = std::byte{'X'};
  const auto error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::BadMagic);
  EXPECT_EQ(error.offset, 2u);
}

TEST(WireDecode, NewerOrZeroVersionIsUnsupported) {
  for (std::uint8_t version : {std::uint8_t{0}, std::uint8_t{wire::kVersion + 1}, std::uint8_t{255}}) {
    auto frame = wire::encode(golden_messages()[0]);
    frame[4] = std::byte{version};
    reseal(frame);
    const auto error = decode_error(frame);
    EXPECT_EQ(error.code, DecodeErrorCode::UnsupportedVersion) << int{version};
    EXPECT_EQ(error.offset, 4u);
  }
}

TEST(WireDecode, KindOutOfRangeIsUnknownKind) {
  auto frame = wire::encode(golden_messages()[0]);
  frame[5] = std::byte{9};  // ReadIndexRequest: defined by version 2, unknown in a version 1 frame
  reseal(frame);
  auto error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::UnknownKind);
  EXPECT_EQ(error.offset, 5u);
  frame[4] = std::byte{2};
  frame[5] = std::byte{11};  // beyond version 2 as well
  reseal(frame);
  error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::UnknownKind);
  EXPECT_EQ(error.offset, 5u);
}

// Versioning: each message has exactly one encoding, in the oldest version that expresses it.
TEST(WireVersion, MessagesAreWrittenInTheOldestVersionThatExpressesThem) {
  const auto messages = golden_messages();
  for (std::size_t i = 0; i < 9; ++i) EXPECT_EQ(wire::encode(messages[i])[4], std::byte{1}) << i;
  for (std::size_t i = 9; i < 13; ++i) EXPECT_EQ(wire::encode(messages[i])[4], std::byte{2}) << i;
  for (std::size_t i = 13; i < 16; ++i) EXPECT_EQ(wire::encode(messages[i])[4], std::byte{3}) << i;
  for (std::size_t i = 16; i < messages.size(); ++i) EXPECT_EQ(wire::encode(messages[i])[4], std::byte{4}) << i;
}

// Version 1 has one term in a PreVoteReply: the pre-vote's in a grant, the voter's in a refusal.
// Such a frame still decodes (rolling upgrades), with the missing term 0; and a version 4 frame of
// a reply version 1 expresses is refused, so each reply keeps one encoding.
TEST(WireVersion, VersionOnePreVoteReplyDecodesWithTheMissingTermZero) {
  auto refusal = wire::decode(from_hex(kGolden[3]));
  ASSERT_TRUE(refusal.ok());
  EXPECT_EQ(std::get<PreVoteReply>(refusal.value()), (PreVoteReply{2, 1, 0, false, 4}));
  const PreVoteReply grant{2, 1, 5, true, 0};
  const auto frame = wire::encode(grant);
  EXPECT_EQ(frame[4], std::byte{1});
  auto decoded = wire::decode(frame);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<PreVoteReply>(decoded.value()), grant);

  for (const PreVoteReply& v1 : {grant, PreVoteReply{2, 1, 0, false, 4}}) {
    // The same reply laid out in version 4: term, granted, voter_term.
    std::vector<std::byte> v4 = wire::encode(PreVoteReply{2, 1, 5, v1.granted, 9});
    v4[4] = std::byte{4};
    const std::size_t term_at = wire::kHeaderBytes + 16;
    const std::size_t voter_term_at = term_at + 8 + 1;
    for (std::size_t i = 0; i < 8; ++i) {
      v4[term_at + i] = std::byte{static_cast<unsigned char>(v1.term >> (8 * i))};
      v4[voter_term_at + i] = std::byte{static_cast<unsigned char>(v1.voter_term >> (8 * i))};
    }
    reseal(v4);
    const auto error = decode_error(v4);
    EXPECT_EQ(error.code, DecodeErrorCode::InvalidField) << describe(Message{v1});
    EXPECT_EQ(error.field, "version");
  }
}

TEST(WireVersion, VersionOneMessageInVersionTwoFrameIsRefused) {
  auto frame = wire::encode(golden_messages()[0]);  // RequestVote
  frame[4] = std::byte{2};
  reseal(frame);
  const auto error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::InvalidField);
  EXPECT_EQ(error.field, "version");
  EXPECT_EQ(error.offset, 4u);
}

TEST(WireVersion, ZeroReadRoundInVersionTwoIsRefused) {
  for (std::size_t golden : {std::size_t{9}, std::size_t{10}}) {  // AppendEntries, AppendEntriesReply
    auto frame = wire::encode(golden_messages()[golden]);
    const std::size_t round_at = frame.size() - 8 - 8;
    for (std::size_t i = 0; i < 8; ++i) frame[round_at + i] = std::byte{0};
    reseal(frame);
    const auto error = decode_error(frame);
    EXPECT_EQ(error.code, DecodeErrorCode::InvalidField) << golden;
    EXPECT_EQ(error.field, "read_round");
    EXPECT_EQ(error.offset, round_at);
  }
}

TEST(WireVersion, ZeroSeqInVersionThreeIsRefused) {
  for (std::size_t golden : {std::size_t{13}, std::size_t{14}}) {  // AppendEntries, AppendEntriesReply
    auto frame = wire::encode(golden_messages()[golden]);
    const std::size_t seq_at = frame.size() - 8 - 8;
    for (std::size_t i = 0; i < 8; ++i) frame[seq_at + i] = std::byte{0};
    reseal(frame);
    const auto error = decode_error(frame);
    EXPECT_EQ(error.code, DecodeErrorCode::InvalidField) << golden;
    EXPECT_EQ(error.field, "seq");
    EXPECT_EQ(error.offset, seq_at);
  }
}

TEST(WireVersion, VersionThreeSnapshotWithoutSizeOrChecksumIsRefused) {
  auto frame = wire::encode(golden_messages()[15]);
  const std::size_t fields_at = frame.size() - 8 - 16;
  for (std::size_t i = 0; i < 16; ++i) frame[fields_at + i] = std::byte{0};
  reseal(frame);
  const auto error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::InvalidField);
  EXPECT_EQ(error.field, "checksum");
  EXPECT_EQ(error.offset, fields_at + 8);
}

// A version 1 peer's AppendEntries (no read_round) still decodes: rolling upgrades work.
TEST(WireVersion, VersionOneAppendEntriesStillDecodes) {
  auto decoded = wire::decode(from_hex(kGolden[4]));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<AppendEntries>(decoded.value()).read_round, 0u);
}

TEST(WireDecode, LengthBeyondTheMaximumIsRefusedBeforeAnythingElse) {
  auto frame = wire::encode(golden_messages()[0]);
  frame[9] = std::byte{0x40};  // body length ~1 GiB
  const auto error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::LengthOverflow);
  EXPECT_EQ(error.offset, 6u);
  const auto small = decode_error(wire::encode(golden_messages()[4]), wire::DecodeOptions{64});
  EXPECT_EQ(small.code, DecodeErrorCode::LengthOverflow) << "the maximum is configurable";
}

TEST(WireDecode, MissingBytesAreTruncatedAtTheEndOfInput) {
  auto frame = wire::encode(golden_messages()[0]);
  frame.resize(frame.size() - 3);
  const auto error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::Truncated);
  EXPECT_EQ(error.offset, frame.size());
}

TEST(WireDecode, BytesAfterTheFrameAreTrailingBytes) {
  auto frame = wire::encode(golden_messages()[0]);
  const std::size_t end = frame.size();
  frame.push_back(std::byte{0});
  const auto error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::TrailingBytes);
  EXPECT_EQ(error.offset, end);
}

TEST(WireDecode, AnyChangeToTheBodyIsAChecksumMismatch) {
  auto frame = wire::encode(golden_messages()[0]);
  frame[12] ^= std::byte{0x10};
  const auto error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::ChecksumMismatch);
  EXPECT_EQ(error.offset, frame.size() - 8);
}

TEST(WireDecode, BodyTooShortForItsKindIsTruncated) {
  const auto frame = wire::encode(golden_messages()[0]);
  const std::vector<std::byte> body(frame.begin() + 10, frame.begin() + 30);  // 20 of 41 bytes
  const auto error = decode_error(with_body(frame, body));
  EXPECT_EQ(error.code, DecodeErrorCode::Truncated);
  EXPECT_EQ(error.offset, 30u);
}

TEST(WireDecode, BodyLongerThanItsMessageIsTrailingBytes) {
  const auto frame = wire::encode(golden_messages()[8]);  // TimeoutNow: 24-byte body
  std::vector<std::byte> body(frame.begin() + 10, frame.end() - 8);
  body.push_back(std::byte{0});
  const auto error = decode_error(with_body(frame, body));
  EXPECT_EQ(error.code, DecodeErrorCode::TrailingBytes);
  EXPECT_EQ(error.field, "body");
  EXPECT_EQ(error.offset, 34u);
}

// An invalid field: the byte at `offset` (frame offset) is set to `value` and the frame resealed.
void expect_invalid(std::size_t golden, std::size_t offset, std::uint8_t value, std::string_view field,
                    std::size_t error_offset) {
  auto frame = wire::encode(golden_messages()[golden]);
  frame[offset] = std::byte{value};
  reseal(frame);
  const auto error = decode_error(frame);
  EXPECT_EQ(error.code, DecodeErrorCode::InvalidField) << field;
  EXPECT_EQ(error.field, field);
  EXPECT_EQ(error.offset, error_offset) << field;
}

TEST(WireDecode, BooleansOtherThanZeroOrOneAreInvalid) {
  expect_invalid(1, 34, 2, "granted", 34);
  expect_invalid(3, 34, 0xff, "granted", 34);
  expect_invalid(5, 34, 7, "success", 34);
  expect_invalid(7, 50, 3, "done", 50);
}

TEST(WireDecode, UnknownFlagBitsAreInvalid) { expect_invalid(0, 50, 0x81, "flags", 50); }

TEST(WireDecode, EntryKindOutOfRangeIsInvalid) { expect_invalid(4, 78, 3, "entries[].kind", 78); }

TEST(WireDecode, EntryCountBeyondTheBodyIsInvalidBeforeAllocating) {
  expect_invalid(4, 61, 0x7f, "entries.count", 58);  // 0x7f000002 entries claimed in a 99-byte body
}

TEST(WireDecode, PayloadLengthBeyondTheBodyIsInvalid) { expect_invalid(4, 82, 0x7f, "entries[].length", 79); }

TEST(WireDecode, MembershipMustBeSortedUniqueNonZeroAndDisjoint) {
  expect_invalid(6, 54, 3, "meta.voters", 62);   // voters {3, 2, 3}: caught at the 2
  expect_invalid(6, 62, 1, "meta.voters", 62);   // voters {1, 1, 3}: duplicate
  expect_invalid(6, 54, 0, "meta.voters", 54);   // node 0
  expect_invalid(6, 82, 3, "meta.learners", 78); // learner 3 is also a voter
}

TEST(WireDecode, ChunkLengthBeyondTheBodyIsInvalid) { expect_invalid(6, 98, 0x40, "chunk.length", 98); }

TEST(WireDecode, ErrorsDescribeThemselves) {
  auto frame = wire::encode(golden_messages()[1]);
  frame[34] = std::byte{2};
  reseal(frame);
  EXPECT_EQ(decode_error(frame).describe(), "wire decode: invalid field at byte 34 (granted)");
}

// --- the stream decoder ---

std::vector<std::byte> all_golden_frames() {
  std::vector<std::byte> stream;
  for (const Message& m : golden_messages()) wire::encode_into(m, stream);
  return stream;
}

TEST(FrameDecoder, ManyFramesInOneChunk) {
  wire::FrameDecoder decoder;
  decoder.feed(all_golden_frames());
  for (const Message& expected : golden_messages()) {
    auto next = decoder.next();
    ASSERT_TRUE(next.has_value());
    ASSERT_TRUE(next->ok()) << next->error().describe();
    EXPECT_EQ(next->value(), expected);
  }
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.partial_bytes(), 0u);
}

TEST(FrameDecoder, OneByteAtATime) {
  wire::FrameDecoder decoder;
  std::vector<Message> got;
  for (std::byte b : all_golden_frames()) {
    decoder.feed(std::span<const std::byte>(&b, 1));
    while (auto next = decoder.next()) {
      ASSERT_TRUE(next->ok());
      got.push_back(next->value());
    }
  }
  EXPECT_EQ(got, golden_messages());
}

TEST(FrameDecoder, OversizedFrameIsRefusedFromItsHeaderAlone) {
  wire::FrameDecoder decoder(wire::DecodeOptions{1024});
  auto frame = wire::encode(golden_messages()[0]);
  frame[8] = std::byte{0x10};  // body length 1 MiB + ...
  decoder.feed(std::span<const std::byte>(frame.data(), 10));
  auto next = decoder.next();
  ASSERT_TRUE(next.has_value());
  ASSERT_FALSE(next->ok());
  EXPECT_EQ(next->error().code, DecodeErrorCode::LengthOverflow);
  EXPECT_TRUE(decoder.failed());
}

TEST(FrameDecoder, GarbageIsRefusedAtTheFirstByteAndTheErrorSticks) {
  wire::FrameDecoder decoder;
  const std::byte junk{'G'};
  decoder.feed(std::span<const std::byte>(&junk, 1));
  auto next = decoder.next();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->error().code, DecodeErrorCode::BadMagic);
  decoder.feed(all_golden_frames());
  auto again = decoder.next();
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->ok()) << "a stream that went wrong stays failed";
}

TEST(FrameDecoder, CorruptFrameFailsTheStreamAfterTheGoodOnes) {
  auto stream = all_golden_frames();
  const std::size_t second = wire::frame_size(golden_messages()[0]);
  stream[second + 15] ^= std::byte{1};
  wire::FrameDecoder decoder;
  decoder.feed(stream);
  auto first = decoder.next();
  ASSERT_TRUE(first.has_value() && first->ok());
  auto broken = decoder.next();
  ASSERT_TRUE(broken.has_value());
  EXPECT_EQ(broken->error().code, DecodeErrorCode::ChecksumMismatch);
}

}  // namespace
}  // namespace raftio::test
