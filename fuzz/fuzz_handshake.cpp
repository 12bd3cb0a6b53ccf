// Fuzz target: the peer hello codec of the runtime's peer transport (<raftio/runtime/handshake.h>).
// decode_hello is total: any bytes give a hello, "need more" or a typed error, never a crash or an
// out-of-bounds read (ASan). What decodes re-encodes to exactly the bytes it consumed, and every
// shorter prefix of those needs more; an error stays the same error whatever follows it; and the
// membership check and the descriptions accept whatever decoded.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_common.h"
#include <raftio/runtime/handshake.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace raftio::runtime;
  using raftio::kNoNode;
  using raftio::NodeId;
  const auto input = raftio::fuzz::as_bytes(data, size);
  const HelloDecode decoded = decode_hello(input);
  switch (decoded.status) {
    case HelloDecode::Status::Complete: {
      RAFTIO_FUZZ_CHECK(decoded.consumed <= size && decoded.consumed <= kMaxHelloBytes);
      const std::vector<std::byte> encoded = encode_hello(decoded.hello);
      RAFTIO_FUZZ_CHECK(encoded.size() == decoded.consumed);
      RAFTIO_FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), input.begin()));
      for (std::size_t prefix = 0; prefix < decoded.consumed; ++prefix) {
        RAFTIO_FUZZ_CHECK(decode_hello(input.first(prefix)).status == HelloDecode::Status::NeedMore);
      }
      const NodeId members[] = {1, 2, 3, decoded.hello.node_id};
      const HelloPolicy policy{"kv", 2, members, size % 2 == 0 ? kNoNode : NodeId{3}};
      if (const auto refusal = check_hello(decoded.hello, policy)) {
        RAFTIO_FUZZ_CHECK(!describe(*refusal, decoded.hello, policy).empty());
      }
      break;
    }
    case HelloDecode::Status::NeedMore:
      RAFTIO_FUZZ_CHECK(size < kMaxHelloBytes);
      break;
    case HelloDecode::Status::Error: {
      RAFTIO_FUZZ_CHECK(!describe(decoded).empty());
      std::vector<std::byte> longer(input.begin(), input.end());
      longer.push_back(std::byte{0});
      const HelloDecode again = decode_hello(longer);
      RAFTIO_FUZZ_CHECK(again.status == HelloDecode::Status::Error && again.error == decoded.error &&
                        again.detail == decoded.detail);
      break;
    }
  }
  return 0;
}
