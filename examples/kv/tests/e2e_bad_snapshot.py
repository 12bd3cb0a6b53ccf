#!/usr/bin/env python3
"""A snapshot raftio-kv cannot use must not crash-loop the node (issue #11, item 8).

  e2e_bad_snapshot.py path/to/raftio-kv path/to/kv-forge

A 3-node cluster takes snapshots every 20 entries; 60 keys are written, and the nodes are
stopped. Then, in two rounds, on node 1:
  1. undecodable state-machine snapshot: kv-forge rewrites node 1's snapshot with its key-value
     data cut short by one byte (the WAL file itself stays valid). At restart the node hands the
     snapshot to raftio-kv's state machine, which refuses it; the runtime then stops node 1's Raft
     node (it neither votes nor campaigns: running on would serve a state that differs from its
     peers'). Nodes 2 and 3 must elect a leader between them, which serves reads and writes.
  2. unloadable snapshot file: one byte of node 1's snapshot file is flipped, so the WAL's own
     checksum fails and the node's storage reports the failure at start-up.
Each time the process must keep running (before the fix it exited with status 2 at every start),
answer PING and INFO (health:unhealthy, with the reason), and refuse GET, SET and EXISTS with
-ERR naming the reason.
"""
import glob
import os
import subprocess
import sys
import tempfile
import time


sys.dont_write_bytecode = True  # importing kvtest must not leave __pycache__ in the source tree
from kvtest import clean_up, cluster, fail, find_leader, log, run_main, wait_for


def expect_unhealthy(node, reason_fragment):
    def answered():
        if not node.alive():  # the old code exited here, on its first step
            fail(f"the node exited (status {node.proc.returncode}) instead of staying up unhealthy")
        return node.info()
    info = wait_for("INFO", answered, 20)
    time.sleep(0.5)
    if not node.alive():
        fail(f"the node exited (status {node.proc.returncode}) instead of staying up unhealthy")
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
    nodes = cluster(binary, workdir, extra_args=["--snapshot-entries", "20"])
    first = nodes[0]
    ok = False
    try:
        for node in nodes:
            node.start()
        leader = wait_for("a leader", lambda: find_leader(nodes), 20)
        conn = leader.connect()
        conn.send([("SET", f"key:{i}", f"value-{i}") for i in range(60)])
        if any(conn.reply() != ("ok", "OK") for _ in range(60)):
            fail("a SET failed")
        conn.close()
        wait_for("a snapshot on node 1", lambda: int((first.info() or {}).get("snapshots_taken", "0")) > 0, 10)
        for node in nodes:
            node.stop()
        subprocess.run([forge, "damage-snapshot", first.data], check=True)
        for node in nodes:
            node.start()
        expect_unhealthy(first, "snapshot at index")
        successor = wait_for("another leader", lambda: find_leader(nodes[1:]), 15)
        conn = successor.connect()
        try:
            if conn.call("SET", "after", "handoff") != ("ok", "OK") or conn.call("GET", "key:7") != ("bulk", "value-7"):
                fail(f"node {successor.id}, leading without node 1, does not serve reads and writes")
        finally:
            conn.close()
        if find_leader([first]) is not None:
            fail("the unhealthy node leads")
        log(f"nodes 2 and 3 elected node {successor.id} without the unhealthy node, and it serves")
        expect_unhealthy(first, "snapshot at index")

        first.stop()
        snap = sorted(glob.glob(os.path.join(first.data, "snapshot-*.snap")))[-1]
        with open(snap, "r+b") as f:
            f.seek(40)
            byte = f.read(1)
            f.seek(40)
            f.write(bytes([byte[0] ^ 0x10]))
        first.start()
        expect_unhealthy(first, "storage failed")
        ok = True
        log("PASS")
        return 0
    finally:
        clean_up(nodes, workdir, ok)


if __name__ == "__main__":
    run_main(main)
