#!/usr/bin/env bash
# Builds and runs every test, twice: with g++ (libraries optimized, warnings are errors) and with
# clang++ under AddressSanitizer + UndefinedBehaviorSanitizer (which stops at the first report),
# where the libFuzzer targets also run (the stateful ones for FUZZ_SECONDS, default 45, the
# decoders for less: fuzz/meson.build). Between the two, the mutation score (scripts/mutation-score.py): every planted Raft bug of sim/mutants/ must be caught by the
# simulator, one test case per mutant. Ends with one line
# "N passed, N failed" counting individual test cases, and fails if any failed or none ran.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 1

status=0
builds=()
run_suite() {  # name, compiler, meson options...
  local name=$1 compiler=$2
  shift 2
  local dir=build/test-$name
  builds+=("$dir")  # a build that fails leaves no test log, which the summary counts as a failure
  rm -f "$dir/meson-logs/testlog.junit.xml"
  echo "=== $name: configure and build"
  if [ ! -f "$dir/build.ninja" ]; then
    CXX=$compiler meson setup "$dir" --werror "$@" >"$dir.setup.log" 2>&1 || {
      cat "$dir.setup.log"; status=1; return; }
  fi
  ninja -C "$dir" || { status=1; return; }
  echo "=== $name: test (built at ${SECONDS} s)"
  meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
  echo "=== $name: done at ${SECONDS} s"
}

mkdir -p build
# The libraries -O2 (where the tests spend their time and where g++'s optimizer-based warnings
# matter), the tests' own code -O1, and line tables only (-g1): full debug info doubled the
# compile time of a RapidCheck test unit (22.9 s against 14.0 s at -O2) for nothing a CI log shows.
run_suite gcc g++ --buildtype=plain -Doptimization=1 -Dlibrary_optimization=2 -Ddebug=false -Dcpp_args=-g1

echo "=== mutation score (at ${SECONDS} s)"
builds+=(build/mutation)  # its JUnit log counts one case per mutant; none (a crash) counts as a failure
rm -f build/mutation/meson-logs/testlog.junit.xml
# In the g++ tree just built: each mutant recompiles only the file it plants (a scratch release
# build of its own first spent 105 s compiling the libraries again).
python3 scripts/mutation-score.py --in-tree build/test-gcc --junit build/mutation/meson-logs/testlog.junit.xml || status=1
run_suite clang-asan clang++ -Doptimization=0 -Dlibrary_optimization=1 -Ddebug=true -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false \
  -Dfuzz=true -Dfuzz_seconds="${FUZZ_SECONDS:-45}"

python3 scripts/junit_summary.py "${builds[@]}" || status=1
exit $status
