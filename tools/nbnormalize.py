"""Normalise chapter notebooks so that re-executing an unchanged chapter gives no diff.

    python tools/nbnormalize.py book/01_foundations/q01_loss_functions.ipynb ...
    python tools/nbnormalize.py --check book/**/*.ipynb  # exit 1 if one would change

Outputs are kept (nbval compares them). Removed or rewritten, because they change on
every run:
- each cell's ``metadata.execution`` (nbclient's timestamps) and ``ExecuteTime``;
- the interpreter version in ``metadata.language_info.version``;
- stream outputs split differently from run to run: consecutive outputs of one stream
  (stdout/stderr) are merged into one, as nbval and Jupyter Book show them.
The file is written as nbformat writes it (indent 1, sorted keys, lists of lines).
Only the standard library is used, so `make strip` and the pre-commit hook need no venv.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

VOLATILE_CELL_KEYS = ("execution", "ExecuteTime")
VOLATILE_LANGUAGE_KEYS = ("version",)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _lines(text: str) -> list[str]:
    """nbformat's multiline form: a list of lines, each keeping its newline."""
    return text.splitlines(keepends=True)


def merge_streams(outputs: list[dict]) -> list[dict]:
    merged: list[dict] = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            out.get("output_type") == "stream"
            and prev is not None
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            prev["text"] = _lines(_text(prev["text"]) + _text(out["text"]))
        else:
            if out.get("output_type") == "stream":
                out = dict(out, text=_lines(_text(out["text"])))
            merged.append(out)
    return merged


def volatile(nb: dict) -> list[str]:
    """What normalize() would remove or rewrite, as readable strings (empty: clean)."""
    found = []
    lang = nb.get("metadata", {}).get("language_info", {})
    found += [
        f"metadata.language_info.{k}" for k in VOLATILE_LANGUAGE_KEYS if k in lang
    ]
    for i, cell in enumerate(nb.get("cells", [])):
        found += [
            f"cell {i}: metadata.{k}"
            for k in VOLATILE_CELL_KEYS
            if k in cell.get("metadata", {})
        ]
        outs = cell.get("outputs", [])
        for a, b in zip(outs, outs[1:]):
            if a.get("output_type") == b.get("output_type") == "stream" and a.get(
                "name"
            ) == b.get("name"):
                found.append(f"cell {i}: split {a.get('name')} stream")
                break
    return found


def normalize(nb: dict) -> dict:
    lang = nb.get("metadata", {}).get("language_info")
    if isinstance(lang, dict):
        for k in VOLATILE_LANGUAGE_KEYS:
            lang.pop(k, None)
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        for k in VOLATILE_CELL_KEYS:
            meta.pop(k, None)
        if "outputs" in cell:
            cell["outputs"] = merge_streams(cell["outputs"])
    return nb


def dumps(nb: dict) -> str:
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if a file would change",
    )
    ap.add_argument("notebooks", nargs="*", type=Path)
    args = ap.parse_args(argv)
    status = 0
    for path in args.notebooks:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        found = volatile(nb)
        new = dumps(normalize(nb))
        if new == text:
            continue
        if args.check:
            status = 1
            print(
                f"{path}: not normalised ({', '.join(found[:3]) or 'formatting'}"
                f"{', ...' if len(found) > 3 else ''}); run: make strip",
                file=sys.stderr,
            )
        else:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: normalised ({len(found)} volatile entries removed)")
    return status


if __name__ == "__main__":
    sys.exit(main())
