#!/usr/bin/env bash
# A run's client history, written by --history and contained in its --trace, passes
# --check-history (docs/SIMULATION.md, "The client history"). Usage: history_round_trip.sh RAFTIO_SIM
set -euo pipefail
sim=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$sim" --seed 3 --nodes 3 --ticks 2000 --history "$dir/history.jsonl" --trace "$dir/trace.jsonl" >/dev/null
"$sim" --check-history "$dir/history.jsonl"
"$sim" --check-history "$dir/trace.jsonl"
