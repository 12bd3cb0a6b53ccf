#!/usr/bin/env bash
# Runs a 3-node raftio-kv cluster on loopback, with its data under one directory.
#
#   examples/kv/cluster.sh [options] start      start nodes 1..3 and wait for a leader
#   examples/kv/cluster.sh [options] status     each node's process, role, term, leader and indexes
#   examples/kv/cluster.sh [options] kill N     SIGKILL node N (a crash: no clean shutdown)
#   examples/kv/cluster.sh [options] restart N  start node N again on its data directory (stopping it first
#                                               if it runs); it recovers from its WAL and catches up
#   examples/kv/cluster.sh [options] leader     which node leads
#   examples/kv/cluster.sh [options] add N      start node N (1..99) empty with --join and add it on the
#                                               leader (RAFT.ADDNODE): it catches up, then votes
#   examples/kv/cluster.sh [options] remove N   remove node N (RAFT.REMOVENODE on the leader, after
#                                               RAFT.TRANSFER away if N leads), then stop it
#   examples/kv/cluster.sh [options] stop       stop every node and delete the directory
#
# Options:
#   --base-port P  node N listens for peers on 127.0.0.1:P+N and for clients on 127.0.0.1:P+1000+N
#                  (default 7000: peers 7001..7003, clients 8001..8003)
#   --dir D        data, logs (nodeN.log), pid files and certificates (default
#                  ${RAFTIO_KV_DIR:-${TMPDIR:-/tmp}/raftio-kv-cluster})
#   --tls          mutual TLS between the nodes and TLS for clients: start makes a CA and one
#                  certificate per node with openssl under D/tls (clients: redis-cli --tls --cacert D/tls/ca.crt)
# start records the base port and the TLS mode in D/cluster.conf, so later commands need only --dir;
# D/members lists the nodes of the cluster (add and remove change it).
# Several clusters can run side by side with different --base-port and --dir. The cluster id is
# kv-<base port>: a node of one cluster pointed at another is refused.
#
# Environment: RAFTIO_KV (the binary; default: the newest build*/examples/kv/raftio-kv found),
# RAFTIO_KV_STORAGE (async, the default: the WAL written by the runtime's I/O thread, fdatasync
# batched; sync: the nodes run with --sync-storage, one fdatasync per request), RAFTIO_KV_ARGS (more options).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

usage() {
  echo "usage: $0 [--base-port P] [--dir D] [--tls] start|stop|status|leader|kill N|restart N|add N|remove N" >&2
  exit 2
}

dir=${RAFTIO_KV_DIR:-${TMPDIR:-/tmp}/raftio-kv-cluster}
base_port= tls=
while [ $# -gt 0 ]; do
  case "$1" in
    --base-port) [ $# -ge 2 ] || usage; base_port=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
    --tls) tls=1; shift ;;
    --*) echo "cluster.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
command=${1:-}
[ -n "$command" ] || usage
mkdir -p "$(dirname "$dir")"
dir=$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")

# Settings given at start win for the cluster's lifetime.
if [ "$command" != start ] && [ -f "$dir/cluster.conf" ]; then
  # shellcheck source=/dev/null
  . "$dir/cluster.conf"
fi
base_port=${base_port:-${saved_base_port:-7000}}
tls=${tls:-${saved_tls:-}}
case "$base_port" in
  '' | *[!0-9]*) echo "cluster.sh: --base-port must be a number, not '$base_port'" >&2; exit 2 ;;
esac
if [ "$base_port" -lt 1 ] || [ "$base_port" -gt 64436 ]; then
  echo "cluster.sh: --base-port $base_port leaves no room for ports up to base+1099" >&2
  exit 2
fi
cluster_id=kv-$base_port
# The cluster's nodes: 1 2 3 until add and remove change D/members.
nodes=(1 2 3)
if [ "$command" != start ] && [ -f "$dir/members" ]; then read -r -a nodes <"$dir/members"; fi
save_members() { echo "${nodes[*]}" >"$dir/members"; }
# Node N: peers on base+N, clients on base+1000+N (arithmetic only: forks are slow on a busy machine).
declare -A client_port
peers= clients=
address_lists() {  # the members' peer and client addresses, and those of node $1 if given
  local n extra=${1:-}
  peers= clients=
  for n in "${nodes[@]}"; do [ "$n" = "$extra" ] && extra=; done
  for n in "${nodes[@]}" $extra; do
    client_port[$n]=$((base_port + 1000 + n))
    peers+=${peers:+,}$n=127.0.0.1:$((base_port + n))
    clients+=${clients:+,}$n=127.0.0.1:${client_port[$n]}
  done
}
address_lists

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
storage_args() { if [ "${RAFTIO_KV_STORAGE:-async}" = sync ]; then echo --sync-storage; fi; }

# A CA and, per node, a key and a certificate naming it as raftio-kv checks: CN and DNS SAN
# node-N.<cluster id> (and IP 127.0.0.1 for clients that check the address).
make_certificates() {
  local pki=$dir/tls
  mkdir -p "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" -subj "/CN=raftio-kv $cluster_id CA" 2>/dev/null
  chmod 600 "$pki/ca.key"
}

node_certificate() {  # node: made once, when the node first starts (add makes new ones)
  local pki=$dir/tls n=$1 name=node-$1.$cluster_id
  [ -f "$pki/node$n.crt" ] && return 0
  printf 'subjectAltName=DNS:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' \
    "$name" >"$pki/node$n.ext"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/node$n.key" \
    -out "$pki/node$n.csr" -subj "/CN=$name" 2>/dev/null
  openssl x509 -req -in "$pki/node$n.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
    -extfile "$pki/node$n.ext" -out "$pki/node$n.crt" 2>/dev/null
  chmod 600 "$pki/node$n.key"
}

tls_args() {  # node
  [ -n "$tls" ] || return 0
  local pki=$dir/tls
  echo --peer-cert-file "$pki/node$1.crt" --peer-key-file "$pki/node$1.key" --peer-trusted-ca-file "$pki/ca.crt" \
    --client-cert-file "$pki/node$1.crt" --client-key-file "$pki/node$1.key"
}

if [ -n "$tls" ]; then client="redis-cli --tls --cacert $dir/tls/ca.crt"; else client=redis-cli; fi

# Bounded in time: whatever listens on a node's port (another program, if the node could not bind)
# may never answer.
cli() {  # port, args...
  local port=$1
  shift
  if [ -n "$tls" ]; then
    timeout 5 redis-cli --tls --cacert "$dir/tls/ca.crt" -p "$port" "$@"
  else
    timeout 5 redis-cli -p "$port" "$@"
  fi
}

pid_of() { cat "$dir/node$1.pid" 2>/dev/null || true; }
running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
# Signals node $2 with $1. A node that exits between running() and the kill is no error: that is
# the state the caller wanted (stop failed at random once when "No such process" ended the script).
signal_node() { kill -s "$1" "$(pid_of "$2")" 2>/dev/null || true; }

start_node() {  # node [--join]
  local n=$1 bin
  bin=$(binary)
  if running "$n"; then echo "node $n already running (pid $(pid_of "$n"))"; return; fi
  mkdir -p "$dir/node$n"
  if [ -n "$tls" ]; then node_certificate "$n"; fi
  address_lists "$n"
  # shellcheck disable=SC2046
  "$bin" --id "$n" ${2:-} --cluster-id "$cluster_id" --peers "$peers" --clients "$clients" \
    --client "127.0.0.1:${client_port[$n]}" --data "$dir/node$n" $(storage_args) $(tls_args "$n") \
    ${RAFTIO_KV_ARGS:-} >>"$dir/node$n.log" 2>&1 &
  echo $! >"$dir/node$n.pid"
  echo "node $n started (pid $!, client port ${client_port[$n]}, data $dir/node$n, log $dir/node$n.log)"
}

is_leader() {  # port
  cli "$1" INFO 2>/dev/null | grep -q '^role:leader'
}

# A node that exited at start (a port taken, a bad option or certificate) says why in the last
# line of its log; report that and stop the others.
check_started() {
  local n
  for n in "${nodes[@]}"; do
    if ! running "$n"; then
      echo "cluster.sh: node $n did not start: $(tail -n 1 "$dir/node$n.log" 2>/dev/null)" >&2
      for n in "${nodes[@]}"; do if running "$n"; then signal_node KILL "$n"; fi; done
      exit 1
    fi
  done
}

wait_for_leader() {  # prints the leader once one is elected, or gives up after 10 s
  local tries n
  for tries in $(seq 100); do
    [ "${1:-}" = check ] && check_started
    for n in "${nodes[@]}"; do
      if running "$n" && is_leader "${client_port[$n]}"; then
        echo "node $n leads ($client -p ${client_port[$n]})"
        return 0
      fi
    done
    sleep 0.1
  done
  echo "no leader elected yet; see $dir/node*.log" >&2
  return 1
}

member() { local n; for n in "${nodes[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }

check_node() {
  if ! member "${1:-}"; then echo "usage: $0 [options] kill|restart|remove N, N one of: ${nodes[*]}" >&2; exit 2; fi
}

leader_node() {  # the member that leads now, or nothing
  local n
  for n in "${nodes[@]}"; do
    if running "$n" && is_leader "${client_port[$n]}"; then echo "$n"; return 0; fi
  done
  return 1
}

# A RAFT.* command on the leader, again while the answer is -MOVED or -TRYAGAIN (a leader change).
on_leader() {
  local tries n answer
  for tries in $(seq 50); do
    n=$(leader_node || true)
    if [ -n "$n" ]; then
      answer=$(cli "${client_port[$n]}" "$@" 2>&1 || true)
      case "$answer" in
        OK) return 0 ;;
        MOVED* | TRYAGAIN* | '') ;;
        *) echo "cluster.sh: $* on node $n: $answer" >&2; return 1 ;;
      esac
    fi
    sleep 0.2
  done
  echo "cluster.sh: $* did not succeed (last answer: ${answer:-no leader})" >&2
  return 1
}

case "$command" in
  start)
    mkdir -p "$dir"
    save_members
    printf 'saved_base_port=%s\nsaved_tls=%s\n' "$base_port" "$tls" >"$dir/cluster.conf"
    if [ -n "$tls" ] && [ ! -f "$dir/tls/ca.crt" ]; then make_certificates; fi
    for n in "${nodes[@]}"; do start_node "$n"; done
    sleep 0.2
    wait_for_leader check
    check_started
    echo "data under $dir; try: $client -c -p ${client_port[1]} SET k v"
    ;;
  stop)
    all=()
    for pidfile in "$dir"/node*.pid; do
      [ -f "$pidfile" ] || continue
      n=${pidfile##*/node}
      all+=("${n%.pid}")
    done
    for n in "${all[@]}"; do
      if running "$n"; then signal_node TERM "$n"; echo "node $n stopped"; fi
    done
    sleep 0.2
    for n in "${all[@]}"; do if running "$n"; then signal_node KILL "$n"; fi; done
    rm -rf "$dir"
    ;;
  add)
    case "${2:-}" in [1-9] | [1-9][0-9]) ;; *) echo "usage: $0 [options] add N (1..99)" >&2; exit 2 ;; esac
    if member "$2"; then echo "cluster.sh: node $2 is a member already" >&2; exit 1; fi
    start_node "$2" --join
    on_leader RAFT.ADDNODE "$2" "127.0.0.1:$((base_port + $2))" "127.0.0.1:$((base_port + 1000 + $2))"
    nodes+=("$2")
    save_members
    echo "node $2 added (members: ${nodes[*]})"
    ;;
  remove)
    check_node "${2:-}"
    rest=()
    for n in "${nodes[@]}"; do [ "$n" = "$2" ] || rest+=("$n"); done
    if [ "$(leader_node || true)" = "$2" ]; then
      on_leader RAFT.TRANSFER "${rest[0]}"
      for tries in $(seq 50); do [ "$(leader_node || true)" != "$2" ] && break; sleep 0.1; done
    fi
    on_leader RAFT.REMOVENODE "$2"
    nodes=("${rest[@]}")
    save_members
    if running "$2"; then signal_node TERM "$2"; fi
    echo "node $2 removed and stopped (members: ${nodes[*]})"
    ;;
  status)
    for n in "${nodes[@]}"; do
      if running "$n"; then
        cli "${client_port[$n]}" INFO 2>/dev/null | tr -d '\r' | awk -F: -v head="node $n: pid $(pid_of "$n")" '
          { v[$1] = $2 }
          END { printf "%s role=%s term=%s leader=%s commit=%s applied=%s keys=%s health=%s\n", head, v["role"],
                v["term"], v["leader_id"], v["commit_index"], v["applied_index"], v["keys"], v["health"] }'
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
    if running "$2"; then signal_node KILL "$2"; echo "node $2 killed (SIGKILL)"; else echo "node $2 is not running"; fi
    ;;
  restart)
    check_node "${2:-}"
    if running "$2"; then signal_node TERM "$2"; sleep 0.3; fi
    start_node "$2"
    ;;
  *)
    usage
    ;;
esac
