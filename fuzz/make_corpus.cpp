// Writes the seed corpora from the golden messages (tests/support/golden_messages.h):
//   make-corpus <fuzz/corpus directory>
// The files are checked in; tests/test_fuzz_corpus.cpp fails if they drift from this output.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz/corpus_seeds.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus directory>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  for (const auto& seed : raftio::fuzz::corpus_seeds()) {
    std::filesystem::create_directories(root / seed.target);
    std::ofstream out(root / seed.target / seed.name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(seed.bytes.data()), static_cast<std::streamsize>(seed.bytes.size()));
    std::printf("%s/%s (%zu bytes)\n", seed.target.c_str(), seed.name.c_str(), seed.bytes.size());
  }
  return 0;
}
