#!/usr/bin/env python3
"""cluster.sh on chosen ports and directories, in TLS mode, and with a port taken (issue #11,
item 11).

  e2e_cluster_sh.py path/to/cluster.sh path/to/raftio-kv

  1. two clusters at once, each with --base-port (free ports picked at run time) and --dir, one
     of them with --tls (cluster.sh makes a CA and node certificates with openssl under --dir; the
     nodes run with mutual TLS between them and TLS for clients): both elect a leader, take a write
     through redis-cli (--tls --cacert for the second, which refuses plain text), and report
     status; then `add 4` starts node 4 with --join and adds it (in TLS mode with a certificate
     made for it), node 4 reads the write, and `remove 1` takes node 1 out and stops it: status
     lists nodes 2, 3 and 4; stop deletes each directory.
  2. a client port already taken: start fails (non-zero), and its message names the port that
     could not be bound; the node's own log says which address failed to bind.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile


sys.dont_write_bytecode = True  # importing kvtest must not leave __pycache__ in the source tree
from kvtest import fail, free_block, log, run_main


CLUSTER_OFFSETS = (1, 2, 3, 4, 1001, 1002, 1003, 1004)  # cluster.sh: peers on base+N, clients on base+1000+N


def free_base(avoid=()):
    """A base port whose cluster ports (nodes 1 to 4) are free right now, away from the bases in `avoid`."""
    for _ in range(100):
        base = free_block(CLUSTER_OFFSETS)
        if all(abs(base - a) > 2000 for a in avoid):
            return base
    fail("no free base port found")


def run(script, env, *args, check=True):
    return finish(start(script, env, *args), args, check)


def start(script, env, *args):
    return subprocess.Popen(["bash", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(process, args, check=True):
    stdout, stderr = process.communicate(timeout=60)
    if check and process.returncode != 0:
        fail(f"cluster.sh {' '.join(args)} exited {process.returncode}:\n{stdout}{stderr}")
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


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
        # Two clusters side by side, started at the same time: one plain, one with --tls.
        plain_base = free_base()
        tls_base = free_base([plain_base])
        plain_dir, tls_dir = os.path.join(root, "plain"), os.path.join(root, "tls")
        dirs += [plain_dir, tls_dir]
        starts = [(start(script, env, "--base-port", str(plain_base), "--dir", plain_dir, "start"), plain_dir),
                  (start(script, env, "--tls", "--base-port", str(tls_base), "--dir", tls_dir, "start"), tls_dir)]
        for process, directory in starts:
            out = finish(process, ("start", directory)).stdout
            if "leads" not in out:
                fail(f"no leader reported for {directory}:\n{out}")
        ca = os.path.join(tls_dir, "tls", "ca.crt")
        if not os.path.exists(ca):
            fail(f"--tls made no CA at {ca}")
        for base, directory, tls in ((plain_base, plain_dir, []), (tls_base, tls_dir, ["--tls", "--cacert", ca])):
            ports = [base + 1000 + n for n in (1, 2, 3)]
            if not any(redis_cli(*tls, "-p", str(port), "SET", "k", directory) == "OK" for port in ports):
                fail(f"cluster on base port {base}: no node took a write")
            if redis_cli(*tls, "-p", str(ports[1]), "GET", "k") != directory:
                fail(f"cluster on base port {base}: GET did not read the write")
        if "PONG" in redis_cli("-p", str(tls_base + 1001), "PING"):
            fail("the TLS cluster answered a plain-text client")
        statuses = [start(script, env, "--dir", d, "status") for d in (plain_dir, tls_dir)]
        for process, directory in zip(statuses, (plain_dir, tls_dir)):
            status = finish(process, ("status", directory)).stdout
            if status.count("role=") != 3 or status.count("health=ok") != 3:
                fail(f"status of {directory}:\n{status}")
        for base, directory, tls in ((plain_base, plain_dir, []), (tls_base, tls_dir, ["--tls", "--cacert", ca])):
            out = run(script, env, "--dir", directory, "add", "4").stdout
            if "node 4 added" not in out:
                fail(f"add 4 in {directory}:\n{out}")
            if redis_cli(*tls, "-p", str(base + 1004), "GET", "k") != directory:
                fail(f"cluster on base port {base}: node 4 does not read the write made before it joined")
            out = run(script, env, "--dir", directory, "remove", "1").stdout
            if "node 1 removed" not in out:
                fail(f"remove 1 in {directory}:\n{out}")
            status = run(script, env, "--dir", directory, "status").stdout
            if status.count("health=ok") != 3 or "node 1:" in status or "node 4: pid" not in status:
                fail(f"status of {directory} after add 4 and remove 1:\n{status}")
            if redis_cli(*tls, "-p", str(base + 1001), "PING") == "PONG":
                fail(f"cluster on base port {base}: node 1 still runs after remove 1")
        log("add 4 (a joining node, with its own certificate in TLS mode) and remove 1 on both: nodes 2, 3, 4 serve")
        for process, directory in [(start(script, env, "--dir", d, "stop"), d) for d in (plain_dir, tls_dir)]:
            finish(process, ("stop", directory))
            if os.path.exists(directory):
                fail(f"stop left {directory} behind")
        log(f"two clusters side by side, on base ports {plain_base} (plain) and {tls_base} (--tls: openssl made the "
            "CA and certificates, mutual TLS between nodes, redis-cli --tls served): each wrote, read, stopped")

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
    run_main(main)
