// A WAL segment of format version 1, written by the build before the record header check (the
// golden log of tests/test_wal_format.cpp: entries 1 "a" and 2 "bc" in term 1, hard state
// {1, 1, 1}; then entry 2 rewritten as "x" in term 2, hard state {2, 1, 2}). It pins that this
// build still reads version 1, and seeds the WAL fuzzer with one.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace raftio::test {

inline const std::string kGoldenWalV1 =
    "5246494f57414c31010000000000000001000000000000000100000000000000000000000000000007ea7bde86996dc2"
    "bd59872652b1afe418000000040000000000000000000000000000000000000000000000008e5f7e986bf5c230180000"
    "000200000000000000000000000000000000000000000000000000f0e2849e3935052900000001010000000000000002"
    "00000001000000000000000001000000610100000000000000000200000062636b834a7d0b6511bd1800000002010000"
    "00000000000100000000000000010000000000000014f3c6ba1ac7055008000000030200000000000000254c40eda47d"
    "61391a000000010200000000000000010000000200000000000000000100000078b7ebb4fbcca433f118000000020200"
    "00000000000001000000000000000200000000000000";

inline std::vector<std::byte> from_hex(const std::string& hex) {
  std::vector<std::byte> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<std::byte>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

}  // namespace raftio::test
