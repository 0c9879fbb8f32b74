"""Mutation check of the backward passes: is every one of them really tested?

    .venv/bin/python tests/mutants.py [--list] [NAME ...]        (or: make mutants)

For each backward function of ``nnlib.functional`` (``*_backward``) and each ``backward``
method of an ``nnlib.nn`` layer, one *mutant* changes one entry of the gradient it returns
(by 1e-3 relative; for a tuple of gradients, one mutant per position) and runs the unit
tests, stopping at the first failure. A mutant that no test catches is reported: the
tests would not notice a wrong gradient there. Exit status 1 if any survives.

The mutation is applied inside the pytest process by ``tests/conftest.py`` when the
environment variable ``NNLIB_MUTANT`` is set (``functional:relu_backward:0`` or
``nn:Linear.backward:0``).
"""
from __future__ import annotations

import argparse
import inspect
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SKIP_FILES = {"test_notebooks.py", "test_repo.py"}


def perturb(result, position: int):
    """A copy of ``result`` with one entry of gradient number ``position`` changed."""
    items = list(result) if isinstance(result, tuple) else [result]
    arr = np.array(items[position], dtype=float, copy=True)
    k = arr.size // 2                      # a middle entry (the first is often a kink)
    flat = arr.reshape(-1)
    flat[k] += 1e-3 * (1.0 + abs(flat[k]))
    items[position] = arr.astype(np.asarray(items[position]).dtype)
    return tuple(items) if isinstance(result, tuple) else items[0]


def n_outputs(fn) -> int:
    """How many gradients a backward returns (from its docstring's ``Returns``/tuple hint)."""
    doc = inspect.getdoc(fn) or ""
    for line in doc.splitlines():
        if "Returns ``(" in line:
            return line.split("``(", 1)[1].split(")``", 1)[0].count(",") + 1
    return 1


def mutants() -> list[str]:
    import nnlib.functional as F
    import nnlib.nn as nn

    found = []
    for name in sorted(dir(F)):
        fn = getattr(F, name)
        if name.endswith("_backward") and callable(fn):
            found += [f"functional:{name}:{i}" for i in range(n_outputs(fn))]
    for name in sorted(dir(nn)):
        cls = getattr(nn, name)
        if inspect.isclass(cls) and issubclass(cls, nn.Module) and "backward" in vars(cls):
            if cls.backward is not nn.Module.backward:
                found.append(f"nn:{name}.backward:0")
    return found


def apply(spec: str) -> None:
    """Install the mutant ``spec`` (called by tests/conftest.py inside pytest)."""
    import nnlib.functional as F
    import nnlib.nn as nn

    kind, name, position = spec.split(":")
    position = int(position)
    if kind == "functional":
        original = getattr(F, name)

        def mutated(*args, **kwargs):
            return perturb(original(*args, **kwargs), position)

        setattr(F, name, mutated)
        setattr(sys.modules[original.__module__], name, mutated)
    else:
        cls = getattr(nn, name.split(".")[0])
        original = cls.backward

        def mutated_method(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            return result if result is None else perturb(result, position)

        cls.backward = mutated_method


def test_files_for(spec: str) -> list[str]:
    """All unit-test files, those that mention the mutated name first (caught sooner)."""
    name = spec.split(":")[1].split(".")[0].replace("_backward", "")
    files = sorted(p for p in (ROOT / "tests").glob("test_*.py") if p.name not in SKIP_FILES)
    first = [p for p in files if name in p.read_text(encoding="utf-8")]
    return [str(p) for p in first + [p for p in files if p not in first]]


def run(spec: str) -> tuple[bool, float]:
    start = time.perf_counter()
    env = dict(os.environ, NNLIB_MUTANT=spec)
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "-p", "no:xdist", *test_files_for(spec)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    return proc.returncode != 0, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="only mutants whose spec contains one of these")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = ap.parse_args()
    specs = [s for s in mutants() if not args.names or any(n in s for n in args.names)]
    if args.list:
        print("\n".join(specs))
        return 0
    survivors = []
    for spec in specs:
        caught, seconds = run(spec)
        print(f"{'caught  ' if caught else 'SURVIVED'} {spec}  ({seconds:.1f} s)", flush=True)
        if not caught:
            survivors.append(spec)
    print(f"\n{len(specs) - len(survivors)} of {len(specs)} mutants caught")
    for spec in survivors:
        print(f"  not caught by any test: {spec}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
