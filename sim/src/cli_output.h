// raftio-sim's output files: one way to open them and one message when it fails.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>

namespace raftio::sim {

// Says that `path` cannot be written; returns raftio-sim's exit status for it (2).
inline int cannot_write(const std::string& path) {
  std::fprintf(stderr, "raftio-sim: cannot write %s\n", path.c_str());
  return 2;
}

// Opens `path` for writing into `file`; false (and the message) when it cannot.
inline bool open_output(std::ofstream& file, const std::string& path) {
  file.open(path);
  if (file) return true;
  cannot_write(path);
  return false;
}

}  // namespace raftio::sim
