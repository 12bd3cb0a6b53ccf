#!/usr/bin/env python3
"""Counts individual test cases in meson's JUnit logs and prints "N passed, N failed".

meson's own summary counts test executables; with protocol 'gtest' its JUnit log
(meson-logs/testlog.junit.xml) has one <testcase> per GoogleTest case instead. A test executable
that meson reports as failed (a timeout, a crash before GoogleTest wrote its report) may leave no
failing case in the JUnit log: meson's testlog.json says so, and it counts as one failed case.
Exits 1 if a case failed or none ran.
"""
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

BAD = {"FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS", "INTERRUPT"}

passed = failed = 0
for build in sys.argv[1:]:
    logs = Path(build) / "meson-logs"
    junit = logs / "testlog.junit.xml"
    if not junit.exists():
        failed += 1  # the suite never produced results: count it as a failure
        print(f"no test log in {build}", file=sys.stderr)
        continue
    failing_suites = set()
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            if case.find("skipped") is not None:
                continue
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                failing_suites.add(suite.get("name", ""))
            else:
                passed += 1
    results = logs / "testlog.json"
    if not results.exists():
        continue  # the mutation score writes JUnit only
    for line in results.read_text().splitlines():
        if not line.strip():
            continue
        test = json.loads(line)
        if test.get("result") not in BAD:
            continue
        name = test.get("name", "")
        if not any(s == name or s.endswith("." + name) or (("." + name + ".") in s) for s in failing_suites):
            failed += 1
            print(f"{build}: {name} {test.get('result')} without a failing case in the JUnit log",
                  file=sys.stderr)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
