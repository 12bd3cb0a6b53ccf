#!/usr/bin/env python3
"""Strangers on the peer port of a mutual-TLS raftio-kv cluster, and TLS clients (issue #11,
item 7).

  e2e_tls.py path/to/raftio-kv path/to/kv-forge

A CA and node certificates are made with the openssl command in a temporary directory; three
nodes run with --peer-cert-file/--peer-key-file/--peer-trusted-ca-file and, on the client port,
--client-cert-file/--client-key-file/--client-trusted-ca-file (clients need a certificate too).
Then each of these connects to a follower's peer port, says hello as the leader and sends a forged
AppendEntries ("SET forged evil" with the leader's id and term):
  1. a TLS client without a certificate;
  2. a TLS client with a certificate naming node 1 from another CA;
  3. a TLS client with a valid certificate of this CA for node 3 (a member) that claims node 1;
  4. a plain-TCP client, no TLS at all.
Each is refused with a log line naming the remote address and the reason, and the cluster's state
does not change: no node's term, last index or key count moves, and GET forged is nil
everywhere. Then: a Redis client without a certificate is refused, one with a certificate of the
CA is served, and a plain-TCP Redis client gets nothing.
"""
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time


sys.dont_write_bytecode = True  # importing kvtest must not leave __pycache__ in the source tree
from kvtest import clean_up, cluster, fail, find_leader, log, Pki, Resp, run_main, wait_for

CLUSTER_ID = "kv-tls-test"


def hello(node_id, cluster_id=CLUSTER_ID):
    data = cluster_id.encode()
    return b"RFHL" + struct.pack("<HQB", 1, node_id, len(data)) + data


def attack(port, payload, context=None):
    """Connects (over TLS when `context` is given), sends `payload`; returns the local port."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=3)
    local = sock.getsockname()[1]
    try:
        if context:
            sock = context.wrap_socket(sock)
        sock.sendall(payload)
        sock.settimeout(2)
        while sock.recv(4096):
            pass
    except (ssl.SSLError, OSError):
        pass  # refused: the handshake failed or the node closed the connection
    finally:
        sock.close()
    return local


def attacker_context(cert=None, key=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # an attacker does not care who answers
    if cert:
        context.load_cert_chain(cert, key)
    return context


def expect_log(node, *fragments, timeout=5):
    def found():
        return next((line for line in node.log_text().splitlines() if all(f in line for f in fragments)), None)
    return wait_for(f"node {node.id} to log a line with {fragments}", found, timeout)


def state_of(nodes):
    out = []
    for node in nodes:
        info = node.info()
        out.append((info["term"], info["last_index"], info["keys"]))
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, forge = (os.path.abspath(p) for p in sys.argv[1:3])
    workdir = tempfile.mkdtemp(prefix="raftio-kv-tls-")
    pki = Pki(os.path.join(workdir, "pki"))
    stranger_pki = Pki(os.path.join(workdir, "stranger-pki"), name="stranger-ca")
    client_cert, client_key = pki.issue("client", "a redis client", client=True, server=False)
    nodes = cluster(binary, workdir, extra_args=["--election-ticks", "40"], cluster_id=CLUSTER_ID)
    for node in nodes:
        cert, key = pki.node(node.id, CLUSTER_ID)
        node.extra_args += ["--peer-cert-file", cert, "--peer-key-file", key, "--peer-trusted-ca-file", pki.ca_cert,
                            "--client-cert-file", cert, "--client-key-file", key,
                            "--client-trusted-ca-file", pki.ca_cert]
        node.tls = pki.client_context(client_cert, client_key)
    ok = False
    try:
        for node in nodes:
            node.start()
        leader = wait_for("a leader", lambda: find_leader(nodes), 30)
        conn = leader.connect()
        if conn.call("SET", "k", "v") != ("ok", "OK"):
            fail("SET over TLS failed")
        conn.close()
        follower = next(n for n in nodes if n is not leader)
        member = next(n for n in nodes if n is not leader and n is not follower)
        time.sleep(0.3)
        before = state_of(nodes)
        info = follower.info()
        term, last = info["term"], info["last_index"]
        frame = subprocess.run([forge, "append-entries", str(leader.id), str(follower.id), term, last, term,
                                "forged", "evil"], capture_output=True, check=True).stdout
        payload = hello(leader.id) + frame
        log(f"node {leader.id} leads (mutual TLS between nodes); attacking node {follower.id}")

        stranger_cert, stranger_key = stranger_pki.node(leader.id, CLUSTER_ID)
        member_cert, member_key = os.path.join(pki.dir, f"node{member.id}.crt"), os.path.join(pki.dir, f"node{member.id}.key")
        cases = [
            ("no certificate", attacker_context(), "TLS handshake failed"),
            ("a certificate from another CA", attacker_context(stranger_cert, stranger_key), "TLS handshake failed"),
            (f"node {member.id}'s valid certificate, claiming node {leader.id}", attacker_context(member_cert, member_key),
             f"its certificate does not name node-{leader.id}.{CLUSTER_ID} (the hello claims node {leader.id})"),
            ("plain TCP", None, "TLS handshake failed"),
        ]
        for what, context, reason in cases:
            local = attack(follower.peer_port, payload, context)
            line = expect_log(follower, f"refused peer connection from 127.0.0.1:{local}", reason)
            log(f"{what}: {line}")
        time.sleep(0.5)
        after = state_of(nodes)
        if after != before:
            fail(f"the cluster's state changed under the attacks: (term, last index, keys) {before} -> {after}")
        for node in nodes:
            conn = node.connect()
            try:
                if conn.call("GET", "forged") != ("bulk", None):
                    fail(f"node {node.id} applied the forged write")
            finally:
                conn.close()
        log(f"state unchanged on every node (term, last index, keys): {after}")

        try:
            conn = Resp(leader.client_port, tls=pki.client_context())  # trusts the CA, has no certificate
            got = conn.call("PING")
            conn.close()
            fail(f"a Redis client without a certificate was served: {got}")
        except (ssl.SSLError, OSError, ConnectionError):
            pass
        with socket.create_connection(("127.0.0.1", leader.client_port), timeout=3) as plain:
            plain.sendall(b"PING\r\n")
            try:
                if b"PONG" in plain.recv(64):
                    fail("a plain-TCP Redis client was served on the TLS client port")
            except OSError:
                pass
        info = wait_for("INFO over TLS with a client certificate", leader.info, 5)
        if info.get("client_tls") != "mutual" or info.get("peer_tls") != "mutual":
            fail(f"INFO does not report mutual TLS: {info}")
        if int(info.get("client_tls_handshake_failures", "0")) < 1:
            fail(f"INFO does not count the refused TLS clients: {info}")
        log("Redis clients: without a certificate refused, with one served, plain TCP refused")
        ok = True
        log("PASS")
        return 0
    finally:
        clean_up(nodes, workdir, ok)


if __name__ == "__main__":
    run_main(main)
