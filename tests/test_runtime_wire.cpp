// The runtime's frames (runtime_wire.h) and the reader that splits a peer stream into Raft and
// runtime frames (peer_frame_reader.h): round trips, one pinned frame, and hostile input (every
// truncation, every flipped bit, lengths at their limits, fields the format forbids).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "raftio/runtime/peer_frame_reader.h"
#include "raftio/runtime/runtime_wire.h"
#include "raftio/wire.h"

namespace raftio::runtime {
namespace {

using wire::DecodeErrorCode;

std::string hex(const std::vector<std::byte>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const std::byte b : bytes) {
    out += digits[std::to_integer<unsigned>(b) >> 4];
    out += digits[std::to_integer<unsigned>(b) & 15];
  }
  return out;
}

std::vector<PeerMessage> samples() {
  std::vector<PeerMessage> out;
  out.push_back(ForwardedProposal{2, 1, 7, Payload::copy_of("incr")});
  out.push_back(ForwardedProposal{3, 1, std::numeric_limits<std::uint64_t>::max(), Payload()});
  ForwardedOutcome applied{1, 2, 7, ForwardStatus::Applied, kNoNode, RejectReason::NotLeader, Payload::copy_of("42")};
  out.push_back(applied);
  ForwardedOutcome not_leader{1, 2, 8, ForwardStatus::NotLeader, 3, RejectReason::NotLeader, Payload()};
  out.push_back(not_leader);
  ForwardedOutcome refused{1, 2, 9, ForwardStatus::Refused, 3, RejectReason::TransferInProgress, Payload()};
  out.push_back(refused);
  for (std::uint8_t status = 3; status <= kMaxForwardStatus; ++status) {
    out.push_back(ForwardedOutcome{1, 2, 10u + status, static_cast<ForwardStatus>(status), kNoNode,
                                   RejectReason::NotLeader, Payload()});
  }
  return out;
}

// Rewrites the checksum, so that a test reaches the checks behind it.
void reseal(std::vector<std::byte>& frame) {
  const std::uint64_t sum = peer_wire::frame_checksum(std::span<const std::byte>(frame.data(), frame.size() - 8));
  for (int i = 0; i < 8; ++i) frame[frame.size() - 8 + i] = static_cast<std::byte>(sum >> (8 * i));
}

void put_u32_at(std::vector<std::byte>& frame, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) frame[at + i] = static_cast<std::byte>(v >> (8 * i));
}
void put_u64_at(std::vector<std::byte>& frame, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) frame[at + i] = static_cast<std::byte>(v >> (8 * i));
}

TEST(RuntimeWire, EveryMessageRoundTripsAndItsFrameHasTheAnnouncedSize) {
  for (const PeerMessage& message : samples()) {
    const std::vector<std::byte> frame = peer_wire::encode(message);
    EXPECT_EQ(frame.size(), peer_wire::frame_size(message));
    EXPECT_TRUE(peer_wire::is_runtime_frame(frame));
    auto decoded = peer_wire::decode(frame);
    ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
    EXPECT_EQ(decoded.value(), message);
  }
}

// Pinned byte for byte (docs/RUNTIME.md shows the same frame): a format change fails here first.
TEST(RuntimeWire, AForwardedProposalFrameIsPinned) {
  const std::vector<std::byte> frame = peer_wire::encode(ForwardedProposal{2, 1, 7, Payload::copy_of("incr")});
  const std::string expected_head =
      "52465254"  // "RFRT"
      "01"        // version
      "01"        // kind: forwarded proposal
      "20000000"  // body length 32
      "0200000000000000"
      "0100000000000000"
      "0700000000000000"
      "04000000"
      "696e6372";  // "incr"
  ASSERT_EQ(frame.size(), 50u);
  EXPECT_EQ(hex(frame).substr(0, expected_head.size()), expected_head);
}

TEST(RuntimeWire, EveryTruncationIsTruncatedAndEveryFlippedBitIsRefused) {
  for (const PeerMessage& message : samples()) {
    const std::vector<std::byte> frame = peer_wire::encode(message);
    for (std::size_t size = 0; size < frame.size(); ++size) {
      auto decoded = peer_wire::decode(std::span<const std::byte>(frame.data(), size));
      ASSERT_FALSE(decoded.ok()) << size;
      EXPECT_EQ(decoded.error().code, DecodeErrorCode::Truncated) << size << ": " << decoded.error().describe();
    }
    for (std::size_t bit = 0; bit < frame.size() * 8; ++bit) {
      std::vector<std::byte> flipped = frame;
      flipped[bit / 8] ^= std::byte(1u << (bit % 8));
      EXPECT_FALSE(peer_wire::decode(flipped).ok()) << "bit " << bit;
    }
    std::vector<std::byte> longer = frame;
    longer.push_back(std::byte{0});
    auto decoded = peer_wire::decode(longer);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, DecodeErrorCode::TrailingBytes);
  }
}

TEST(RuntimeWire, LengthsAtTheirLimitsAreRefusedBeforeAnythingIsRead) {
  std::vector<std::byte> frame = peer_wire::encode(ForwardedProposal{2, 1, 7, Payload::copy_of("incr")});
  for (const std::uint32_t length : {0xffffffffu, 0xfffffff0u, static_cast<std::uint32_t>(peer_wire::kMaxFrameBytes)}) {
    std::vector<std::byte> lying = frame;
    put_u32_at(lying, 6, length);
    auto decoded = peer_wire::decode(lying);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, DecodeErrorCode::LengthOverflow) << length;
    EXPECT_EQ(decoded.error().offset, 6u);
  }
  // A command length larger than the body (near 2^32), checksum correct: refused, not read.
  for (const std::uint32_t length : {0xffffffffu, 0x80000000u, 5u}) {
    std::vector<std::byte> lying = frame;
    put_u32_at(lying, 10 + 24, length);
    reseal(lying);
    auto decoded = peer_wire::decode(lying);
    ASSERT_FALSE(decoded.ok()) << length;
    EXPECT_EQ(decoded.error().code, DecodeErrorCode::InvalidField) << length;
    EXPECT_EQ(decoded.error().field, "command length");
  }
  // A command length shorter than the body leaves bytes behind.
  std::vector<std::byte> short_length = frame;
  put_u32_at(short_length, 10 + 24, 3);
  reseal(short_length);
  auto decoded = peer_wire::decode(short_length);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, DecodeErrorCode::TrailingBytes);
  EXPECT_EQ(decoded.error().field, "body");
}

TEST(RuntimeWire, FieldsTheFormatForbidsAreRefusedByName) {
  struct Case {
    std::size_t body_offset;
    std::uint64_t value;
    int width;
    std::string_view field;
  };
  // Outcome body: from 0, to 8, request 16, status 24, hint 25, reason 33, response length 34.
  const ForwardedOutcome lost{1, 2, 9, ForwardStatus::ProposalLost, kNoNode, RejectReason::NotLeader, Payload()};
  const std::vector<Case> cases = {
      {0, 0, 8, "from"},            {8, 0, 8, "to"},
      {8, 1, 8, "to"},              // to == from
      {24, 8, 1, "status"},         {24, 255, 1, "status"},
      {25, 3, 8, "leader_hint"},    // a hint on ProposalLost
      {33, 1, 1, "reason"},         // a reason on ProposalLost
  };
  for (const Case& c : cases) {
    std::vector<std::byte> frame = peer_wire::encode(lost);
    if (c.width == 8) {
      put_u64_at(frame, 10 + c.body_offset, c.value);
    } else {
      frame[10 + c.body_offset] = static_cast<std::byte>(c.value);
    }
    reseal(frame);
    auto decoded = peer_wire::decode(frame);
    ASSERT_FALSE(decoded.ok()) << c.field;
    EXPECT_EQ(decoded.error().code, DecodeErrorCode::InvalidField) << c.field;
    EXPECT_EQ(decoded.error().field, c.field);
    EXPECT_EQ(decoded.error().offset, 10 + c.body_offset);
  }
  // A refusal reason beyond the last one.
  std::vector<std::byte> refused = peer_wire::encode(
      ForwardedOutcome{1, 2, 9, ForwardStatus::Refused, 3, RejectReason::LogFull, Payload()});
  refused[10 + 33] = std::byte{static_cast<std::uint8_t>(RejectReason::LogFull) + 1};
  reseal(refused);
  auto decoded = peer_wire::decode(refused);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().field, "reason");
  // A response on anything but Applied: the frame is resized to carry it.
  ForwardedOutcome with_response{1, 2, 9, ForwardStatus::Applied, kNoNode, RejectReason::NotLeader, Payload::copy_of("x")};
  std::vector<std::byte> frame = peer_wire::encode(with_response);
  frame[10 + 24] = std::byte{static_cast<std::uint8_t>(ForwardStatus::OutcomeUnknown)};
  reseal(frame);
  decoded = peer_wire::decode(frame);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().field, "response length");
}

TEST(RuntimeWire, AHeaderOfAnotherVersionKindOrMagicIsRefusedWhereItStands) {
  const std::vector<std::byte> frame = peer_wire::encode(ForwardedProposal{2, 1, 7, Payload::copy_of("incr")});
  std::vector<std::byte> version = frame;
  version[4] = std::byte{2};
  EXPECT_EQ(peer_wire::decode(version).error().code, DecodeErrorCode::UnsupportedVersion);
  for (const std::uint8_t kind : {0, 3, 255}) {
    std::vector<std::byte> other = frame;
    other[5] = std::byte{kind};
    EXPECT_EQ(peer_wire::decode(other).error().code, DecodeErrorCode::UnknownKind) << int(kind);
  }
  const std::vector<std::byte> raft = wire::encode(TimeoutNow{1, 2, 3});
  EXPECT_FALSE(peer_wire::is_runtime_frame(raft));
  auto decoded = peer_wire::decode(raft);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, DecodeErrorCode::BadMagic);
  EXPECT_EQ(decoded.error().offset, 2u);
}

TEST(PeerFrameReader, SplitsAStreamOfRaftAndRuntimeFramesFedOneByteAtATime) {
  const Message raft = TimeoutNow{1, 2, 3};
  const PeerMessage proposal = ForwardedProposal{1, 2, 7, Payload::copy_of("incr")};
  const PeerMessage outcome = ForwardedOutcome{1, 2, 7, ForwardStatus::Applied, kNoNode, RejectReason::NotLeader,
                                               Payload::copy_of("42")};
  std::vector<std::byte> stream;
  wire::encode_into(raft, stream);
  peer_wire::encode_into(proposal, stream);
  wire::encode_into(raft, stream);
  peer_wire::encode_into(outcome, stream);
  PeerFrameReader reader;
  std::vector<PeerFrame> frames;
  for (const std::byte b : stream) {
    reader.feed(std::span<const std::byte>(&b, 1));
    while (auto next = reader.next()) {
      ASSERT_TRUE(next->ok()) << next->error().describe();
      frames.push_back(std::move(*next).value());
    }
  }
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(std::get<Message>(frames[0]), raft);
  EXPECT_EQ(std::get<PeerMessage>(frames[1]), proposal);
  EXPECT_EQ(std::get<Message>(frames[2]), raft);
  EXPECT_EQ(std::get<PeerMessage>(frames[3]), outcome);
  EXPECT_FALSE(reader.failed());
}

TEST(PeerFrameReader, AnOversizedLengthFailsFromTheHeaderAloneAndTheErrorSticks) {
  for (const bool runtime : {false, true}) {
    std::vector<std::byte> frame = runtime ? peer_wire::encode(ForwardedProposal{1, 2, 7, Payload()})
                                           : wire::encode(TimeoutNow{1, 2, 3});
    put_u32_at(frame, 6, 0xffffffffu);
    PeerFrameReader reader;
    reader.feed(std::span<const std::byte>(frame.data(), wire::kHeaderBytes));
    ASSERT_TRUE(reader.failed()) << runtime;
    auto next = reader.next();
    ASSERT_TRUE(next && !next->ok());
    EXPECT_EQ(next->error().code, DecodeErrorCode::LengthOverflow);
    reader.feed(peer_wire::encode(ForwardedProposal{1, 2, 8, Payload()}));
    next = reader.next();
    ASSERT_TRUE(next && !next->ok());
    EXPECT_EQ(next->error().code, DecodeErrorCode::LengthOverflow);
  }
}

TEST(PeerFrameReader, AByteThatFitsNeitherMagicFailsAtItsOffset) {
  const std::vector<std::vector<std::uint8_t>> inputs = {
      {'X'}, {'R', 'X'}, {'R', 'F', 'X'}, {'R', 'F', 'I', 'T'}, {'R', 'F', 'R', 'O'}};
  for (const auto& input : inputs) {
    PeerFrameReader reader;
    std::vector<std::byte> bytes;
    for (const std::uint8_t b : input) bytes.push_back(std::byte{b});
    reader.feed(bytes);
    auto next = reader.next();
    ASSERT_TRUE(next && !next->ok()) << input.size();
    EXPECT_EQ(next->error().code, DecodeErrorCode::BadMagic);
    EXPECT_EQ(next->error().offset, input.size() - 1);
  }
}

TEST(PeerFrameReader, ARaftFrameOfACorruptBodyFailsTheStream) {
  std::vector<std::byte> stream = peer_wire::encode(ForwardedProposal{1, 2, 7, Payload()});
  std::vector<std::byte> raft = wire::encode(TimeoutNow{1, 2, 3});
  raft[12] ^= std::byte{1};
  stream.insert(stream.end(), raft.begin(), raft.end());
  PeerFrameReader reader;
  reader.feed(stream);
  auto first = reader.next();
  ASSERT_TRUE(first && first->ok());
  auto second = reader.next();
  ASSERT_TRUE(second && !second->ok());
  EXPECT_EQ(second->error().code, DecodeErrorCode::ChecksumMismatch);
}

// The checked-in seeds of fuzz/fuzz_peer_frames.cpp (one chunk-size byte, then the stream) are
// the frames their names say: a format change that leaves them stale fails here.
TEST(PeerFrameReader, TheFuzzSeedsAreTheStreamsTheirNamesSay) {
  struct Seed {
    const char* name;
    std::size_t frames;
    std::optional<DecodeErrorCode> error;
  };
  const Seed seeds[] = {
      {"forwarded_proposal", 1, std::nullopt},     {"outcome_applied", 1, std::nullopt},
      {"outcome_refused", 1, std::nullopt},        {"raft_and_runtime_stream", 3, std::nullopt},
      {"truncated_proposal", 0, std::nullopt},     {"length_overflow", 0, DecodeErrorCode::LengthOverflow},
  };
  for (const Seed& seed : seeds) {
    std::ifstream in(std::string(RAFTIO_SOURCE_ROOT) + "/fuzz/corpus/peer_frames/" + seed.name, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 1u) << seed.name << " is missing";
    PeerFrameReader reader;
    reader.feed(std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()) + 1, bytes.size() - 1));
    std::size_t frames = 0;
    std::optional<DecodeErrorCode> error;
    while (auto next = reader.next()) {
      if (!next->ok()) {
        error = next->error().code;
        break;
      }
      ++frames;
    }
    EXPECT_EQ(frames, seed.frames) << seed.name;
    EXPECT_EQ(error, seed.error) << seed.name;
  }
}

}  // namespace
}  // namespace raftio::runtime
