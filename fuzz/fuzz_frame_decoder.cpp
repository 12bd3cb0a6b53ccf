// Fuzz target: FrameDecoder fed in fuzzer-chosen chunks must yield exactly what it yields when
// fed everything at once (messages and the error, if any).
#include <fuzzer/FuzzedDataProvider.h>

#include <vector>

#include "fuzz_common.h"

namespace {

std::vector<raftio::wire::DecodeResult> drain(raftio::wire::FrameDecoder& decoder) {
  std::vector<raftio::wire::DecodeResult> out;
  while (auto next = decoder.next()) {
    const bool failed = !next->ok();
    out.push_back(std::move(*next));
    if (failed) break;  // a failed stream repeats its error forever
  }
  return out;
}

bool same(const std::vector<raftio::wire::DecodeResult>& a, const std::vector<raftio::wire::DecodeResult>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].ok() != b[i].ok()) return false;
    if (a[i].ok() ? !(a[i].value() == b[i].value()) : !(a[i].error() == b[i].error())) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace raftio;
  FuzzedDataProvider provider(data, size);
  const std::size_t max_frame = provider.ConsumeBool() ? wire::kDefaultMaxFrameBytes : provider.ConsumeIntegralInRange<std::size_t>(18, 4096);
  const std::vector<std::uint8_t> chunk_sizes = provider.ConsumeBytes<std::uint8_t>(provider.ConsumeIntegralInRange<std::size_t>(0, 64));
  const std::vector<std::uint8_t> stream = provider.ConsumeRemainingBytes<std::uint8_t>();
  const auto bytes = raftio::fuzz::as_bytes(stream.data(), stream.size());

  wire::FrameDecoder whole(wire::DecodeOptions{max_frame});
  whole.feed(bytes);
  const auto expected = drain(whole);

  wire::FrameDecoder chunked(wire::DecodeOptions{max_frame});
  std::vector<wire::DecodeResult> got;
  std::size_t at = 0;
  for (std::size_t i = 0; at < bytes.size(); ++i) {
    const std::size_t chunk = chunk_sizes.empty() ? 1 : std::size_t{chunk_sizes[i % chunk_sizes.size()]} + 1;
    const std::size_t take = std::min(chunk, bytes.size() - at);
    chunked.feed(bytes.subspan(at, take));
    at += take;
    for (auto& result : drain(chunked)) got.push_back(std::move(result));
    if (chunked.failed()) break;
  }
  RAFTIO_FUZZ_CHECK(same(got, expected));
  return 0;
}
