"""nbval time budget: each chapter must execute within BUDGET_S on a 2-core CPU
(docs/chapter-format.md).

Sums the setup/call/teardown durations of all cells of each notebook (the kernel start
is in the first cell's setup), prints a per-notebook table at the end, and fails the
run if any notebook is over budget. Works with pytest-xdist: reports reach the
controller with their durations.
"""
from collections import defaultdict

import pytest

BUDGET_S = 60.0
_durations = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _durations[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _durations:
        return
    terminalreporter.section(f"notebook execution times (budget {BUDGET_S:.0f} s each)")
    for path, seconds in sorted(_durations.items()):
        flag = "  OVER BUDGET" if seconds > BUDGET_S else ""
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}{flag}")


def pytest_sessionfinish(session, exitstatus):
    over = {p: s for p, s in _durations.items() if s > BUDGET_S}
    if over and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
