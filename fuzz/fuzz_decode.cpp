// Fuzz target: whole-frame decoding, from a plain byte span (payloads copied) and from a
// SharedBuffer (payloads viewed), of the input as is and with its checksum fixed up. Any input
// must decode or fail with a typed error whose offset lies inside it; both paths must agree.
#include <cstring>

#include "fuzz_common.h"

namespace {

void check_both_paths(std::span<const std::byte> bytes) {
  using namespace raftio;
  const wire::DecodeResult copied = wire::decode(bytes);
  SharedBuffer shared(bytes.size());
  if (!bytes.empty()) std::memcpy(shared.data(), bytes.data(), bytes.size());
  const wire::DecodeResult viewed = wire::decode(shared);
  RAFTIO_FUZZ_CHECK(copied.ok() == viewed.ok());
  if (copied.ok()) {
    RAFTIO_FUZZ_CHECK(copied.value() == viewed.value());
  } else {
    RAFTIO_FUZZ_CHECK(copied.error() == viewed.error());
    RAFTIO_FUZZ_CHECK(copied.error().offset <= bytes.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = raftio::fuzz::as_bytes(data, size);
  check_both_paths(bytes);
  check_both_paths(raftio::fuzz::resealed(bytes));
  return 0;
}
