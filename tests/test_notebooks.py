"""Notebook contract (docs/chapter-format.md): structure of every chapter, without executing it.

nbval (``make nbval``) executes the chapters and compares outputs; these tests check what nbval
cannot: the table of contents, titles, the Colab setup cell, asserts, hidden answers, tags.
"""
import json
import re
from pathlib import Path

import pytest
import yaml

from chapter_map import CHAPTERS, chapter_path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
MACROS = CONFIG["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]


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
CHAPTER_RE = re.compile(r"book/\d\d_[a-z_]+/q(\d\d)_[a-z_]+$")
NOTEBOOKS = [f for f in FILES if CHAPTER_RE.match(f)]


def load(path):
    return json.loads((ROOT / f"{path}.ipynb").read_text(encoding="utf-8"))


def src(cell):
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def test_toc_files_exist():
    for f in FILES:
        assert any((ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb")), f"{f} is in _toc.yml but missing"


def test_every_notebook_is_in_toc():
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").rglob("*.ipynb")
               if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts}
    assert on_disk <= set(FILES), f"notebooks missing from _toc.yml: {sorted(on_disk - set(FILES))}"


def test_chapters_follow_the_map():
    assert NOTEBOOKS, "no chapters in _toc.yml"
    for f in NOTEBOOKS:
        q = int(CHAPTER_RE.match(f).group(1))
        assert f == chapter_path(q), f"{f}: expected the file name {chapter_path(q)} (tests/chapter_map.py)"


def test_intro_shows_the_whole_plan():
    intro = (ROOT / "book/intro.md").read_text(encoding="utf-8")
    for q, (_, _, title, _) in CHAPTERS.items():
        assert f"| {q} | {title} |" in intro, f"intro.md does not list question {q}: {title}"


@pytest.fixture(params=NOTEBOOKS)
def chapter(request):
    f = request.param
    return int(CHAPTER_RE.match(f).group(1)), f, load(f)


def test_setup_cell(chapter):
    q, f, nb = chapter
    first = nb["cells"][0]
    assert first["cell_type"] == "code" and "remove-cell" in tags(first), f"{f}: first cell must be the hidden setup cell"
    url = CONFIG["repository"]["url"].rstrip("/")
    branch = CONFIG["repository"]["branch"]
    text = src(first)
    assert f"nnlib @ git+{url}@{branch}" in text, f"{f}: setup cell must install nnlib from {url}@{branch}"
    assert '"google.colab" in sys.modules' in text and "setup(seed=" in text, f"{f}: setup cell template changed"
    assert not first.get("outputs"), f"{f}: the setup cell must print nothing locally"


def test_title_and_exam_answer(chapter):
    q, f, nb = chapter
    md = [src(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    title = CHAPTERS[q][2]
    assert md and md[0].startswith(f"# Вопрос {q}. {title}"), f"{f}: first heading must be '# Вопрос {q}. {title}'"
    body = "\n".join(md)
    assert "Ответ на экзамене" in body, f"{f}: no «Ответ на экзамене» box"
    assert "Типичные ошибки" in body, f"{f}: no «Типичные ошибки» section"
    assert "Вопросы для самопроверки" in body, f"{f}: no «Вопросы для самопроверки» section"
    assert re.search(r":class: dropdown|\{toggle\}|\{solution|toggle", body), f"{f}: self-check answers are not hidden"


def test_no_site_only_macros(chapter):
    """Colab renders notebook markdown itself and does not know the site's MathJax macros."""
    q, f, nb = chapter
    body = "\n".join(src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    for name in MACROS:
        assert not re.search(rf"\\{name}(?![A-Za-z])", body), f"{f}: uses the site-only macro \\{name}"


def test_cells_executed_and_checked(chapter):
    q, f, nb = chapter
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    never = [i for i, c in enumerate(code) if c.get("execution_count") is None and "nbval-skip" not in tags(c)]
    assert not never, f"{f}: code cells {never} have never been executed (nbval compares stored outputs)"
    n_asserts = sum(len(re.findall(r"^\s*assert\b", src(c), flags=re.M)) for c in code)
    assert n_asserts >= 10, f"{f}: only {n_asserts} asserts — every stated number needs one"
    assert any("inspect.getsource" in src(c) for c in code), f"{f}: show nnlib's code from the library"
    assert any("plt.show()" in src(c) for c in code), f"{f}: no plots"


def test_ignored_outputs_are_followed_by_asserts(chapter):
    q, f, nb = chapter
    cells = nb["cells"]
    for i, c in enumerate(cells):
        if "nbval-ignore-output" in tags(c):
            nxt = next((d for d in cells[i + 1:] if d["cell_type"] == "code"), None)
            assert nxt is not None and ("assert" in src(nxt) or "assert" in src(c)), \
                f"{f}: cell {i} ignores its output but no assert checks a bound"


def test_downloads_only_in_skipped_cells(chapter):
    q, f, nb = chapter
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] == "code" and re.search(r"download\s*=\s*True|urlopen|urlretrieve|requests\.get", src(c)):
            assert "nbval-skip" in tags(c), f"{f}: cell {i} downloads data but is not tagged nbval-skip"


def test_gpu_chapters_ask_colab_for_a_gpu(chapter):
    q, f, nb = chapter
    if CHAPTERS[q][3]:
        assert nb["metadata"].get("accelerator") == "GPU", f"{f}: set metadata accelerator=GPU for Colab"


def test_no_error_outputs(chapter):
    q, f, nb = chapter
    for i, c in enumerate(nb["cells"]):
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error", f"{f}: cell {i} stored an error"
            if out.get("name") == "stderr":
                assert "Warning" not in "".join(out.get("text", "")), f"{f}: cell {i} stored a warning: {out['text']}"
