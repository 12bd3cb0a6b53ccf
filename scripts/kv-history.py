#!/usr/bin/env python3
"""Records a client history of a raftio-kv cluster, for `raftio-sim --check-history`.

Client threads send SET (a put) and GET (a get) on a few keys to the cluster's Redis ports and
write one JSON line per invocation and per outcome, timed by one monotonic clock shared by all
threads (docs/SIMULATION.md, "The client history"). Run faults against the cluster meanwhile
(examples/kv/cluster.sh kill N / restart N), then check the file:

    python3 scripts/kv-history.py --ports 8001,8002,8003 --seconds 10 --out kv.jsonl
    raftio-sim --check-history kv.jsonl

Outcomes: +OK and a read value are "ok"; a write refused before it was proposed (-MOVED, and
-TRYAGAIN no leader known / not the leader / leadership transfer in progress) or lost to another
leader's entry (-TRYAGAIN write lost to a leader change) is "fail"; any other error, a timeout or
a broken connection leaves a write "unknown" (always a safe claim) and a read "fail" (a read
changes nothing). Standard library only.
"""
import argparse
import json
import random
import socket
import threading
import time

# Error replies after which the write certainly did not take effect (examples/kv/commands.cpp,
# server.cpp): never proposed, or its index taken by another leader's entry.
WRITE_NOT_APPLIED = (
    "MOVED",
    "TRYAGAIN no leader known yet",
    "TRYAGAIN not the leader",
    "TRYAGAIN leadership transfer in progress",
    "TRYAGAIN write lost to a leader change",
)


class RespError(Exception):
    """The server answered with a RESP error (-...)."""


class Connection:
    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buffer = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def command(self, *args):
        out = b"*%d\r\n" % len(args)
        for arg in args:
            data = arg.encode()
            out += b"$%d\r\n%s\r\n" % (len(data), data)
        self.sock.sendall(out)
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buffer) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exactly(n).decode("utf-8", "surrogateescape")
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise ConnectionError("not a RESP reply: %r" % line)


class History:
    def __init__(self):
        self.lock = threading.Lock()
        self.start = time.monotonic_ns()
        self.records = []
        self.next_op = 1

    def now_us(self):
        return (time.monotonic_ns() - self.start) // 1000

    def invoke(self, client, f, key, value=None):
        with self.lock:
            op = self.next_op
            self.next_op += 1
            record = {"t_us": self.now_us(), "type": "client", "kind": "invoke", "op": op, "client": client,
                      "f": f, "key": key}
            if value is not None:
                record["value"] = value
            self.records.append(record)
            return op

    def complete(self, kind, op, client, f, key, value=None, read=False):
        with self.lock:
            record = {"t_us": self.now_us(), "type": "client", "kind": kind, "op": op, "client": client,
                      "f": f, "key": key}
            if f == "put":
                record["value"] = value
            elif kind == "ok":
                record["value"] = read
            self.records.append(record)


def run_client(client, args, ports, history, deadline):
    rng = random.Random(args.seed * 1000 + client)
    conn = None
    seq = 0
    while time.monotonic() < deadline:
        seq += 1
        key = "k%d" % rng.randrange(args.keys)
        put = rng.random() < args.put_share
        value = "c%d.%d" % (client, seq) if put else None
        f = "put" if put else "get"
        op = history.invoke(client, f, key, value)
        outcome, read = "unknown" if put else "fail", None
        port = rng.choice(ports)
        try:
            for _ in range(4):  # follow up to three -MOVED redirections
                if conn is None:
                    conn = Connection(args.host, port, args.timeout)
                try:
                    read = conn.command("SET", key, value) if put else conn.command("GET", key)
                    outcome = "ok"
                    break
                except RespError as error:
                    text = str(error)
                    if text.startswith("MOVED"):
                        host_port = text.split()[-1]
                        port = int(host_port.rsplit(":", 1)[1])
                        conn.close()
                        conn = None
                        outcome = "fail"  # not proposed; the redirected attempt decides
                        continue
                    if not put or text.startswith(WRITE_NOT_APPLIED):
                        outcome = "fail"
                    break
        except (OSError, ConnectionError, ValueError):
            if conn is not None:
                conn.close()
            conn = None  # the answer may still come on this connection: never reuse it
        history.complete(outcome, op, client, f, key, value, read)
        if outcome != "ok":
            time.sleep(0.05)  # an election may be under way
            if conn is not None and outcome == "unknown":
                conn.close()
                conn = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ports", default="8001,8002,8003", help="the nodes' client ports")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--put-share", type=float, default=0.5)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for an answer")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    history = History()
    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=run_client, args=(c, args, ports, history, deadline))
               for c in range(1, args.clients + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(args.out, "w") as out:
        for record in history.records:
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    kinds = {}
    for record in history.records:
        kinds[record["kind"]] = kinds.get(record["kind"], 0) + 1
    print("kv-history: %s: %s" % (args.out, ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items()))))


if __name__ == "__main__":
    main()
