#!/usr/bin/env python3
"""A snapshot raftio-kv cannot use must not crash-loop the node (issue #11, item 8).

  e2e_bad_snapshot.py path/to/raftio-kv path/to/kv-forge

A one-node cluster takes snapshots every 20 entries; 60 keys are written, and the node is
stopped. Then, in two rounds:
  1. undecodable_state_machine_snapshot: kv-forge rewrites the WAL's snapshot with its key-value
     data cut short by one byte (the WAL file itself stays valid). At restart the node hands the
     snapshot to raftio-kv (RestoreSnapshot), which cannot decode it.
  2. unloadable_snapshot_file: one byte of the snapshot file is flipped, so the WAL's own checksum
     fails and the node's storage reports the failure at start-up.
Each time the process must keep running (before the fix it exited with status 2 at every start),
answer PING and INFO (health:unhealthy, with the reason), and refuse GET and SET with -ERR naming
the reason.
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


sys.dont_write_bytecode = True  # importing kvtest must not leave __pycache__ in the source tree
from kvtest import cluster, fail, find_leader, log, wait_for


def expect_unhealthy(node, reason_fragment):
    time.sleep(1.0)  # the old code exited here, on its first step
    if not node.alive():
        fail(f"the node exited (status {node.proc.returncode}) instead of staying up unhealthy")
    info = wait_for("INFO", node.info, 10)
    if info.get("health") != "unhealthy" or reason_fragment not in info.get("unhealthy_reason", ""):
        fail(f"INFO should report health:unhealthy with '{reason_fragment}': {info}")
    conn = node.connect()
    try:
        if conn.call("PING") != ("ok", "PONG"):
            fail("PING not answered")
        for command in (("GET", "key:1"), ("SET", "k", "v"), ("EXISTS", "key:1")):
            kind, text = conn.call(*command)
            if kind != "error" or "unhealthy" not in text or reason_fragment not in text:
                fail(f"{command[0]} on an unhealthy node answered {kind} {text!r}")
    finally:
        conn.close()
    if not node.alive():
        fail("the node exited")
    log(f"node up and unhealthy: {info['unhealthy_reason']}")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, forge = (os.path.abspath(p) for p in sys.argv[1:3])
    workdir = tempfile.mkdtemp(prefix="raftio-kv-badsnap-")
    node = cluster(binary, workdir, count=1, extra_args=["--snapshot-entries", "20"])[0]
    ok = False
    try:
        node.start()
        wait_for("the node to lead", lambda: find_leader([node]), 20)
        conn = node.connect()
        conn.send([("SET", f"key:{i}", f"value-{i}") for i in range(60)])
        if any(conn.reply() != ("ok", "OK") for _ in range(60)):
            fail("a SET failed")
        conn.close()
        wait_for("a snapshot", lambda: int((node.info() or {}).get("snapshots_taken", "0")) > 0, 10)
        node.stop()
        if not glob.glob(os.path.join(node.data, "snapshot-*.snap")):
            fail("no snapshot file was written")
        subprocess.run([forge, "damage-snapshot", node.data], check=True)
        node.start()
        expect_unhealthy(node, "snapshot at index")
        node.stop()

        snap = sorted(glob.glob(os.path.join(node.data, "snapshot-*.snap")))[-1]
        with open(snap, "r+b") as f:
            f.seek(40)
            byte = f.read(1)
            f.seek(40)
            f.write(bytes([byte[0] ^ 0x10]))
        node.start()
        expect_unhealthy(node, "storage failed")
        ok = True
        log("PASS")
        return 0
    finally:
        node.kill()
        if not ok:
            node.print_log_tail()
        if ok or not os.environ.get("KV_E2E_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
