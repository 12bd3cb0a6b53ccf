#!/usr/bin/env python3
"""cluster.sh on chosen ports and directories, in TLS mode, and with a port taken (issue #11,
item 11).

  e2e_cluster_sh.py path/to/cluster.sh path/to/raftio-kv

  1. two clusters at once, each with --base-port (free ports picked at run time) and --dir: both
     elect a leader, take a write through redis-cli, and report status; stop deletes each dir.
  2. --tls: cluster.sh makes a CA and node certificates with openssl under --dir, the nodes run
     with mutual TLS between them and TLS for clients; redis-cli --tls --cacert reads a write.
  3. a client port already taken: start fails (non-zero), and its message names the port that
     could not be bound; the node's own log says which address failed to bind.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile


sys.dont_write_bytecode = True  # importing kvtest must not leave __pycache__ in the source tree
from kvtest import fail, log


def ports_free(base):
    taken = []
    try:
        for port in [base + n for n in (1, 2, 3)] + [base + 1000 + n for n in (1, 2, 3)]:
            s = socket.socket()
            taken.append(s)
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for s in taken:
            s.close()


def free_base(avoid=()):
    """A base port whose six cluster ports (base+1..3, base+1001..1003) are free right now."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1] // 10 * 10 - 2000
        if 10000 < base < 60000 and all(abs(base - a) > 2000 for a in avoid) and ports_free(base):
            return base
    fail("no free base port found")


def run(script, env, *args, check=True):
    result = subprocess.run(["bash", script, *args], capture_output=True, text=True, env=env, timeout=60)
    if check and result.returncode != 0:
        fail(f"cluster.sh {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def redis_cli(*args):
    return subprocess.run(["redis-cli", *args], capture_output=True, text=True, timeout=10).stdout.strip()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    script, binary = (os.path.abspath(p) for p in sys.argv[1:3])
    env = dict(os.environ, RAFTIO_KV=binary)
    root = tempfile.mkdtemp(prefix="raftio-kv-clustersh-")
    dirs = []
    try:
        bases = []
        for name in ("a", "b"):
            base = free_base(bases)
            bases.append(base)
            directory = os.path.join(root, name)
            dirs.append(directory)
            out = run(script, env, "--base-port", str(base), "--dir", directory, "start").stdout
            if "leads" not in out:
                fail(f"no leader reported:\n{out}")
        for base, directory in zip(bases, dirs):
            leader_port = None
            for n in (1, 2, 3):
                if "role:leader" in redis_cli("-p", str(base + 1000 + n), "INFO"):
                    leader_port = base + 1000 + n
            if leader_port is None or redis_cli("-p", str(leader_port), "SET", "k", directory) != "OK":
                fail(f"cluster on base port {base}: no leader took a write")
            if redis_cli("-p", str(base + 1001), "GET", "k") != directory:
                fail(f"cluster on base port {base}: GET did not read the write")
            status = run(script, env, "--dir", directory, "status").stdout
            if status.count("role=") != 3:
                fail(f"status of {directory}:\n{status}")
        for directory in dirs:
            run(script, env, "--dir", directory, "stop")
            if os.path.exists(directory):
                fail(f"stop left {directory} behind")
        log(f"two clusters side by side on base ports {bases[0]} and {bases[1]}: each elected, wrote, read, stopped")

        base = free_base()
        directory = os.path.join(root, "tls")
        dirs.append(directory)
        out = run(script, env, "--tls", "--base-port", str(base), "--dir", directory, "start").stdout
        ca = os.path.join(directory, "tls", "ca.crt")
        if not os.path.exists(ca):
            fail(f"--tls made no CA at {ca}:\n{out}")
        wrote = any(redis_cli("--tls", "--cacert", ca, "-p", str(base + 1000 + n), "SET", "k", "tls") == "OK"
                    for n in (1, 2, 3))
        if not wrote or redis_cli("--tls", "--cacert", ca, "-p", str(base + 1002), "GET", "k") != "tls":
            fail("the TLS cluster did not take and serve a write through redis-cli --tls")
        if "PONG" in redis_cli("-p", str(base + 1001), "PING"):
            fail("the TLS cluster answered a plain-text client")
        if run(script, env, "--dir", directory, "status").stdout.count("role=") != 3:
            fail("status of the TLS cluster does not show three nodes")
        run(script, env, "--dir", directory, "stop")
        log("--tls: CA and certificates made by openssl, mutual TLS between nodes, redis-cli --tls served")

        base = free_base()
        directory = os.path.join(root, "busy")
        dirs.append(directory)
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", base + 1002))
            squatter.listen()
            result = run(script, env, "--base-port", str(base), "--dir", directory, "start", check=False)
            text = result.stdout + result.stderr
            if result.returncode == 0 or f"127.0.0.1:{base + 1002}" not in text:
                fail(f"start with port {base + 1002} taken: exit {result.returncode}, output:\n{text}")
            with open(os.path.join(directory, "node2.log")) as f:
                if f"127.0.0.1:{base + 1002}" not in f.read():
                    fail("the node's log does not name the address it could not bind")
            run(script, env, "--dir", directory, "stop")
        log(f"port {base + 1002} taken: start failed and said so: "
            + next(line for line in text.splitlines() if "did not start" in line))
        log("PASS")
        return 0
    finally:
        for directory in dirs:
            if os.path.isdir(directory):
                run(script, env, "--dir", directory, "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
