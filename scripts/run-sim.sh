#!/usr/bin/env bash
# The main job: builds raftio (optimized) and runs a seeded simulation, printing its report.
# Arguments go to raftio-sim (try --help); the default is seed 1 with message loss.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
build=build/release
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=release -Dtests=false -Dbench=false >/dev/null
fi
ninja -C "$build" sim/raftio-sim >/dev/null
exec "$build/sim/raftio-sim" "$@"
