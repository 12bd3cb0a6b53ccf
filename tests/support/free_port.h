// A loopback TCP port for a test to listen on later. Picked below the kernel's ephemeral range
// (ip_local_port_range), so that the outgoing connections the test makes meanwhile cannot take it
// (the kv end-to-end tests once failed that way), and checked free by binding it once.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>

namespace raftio::test {

inline std::uint16_t free_port() {
  static std::set<std::uint16_t> handed_out;  // never the same port twice in one process
  unsigned ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  const unsigned low = 10000;
  const unsigned high = ephemeral_low > low + 1000 ? ephemeral_low - 1 : 30000;
  std::mt19937 pick(std::random_device{}());
  asio::io_context io;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<std::uint16_t>(std::uniform_int_distribution<unsigned>(low, high)(pick));
    if (handed_out.count(port) != 0) continue;
    asio::ip::tcp::acceptor probe(io);
    asio::error_code error;
    probe.open(asio::ip::tcp::v4(), error);
    if (!error) probe.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
    if (!error) probe.bind(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), error);
    if (error) continue;
    handed_out.insert(port);
    return port;
  }
  throw std::runtime_error("no free loopback port below the ephemeral range");
}

}  // namespace raftio::test
