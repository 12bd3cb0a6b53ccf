#!/usr/bin/env python3
"""End-to-end crash test of raftio-kv: three processes on 127.0.0.1, SIGKILL of the leader under
load, restart from its WAL, and every acknowledged write checked on every node.

  e2e_crash.py path/to/raftio-kv [--tls] [server options...]

Server options (e.g. --sync-storage) are passed to every node; without --sync-storage the test
also checks that INFO reports the mode and that the I/O thread wrote. With --tls the test makes a
CA and certificates with the openssl command, and every node runs with mutual TLS between nodes
and TLS on the client port, client certificates required (redis-cli and the test's own client
present one). With --forward-writes (a server option) a write on a follower is forwarded to the
leader and answered with its outcome; without it the follower answers -MOVED.

Steps (each bounded in time; every process started is killed at the end, also on failure):
  1. start 3 nodes on ports picked free at run time, data under a temporary directory;
  2. redis-cli -c against a follower: SET follows -MOVED to the leader, GET reads it back;
     INCR, DEL, EXISTS, PING and INFO answer as in Redis, and pipelined SET/GET on one
     connection take effect in the order sent;
     malformed and oversized input gets an error and a closed connection, not a crash;
  3. a writer thread pipelines SET key:i value-of-i for KV_E2E_KEYS keys (default 10,000) to
     the leader, following -MOVED, retrying errors and broken connections, counting a write as
     acknowledged only when it read +OK;
  4. after 30% of the keys, SIGKILL the leader mid-load (its commit index noted just before);
     the writer carries on with the new leader;
  5. after 60%, restart the killed node on its data directory: INFO must show that it recovered
     its WAL up to at least the durable index it reported before the kill. (Not the commit
     index: with async storage the leader sends entries while writing them, and the two
     followers' acknowledgements can commit an entry the leader has not yet made durable;
     the leader counts its own vote only for what is on its disk.)
  6. once every key is acknowledged, wait until all three nodes have applied the leader's
     commit index, then GET every acknowledged key on every node (a linearizable read served
     from that node's own state machine) and compare values, and compare DBSIZE.
Snapshots are taken every 3,000 entries, so recovery and catch-up include snapshots too.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time


sys.dont_write_bytecode = True  # importing kvtest must not leave __pycache__ in the source tree
from kvtest import clean_up, cluster, deadline_left, fail, find_leader, log, Pki, run_main, wait_for, WriterThread

KEYS = int(os.environ.get("KV_E2E_KEYS", "10000"))
WINDOW = 250  # SETs per pipelined round trip
CLUSTER_ID = "kv-crash-test"
REDIS_CLI_TLS = []  # redis-cli options for a TLS client port (--tls)


def key_of(i):
    return f"key:{i:05d}"


def value_of(i):
    return f"value-{i:05d}-" + "x" * (i % 17)


class Writer(WriterThread):
    """Writes every key, pipelined, to whichever node leads; records what was acknowledged."""

    def __init__(self, nodes):
        super().__init__()
        self.nodes = nodes
        self.by_port = {n.client_port: n for n in nodes}
        self.reconnects = 0
        self.redirects = 0

    def _run(self):
        pending = list(range(KEYS))
        conn, target = None, None
        while pending and not self.stop:
            if deadline_left() < 0:
                raise AssertionError("writer ran out of time")
            if conn is None:
                target = target or find_leader(self.nodes)
                if target is None:
                    time.sleep(0.05)
                    continue
                try:
                    conn = target.connect(timeout=3.0)
                except OSError:
                    conn, target = None, None
                    self.reconnects += 1
                    time.sleep(0.05)
                    continue
            batch, pending = pending[:WINDOW], pending[WINDOW:]
            retry = []
            answered = 0
            try:
                conn.send([("SET", key_of(i), value_of(i)) for i in batch])
                for i in batch:
                    kind, text = conn.reply()
                    answered += 1
                    if kind == "ok":
                        self.ack(i, value_of(i))
                    else:
                        retry.append(i)
                        self.errors += 1
                        if kind == "error" and text.startswith("MOVED"):
                            port = int(text.rsplit(":", 1)[1])
                            if target is None or port != target.client_port:
                                self.redirects += 1
                                target = self.by_port.get(port)
            except (OSError, ConnectionError):
                retry.extend(batch[answered:])  # unanswered: unknown outcome, write again
                conn.close()
                conn, target = None, None
                self.reconnects += 1
            if retry:
                retry = sorted(set(i for i in retry if i not in self.acked))
                pending = retry + pending
                if conn is not None and target is not None and target.client_port != conn.sock.getpeername()[1]:
                    conn.close()
                    conn = None
                time.sleep(0.02)
        if conn:
            conn.close()


def redis_cli(port, *args):
    result = subprocess.run(["redis-cli", *REDIS_CLI_TLS, "-p", str(port), *args], capture_output=True, text=True,
                            timeout=10)
    return result.stdout.strip()


def commands(leader, follower):
    """The Redis commands, through redis-cli, and a pipelined write then read on one connection."""
    checks = [
        ((leader, "INCR", "counter"), "1"),
        ((follower, "-c", "INCR", "counter"), "2"),
        ((leader, "SET", "text", "abc"), "OK"),
        ((leader, "INCR", "text"), "ERR value is not an integer or out of range"),
        ((follower, "EXISTS", "counter", "text", "nothing"), "2"),
        ((leader, "DEL", "counter", "text", "nothing"), "2"),
        ((follower, "GET", "counter"), ""),
        ((follower, "PING"), "PONG"),
    ]
    for (node, *args), expected in checks:
        got = redis_cli(node.client_port, *args)
        if got != expected:
            fail(f"redis-cli {' '.join(args)} on node {node.id}: expected {expected!r}, got {got!r}")
    conn = leader.connect()
    try:
        conn.send([("SET", "pipelined", "1"), ("GET", "pipelined"), ("SET", "pipelined", "2"), ("GET", "pipelined"),
                   ("DEL", "pipelined")])
        replies = [conn.reply() for _ in range(5)]
        if replies != [("ok", "OK"), ("bulk", "1"), ("ok", "OK"), ("bulk", "2"), ("int", 1)]:
            fail(f"a pipelined SET then GET did not read its own write: {replies}")
        for round in range(20):  # a read pipelined before a write must not see it
            if conn.call("SET", "order", f"old{round}") != ("ok", "OK"):
                fail("SET failed")
            conn.send([("GET", "order"), ("SET", "order", f"new{round}"), ("GET", "order")])
            replies = [conn.reply() for _ in range(3)]
            if replies != [("bulk", f"old{round}"), ("ok", "OK"), ("bulk", f"new{round}")]:
                fail(f"a pipelined GET, SET, GET ran out of order: {replies}")
        conn.call("DEL", "order")
    finally:
        conn.close()
    info = leader.info() or {}
    for field in ("role", "term", "leader_id", "leader_client", "commit_index", "applied_index"):
        if field not in info:
            fail(f"INFO lacks {field}: {info}")


def hostile_clients(node):
    """Malformed and oversized input: a RESP error, then the connection closes; the server lives."""
    for garbage in [b"*1\r\n$999999999\r\n", b"*2000000\r\n", b"*1\r\n$3\r\nabcdef\r\n", b"*x\r\n",
                    b"A" * (70 * 1024), b"*1\r\n$-5\r\n"]:
        conn = node.connect(timeout=5.0)
        try:
            conn.sock.sendall(garbage)
            kind, text = conn.reply()
            if kind != "error" or not text.startswith("ERR"):
                fail(f"malformed input {garbage[:20]!r} answered {kind} {text!r}")
            if conn.sock.recv(1) != b"":
                fail(f"the connection stayed open after malformed input {garbage[:20]!r}")
        except ConnectionResetError:
            pass  # closed while unread garbage was still arriving: also a close
        finally:
            conn.close()
    conn = node.connect()
    junk = bytes(b for b in range(1, 256) if b not in (10, 13)) * 4 + b"\r\n"
    conn.sock.sendall(junk)  # one line of binary junk: an inline "command" nobody knows
    if conn.reply()[0] != "error" or conn.call("PING") != ("ok", "PONG"):
        fail("the server stopped answering after malformed input")


def verify_node(node, acked):
    """GETs every acknowledged key on `node` (pipelined) and compares; returns mismatches."""
    conn = node.connect(timeout=10.0)
    try:
        keys = sorted(acked)
        wrong = []
        for start in range(0, len(keys), 1000):
            chunk = keys[start:start + 1000]
            for attempt in range(50):
                conn.send([("GET", key_of(i)) for i in chunk])
                replies = [conn.reply() for _ in chunk]
                if all(kind == "bulk" for kind, _ in replies):
                    break
                time.sleep(0.1)  # a read not confirmed (e.g. during an election): try again
            else:
                fail(f"node {node.id}: reads keep failing: {replies[:3]}")
            wrong.extend((i, text) for i, (_, text) in zip(chunk, replies) if text != acked[i])
        kind, size = conn.call("DBSIZE")
        return wrong, size
    finally:
        conn.close()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    tls = "--tls" in sys.argv[2:]
    extra_args = [a for a in sys.argv[2:] if a != "--tls"] + ["--snapshot-entries", "3000"]
    if shutil.which("redis-cli") is None:
        fail("redis-cli not found: install redis-tools (bash scripts/deps.sh does)")
    workdir = tempfile.mkdtemp(prefix="raftio-kv-e2e-")
    nodes = cluster(binary, workdir, extra_args=extra_args, cluster_id=CLUSTER_ID)
    if tls:
        pki = Pki(os.path.join(workdir, "pki"))
        client_cert, client_key = pki.issue("client", "e2e client", client=True, server=False)
        REDIS_CLI_TLS.extend(["--tls", "--cacert", pki.ca_cert, "--cert", client_cert, "--key", client_key])
        for node in nodes:
            cert, key = pki.node(node.id, CLUSTER_ID)
            node.extra_args += ["--peer-cert-file", cert, "--peer-key-file", key, "--peer-trusted-ca-file",
                                pki.ca_cert, "--client-cert-file", cert, "--client-key-file", key,
                                "--client-trusted-ca-file", pki.ca_cert]
            node.tls = pki.client_context(client_cert, client_key)
    writer = None
    ok = False
    try:
        for node in nodes:
            node.start()
        leader = wait_for("a leader", lambda: find_leader(nodes), 30)
        log(f"node {leader.id} leads; data under {workdir}")

        follower = next(n for n in nodes if n is not leader)
        if "--forward-writes" in extra_args:
            # The follower forwards the write to the leader and answers with its outcome.
            if redis_cli(follower.client_port, "SET", "hello", "world") != "OK":
                fail("a write on a follower with --forward-writes was not forwarded")
            if redis_cli(follower.client_port, "INCR", "forwarded") != "1":
                fail("a forwarded INCR did not answer with the leader's reply")
            if redis_cli(follower.client_port, "DEL", "forwarded") != "1":
                fail("a forwarded DEL did not answer with the leader's reply")
            if redis_cli(leader.client_port, "GET", "hello") != "world":
                fail("the leader did not apply the forwarded write")
            log("redis-cli: writes on a follower forwarded to the leader: ok")
        else:
            moved = redis_cli(follower.client_port, "SET", "hello", "world")
            if not moved.startswith("MOVED 0 127.0.0.1:"):
                fail(f"a write on a follower should answer -MOVED, got {moved!r}")
            if redis_cli(follower.client_port, "-c", "SET", "hello", "world") != "OK":
                fail("redis-cli -c did not follow -MOVED to the leader")
        if redis_cli(follower.client_port, "GET", "hello") != "world":
            fail("GET on a follower did not read the write")
        log("redis-cli: a write through a follower, GET on the follower: ok")
        commands(leader, follower)
        log("INCR, DEL, EXISTS, PING, INFO through redis-cli; pipelined reads and writes in order: ok")
        hostile_clients(leader)
        log("malformed and oversized client input: an error, then the connection closed; the server lives")

        writer = Writer(nodes)
        writer.start()
        wait_for("30% of the writes", lambda: writer.acked_count() >= KEYS * 3 // 10 or writer.failure, 60)
        victim = find_leader(nodes) or leader
        before = victim.info() or {}
        durable_before_kill = int(before.get("durable_index", "0"))
        victim.kill()
        log(f"SIGKILL node {victim.id} (the leader, durable index {durable_before_kill}, "
            f"commit index {before.get('commit_index', '?')}) "
            f"with {writer.acked_count()} writes acknowledged")

        wait_for("60% of the writes", lambda: writer.acked_count() >= KEYS * 6 // 10 or writer.failure, 60)
        new_leader = find_leader(nodes)
        log(f"node {new_leader.id if new_leader else '?'} leads now; restarting node {victim.id} "
            f"with {writer.acked_count()} writes acknowledged")
        victim.start()
        info = wait_for(f"node {victim.id} to answer INFO", victim.info, 20)
        recovered = int(info["recovered_last_index"])
        if int(info["recovered_wal_records"]) == 0 or recovered < durable_before_kill or recovered == 0:
            fail(f"node {victim.id} did not recover its WAL: {info}")
        log(f"node {victim.id} recovered its log up to index {recovered} "
            f"(snapshot at {info['recovered_snapshot_index']}, {info['recovered_wal_records']} WAL records)")

        writer.join(timeout=max(deadline_left(), 1))
        if writer.failure:
            raise writer.failure
        if writer.is_alive():
            fail("the writer did not finish in time")
        acked = dict(writer.acked)
        if len(acked) != KEYS:
            fail(f"only {len(acked)} of {KEYS} writes acknowledged")
        log(f"all {KEYS} writes acknowledged ({writer.errors} refused or lost and retried, "
            f"{writer.reconnects} reconnects, {writer.redirects} redirects)")

        def caught_up():
            leader_now = find_leader(nodes)
            if leader_now is None:
                return None
            infos = [n.info() for n in nodes]
            if any(i is None for i in infos):
                return None
            commit = int(infos[leader_now.id - 1]["commit_index"])
            return infos if all(int(i["applied_index"]) >= commit for i in infos) else None

        infos = wait_for("every node to apply the leader's commit index", caught_up, 30)
        log("applied indexes: " + ", ".join(f"node {n.id}: {i['applied_index']}" for n, i in zip(nodes, infos)))
        mode = "sync" if "--sync-storage" in extra_args else "async"
        for node, info in zip(nodes, infos):
            if info.get("storage") != mode:
                fail(f"node {node.id}: INFO storage:{info.get('storage')}, expected {mode}")
            if mode == "async" and int(info.get("io_thread_persists", "0")) == 0:
                fail(f"node {node.id}: the I/O thread wrote nothing: {info}")
        if tls and any(i.get("peer_tls") != "mutual" or i.get("client_tls") != "mutual" for i in infos):
            fail("INFO does not report mutual TLS on every node")
        log(f"{mode} storage on every node" + (": I/O thread persists/syncs " + ", ".join(
            f"node {n.id}: {i['io_thread_persists']}/{i['io_thread_syncs']}" for n, i in zip(nodes, infos))
            if mode == "async" else ""))

        acked["hello"] = "world"
        expected = {i: v for i, v in acked.items() if i != "hello"}
        for node in nodes:
            wrong, size = verify_node(node, expected)
            if wrong:
                fail(f"node {node.id}: {len(wrong)} acknowledged writes missing or wrong, e.g. {wrong[:3]}")
            if size != KEYS + 1:
                fail(f"node {node.id}: DBSIZE {size}, expected {KEYS + 1}")
            log(f"node {node.id}: all {len(expected)} acknowledged writes present with their values")
        ok = True
        log("PASS")
        return 0
    finally:
        if writer:
            writer.stop = True
        clean_up(nodes, workdir, ok)


if __name__ == "__main__":
    run_main(main)
