#!/usr/bin/env bash
# Runs a 3-node raftio-kv cluster on loopback, with its data under a temporary directory.
#
#   examples/kv/cluster.sh start        start nodes 1..3 (peers 127.0.0.1:7001..7003, clients :8001..8003)
#   examples/kv/cluster.sh status       each node's process, role, term, leader and indexes
#   examples/kv/cluster.sh kill N       SIGKILL node N (a crash: no clean shutdown)
#   examples/kv/cluster.sh restart N    start node N again on its data directory (stopping it first if it
#                                       runs); it recovers from its WAL and catches up from the leader
#   examples/kv/cluster.sh leader       which node leads
#   examples/kv/cluster.sh stop         stop every node and delete the data
#
# Environment: RAFTIO_KV (the binary; default: the first build*/examples/kv/raftio-kv found),
# RAFTIO_KV_DIR (data, logs and pid files; default ${TMPDIR:-/tmp}/raftio-kv-cluster),
# RAFTIO_KV_STORAGE (async, the default: the nodes run with --async-storage, the WAL written by an
# I/O thread; sync: the WAL written inside step, as without the flag), RAFTIO_KV_ARGS (more options).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${RAFTIO_KV_DIR:-${TMPDIR:-/tmp}/raftio-kv-cluster}
nodes=(1 2 3)
peers=1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003
clients=1=127.0.0.1:8001,2=127.0.0.1:8002,3=127.0.0.1:8003

binary() {
  if [ -n "${RAFTIO_KV:-}" ]; then echo "$RAFTIO_KV"; return; fi
  local found
  found=$(ls -t "$root"/build*/examples/kv/raftio-kv "$root"/build*/*/examples/kv/raftio-kv 2>/dev/null | head -n 1 || true)
  if [ -z "$found" ]; then
    echo "cluster.sh: raftio-kv not found; build it: meson setup build && ninja -C build examples/kv/raftio-kv" >&2
    exit 1
  fi
  echo "$found"
}

case "${RAFTIO_KV_STORAGE:-async}" in
  async | sync) ;;
  *) echo "cluster.sh: RAFTIO_KV_STORAGE must be async or sync, not '$RAFTIO_KV_STORAGE'" >&2; exit 1 ;;
esac
storage_args() { if [ "${RAFTIO_KV_STORAGE:-async}" = async ]; then echo --async-storage; fi; }

pid_of() { cat "$dir/node$1.pid" 2>/dev/null || true; }
running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

start_node() {
  local n=$1 bin
  bin=$(binary)
  if running "$n"; then echo "node $n already running (pid $(pid_of "$n"))"; return; fi
  mkdir -p "$dir/node$n"
  "$bin" --id "$n" --peers "$peers" --clients "$clients" --client "127.0.0.1:800$n" --data "$dir/node$n" $(storage_args) ${RAFTIO_KV_ARGS:-} \
    >>"$dir/node$n.log" 2>&1 &
  echo $! >"$dir/node$n.pid"
  echo "node $n started (pid $!, client port 800$n, data $dir/node$n, log $dir/node$n.log)"
}

info_field() {  # port, field
  redis-cli -p "$1" INFO 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

wait_for_leader() {  # prints the leader once one is elected, or gives up after 10 s
  local tries n
  for tries in $(seq 100); do
    for n in "${nodes[@]}"; do
      if running "$n" && [ "$(info_field "800$n" role)" = leader ]; then
        echo "node $n leads (redis-cli -p 800$n)"
        return 0
      fi
    done
    sleep 0.1
  done
  echo "no leader elected yet; see $dir/node*.log" >&2
  return 1
}

check_node() {
  case "${1:-}" in 1|2|3) ;; *) echo "usage: $0 kill|restart 1|2|3" >&2; exit 2 ;; esac
}

case "${1:-}" in
  start)
    mkdir -p "$dir"
    for n in "${nodes[@]}"; do start_node "$n"; done
    wait_for_leader
    echo "data under $dir; try: redis-cli -c -p 8001 SET k v, then redis-cli -p 8002 GET k"
    ;;
  stop)
    for n in "${nodes[@]}"; do
      if running "$n"; then kill "$(pid_of "$n")"; echo "node $n stopped"; fi
    done
    sleep 0.2
    for n in "${nodes[@]}"; do if running "$n"; then kill -9 "$(pid_of "$n")"; fi; done
    rm -rf "$dir"
    ;;
  status)
    for n in "${nodes[@]}"; do
      if running "$n"; then
        echo "node $n: pid $(pid_of "$n") role=$(info_field "800$n" role) term=$(info_field "800$n" term)" \
          "leader=$(info_field "800$n" leader_id) commit=$(info_field "800$n" commit_index)" \
          "applied=$(info_field "800$n" applied_index) keys=$(info_field "800$n" keys)"
      else
        echo "node $n: down"
      fi
    done
    ;;
  leader)
    wait_for_leader
    ;;
  kill)
    check_node "${2:-}"
    if running "$2"; then kill -9 "$(pid_of "$2")"; echo "node $2 killed (SIGKILL)"; else echo "node $2 is not running"; fi
    ;;
  restart)
    check_node "${2:-}"
    if running "$2"; then kill "$(pid_of "$2")"; sleep 0.3; fi
    start_node "$2"
    ;;
  *)
    echo "usage: $0 start|stop|status|leader|kill N|restart N" >&2
    exit 2
    ;;
esac
