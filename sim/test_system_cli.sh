#!/usr/bin/env bash
# raftio-sim --model M --shrink and --schedule end to end: the planted bug of each model is shrunk
# to a schedule file that replays the same check, with its timeline and history; a damaged file is
# refused with its line number.
#   sim/test_system_cli.sh RAFTIO_SIM
set -u
sim=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

check_model() {
  local model=$1 bug=$2 seed=$3
  local file=$dir/$model.schedule
  "$sim" --model "$model" --seed "$seed" --plant-bug "$bug" --shrink --shrink-out "$file" >"$dir/shrink.out" 2>&1
  [ $? -eq 1 ] || { cat "$dir/shrink.out"; fail "$model: --shrink should exit 1 on a failing seed"; }
  grep -q "^wrote $file" "$dir/shrink.out" || fail "$model: no schedule written"
  grep -q "^model $model$" "$file" || fail "$model: the file does not name its model"
  grep -q "^plant-bug $bug$" "$file" || fail "$model: the file does not name the bug"
  local check
  check=$(sed -n 's/^check //p' "$file")
  [ -n "$check" ] || fail "$model: no check recorded"
  local ops
  ops=$(sed -n 's/^client [0-9]*://p' "$file" | wc -w)
  "$sim" --schedule "$file" --html "$dir/t.html" --history "$dir/h.jsonl" >"$dir/replay.out" 2>&1
  [ $? -eq 1 ] || { cat "$dir/replay.out"; fail "$model: the replay should fail"; }
  grep -q "^FAILED seed $seed: $check: " "$dir/replay.out" || { cat "$dir/replay.out"; fail "$model: the replay failed another check than $check"; }
  grep -q "^the check the file records$" "$dir/replay.out" || fail "$model: the replay does not confirm the check"
  grep -q "<svg" "$dir/t.html" || fail "$model: no timeline"
  [ "$(wc -l <"$dir/h.jsonl")" -eq "$ops" ] || fail "$model: the history has not one line per operation of the schedule ($ops)"
  # The same file without the bug passes: it is the bug that fails it.
  sed "s/^plant-bug .*/plant-bug none/" "$file" >"$dir/fixed.schedule"
  "$sim" --schedule "$dir/fixed.schedule" >"$dir/fixed.out" 2>&1 || { cat "$dir/fixed.out"; fail "$model: fixed, the schedule should pass"; }
  # A damaged line is refused, naming it.
  sed "s/^nodes .*/nodes 12/" "$file" >"$dir/bad.schedule"
  "$sim" --schedule "$dir/bad.schedule" >"$dir/bad.out" 2>&1
  [ $? -eq 2 ] || fail "$model: a damaged schedule should exit 2"
  grep -q "line 5: nodes must be 1..9" "$dir/bad.out" || { cat "$dir/bad.out"; fail "$model: the error does not name the line"; }
  echo "$model: $(grep -E '^  (faults|client operations) ' "$dir/shrink.out" | tr -s ' ' | tr '\n' ';')"
}

check_model bank forget-last-account 1
check_model kv kv-restore-drops-sessions 1
echo "ok"
