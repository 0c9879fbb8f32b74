"""`make test`: run every check, keep going after a failure, and say exactly what ran.

Each check is a make target (see the Makefile). pytest-based checks write a JUnit
report, so skipped tests are listed with pytest's reason. The summary names every check
that passed, failed, was skipped (and why), and those `make test` does not run.
It ends with «all N checks passed» only when nothing was skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "_build" / "checks"

# (name, make target, what it checks, checks it needs to have passed)
CHECKS = [
    (
        "lint",
        "lint",
        "ruff over nnlib/, book/ notebooks, tests/, tools/ (E501 at 88, pyflakes, E9)",
        [],
    ),
    (
        "workflows",
        "workflows",
        ".github/workflows: GitHub's schema + zizmor, offline",
        [],
    ),
    (
        "unit",
        "unit",
        "nnlib vs torch and finite differences; notebook and repository contracts",
        [],
    ),
    ("nbval", "nbval", "every chapter re-executed, outputs compared (nbval)", []),
    (
        "site-build",
        "site-build",
        "Jupyter Book build with -W (warnings are errors)",
        [],
    ),
    ("site-test", "site-test", "built site: links, headless Chromium", ["site-build"]),
]
NOT_RUN = [
    (
        "compat",
        "numpy 2.0 / matplotlib 3.9 lower bounds in a second venv (~3 min fresh);"
        " `make compat`; .ci/run and the CI workflow run it after make test",
    ),
    ("mutants", "mutation tests of nnlib, slow; run `make mutants`"),
]


def junit_skips(path: Path) -> tuple[dict[str, int], list[str]]:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    reasons: list[str] = []
    if not path.exists():
        return counts, reasons
    root = ET.parse(path).getroot()
    for suite in root.iter("testsuite"):
        for k in counts:
            counts[k] += int(suite.get(k, 0))
    for case in root.iter("testcase"):
        for sk in case.findall("skipped"):
            reason = (sk.get("message") or sk.text or "").strip().splitlines()[0:1]
            name = case.get("name", "?")
            reasons.append(
                f"{case.get('classname', '')}::{name}: "
                f"{reason[0] if reason else 'no reason given'}"
            )
    return counts, reasons


def run(name: str, target: str) -> tuple[int, float, dict[str, int], list[str]]:
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = REPORTS / f"{name}.xml"
    report.unlink(missing_ok=True)
    addopts = f"{os.environ.get('PYTEST_ADDOPTS', '')} --junitxml={report}"
    env = dict(os.environ, PYTEST_ADDOPTS=addopts.strip())
    print(f"\n=== make {target} " + "=" * max(0, 60 - len(target)), flush=True)
    start = time.monotonic()
    rc = subprocess.call(["make", "--no-print-directory", target], cwd=ROOT, env=env)
    seconds = time.monotonic() - start
    counts, skips = junit_skips(report)
    return rc, seconds, counts, skips


def main() -> int:
    results = []  # (name, status, seconds, detail, skips)
    passed: set[str] = set()
    total_start = time.monotonic()
    for name, target, what, needs in CHECKS:
        missing = [n for n in needs if n not in passed]
        if missing:
            results.append(
                (name, "SKIP", 0.0, f"not run: {', '.join(missing)} failed", [])
            )
            continue
        rc, seconds, counts, skips = run(name, target)
        detail = what
        if counts["tests"]:
            detail += (
                f" — {counts['tests']} tests,"
                f" {counts['failures'] + counts['errors']} failed,"
                f" {counts['skipped']} skipped"
            )
        if rc != 0:
            status = "FAIL"
        elif skips:
            status = "PART"  # ran, but some of its tests were skipped
            passed.add(name)
        else:
            status = "PASS"
            passed.add(name)
        results.append((name, status, seconds, detail, skips))

    total = time.monotonic() - total_start
    print("\n" + "=" * 72)
    print(f"make test summary ({total:.0f} s)")
    for name, status, seconds, detail, skips in results:
        print(f"  {status:4}  {name:11} {seconds:6.0f} s  {detail}")
        for s in skips:
            print(f"        skipped: {s}")
    for name, why in NOT_RUN:
        print(f"  ----  {name:11}          not part of make test: {why}")
    failed = [r[0] for r in results if r[1] == "FAIL"]
    skipped = [r[0] for r in results if r[1] in ("SKIP", "PART")]
    if failed:
        print(
            f"make test: FAILED: {', '.join(failed)}"
            + (f"; incomplete (skips): {', '.join(skipped)}" if skipped else "")
        )
        return 1
    if skipped:
        print(
            "make test: no failures, but NOT a full run: skipped tests in "
            f"{', '.join(skipped)} (reasons above)"
        )
        return 0
    print(
        f"make test: all {len(results)} checks passed"
        " (compat and mutants are separate targets)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
