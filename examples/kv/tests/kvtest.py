"""Helpers shared by raftio-kv's end-to-end tests: a pipelining RESP2 client (plain or TLS), a node
process, free ports, a test PKI made with the openssl command, and bounded waits.

Every test script imports this module from its own directory (python puts the script's directory
first on sys.path)."""
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

START = time.monotonic()
BUDGET_S = float(os.environ.get("KV_E2E_SECONDS", "150"))


def deadline_left():
    return BUDGET_S - (time.monotonic() - START)


def log(message):
    print(f"[{time.monotonic() - START:6.2f}s] {message}", flush=True)


def fail(message):
    raise AssertionError(message)


def wait_for(what, predicate, timeout):
    end = time.monotonic() + min(timeout, max(deadline_left(), 0))
    while time.monotonic() < end:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    fail(f"timed out waiting for {what}")


def ephemeral_range():
    """The kernel's range for outgoing connections' local ports. A listening port picked inside it
    can be taken, between the pick and the node's bind, by any connection on the machine (another
    test's, or the cluster's own peer links): CI saw "Address already in use" that way."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def bindable(ports):
    taken = []
    try:
        for port in ports:
            s = socket.socket()
            taken.append(s)
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for s in taken:
            s.close()


def free_block(offsets):
    """A base port such that base+offset is free right now for every offset, all of them below the
    ephemeral range, so that no outgoing connection takes one before the node binds it."""
    low, _ = ephemeral_range()
    top = max(low, 12000) - max(offsets) - 1
    rng = random.Random()
    for _ in range(500):
        base = rng.randrange(10000, top)
        if bindable([base + o for o in offsets]):
            return base
    fail("no free ports found below the ephemeral range")


def free_ports(count):
    base = free_block(range(count))
    return [base + i for i in range(count)]


class Resp:
    """A minimal pipelining RESP2 client. `tls` is an ssl.SSLContext for a TLS client port."""

    def __init__(self, port, timeout=3.0, tls=None):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = tls.wrap_socket(sock, server_hostname="127.0.0.1") if tls else sock
        self.buffer = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, commands):
        out = []
        for args in commands:
            out.append(b"*%d\r\n" % len(args))
            for arg in args:
                data = arg.encode() if isinstance(arg, str) else arg
                out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(out))

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buffer += chunk

    def _line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exact(self, size):
        while len(self.buffer) < size + 2:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size + 2:]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:].decode()
        if kind == b"+":
            return ("ok", rest)
        if kind == b"-":
            return ("error", rest)
        if kind == b":":
            return ("int", int(rest))
        if kind == b"$":
            size = int(rest)
            return ("bulk", None if size < 0 else self._exact(size).decode(errors="replace"))
        if kind == b"*":
            return ("array", [self.reply() for _ in range(int(rest))])
        raise ConnectionError(f"unexpected reply {line!r}")

    def call(self, *args):
        self.send([args])
        return self.reply()


class Pki:
    """A certificate authority and node certificates made with the openssl command, in `directory`.

    Node certificates name the node as raftio-kv expects with --peer-cert-file: the subject CN and
    a DNS subjectAltName "node-<id>.<cluster id>" (and IP 127.0.0.1, for clients that check it)."""

    def __init__(self, directory, name="ca"):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.ca_key = os.path.join(directory, f"{name}.key")
        self.ca_cert = os.path.join(directory, f"{name}.crt")
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", self.ca_key, "-out", self.ca_cert, "-days", "2", "-subj", f"/CN=raftio test {name}")

    def _openssl(self, *args):
        result = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            fail(f"openssl {' '.join(args[:2])} failed: {result.stderr.strip()}")

    def issue(self, name, common_name, dns=(), client=True, server=True):
        """Writes <name>.key and <name>.crt signed by this CA; returns (cert, key)."""
        key = os.path.join(self.dir, f"{name}.key")
        csr = os.path.join(self.dir, f"{name}.csr")
        cert = os.path.join(self.dir, f"{name}.crt")
        ext = os.path.join(self.dir, f"{name}.ext")
        usages = ",".join(u for u, on in (("serverAuth", server), ("clientAuth", client)) if on)
        sans = ",".join([f"DNS:{d}" for d in dns] + ["IP:127.0.0.1"])
        with open(ext, "w") as f:
            f.write(f"subjectAltName={sans}\nextendedKeyUsage={usages}\nbasicConstraints=CA:FALSE\n")
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                      "-out", csr, "-subj", f"/CN={common_name}")
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key, "-CAcreateserial",
                      "-out", cert, "-days", "2", "-extfile", ext)
        return cert, key

    def node(self, node_id, cluster_id):
        name = f"node-{node_id}.{cluster_id}"
        return self.issue(f"node{node_id}", name, dns=(name,))

    def client_context(self, cert=None, key=None):
        """An ssl.SSLContext that trusts this CA (and presents cert/key if given)."""
        context = ssl.create_default_context(cafile=self.ca_cert)
        context.check_hostname = False
        if cert:
            context.load_cert_chain(cert, key)
        return context


class Node:
    """One raftio-kv process. `args` are passed as they are; `prefix` runs it under a wrapper."""

    def __init__(self, binary, workdir, node_id, peer_ports, client_ports, extra_args=(), cluster_id=None):
        self.id = node_id
        self.binary = binary
        self.client_port = client_ports[node_id]
        self.peer_port = peer_ports[node_id]
        self.data = os.path.join(workdir, f"node{node_id}")
        self.log_path = os.path.join(workdir, f"node{node_id}.log")
        self.peers = ",".join(f"{i}=127.0.0.1:{p}" for i, p in sorted(peer_ports.items()))
        self.clients = ",".join(f"{i}=127.0.0.1:{p}" for i, p in sorted(client_ports.items()))
        self.extra_args = list(extra_args)
        if cluster_id:
            self.extra_args += ["--cluster-id", cluster_id]
        self.tls = None  # an ssl.SSLContext when the client port speaks TLS
        self.proc = None

    def command(self):
        return [self.binary, "--id", str(self.id), "--peers", self.peers, "--clients", self.clients,
                "--client", f"127.0.0.1:{self.client_port}", "--data", self.data, "--tick-ms", "25",
                *self.extra_args]

    def start(self):
        os.makedirs(self.data, exist_ok=True)
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def connect(self, timeout=3.0):
        return Resp(self.client_port, timeout=timeout, tls=self.tls)

    def info(self):
        conn = None
        try:
            conn = self.connect(timeout=2.0)
            kind, text = conn.call("INFO")
            if kind != "bulk":
                return None
            return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)
        except (OSError, ConnectionError, ValueError):
            return None
        finally:
            if conn:
                conn.close()

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def print_log_tail(self, lines=15):
        tail = self.log_text().splitlines()[-lines:]
        print(f"--- node {self.id} log (last lines) ---\n" + "\n".join(tail), flush=True)


def find_leader(nodes):
    for node in nodes:
        if node.alive():
            info = node.info()
            if info and info.get("role") == "leader":
                return node
    return None


class WriterThread(threading.Thread):
    """A client thread that records what was acknowledged: `acked` maps a key number to its value,
    under `lock`. A subclass writes in `_run`, which returns once `stop` is set; an exception it
    raises is kept in `failure` for the main thread to report."""

    def __init__(self):
        super().__init__(daemon=True)
        self.acked = {}
        self.lock = threading.Lock()
        self.errors = 0
        self.stop = False
        self.failure = None

    def acked_count(self):
        with self.lock:
            return len(self.acked)

    def ack(self, key, value):
        with self.lock:
            self.acked[key] = value

    def run(self):
        try:
            self._run()
        except Exception as error:  # reported by the main thread
            self.failure = error

    def _run(self):
        raise NotImplementedError


def cluster(binary, workdir, count=3, extra_args=(), cluster_id=None):
    """`count` nodes on free loopback ports (not started)."""
    ports = free_ports(2 * count)
    peer_ports = {i + 1: ports[i] for i in range(count)}
    client_ports = {i + 1: ports[count + i] for i in range(count)}
    return [Node(binary, workdir, i, peer_ports, client_ports, extra_args, cluster_id) for i in peer_ports]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def clean_up(nodes, workdir, ok, log_lines=15):
    """A test's last step, pass or fail: kills every node; on failure prints the tail of each
    node's log; deletes the data directory unless the test failed with KV_E2E_KEEP set."""
    for node in nodes:
        node.kill()
    if not ok:
        for node in nodes:
            node.print_log_tail(log_lines)
    if ok or not os.environ.get("KV_E2E_KEEP"):
        shutil.rmtree(workdir, ignore_errors=True)


def run_main(main):
    """Runs a test's main. Meson's timeout sends SIGTERM: it becomes an exit that still runs the
    test's clean-up (its finally blocks)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
