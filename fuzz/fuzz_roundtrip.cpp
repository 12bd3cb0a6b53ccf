// Differential fuzz target: whenever a frame decodes, encoding the message gives back the very
// same bytes (the format is canonical) and decoding those gives an equal message. The input is
// tried as is and with its checksum fixed up, so the fuzzer reaches the body's fields.
#include <algorithm>

#include "fuzz_common.h"

namespace {

void check_canonical(std::span<const std::byte> bytes) {
  using namespace raftio;
  const wire::DecodeResult decoded = wire::decode(bytes);
  if (!decoded.ok()) return;
  const std::vector<std::byte> encoded = wire::encode(decoded.value());
  RAFTIO_FUZZ_CHECK(encoded.size() == bytes.size());
  RAFTIO_FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), bytes.begin()));
  RAFTIO_FUZZ_CHECK(wire::frame_size(decoded.value()) == bytes.size());
  const wire::DecodeResult again = wire::decode(encoded);
  RAFTIO_FUZZ_CHECK(again.ok() && again.value() == decoded.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = raftio::fuzz::as_bytes(data, size);
  check_canonical(bytes);
  check_canonical(raftio::fuzz::resealed(bytes));
  return 0;
}
