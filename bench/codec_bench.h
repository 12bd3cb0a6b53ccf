// Codec throughput: encode and decode MB/s for a message, next to memcpy of the same bytes.
#pragma once

#include <string>

#include "raftio/messages.h"

namespace raftio::bench {

struct CodecResult {
  std::size_t frame_bytes = 0;
  double encode_mb_s = 0;
  double decode_mb_s = 0;       // from a SharedBuffer: payloads are views (the stream path)
  double decode_copy_mb_s = 0;  // from a plain span: payloads are copied
  double memcpy_mb_s = 0;
};

CodecResult measure_codec(const Message& message, double seconds_per_measure);

}  // namespace raftio::bench
