#include "codec_bench.h"

#include <chrono>
#include <cstring>
#include <vector>

#include "raftio/wire.h"

namespace raftio::bench {

namespace {

// Keeps the optimizer from dropping work whose result is otherwise unused.
template <class T>
void keep(T const& value) {
  asm volatile("" : : "g"(&value) : "memory");
}

// Runs `body` in growing batches until `seconds` have passed; returns bytes per second.
template <class Body>
double rate(std::size_t bytes_per_call, double seconds, Body body) {
  using Clock = std::chrono::steady_clock;
  std::size_t calls = 0;
  std::size_t batch = 1;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (std::size_t i = 0; i < batch; ++i) body();
    calls += batch;
    batch *= 2;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return static_cast<double>(bytes_per_call) * static_cast<double>(calls) / elapsed / 1e6;
}

}  // namespace

CodecResult measure_codec(const Message& message, double seconds) {
  CodecResult result;
  const std::vector<std::byte> frame = wire::encode(message);
  result.frame_bytes = frame.size();
  const wire::DecodeOptions options{frame.size()};

  std::vector<std::byte> buffer;
  buffer.reserve(frame.size());
  result.encode_mb_s = rate(frame.size(), seconds, [&] {
    buffer.clear();
    wire::encode_into(message, buffer);
    keep(buffer);
  });

  SharedBuffer shared(frame.size());
  std::memcpy(shared.data(), frame.data(), frame.size());
  result.decode_mb_s = rate(frame.size(), seconds, [&] {
    auto decoded = wire::decode(shared, options);
    keep(decoded);
  });
  result.decode_copy_mb_s = rate(frame.size(), seconds, [&] {
    auto decoded = wire::decode(frame, options);
    keep(decoded);
  });

  std::vector<std::byte> destination(frame.size());
  result.memcpy_mb_s = rate(frame.size(), seconds, [&] {
    std::memcpy(destination.data(), frame.data(), frame.size());
    keep(destination);
  });
  return result;
}

}  // namespace raftio::bench
