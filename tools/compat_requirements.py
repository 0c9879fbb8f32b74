"""Requirements of the lower-bound environment (`make compat`), printed to stdout.

- every dependency of pyproject.toml ``[project] dependencies`` at the release series
  of its lower bound (``numpy>=2.0`` -> ``numpy==2.0.*``): the oldest versions nnlib
  promises to support;
- the test tools at the exact versions of requirements-ci.txt (pytest, nbval, ...).
Their other dependencies are left to pip (they must accept the old numpy). torch is
installed by the Makefile from requirements-torch.txt (the same CPU build as
`make test`).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_TOOLS = [
    "pytest",
    "pytest-xdist",
    "hypothesis",
    "nbval",
    "ipykernel",
    "PyYAML",
    "packaging",
    "markdown-it-py",  # tests/test_markdown_render.py renders CommonMark as Colab does
]


def lower_bounds(deps: list[str]) -> list[str]:
    out = []
    for dep in deps:
        m = re.fullmatch(
            r"\s*([A-Za-z0-9._-]+)\s*>=\s*([0-9]+(?:\.[0-9]+)?)[0-9.]*\s*", dep
        )
        if not m:
            sys.exit(
                f"compat: cannot read a lower bound from {dep!r} (expected 'name>=X.Y')"
            )
        out.append(f"{m.group(1)}=={m.group(2)}.*")
    return out


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line.strip())
        if m:
            found[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = line.strip()
    return found


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    ci = pins(ROOT / "requirements-ci.txt") | pins(ROOT / "requirements-book.txt")
    print("# lower bounds of pyproject.toml")
    print("\n".join(lower_bounds(project["dependencies"])))
    print("# test tools as pinned in requirements-ci.txt / requirements-book.txt")
    for name in TEST_TOOLS:
        print(ci.get(re.sub(r"[-_.]+", "-", name).lower(), name))


if __name__ == "__main__":
    main()
