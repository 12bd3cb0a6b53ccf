#!/usr/bin/env python3
"""Counts individual test cases in meson's JUnit logs and prints "N passed, N failed".

meson's own summary counts test executables; with protocol 'gtest' its JUnit log
(meson-logs/testlog.junit.xml) has one <testcase> per GoogleTest case instead.
Exits 1 if a case failed or none ran.
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

passed = failed = 0
for build in sys.argv[1:]:
    log = Path(build) / "meson-logs" / "testlog.junit.xml"
    if not log.exists():
        failed += 1  # the suite never produced results: count it as a failure
        print(f"no test log in {build}", file=sys.stderr)
        continue
    for case in ET.parse(log).getroot().iter("testcase"):
        if case.find("skipped") is not None:
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
