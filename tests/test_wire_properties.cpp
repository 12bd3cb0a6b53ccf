// Properties of the wire codec over arbitrary messages: round trips, canonical bytes, stream
// decoding under any chunking, and rejection of every bit flip and every truncation.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstring>

#include "support/message_gen.h"

namespace raftio::test {
namespace {

SharedBuffer shared_copy(const std::vector<std::byte>& bytes) {
  SharedBuffer buffer(bytes.size());
  if (!bytes.empty()) std::memcpy(buffer.data(), bytes.data(), bytes.size());
  return buffer;
}

RC_GTEST_PROP(WireProperties, DecodeOfEncodeIsTheSameMessage, ()) {
  const Message message = *gen_message();
  const auto bytes = wire::encode(message);
  RC_ASSERT(bytes.size() == wire::frame_size(message));
  auto copied = wire::decode(bytes, wire::DecodeOptions{std::size_t{1} << 30});
  RC_ASSERT(copied.ok());
  RC_ASSERT(copied.value() == message);
  auto viewed = wire::decode(shared_copy(bytes), wire::DecodeOptions{std::size_t{1} << 30});
  RC_ASSERT(viewed.ok());
  RC_ASSERT(viewed.value() == message);
  RC_CLASSIFY(kind_of(message) == MessageKind::AppendEntries, "AppendEntries");
  RC_CLASSIFY(bytes.size() > 10000, "over 10 KB");
}

// Canonical: a frame that decodes re-encodes to the very same bytes.
RC_GTEST_PROP(WireProperties, EncodeOfDecodeIsTheSameBytes, ()) {
  const auto bytes = wire::encode(*gen_message());
  auto decoded = wire::decode(bytes, wire::DecodeOptions{std::size_t{1} << 30});
  RC_ASSERT(decoded.ok());
  RC_ASSERT(wire::encode(decoded.value()) == bytes);
}

// A stream of frames cut into arbitrary chunks yields exactly the messages, in order.
RC_GTEST_PROP(WireProperties, FrameDecoderYieldsTheSameMessagesUnderAnyChunking, ()) {
  const auto messages = *rc::gen::container<std::vector<Message>>(gen_message(512, 20));
  std::vector<std::byte> stream;
  for (const Message& m : messages) wire::encode_into(m, stream);
  const auto cuts = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, stream.size() + 1));
  std::vector<std::size_t> points(cuts.begin(), cuts.end());
  points.push_back(0);
  points.push_back(stream.size());
  std::sort(points.begin(), points.end());
  wire::FrameDecoder decoder;
  std::vector<Message> got;
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    decoder.feed(std::span<const std::byte>(stream.data() + points[i], points[i + 1] - points[i]));
    while (auto next = decoder.next()) {
      RC_ASSERT(next->ok());
      got.push_back(std::move(next->value()));
    }
  }
  RC_ASSERT(got == messages);
  RC_ASSERT(decoder.partial_bytes() == 0u);
}

RC_GTEST_PROP(WireProperties, EverySingleBitFlipIsRejected, ()) {
  const auto frame = wire::encode(*gen_message(64, 4));
  for (std::size_t bit = 0; bit < frame.size() * 8; ++bit) {
    auto flipped = frame;
    flipped[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
    auto result = wire::decode(flipped);
    RC_ASSERT(!result.ok());
    wire::FrameDecoder stream;
    stream.feed(flipped);
    auto next = stream.next();
    RC_ASSERT(!(next.has_value() && next->ok()));
  }
}

RC_GTEST_PROP(WireProperties, EveryTruncationIsRejectedAsTruncated, ()) {
  const auto frame = wire::encode(*gen_message(256, 8));
  for (std::size_t size = 0; size < frame.size(); ++size) {
    auto result = wire::decode(std::span<const std::byte>(frame.data(), size));
    RC_ASSERT(!result.ok());
    RC_ASSERT(result.error().code == wire::DecodeErrorCode::Truncated);
    RC_ASSERT(result.error().offset == size);
  }
}

// Arbitrary bytes never crash the decoder, and whatever decodes re-encodes canonically.
RC_GTEST_PROP(WireProperties, ArbitraryBytesDecodeOrFailCleanly, ()) {
  auto bytes = *rc::gen::container<std::vector<std::byte>>(rc::gen::map(rc::gen::arbitrary<std::uint8_t>(), [](std::uint8_t b) { return std::byte{b}; }));
  if (*rc::gen::arbitrary<bool>() && bytes.size() >= 4) std::memcpy(bytes.data(), wire::kMagic, 4);
  auto result = wire::decode(bytes);
  if (result.ok()) RC_ASSERT(wire::encode(result.value()) == bytes);
}

}  // namespace
}  // namespace raftio::test
