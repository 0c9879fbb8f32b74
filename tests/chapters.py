"""The chapters the contract tests check, and small helpers to read them.

By default: every chapter listed in ``_toc.yml``. To check other notebooks (e.g. a draft
converted to the format in /tmp), set ``NNBOOK_CHAPTERS`` to their paths, separated by ``:``;
each file name must start with ``qNN_`` (the question number)::

    NNBOOK_CHAPTERS=/tmp/q01_loss_functions.ipynb pytest tests/test_notebooks.py
"""
import json
import os
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
CHAPTER_RE = re.compile(r"book/\d\d_[a-z_]+/q(\d\d)_[a-z_]+$")


def toc_files(node=TOC):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        if "root" in node:
            yield node["root"]
        for v in node.values():
            yield from toc_files(v)
    elif isinstance(node, list):
        for v in node:
            yield from toc_files(v)


FILES = list(dict.fromkeys(toc_files()))
TOC_CHAPTERS = [f for f in FILES if CHAPTER_RE.match(f)]


def chapter_paths():
    """(question number, path to the .ipynb) of every chapter to check."""
    override = os.environ.get("NNBOOK_CHAPTERS")
    if override:
        out = []
        for p in filter(None, override.split(":")):
            m = re.match(r"q(\d\d)_", Path(p).name)
            assert m, f"NNBOOK_CHAPTERS: {p}: the file name must start with qNN_"
            out.append((int(m.group(1)), Path(p)))
        return out
    return [(int(CHAPTER_RE.match(f).group(1)), ROOT / f"{f}.ipynb") for f in TOC_CHAPTERS]


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def src(cell):
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def markdown_cells(nb):
    return [(i, src(c)) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"]


def strip_code(md):
    """Markdown without fenced code blocks, inline code and math (for checks of the prose)."""
    md = re.sub(r"^(`{3,}|~{3,}).*?^\1", "", md, flags=re.S | re.M)
    md = re.sub(r"`[^`\n]*`", "", md)
    md = re.sub(r"\$\$.*?\$\$", "", md, flags=re.S)
    md = re.sub(r"\$[^$\n]*\$", "", md)
    return md
