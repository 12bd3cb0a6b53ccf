#!/usr/bin/env python3
"""Strangers on the peer port of a plain-TCP raftio-kv cluster (issue #11, item 7).

  e2e_forged_peer.py path/to/raftio-kv path/to/kv-forge

Three nodes on free loopback ports with cluster id "kv-forged-test". Then, against a follower:
  1. forged_append_entries: a raw TCP connection (no hello) sends one well-formed AppendEntries
     with the leader's id and term, carrying "SET forged evil" and a commit index covering it.
     The follower must drop it (log line naming the remote address and the reason) and must not
     apply it: its last index is unchanged and GET forged reads nil on every node.
     (Before the handshake existed the follower applied it and diverged for good.)
  2. a hello naming another cluster id, one naming a node id that is not a member, one claiming
     the follower's own id, one of another version and one naming node 0: each refused, unanswered,
     with a log line naming the reason.
  3. a hello as node 3 (a member) followed by a frame claiming to come from the leader: the
     connection is dropped (a link speaks for the node that said hello, nobody else).
  4. a real raftio-kv process configured with another cluster id, dialling the cluster: the
     cluster logs why it refused it, the stranger logs that it was refused, and no node's term
     moves.
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time


sys.dont_write_bytecode = True  # importing kvtest must not leave __pycache__ in the source tree
from kvtest import clean_up, cluster, fail, find_leader, free_ports, log, Node, run_main, wait_for

CLUSTER_ID = "kv-forged-test"


def hello(node_id, cluster_id, version=1):
    """The peer hello, as docs/EMBEDDING.md lays it out."""
    data = cluster_id.encode()
    return b"RFHL" + struct.pack("<HQB", version, node_id, len(data)) + data


def send_raw(port, payload, linger=0.5):
    """Connects, sends `payload`, and returns what the node sent back before closing (or linger s)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=3)
    local = sock.getsockname()[1]
    received = b""
    try:
        sock.sendall(payload)
        sock.settimeout(linger)
        end = time.monotonic() + linger
        while time.monotonic() < end:
            chunk = sock.recv(4096)
            if not chunk:
                return local, received, True
            received += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        return local, received, True
    finally:
        sock.close()
    return local, received, False


def applied_everywhere(nodes):
    infos = [n.info() for n in nodes]
    if any(i is None for i in infos):
        return None
    leader = next((i for i in infos if i["role"] == "leader"), None)
    if leader is None:
        return None
    commit = int(leader["commit_index"])
    return infos if all(int(i["applied_index"]) >= commit for i in infos) else None


def get_everywhere(nodes, key):
    values = []
    for node in nodes:
        conn = node.connect()
        try:
            values.append(conn.call("GET", key))
        finally:
            conn.close()
    return values


def expect_log(node, *fragments, timeout=5):
    """Waits until one line of the node's log contains every fragment."""
    def found():
        return next((line for line in node.log_text().splitlines() if all(f in line for f in fragments)), None)
    return wait_for(f"node {node.id} to log a line with {fragments}", found, timeout)


def forged_append_entries(forge, nodes, leader, follower):
    info = wait_for("every node to apply the leader's commit index", lambda: applied_everywhere(nodes), 10)
    mine = info[follower.id - 1]
    term, last = int(mine["term"]), int(mine["last_index"])
    if int(info[leader.id - 1]["term"]) != term:
        fail(f"terms differ: {info}")
    frame = subprocess.run([forge, "append-entries", str(leader.id), str(follower.id), str(term), str(last), str(term),
                            "forged", "evil"], capture_output=True, check=True).stdout
    local, answer, closed = send_raw(follower.peer_port, frame)
    log(f"sent a forged AppendEntries (term {term}, entry {last + 1}: SET forged evil) to node {follower.id} "
        f"from 127.0.0.1:{local}; connection closed by the node: {closed}")
    time.sleep(0.5)
    after = follower.info()
    values = get_everywhere(nodes, "forged")
    if any(v != ("bulk", None) for v in values) or int(after["last_index"]) != last:
        fail(f"the forged AppendEntries was applied: GET forged on each node {values}, "
             f"last index {last} -> {after['last_index']}")
    if not closed or answer:
        fail(f"the node kept the connection open or answered a stranger: closed={closed} answer={answer!r}")
    expect_log(follower, f"refused peer connection from 127.0.0.1:{local}", "bad magic")
    log("forged AppendEntries without a hello: dropped, logged, not applied")


def refused_hellos(nodes, follower):
    cases = [
        (hello(1, "another-cluster"), "cluster id 'another-cluster' does not match"),
        (hello(9, CLUSTER_ID), "node 9 is not a member"),
        (hello(follower.id, CLUSTER_ID), f"claims this node's own id {follower.id}"),
        (hello(1, CLUSTER_ID, version=7), "unsupported hello version 7"),
        (b"RFHL" + b"\x01\x00" + b"\x00" * 8 + b"\x01x", "node id 0"),
    ]
    for payload, reason in cases:
        local, answer, closed = send_raw(follower.peer_port, payload)
        if not closed or answer:
            fail(f"node {follower.id} kept a connection open or answered a hello it must refuse ({reason}): {answer!r}")
        expect_log(follower, f"refused peer connection from 127.0.0.1:{local}", reason)
        log(f"refused: {reason}")


def sender_mismatch(forge, nodes, leader, follower):
    other = next(n for n in nodes if n is not leader and n is not follower)
    info = follower.info()
    term, last = int(info["term"]), int(info["last_index"])
    frame = subprocess.run([forge, "append-entries", str(leader.id), str(follower.id), str(term), str(last), str(term),
                            "forged", "evil2"], capture_output=True, check=True).stdout
    local, answer, closed = send_raw(follower.peer_port, hello(other.id, CLUSTER_ID) + frame)
    time.sleep(0.3)
    if get_everywhere(nodes, "forged") != [("bulk", None)] * len(nodes) or int(follower.info()["last_index"]) != last:
        fail("a frame claiming another sender than the hello's was applied")
    if not closed:
        fail("the connection stayed open after a frame from another sender than its hello's")
    expect_log(follower, f"from 127.0.0.1:{local}", f"node {other.id} sent a message from node {leader.id}")
    log(f"a link that said hello as node {other.id} cannot speak for node {leader.id}: dropped")


def stranger_node(binary, workdir, nodes):
    before = [n.info() for n in nodes]
    port, client_port = free_ports(2)
    peer_ports = {1: nodes[0].peer_port, 2: nodes[1].peer_port, 4: port}
    client_ports = {1: nodes[0].client_port, 2: nodes[1].client_port, 4: client_port}
    stranger = Node(binary, workdir, 4, peer_ports, client_ports, cluster_id="some-other-cluster")
    stranger.start()
    try:
        expect_log(nodes[0], "refused peer connection from 127.0.0.1:",
                   "cluster id 'some-other-cluster' does not match", timeout=10)
        expect_log(stranger, f"cannot link to peer 1 at 127.0.0.1:{nodes[0].peer_port}", "refused this node",
                   timeout=10)
        time.sleep(1.0)  # long enough for a stranger's election attempt to reach the cluster
        if not stranger.alive():
            fail("the stranger exited instead of staying refused")
    finally:
        stranger.kill()
    after = [n.info() for n in nodes]
    for b, a in zip(before, after):
        if b["term"] != a["term"] or a["role"] == "candidate":
            fail(f"a node of another cluster disturbed this one: before {b['term']}, after {a['term']}")
    log("a raftio-kv node with another cluster id: refused by the cluster, told why, terms unchanged")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, forge = (os.path.abspath(p) for p in sys.argv[1:3])
    workdir = tempfile.mkdtemp(prefix="raftio-kv-forged-")
    nodes = cluster(binary, workdir, extra_args=["--election-ticks", "40"], cluster_id=CLUSTER_ID)
    ok = False
    try:
        for node in nodes:
            node.start()
        leader = wait_for("a leader", lambda: find_leader(nodes), 30)
        conn = leader.connect()
        if conn.call("SET", "warmup", "1") != ("ok", "OK"):
            fail("SET warmup failed")
        conn.close()
        follower = next(n for n in nodes if n is not leader)
        log(f"node {leader.id} leads; attacking node {follower.id}")
        forged_append_entries(forge, nodes, leader, follower)
        refused_hellos(nodes, follower)
        sender_mismatch(forge, nodes, leader, follower)
        stranger_node(binary, workdir, nodes)
        for node in nodes:
            if not node.alive():
                fail(f"node {node.id} exited")
        ok = True
        log("PASS")
        return 0
    finally:
        clean_up(nodes, workdir, ok)


if __name__ == "__main__":
    run_main(main)
