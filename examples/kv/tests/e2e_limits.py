#!/usr/bin/env python3
"""What one client, or many, can cost a raftio-kv node (issue #11, items 9 and 10).

  e2e_limits.py path/to/raftio-kv [test names...]     (default: all of them)

  reply_backpressure    a 3-node cluster; one client SETs a 1 MiB value, then pipelines 3,000
                        GETs of it (3 GiB of replies) without reading a byte. The leader's VmRSS
                        must stay within 200 MiB of where it was, it must stay leader in the same
                        term, and another client's PING, SET and GET must be answered meanwhile.
                        (Before the fix the leader copied every reply and grew by gigabytes.)
  max_clients           a node with --max-clients 5: the sixth connection reads
                        "-ERR max number of clients reached" and is closed; once one of the five
                        leaves, a new connection is served.
  idle_connections      1,000 idle client connections cost the node little memory each (VmRSS
                        growth per connection below 8 KiB; before, every connection held a 16 KiB
                        read buffer).
  accept_at_fd_limit    a node whose RLIMIT_NOFILE is lowered (prlimit) to 3 above what it uses,
                        and 20 clients connecting: it logs the accept failure once for the burst,
                        does not spin (under 0.2 s of CPU in 1 s), and accepts again once the
                        connections close. (Before the fix: a core busy, nothing logged.)
"""
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


sys.dont_write_bytecode = True  # importing kvtest must not leave __pycache__ in the source tree
from kvtest import cluster, cpu_seconds, fail, find_leader, log, rss_kib, run_main, wait_for

MIB = 1 << 20


def reply_backpressure(binary, workdir):
    nodes = cluster(binary, workdir)
    try:
        for node in nodes:
            node.start()
        leader = wait_for("a leader", lambda: find_leader(nodes), 30)
        term = leader.info()["term"]
        conn = leader.connect(timeout=10)
        if conn.call("SET", "big", "v" * MIB) != ("ok", "OK"):
            fail("SET big failed")
        base = rss_kib(leader.proc.pid)
        peak = [base]
        watching = [True]

        def watch():  # samples VmRSS; past 1 GiB of growth it stops the leader to spare the machine
            while watching[0] and leader.alive():
                peak[0] = max(peak[0], rss_kib(leader.proc.pid))
                if peak[0] - base > 1024 * 1024:
                    leader.kill()
                time.sleep(0.02)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        attacker = socket.create_connection(("127.0.0.1", leader.client_port))
        attacker.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        request = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 3000
        sender = threading.Thread(target=lambda: attacker.sendall(request), daemon=True)
        sender.start()  # sendall blocks once the node stops reading: that is the point
        other = leader.connect(timeout=5)
        end = time.monotonic() + 2.0
        rounds = 0
        try:
            while time.monotonic() < end:
                started = time.monotonic()
                for command, expected in ((("PING",), ("ok", "PONG")), (("SET", "small", str(rounds)), ("ok", "OK")),
                                          (("GET", "small"), ("bulk", str(rounds)))):
                    got = other.call(*command)
                    if got != expected:
                        fail(f"{command[0]} from another client answered {got}")
                if time.monotonic() - started > 1.0:
                    fail("another client waited more than a second for PING, SET and GET")
                rounds += 1
                time.sleep(0.05)
        except (OSError, ConnectionError) as error:
            fail(f"another client got no answer ({error!r}); leader VmRSS {base // 1024} -> {peak[0] // 1024} MiB")
        finally:
            watching[0] = False
            watcher.join()
        if peak[0] - base > 200 * 1024:
            fail(f"the leader grew by {(peak[0] - base) // 1024} MiB while a client did not read its replies")
        info = leader.info()
        if info["role"] != "leader" or info["term"] != term:
            fail(f"the leader lost its leadership under the attack: {info['role']} in term {info['term']} (was {term})")
        attacker.close()
        other.close()
        conn.close()
        log(f"3,000 pipelined GETs of 1 MiB, unread: leader VmRSS {base // 1024} -> at most {peak[0] // 1024} MiB; "
            f"{rounds} rounds of PING/SET/GET from another client answered; still leader in term {term}")
    finally:
        for node in nodes:
            node.kill()


def max_clients(binary, workdir):
    node = cluster(binary, workdir, count=1, extra_args=["--max-clients", "5"])[0]
    try:
        node.start()
        wait_for("the node to lead", lambda: find_leader([node]), 20)
        time.sleep(0.2)  # the INFO connections of find_leader are closed
        conns = [node.connect() for _ in range(5)]
        for conn in conns:
            if conn.call("PING") != ("ok", "PONG"):
                fail("one of the first five clients was not served")
        extra = node.connect()
        try:
            got = extra.reply()
        except (ConnectionError, OSError):  # closed, or (before --max-clients) served and silent
            got = None
        if got != ("error", "ERR max number of clients reached"):
            fail(f"the sixth client got {got}, not -ERR max number of clients reached")
        try:
            if extra.sock.recv(1) != b"":
                fail("the sixth connection stayed open")
        except ConnectionResetError:
            pass
        extra.close()
        conns.pop().close()

        def served():
            conn = node.connect()
            try:
                return conn.call("PING") == ("ok", "PONG")
            except (OSError, ConnectionError):
                return False
            finally:
                conn.close()
        wait_for("a new client to be served once one left", served, 5)
        for conn in conns:
            conn.close()
        log("--max-clients 5: the sixth connection refused with -ERR; served again once one left")
    finally:
        node.kill()


def idle_connections(binary, workdir):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    count = min(1000, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 200)
    if count < 200:
        fail(f"RLIMIT_NOFILE {hard} is too low for this test")
    node = cluster(binary, workdir, count=1)[0]
    conns = []
    try:
        node.start()
        wait_for("the node to lead", lambda: find_leader([node]), 20)
        warm = [node.connect() for _ in range(50)]  # let the allocator and the reactor warm up
        for conn in warm:
            conn.call("PING")
        base = rss_kib(node.proc.pid)
        for _ in range(count):
            conns.append(socket.create_connection(("127.0.0.1", node.client_port)))
        conns[-1].sendall(b"PING\r\n")
        if conns[-1].recv(16) != b"+PONG\r\n":
            fail("the last idle connection was not served")
        time.sleep(0.3)
        grown = rss_kib(node.proc.pid) - base
        per = grown * 1024 / count
        if per > 8192:
            fail(f"{count} idle connections grew VmRSS by {grown} KiB: {per:.0f} bytes each")
        for conn in warm:
            conn.close()
        log(f"{count} idle connections: VmRSS +{grown} KiB, about {per:.0f} bytes each")
    finally:
        for conn in conns:
            conn.close()
        node.kill()


def accept_at_fd_limit(binary, workdir):
    node = cluster(binary, workdir, count=1)[0]
    conns = []
    try:
        node.start()
        wait_for("the node to lead", lambda: find_leader([node]), 20)
        time.sleep(0.2)
        pid = node.proc.pid
        in_use = len(os.listdir(f"/proc/{pid}/fd"))
        limit = in_use + 3
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={limit}:{limit}"], check=True)
        for _ in range(20):
            conns.append(socket.create_connection(("127.0.0.1", node.client_port), timeout=3))
        time.sleep(0.3)
        before = cpu_seconds(pid)
        time.sleep(1.0)
        used = cpu_seconds(pid) - before
        lines = [l for l in node.log_text().splitlines() if "accept" in l and "Too many open files" in l]
        if used > 0.2:
            fail(f"at the descriptor limit the node used {used:.2f} s of CPU in 1 s (spinning)")
        if len(lines) != 1:
            fail(f"expected one log line for the burst of failed accepts, got {len(lines)}: {lines[:3]}")
        for conn in conns:
            conn.close()
        conns = []

        def served():
            try:
                with socket.create_connection(("127.0.0.1", node.client_port), timeout=2) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16) == b"+PONG\r\n"
            except OSError:
                return False
        wait_for("the node to accept again", served, 5)
        log(f"RLIMIT_NOFILE {limit}: {used:.3f} s CPU in 1 s at the limit; logged once: {lines[0]!r}; accepts again")
    finally:
        for conn in conns:
            conn.close()
        node.kill()


TESTS = {f.__name__: f for f in (reply_backpressure, max_clients, idle_connections, accept_at_fd_limit)}


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or list(TESTS)
    for name in names:
        workdir = tempfile.mkdtemp(prefix=f"raftio-kv-{name}-")
        ok = False
        try:
            log(f"--- {name}")
            TESTS[name](binary, workdir)
            ok = True
        finally:
            if not ok:
                for path in sorted(os.listdir(workdir)):
                    if path.endswith(".log"):
                        with open(os.path.join(workdir, path), errors="replace") as f:
                            print(f"--- {path} (last lines)\n" + "".join(f.readlines()[-15:]), flush=True)
            if ok or not os.environ.get("KV_E2E_KEEP"):
                shutil.rmtree(workdir, ignore_errors=True)
    log("PASS")
    return 0


if __name__ == "__main__":
    run_main(main)
