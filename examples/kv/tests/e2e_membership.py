#!/usr/bin/env python3
"""Membership changes of a running raftio-kv cluster under load, and no acknowledged write lost.

  e2e_membership.py path/to/raftio-kv [server options...]

Steps (each bounded in time; every process started is killed at the end, also on failure):
  1. nodes 1, 2, 3 bootstrap a cluster on ports picked free at run time;
  2. load starts: redis-benchmark (SET and GET on random keys) against the leader, in a loop, and
     a writer that pipelines SET m:i to whichever node leads, following -MOVED and retrying
     errors, and counts a write as acknowledged only once it read +OK;
  3. node 4 starts with --join and is added (RAFT.ADDNODE 4 host:port on the leader): 4 voters;
  4. node 1 is removed (RAFT.REMOVENODE 1; first RAFT.TRANSFER away if it leads) and stopped;
  5. the other two original nodes are replaced one at a time: node 5 added, node 2 removed;
     node 6 added, node 3 removed. The cluster is now nodes 4, 5 and 6, none of the originals;
  6. the load stops; every node applies the leader's commit index; every acknowledged key is
     read back (GET) from each of the final nodes, and must hold the value acknowledged; a write
     to a follower is answered -MOVED with the leader's client address (joining nodes are told
     only their own: RAFT.ADDNODE's third argument records each in the log).
RAFT.STATUS must list the new voters after each change. The writer must keep acknowledging writes
through every change.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time


sys.dont_write_bytecode = True  # importing kvtest must not leave __pycache__ in the source tree
from kvtest import clean_up, fail, find_leader, free_ports, log, Node, run_main, wait_for, WriterThread

WINDOW = 50  # SETs per pipelined round trip
MAX_NODES = 6


def value_of(i):
    return f"v{i}-" + "y" * (i % 13)


class Writer(WriterThread):
    """Pipelines SET m:i to the leader of `members` (a list the main thread replaces)."""

    def __init__(self, test):
        super().__init__()
        self.test = test

    def _run(self):
        next_key = 0
        retry = []
        conn = None
        while not self.stop:
            if conn is None:
                target = find_leader(self.test.members())
                if target is None:
                    time.sleep(0.05)
                    continue
                try:
                    conn = target.connect(timeout=3.0)
                except OSError:
                    conn = None
                    time.sleep(0.05)
                    continue
            batch = retry[:WINDOW]
            retry = retry[WINDOW:]
            while len(batch) < WINDOW:
                batch.append(next_key)
                next_key += 1
            answered = 0
            failed = []
            try:
                conn.send([("SET", f"m:{i}", value_of(i)) for i in batch])
                for i in batch:
                    kind, text = conn.reply()
                    answered += 1
                    if (kind, text) == ("ok", "OK"):
                        self.ack(i, value_of(i))
                    elif kind == "error" and (text.startswith("MOVED") or text.startswith("TRYAGAIN")):
                        failed.append(i)
                    else:
                        raise AssertionError(f"SET m:{i} answered {kind} {text!r}")
            except (OSError, ConnectionError):
                failed += batch[answered:]
                conn.close()
                conn = None
            if failed:
                self.errors += len(failed)
                retry = failed + retry
                if conn is not None:
                    conn.close()
                    conn = None
                time.sleep(0.02)
        if conn is not None:
            conn.close()


class Benchmark(threading.Thread):
    """redis-benchmark (looping) against the current leader; started again on the leader of the moment
    whenever it exits (its node was removed, or answered -MOVED after a leader change)."""

    def __init__(self, test):
        super().__init__(daemon=True)
        self.test = test
        self.stop = False
        self.runs = 0
        self.proc = None

    def run(self):
        while not self.stop:
            target = find_leader(self.test.members())
            if target is None:
                time.sleep(0.05)
                continue
            self.proc = subprocess.Popen(
                ["redis-benchmark", "-p", str(target.client_port), "-t", "set,get", "-n", "4000", "-c", "8",
                 "-r", "100000", "-q", "-l"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self.stop:
                # halt() came after the loop's check: it may have looked at the previous process
                # (each sets its own flag before looking at the other's, so one of them kills it).
                self.proc.kill()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.runs += 1

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def halt(self):
        self.stop = True
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        self.join(timeout=30)


class Test:
    def __init__(self, binary, workdir, extra_args):
        self.binary = binary
        self.workdir = workdir
        self.extra_args = extra_args
        ports = free_ports(2 * MAX_NODES)
        self.peer_ports = {i: ports[i - 1] for i in range(1, MAX_NODES + 1)}
        self.client_ports = {i: ports[MAX_NODES + i - 1] for i in range(1, MAX_NODES + 1)}
        self.nodes = {}       # every node started
        self.member_ids = []  # the cluster's voters, as this test made them
        self.lock = threading.Lock()

    def members(self):
        with self.lock:
            return [self.nodes[i] for i in self.member_ids]

    def make_node(self, node_id, peer_ids, join):
        peers = {i: self.peer_ports[i] for i in peer_ids}
        # A joining node is told only its own client address: it learns the others' from the log
        # (RAFT.ADDNODE records them), which the final -MOVED check relies on.
        clients = {i: self.client_ports[i] for i in (peer_ids if not join else [node_id])}
        args = list(self.extra_args) + (["--join"] if join else [])
        node = Node(self.binary, self.workdir, node_id, peers, clients, extra_args=args)
        self.nodes[node_id] = node
        return node

    def leader(self):
        return wait_for("a leader", lambda: find_leader(self.members()), 20)

    def admin(self, what, *command, timeout=30):
        """Sends a RAFT.* command to the leader until it answers +OK (following leader changes)."""
        end = time.monotonic() + timeout
        last = None
        while time.monotonic() < end:
            leader = find_leader(self.members())
            if leader is None:
                time.sleep(0.1)
                continue
            conn = None
            try:
                conn = leader.connect(timeout=timeout)
                last = conn.call(*command)
            except (OSError, ConnectionError) as error:
                last = ("error", str(error))
            finally:
                if conn:
                    conn.close()
            if last == ("ok", "OK"):
                return leader
            if last[0] != "error" or not (last[1].startswith("MOVED") or last[1].startswith("TRYAGAIN")):
                fail(f"{what}: {' '.join(command)} answered {last}")
            time.sleep(0.1)
        fail(f"{what}: no +OK within {timeout} s (last answer {last})")

    def expect_voters(self, ids):
        want = ",".join(str(i) for i in sorted(ids))

        def agreed():
            leader = find_leader(self.members())
            if leader is None:
                return None
            conn = leader.connect()
            try:
                kind, text = conn.call("RAFT.STATUS")
            finally:
                conn.close()
            fields = dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)
            return fields if fields.get("voters") == want and fields.get("learners", "") == "" else None
        status = wait_for(f"RAFT.STATUS to list voters {want}", agreed, 20)
        lags = {k: v for k, v in status.items() if k.startswith("peer_")}
        log(f"voters {want} (leader {status['node_id']}, term {status['term']}, peers {lags})")

    def add(self, node_id):
        with self.lock:
            peer_ids = self.member_ids + [node_id]
        node = self.make_node(node_id, peer_ids, join=True)
        node.start()
        start = time.monotonic()
        self.admin(f"adding node {node_id}", "RAFT.ADDNODE", str(node_id), f"127.0.0.1:{self.peer_ports[node_id]}",
                   f"127.0.0.1:{self.client_ports[node_id]}")
        with self.lock:
            self.member_ids.append(node_id)
        log(f"node {node_id} joined in {time.monotonic() - start:.2f} s")

    def remove(self, node_id):
        node = self.nodes[node_id]
        with self.lock:
            others = [i for i in self.member_ids if i != node_id]
        leader = self.leader()
        if leader is node:
            # A leader that removes itself stops leading only once the change commits; hand over
            # first, so that the cluster does not wait for an election.
            self.admin(f"moving leadership off node {node_id}", "RAFT.TRANSFER", str(others[0]))
            wait_for(f"node {others[0]} to lead", lambda: find_leader(self.members()) is self.nodes[others[0]], 10)
        start = time.monotonic()
        self.admin(f"removing node {node_id}", "RAFT.REMOVENODE", str(node_id))
        with self.lock:
            self.member_ids.remove(node_id)
        node.stop()
        log(f"node {node_id} removed in {time.monotonic() - start:.2f} s and stopped")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    workdir = tempfile.mkdtemp(prefix="raftio-kv-membership-")
    test = Test(binary, workdir, ["--snapshot-entries", "2000", *sys.argv[2:]])
    writer = benchmark = None
    ok = False
    began = time.monotonic()
    try:
        for i in (1, 2, 3):
            test.make_node(i, [1, 2, 3], join=False).start()
        test.member_ids = [1, 2, 3]
        leader = test.leader()
        log(f"3 nodes up, node {leader.id} leads")

        writer = Writer(test)
        benchmark = Benchmark(test)
        writer.start()
        benchmark.start()
        wait_for("the writer's first acknowledged writes", lambda: writer.acked_count() >= 200, 20)

        def under_load():
            wait_for("redis-benchmark to run", benchmark.running, 10)

        def progress(step):
            before = writer.acked_count()
            wait_for(f"writes acknowledged after {step}", lambda: writer.acked_count() >= before + 100 or writer.failure,
                     20)
            if writer.failure:
                raise writer.failure
            log(f"after {step}: {writer.acked_count()} writes acknowledged, {writer.errors} retried, "
                f"{benchmark.runs} redis-benchmark restarts")

        under_load()
        test.add(4)
        test.expect_voters([1, 2, 3, 4])
        progress("adding node 4")
        under_load()
        test.remove(1)
        test.expect_voters([2, 3, 4])
        progress("removing node 1")
        for old, new in ((2, 5), (3, 6)):
            under_load()
            test.add(new)
            test.expect_voters(test.member_ids)
            under_load()
            test.remove(old)
            test.expect_voters(test.member_ids)
            progress(f"replacing node {old} with node {new}")

        benchmark.halt()
        writer.stop = True
        writer.join(timeout=30)
        if writer.failure:
            raise writer.failure
        acked = dict(writer.acked)
        final = test.members()
        if sorted(n.id for n in final) != [4, 5, 6]:
            fail(f"final members {[n.id for n in final]}")

        def caught_up():
            infos = [n.info() for n in final]
            if any(i is None for i in infos):
                return None
            commit = max(int(i["commit_index"]) for i in infos if i["role"] == "leader") if any(
                i["role"] == "leader" for i in infos) else None
            if commit is None:
                return None
            return infos if all(int(i["applied_index"]) >= commit for i in infos) else None
        wait_for("every final node to apply the leader's commit index", caught_up, 20)
        keys = sorted(acked)
        for node in final:
            conn = node.connect(timeout=10)
            try:
                for start in range(0, len(keys), 500):
                    chunk = keys[start:start + 500]
                    conn.send([("GET", f"m:{i}") for i in chunk])
                    for i in chunk:
                        got = conn.reply()
                        if got != ("bulk", acked[i]):
                            fail(f"node {node.id}: GET m:{i} answered {got}, acknowledged value {acked[i]!r}")
            finally:
                conn.close()
        leader = test.leader()
        for node in final:
            if node is leader:
                continue
            conn = node.connect()
            try:
                got = conn.call("SET", "moved", "x")
            finally:
                conn.close()
            if got != ("error", f"MOVED 0 127.0.0.1:{leader.client_port}"):
                fail(f"node {node.id} (a follower; leader {leader.id}) answered a write {got}")
        log(f"followers answer -MOVED with the leader's client address, learnt from the log")
        log(f"all {len(keys)} acknowledged writes read back from nodes 4, 5 and 6 "
            f"({writer.errors} refused or lost and retried, redis-benchmark restarted {benchmark.runs} times) "
            f"in {time.monotonic() - began:.1f} s")
        ok = True
        log("PASS")
        return 0
    finally:
        if benchmark:
            benchmark.halt()
        if writer:
            writer.stop = True
        clean_up(test.nodes.values(), workdir, ok, log_lines=25)


if __name__ == "__main__":
    run_main(main)
