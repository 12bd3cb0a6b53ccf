#!/usr/bin/env python3
"""The simulator's mutation score: plants each classic Raft bug of sim/mutants/ in a scratch copy
of the tree, builds raftio-sim, and runs the mutation sweep until a seed fails. Every mutant must
be killed; a survivor means the simulator (its exploration or its checks) misses that bug.

  python3 scripts/mutation-score.py                  # every mutant
  python3 scripts/mutation-score.py --only figure8-commit-old-term --seeds-scale 4
  python3 scripts/mutation-score.py --junit build/mutation/meson-logs/testlog.junit.xml

Each mutant is a JSON file: name, rule (what it breaks), file, find, replace, and optionally
"sweeps": "system" for a bug of the runtime's Driver, which only the system simulator runs (its
sweeps run the bank example and the key-value store over Drivers; the default, "raft", runs the
core's). `find` must occur
exactly once in `file`, or the script stops: a mutant that no longer applies is an error, never a
silent pass. The scratch copy lives in build/mutation/ (one release build, reused: ninja rebuilds
only what a mutant changed). Prints one line per mutant (property that caught it, seeds it took,
wall seconds) and exits 1 if any mutant survived.

  python3 scripts/mutation-score.py --in-tree build/test-gcc

plants each mutant in this tree itself and builds raftio-sim in an existing build of it (CI: the
g++ test build, so no second build of the libraries). The planted file's original is kept in
BUILD/mutation-planted/ until it is restored: an interrupted run is mended by the next run, and
SIGINT/SIGTERM restore it at once.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The mutation sweep: the CI sweep's profiles (every fault, mixed / async / sync storage) plus the
# network profile, where lease reads are on. Each entry: label, first seed, seed count, options.
TICKS = "20000"
SWEEPS = {
    "raft": [
        ("mixed", 1, 60, ["--ticks", TICKS, "--faults", "all", "--storage", "wal", "--storage-mode", "mixed"]),
        ("async", 201, 40, ["--ticks", TICKS, "--faults", "all", "--storage", "wal", "--storage-mode", "async"]),
        ("sync", 301, 30, ["--ticks", TICKS, "--faults", "all", "--storage", "wal", "--storage-mode", "sync"]),
        ("network", 401, 40, ["--ticks", TICKS, "--faults", "network", "--storage", "wal", "--storage-mode", "mixed"]),
    ],
    # The runtime's Driver runs only under the system simulator (sim/system.h): the bank example
    # (no client sessions, so a command applied twice shows) and the key-value store over Drivers
    # in longer runs, 3 and 5 nodes, every fault.
    "system": [
        ("bank", 1, 100, ["--model", "bank"]),
        ("kv", 1, 150, ["--model", "kv", "--ticks", "10000"]),
        ("bank-5", 1001, 40, ["--model", "bank", "--nodes", "5"]),
        ("kv-5", 1001, 50, ["--model", "kv", "--nodes", "5", "--ticks", "10000"]),
    ],
}


def source_files():
    """The files a build needs: what git tracks, or (outside a checkout) the source directories."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
        files = [f for f in out.decode().split("\0") if f]
        return [f for f in files if (ROOT / f).is_file()]
    except (subprocess.CalledProcessError, FileNotFoundError):
        skip = {"build", ".git"}
        return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                if p.is_file() and p.relative_to(ROOT).parts[0] not in skip]


def sync_tree(scratch):
    """Copies the tree into `scratch`, rewriting only files whose bytes differ (so ninja rebuilds
    nothing that did not change since the last run)."""
    for rel in source_files():
        src, dst = ROOT / rel, scratch / rel
        data = src.read_bytes()
        if dst.exists() and dst.read_bytes() == data:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(data)
        shutil.copymode(src, dst)


def load_mutants(directory, only):
    mutants = []
    for path in sorted(Path(directory).glob("*.json")):
        m = json.loads(path.read_text())
        for key in ("name", "rule", "file", "find", "replace"):
            if key not in m:
                sys.exit(f"mutation-score: {path}: no '{key}'")
        m.setdefault("sweeps", "raft")
        if m["sweeps"] not in SWEEPS:
            sys.exit(f"mutation-score: {path}: 'sweeps' must be one of {sorted(SWEEPS)}")
        if only and m["name"] not in only:
            continue
        text = (ROOT / m["file"]).read_text()
        count = text.count(m["find"])
        if count != 1:
            sys.exit(f"mutation-score: {path.name}: 'find' occurs {count} times in {m['file']} (must be once); "
                     "update the mutant to the current code")
        mutants.append(m)
    # Mutants of one file in a row: reverting one and planting the next recompiles that file once.
    mutants.sort(key=lambda m: (m["file"], m["name"]))
    if only and len(mutants) != len(only):
        sys.exit(f"mutation-score: unknown mutant among {sorted(only)}")
    return mutants


def build(build_dir, log):
    result = subprocess.run(["ninja", "-C", str(build_dir), "sim/raftio-sim"], capture_output=True, text=True)
    log.write(result.stdout + result.stderr)
    return result.returncode == 0


def first_property(output):
    """The first violated property (or system check) in a raftio-sim report."""
    match = re.search(r"^VIOLATION\n  (.+?) \(nodes", output, re.MULTILINE)
    if not match:
        match = re.search(r"^FAILED seed \d+: ([a-z ]+):", output, re.MULTILINE)
    return match.group(1) if match else "?"


def run_sweeps(sim, sweeps, scale, jobs):
    """Runs the sweeps, `jobs` at a time, until one finds a violation. Returns (killed, property,
    where, seeds run)."""
    pending = [(label, first, max(1, int(count * scale)), opts) for label, first, count, opts in sweeps]
    running = []
    seeds_run = 0
    result = None
    try:
        while (pending or running) and result is None:
            while pending and len(running) < jobs:
                label, first, count, opts = pending.pop(0)
                cmd = [str(sim), "--seeds", f"{first}..{first + count - 1}", "--until-violation"] + opts
                # A file, not a pipe: a failing seed's report can be long, and a full pipe would block it.
                out = tempfile.TemporaryFile(mode="w+")
                proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
                running.append((label, first, count, proc, out))
            time.sleep(0.05)
            for entry in list(running):
                label, first, count, proc, out = entry
                if proc.poll() is None:
                    continue
                running.remove(entry)
                out.seek(0)
                output = out.read()
                out.close()
                summary = re.search(r"seeds (\d+)\.\.(\d+)[^\n]*?: (\d+) passed, (\d+) failed", output)
                ran = int(summary.group(2)) - int(summary.group(1)) + 1 if summary else count
                seeds_run += ran
                if proc.returncode != 0:
                    failing = re.search(r"first failing seed (\d+)", output)
                    seed = int(failing.group(1)) if failing else first + ran - 1
                    # Seeds to kill: the failing seed's place in its sweep.
                    result = (True, first_property(output), f"{label} seed {seed}", seed - first + 1)
    finally:  # also on SIGTERM (stop_on_signal): no sweep outlives the script
        for label, first, count, proc, out in running:
            proc.kill()
            proc.wait()
            out.close()
    if result is None:
        return False, "-", "-", seeds_run
    return result


def write_junit(path, rows):
    suite = ET.Element("testsuite", name="mutation", tests=str(len(rows)),
                       failures=str(sum(1 for r in rows if not r["killed"])))
    for r in rows:
        case = ET.SubElement(suite, "testcase", classname="mutation", name=r["name"], time=f"{r['seconds']:.1f}")
        if not r["killed"]:
            ET.SubElement(case, "failure", message=f"mutant survived {r['seeds']} seeds: {r['rule']}")
    root = ET.Element("testsuites")
    root.append(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


class InTreePlanting:
    """Plants mutants in ROOT itself. The original of the planted file is saved under
    BUILD/mutation-planted/ before the file is touched, and put back by restore(); a run killed
    in between (even by SIGKILL) leaves the copy, which the next run puts back first."""

    def __init__(self, build_dir):
        self.guard = build_dir / "mutation-planted"
        rel = self.restore()
        if rel:
            print(f"mutation-score: restored {rel}, left mutated by an interrupted run", flush=True)

    def restore(self):
        """Puts the planted file's original back; returns its path, or None if none was planted."""
        record = self.guard / "file.json"
        rel = None
        if record.exists():
            rel = json.loads(record.read_text())["file"]
            (ROOT / rel).write_bytes((self.guard / "original").read_bytes())
        shutil.rmtree(self.guard, ignore_errors=True)
        return rel

    def plant(self, rel, find, replace):
        original = (ROOT / rel).read_bytes()
        self.guard.mkdir(parents=True, exist_ok=True)
        (self.guard / "original").write_bytes(original)
        (self.guard / "file.json").write_text(json.dumps({"file": rel}))
        (ROOT / rel).write_text(original.decode().replace(find, replace, 1))


def check_build_of_this_tree(build_dir):
    info = build_dir / "meson-info" / "meson-info.json"
    if not info.exists():
        sys.exit(f"mutation-score: {build_dir} is not a configured Meson build")
    source = Path(json.loads(info.read_text())["directories"]["source"]).resolve()
    if source != ROOT:
        sys.exit(f"mutation-score: {build_dir} builds {source}, not {ROOT}")


def stop_on_signal(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that restore the tree


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutants", default=str(ROOT / "sim" / "mutants"), help="directory of mutant JSON files")
    parser.add_argument("--scratch", default=str(ROOT / "build" / "mutation"), help="scratch copy and build")
    parser.add_argument("--only", action="append", default=[], help="run only this mutant (repeatable)")
    parser.add_argument("--seeds-scale", type=float, default=1.0, help="multiply every sweep's seed count")
    parser.add_argument("--jobs", type=int, default=2, help="sweeps run side by side")
    parser.add_argument("--junit", help="write a JUnit XML report (one test case per mutant)")
    parser.add_argument("--in-tree", metavar="BUILD",
                        help="plant mutants in this tree and build in BUILD, an existing build of it")
    args = parser.parse_args()

    start = time.monotonic()
    planting = None
    if args.in_tree:
        build_dir = Path(args.in_tree).resolve()
        check_build_of_this_tree(build_dir)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, stop_on_signal)
        planting = InTreePlanting(build_dir)  # first: mends a tree an interrupted run left mutated
        log_path = build_dir / "mutation-build.log"
    mutants = load_mutants(args.mutants, set(args.only))
    if not args.in_tree:
        scratch = Path(args.scratch)
        tree, build_dir = scratch / "src", scratch / "build"
        tree.mkdir(parents=True, exist_ok=True)
        sync_tree(tree)
        log_path = scratch / "build.log"
    log = open(log_path, "w")
    if planting is None and not (build_dir / "build.ninja").exists():
        subprocess.run(["meson", "setup", str(build_dir), str(tree), "--buildtype=release", "-Dtests=false",
                        "-Dbench=false"], check=True, stdout=log, stderr=subprocess.STDOUT)
    if not build(build_dir, log):
        sys.exit(f"mutation-score: the unmutated simulator does not build (see {log_path})")
    sim = build_dir / "sim" / "raftio-sim"
    print(f"mutation score: {len(mutants)} mutants; sweeps: raft "
          + ", ".join(f"{label} {max(1, int(count * args.seeds_scale))}" for label, _, count, _ in SWEEPS["raft"])
          + f" seeds of {TICKS} ticks; system "
          + ", ".join(f"{label} {max(1, int(count * args.seeds_scale))}" for label, _, count, _ in SWEEPS["system"])
          + f" seeds; baseline built in {time.monotonic() - start:.0f} s", flush=True)
    print(f"{'mutant':40} {'result':8} {'property that caught it':26} {'where':20} {'seeds':>6} {'wall s':>7}", flush=True)

    rows = []
    for m in mutants:
        t0 = time.monotonic()
        if planting:
            planting.plant(m["file"], m["find"], m["replace"])
        else:
            target = tree / m["file"]
            original = target.read_text()
            target.write_text(original.replace(m["find"], m["replace"], 1))
        try:
            if not build(build_dir, log):
                sys.exit(f"mutation-score: mutant {m['name']} does not compile (see {log_path})")
            killed, prop, where, seeds = run_sweeps(sim, SWEEPS[m["sweeps"]], args.seeds_scale, args.jobs)
        finally:
            if planting:
                planting.restore()
            else:
                target.write_text(original)
        row = dict(name=m["name"], rule=m["rule"], killed=killed, property=prop, where=where, seeds=seeds,
                   seconds=time.monotonic() - t0)
        rows.append(row)
        print(f"{m['name']:40} {'killed' if killed else 'SURVIVED':8} {prop:26} {where:20} {str(seeds):>6} "
              f"{row['seconds']:7.1f}", flush=True)

    build(build_dir, log)  # leave the build unmutated
    survivors = [r["name"] for r in rows if not r["killed"]]
    print(f"mutation score: {len(rows) - len(survivors)} of {len(rows)} killed in {time.monotonic() - start:.0f} s"
          + (f"; survivors: {', '.join(survivors)}" if survivors else ""))
    if args.junit:
        write_junit(Path(args.junit), rows)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
