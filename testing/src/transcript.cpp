#include "raftio/testing/transcript.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "raftio/testing/environment.h"

namespace raftio::testing {

namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

}  // namespace

TranscriptResult run_transcript(std::string_view text) {
  TranscriptResult result;
  Environment env;
  const auto lines = lines_of(text);
  std::size_t i = 0;
  while (i < lines.size()) {
    const std::string& line = lines[i];
    if (blank(line) || line[0] == '#') {
      result.rewritten += line + "\n";
      ++i;
      continue;
    }
    const std::size_t command_line = i + 1;
    if (i + 1 >= lines.size() || lines[i + 1] != "----") {
      result.error = "line " + std::to_string(command_line) + ": command '" + line + "' is not followed by ----";
      return result;
    }
    std::string expected;
    i += 2;
    while (i < lines.size() && !blank(lines[i])) expected += lines[i++] + "\n";
    const std::string actual = env.execute(line);
    if (actual != expected) result.mismatches.push_back({command_line, line, expected, actual});
    result.rewritten += line + "\n----\n" + actual;
  }
  return result;
}

TranscriptResult run_transcript_file(const std::string& path, bool rewrite) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    TranscriptResult result;
    result.error = "cannot read " + path;
    return result;
  }
  std::stringstream text;
  text << in.rdbuf();
  TranscriptResult result = run_transcript(text.str());
  if (rewrite && result.error.empty()) {
    if (result.rewritten != text.str()) {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << result.rewritten;
      if (!out) result.error = "cannot write " + path;
    }
    result.mismatches.clear();
  }
  return result;
}

std::string TranscriptResult::report(std::string_view name) const {
  std::string out;
  if (!error.empty()) out += std::string(name) + ": " + error + "\n";
  for (const auto& m : mismatches) {
    out += std::string(name) + ":" + std::to_string(m.line) + ": " + m.command + "\n--- expected\n" + m.expected +
           "--- actual\n" + m.actual;
  }
  if (!mismatches.empty()) out += "(RAFTIO_REWRITE=1 rewrites the expected output after a deliberate change)\n";
  return out;
}

bool rewrite_requested() {
  const char* value = std::getenv("RAFTIO_REWRITE");
  return value != nullptr && std::string_view(value) == "1";
}

}  // namespace raftio::testing
