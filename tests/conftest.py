import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def pytest_configure(config):
    """``NNLIB_MUTANT=...`` (set by tests/mutants.py): install one deliberately wrong backward."""
    import os

    spec = os.environ.get("NNLIB_MUTANT")
    if spec:
        import mutants

        mutants.apply(spec)
