// Transcripts: text files of commands and their expected output, in the style of etcd's
// datadriven tests. Each case is a command line, a line "----", then the expected output up to a
// blank line; lines starting with '#' and blank lines between cases are comments. Every file runs
// on a fresh Environment, case after case:
//
//   # node 1 wins the first election
//   add-nodes 3
//   ----
//   added 1,2,3 voters=[1,2,3]
//
// A command's output never contains a blank line (empty output is "ok").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace raftio::testing {

struct TranscriptMismatch {
  std::size_t line = 0;  // of the command, 1-based
  std::string command;
  std::string expected;
  std::string actual;
};

struct TranscriptResult {
  std::vector<TranscriptMismatch> mismatches;
  std::string rewritten;  // the transcript with every expected output replaced by the actual one
  std::string error;      // a malformed transcript (no "----" after a command)
  bool ok() const { return mismatches.empty() && error.empty(); }
  // A readable report of the mismatches (or the error), naming `name`.
  std::string report(std::string_view name) const;
};

// Runs the transcript text on a fresh Environment.
TranscriptResult run_transcript(std::string_view text);

// Runs the file at `path`. With `rewrite`, writes the actual outputs back into it (after a
// deliberate change of behaviour: review the diff) and reports no mismatch. An unreadable file
// is an error.
TranscriptResult run_transcript_file(const std::string& path, bool rewrite);

// True when the environment variable RAFTIO_REWRITE is set to 1.
bool rewrite_requested();

}  // namespace raftio::testing
