#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: new inputs go to a scratch corpus in the build
# directory, the checked-in seeds are read only.
# Usage: run_fuzzer.sh <target> <seconds> <seeds> <scratch> [max input bytes, default 4096]
set -euo pipefail
target=$1 seconds=$2 seeds=$3 scratch=$4 max_len=${5:-4096}
mkdir -p "$scratch" "$scratch.artifacts"
# -malloc_limit_mb: one allocation above this is a finding (decoders must not allocate more than
# their input justifies; inputs are at most max_len bytes).
# -error_exitcode=1: libFuzzer's default for a finding is 77, which Meson reads as "skipped", so a
# crash, a failed check or a replayed regress_* seed would never fail the suite.
exec "$target" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=1024 -malloc_limit_mb=64 \
  -error_exitcode=1 -print_final_stats=1 -artifact_prefix="$scratch.artifacts/" "$scratch" "$seeds"
