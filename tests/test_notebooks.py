"""Notebook contract (docs/chapter-format.md): structure of every chapter, without executing it.

nbval (``make nbval``) executes the chapters and compares outputs; these tests check what nbval
cannot: the table of contents, titles, the Colab setup cell, the answer box and the hidden
answers (so that they work on the site, in Jupyter and in Colab alike), self-check exercises,
tags, line lengths, figure captions, asserts. How the Markdown renders in Jupyter/Colab is
checked in tests/test_markdown_render.py, the terms in tests/test_terms.py.

``NNBOOK_CHAPTERS=/tmp/q01_x.ipynb pytest tests/test_notebooks.py`` checks other notebooks
(see tests/chapters.py).
"""
import re

import pytest

from chapter_map import CHAPTERS, chapter_path
from chapters import (CHAPTER_RE, CONFIG, FILES, ROOT, TOC_CHAPTERS, chapter_paths, load,
                      markdown_cells, src, tags)

MAX_LINE = 88                     # code and printed lines (ruff's E501 limit for the notebooks)
HIDE_TAGS = {"hide-input", "hide-cell", "hide-output"}
# Custom LaTeX macros: the site used to define these; Colab and Jupyter do not know them.
SITE_MACROS = ["R", "E", "argmin", "softmax", "norm", "abs"]
MACRO_DEFINITIONS = re.compile(r"\\(newcommand|renewcommand|def|DeclareMathOperator)(?![A-Za-z])")
BOX_OPEN = '<div class="admonition tip exam-answer">'
BOX_TITLE = '<p class="admonition-title">Ответ на экзамене</p>'
EXAMINER = "Что может спросить экзаменатор"
MISTAKES = "## Типичные ошибки"
SELF_CHECK = "## Вопросы для самопроверки"
EXERCISE_RE = re.compile(r"^\*\*Упражнение (\d+)\.(\d+)\.\*\*", re.M)


# ---------------------------------------------------------------- the book's table of contents

def test_toc_files_exist():
    for f in FILES:
        assert any((ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb")), f"{f} is in _toc.yml but missing"


def test_every_notebook_is_in_toc():
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").rglob("*.ipynb")
               if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts}
    assert on_disk <= set(FILES), f"notebooks missing from _toc.yml: {sorted(on_disk - set(FILES))}"


def test_chapters_follow_the_map():
    assert TOC_CHAPTERS, "no chapters in _toc.yml"
    for f in TOC_CHAPTERS:
        q = int(CHAPTER_RE.match(f).group(1))
        assert f == chapter_path(q), f"{f}: expected the file name {chapter_path(q)} (tests/chapter_map.py)"


def test_intro_shows_the_whole_plan():
    intro = (ROOT / "book/intro.md").read_text(encoding="utf-8")
    for q, (_, _, title, _) in CHAPTERS.items():
        assert f"| {q} | {title} |" in intro, f"intro.md does not list question {q}: {title}"


# ---------------------------------------------------------------- helpers

@pytest.fixture(params=chapter_paths(), ids=lambda qp: qp[1].stem)
def chapter(request):
    q, path = request.param
    return q, path.name, load(path)


def details_blocks(md):
    """Parse the ``<details>`` blocks of one Markdown cell.

    Returns (blocks, problems); a block is a dict with the summary and the body lines. The
    required form (blank lines matter: CommonMark ends an HTML block at a blank line, and only
    then parses the Markdown and math inside)::

        <details>
        <summary>Ответ</summary>

        Markdown and $math$.

        </details>
    """
    lines = md.split("\n")
    blocks, problems, i = [], [], 0
    while i < len(lines):
        line = lines[i]
        if "<details" in line and not re.fullmatch(r"<details( [^>]*)?>", line):
            problems.append(f"`{line.strip()[:60]}`: <details> must stand alone on its line, unindented "
                            f"(not on one line with its content)")
        if "</details>" in line and line != "</details>":
            problems.append(f"`{line.strip()[:60]}`: </details> must stand alone on its line, unindented")
        if re.fullmatch(r"<details( [^>]*)?>", line):
            summary = lines[i + 1] if i + 1 < len(lines) else ""
            m = re.fullmatch(r"<summary( [^>]*)?>(.+)</summary>", summary)
            if not m:
                problems.append(f"<details> at line {i + 1}: the next line must be <summary>…</summary> "
                                f"(on one line), got `{summary[:60]}`")
            elif "$" in m.group(2) or "\\(" in m.group(2):
                problems.append(f"<summary>{m.group(2)[:50]}</summary>: no math in <summary> (the site does not "
                                f"typeset it there): write it in words or Unicode (σ′(z) ≤ 1/4)")
            elif i + 2 >= len(lines) or lines[i + 2].strip():
                problems.append(f"<details> «{m.group(2)[:40]}»: a blank line must follow the <summary> line")
            try:
                end = lines.index("</details>", i + 1)
            except ValueError:
                problems.append(f"<details> at line {i + 1}: no </details> line")
                break
            body = lines[i + 2:end]
            if any("<details" in b for b in body):
                problems.append(f"<details> at line {i + 1}: nested <details> are not allowed")
            if body and body[-1].strip():
                problems.append(f"<details> «{m.group(2)[:40] if m else ''}»: a blank line must precede </details>")
            if not any(b.strip() for b in body):
                problems.append(f"<details> at line {i + 1}: empty answer")
            blocks.append({"line": i, "end": end, "summary": m.group(2) if m else "", "body": body})
            i = end + 1
            continue
        i += 1
    return blocks, problems


def answer_box(md):
    """The lines of the «Ответ на экзамене» box (between BOX_OPEN and the closing </div>)."""
    lines = md.split("\n")
    start = lines.index(BOX_OPEN)
    end = lines.index("</div>", start)
    return lines[start + 1:end]


def self_check_section(nb):
    """Markdown text and code cells from the SELF_CHECK heading to the next ## heading."""
    md, code, inside = [], [], False
    for c in nb["cells"]:
        text = src(c)
        if c["cell_type"] == "markdown":
            if not inside and re.search(rf"^{SELF_CHECK}\s*$", text, re.M):
                inside = True
                text = text[re.search(rf"^{SELF_CHECK}\s*$", text, re.M).end():]
            elif inside and re.search(r"^#{1,2} ", text, re.M):
                md.append(text[:re.search(r"^#{1,2} ", text, re.M).start()])
                break
            if inside:
                md.append(text)
        elif inside:
            code.append(c)
    return "\n".join(md), code


# ---------------------------------------------------------------- the setup and the title

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


def test_title(chapter):
    q, f, nb = chapter
    md = markdown_cells(nb)
    title = CHAPTERS[q][2]
    assert md and md[0][1].startswith(f"# Вопрос {q}. {title}\n"), f"{f}: first heading must be '# Вопрос {q}. {title}'"


# ---------------------------------------------------------------- the exam answer box

def test_exam_answer_box(chapter):
    """Right after the title: the HTML-wrapped box with 5–8 bullets and ≥ 2 display formulas."""
    q, f, nb = chapter
    md = markdown_cells(nb)[0][1]
    after_title = [x for x in md.split("\n")[1:] if x.strip()]
    assert after_title and after_title[0] == BOX_OPEN, \
        f"{f}: the line after the title must be `{BOX_OPEN}` (docs/chapter-format.md, «Ответ на экзамене»)"
    assert after_title[1] == BOX_TITLE, f"{f}: the box's next line must be `{BOX_TITLE}`"
    lines = md.split("\n")
    assert "</div>" in lines[lines.index(BOX_OPEN):], f"{f}: the answer box has no `</div>` line"
    box = answer_box(md)
    assert box[0] == BOX_TITLE and box[1] == "", f"{f}: a blank line must follow the box title"
    assert box[-1] == "", f"{f}: a blank line must precede the box's </div>"
    bullets = [x for x in box if re.match(r"[-*] ", x)]
    assert 5 <= len(bullets) <= 8, f"{f}: the answer box has {len(bullets)} bullets, want 5–8 short ones"
    text = "\n".join(box)
    for item in re.split(r"\n(?=[-*] )", text[text.index(bullets[0]):].split("\n\n")[0]):
        words = len(re.sub(r"\$[^$]*\$", "X", item).split())
        assert words <= 40, f"{f}: bullet too long to say aloud ({words} words): {item[:80]}…"
    n_display = text.count("$$") // 2
    assert n_display >= 2, f"{f}: the answer box shows {n_display} display formulas, want the 2–4 key ones"
    assert r"\mathbb{R}" in text, f"{f}: the answer box must give the shape of every symbol (… \\in \\mathbb{{R}}^{{…}})"
    assert "```" not in text and ":::" not in text, f"{f}: no directives inside the answer box"


def test_examiner_questions(chapter):
    """«Что может спросить экзаменатор» right after the box: 2–3 questions, answers hidden."""
    q, f, nb = chapter
    first_two = [m for _, m in markdown_cells(nb)[:2]]
    cell = next((m for m in first_two if EXAMINER in m), None)
    assert cell is not None, f"{f}: no «{EXAMINER}» after the answer box (title cell or the next Markdown cell)"
    part = cell[cell.index(EXAMINER):]
    nxt = re.search(r"^#{1,3} ", part, re.M)
    part = part[:nxt.start()] if nxt else part
    blocks, problems = details_blocks(part)
    assert not problems, f"{f}: " + "; ".join(problems)
    assert 2 <= len(blocks) <= 3, f"{f}: «{EXAMINER}» has {len(blocks)} questions with hidden answers, want 2–3"


# ---------------------------------------------------------------- hidden answers and directives

def test_no_backtick_directives(chapter):
    """Jupyter and Colab show a backtick-fenced directive as a code block with raw LaTeX."""
    q, f, nb = chapter
    for i, md in markdown_cells(nb):
        bad = re.findall(r"^ {0,3}(?:`{3,}|~{3,})\s*\{[\w-]+\}.*$", md, re.M)
        assert not bad, f"{f}: cell {i}: backtick-fenced directive {bad[0]!r}: use plain Markdown, " \
                        f"an HTML box <div class=\"admonition …\"> or a <details> block (docs/chapter-format.md)"
        assert ":class: dropdown" not in md, f"{f}: cell {i}: dropdown admonition: hidden answers are <details> blocks"


def test_details_blocks_are_well_formed(chapter):
    q, f, nb = chapter
    problems = []
    for i, md in markdown_cells(nb):
        if md.count("<details") != md.count("</details>"):
            problems.append(f"cell {i}: {md.count('<details')} <details> but {md.count('</details>')} </details>")
        _, p = details_blocks(md)
        problems += [f"cell {i}: {x}" for x in p]
    assert not problems, f"{f}:\n" + "\n".join(problems)


def test_no_site_only_macros(chapter):
    """Colab renders notebook Markdown itself and knows no custom LaTeX macros."""
    q, f, nb = chapter
    body = "\n".join(m for _, m in markdown_cells(nb))
    for name in SITE_MACROS:
        assert not re.search(rf"\\{name}(?![A-Za-z])", body), f"{f}: uses the custom macro \\{name}"
    m = MACRO_DEFINITIONS.search(body)
    assert not m, f"{f}: defines a LaTeX macro ({m.group(0)}): Colab would not know it"


# ---------------------------------------------------------------- typical mistakes and self-check

def test_mistakes_and_self_check(chapter):
    q, f, nb = chapter
    heads = [(i, ln.strip()) for i, md in markdown_cells(nb) for ln in md.split("\n") if ln.startswith("## ")]
    names = [h for _, h in heads]
    assert MISTAKES in names, f"{f}: no `{MISTAKES}` section"
    assert SELF_CHECK in names, f"{f}: no `{SELF_CHECK}` section"
    assert names.index(MISTAKES) < names.index(SELF_CHECK), f"{f}: «Типичные ошибки» must come before the self-check"

    text, code = self_check_section(nb)
    found = [(int(n), int(k), m.start()) for m in EXERCISE_RE.finditer(text) for n, k in [m.groups()]]
    assert len(found) >= 3, f"{f}: the self-check has {len(found)} exercises «**Упражнение {q}.k.**», want at least 3"
    assert all(n == q for n, _, _ in found), f"{f}: exercises must be numbered «Упражнение {q}.k»: {[(n, k) for n, k, _ in found]}"
    assert [k for _, k, _ in found] == list(range(1, len(found) + 1)), \
        f"{f}: exercises must be numbered {q}.1, {q}.2, … in order: {[k for _, k, _ in found]}"
    ends = [s for _, _, s in found[1:]] + [len(text)]
    for (n, k, start), end in zip(found, ends):
        blocks, problems = details_blocks(text[start:end])
        assert not problems, f"{f}: Упражнение {n}.{k}: " + "; ".join(problems)
        assert blocks, f"{f}: Упражнение {n}.{k} has no hidden solution (<details><summary>Решение</summary>)"
    computed = [c for c in code if "hide-cell" in tags(c) and re.search(r"^\s*assert\b", src(c), re.M)]
    assert computed, f"{f}: compute (and assert) at least one self-check answer in a `hide-cell` code cell"


# ---------------------------------------------------------------- code cells

def test_cells_executed_and_checked(chapter):
    q, f, nb = chapter
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    never = [i for i, c in enumerate(code) if c.get("execution_count") is None and "nbval-skip" not in tags(c)]
    assert not never, f"{f}: code cells {never} have never been executed (nbval compares stored outputs)"
    n_asserts = sum(len(re.findall(r"^\s*assert\b", src(c), flags=re.M)) for c in code)
    assert n_asserts >= 10, f"{f}: only {n_asserts} asserts — every stated number needs one"
    assert any("inspect.getsource" in src(c) for c in code), f"{f}: show nnlib's code from the library"
    assert any("plt.show()" in src(c) for c in code), f"{f}: no plots"


def test_no_execution_metadata(chapter):
    """``metadata.execution`` (timestamps) changes on every run: strip it before committing."""
    q, f, nb = chapter
    bad = [i for i, c in enumerate(nb["cells"]) if "execution" in c.get("metadata", {})]
    assert not bad, f"{f}: cells {bad[:10]} keep metadata.execution (remove it after `jupyter execute`)"


def test_lines_fit_the_column(chapter):
    """Code lines and printed lines ≤ 88 characters: they fit the text column at 1280 px."""
    q, f, nb = chapter
    long = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "code" or "remove-cell" in tags(c):
            continue
        long += [f"cell {i} code ({len(ln)}): {ln[:70]}…" for ln in src(c).split("\n") if len(ln) > MAX_LINE]
        for out in c.get("outputs", []):
            if out.get("output_type") == "stream":
                text = "".join(out.get("text", ""))
            elif out.get("output_type") in ("execute_result", "display_data"):
                data = out.get("data", {})
                if set(data) - {"text/plain"}:      # rendered as Markdown/HTML/image, not as text
                    continue
                text = "".join(data.get("text/plain", ""))
            else:
                continue
            long += [f"cell {i} output ({len(ln)}): {ln[:70]}…" for ln in text.split("\n") if len(ln) > MAX_LINE]
    assert not long, f"{f}: {len(long)} lines longer than {MAX_LINE} characters:\n" + "\n".join(long[:20])


def test_hidden_cells_have_a_lead(chapter):
    """A collapsed cell (hide-input/hide-cell/hide-output) follows a line of text that says what it
    holds («Проверка: …», «Код из nnlib — раскройте ячейку»); consecutive hidden cells share it."""
    q, f, nb = chapter
    cells = nb["cells"]
    bad = []
    for i, c in enumerate(cells):
        if c["cell_type"] == "code" and HIDE_TAGS & set(tags(c)):
            prev = cells[i - 1] if i else None
            if prev is None or not (prev["cell_type"] == "markdown" or
                                    (prev["cell_type"] == "code" and HIDE_TAGS & set(tags(prev)))):
                bad.append(i)
    assert not bad, f"{f}: hidden cells {bad} have no lead: put a Markdown line before them"


def test_figures_have_captions(chapter):
    """Every figure has Russian alt text or a caption in the cell metadata (myst-nb renders them)."""
    q, f, nb = chapter
    for i, c in enumerate(nb["cells"]):
        images = [o for o in c.get("outputs", []) if set(o.get("data", {})) & {"image/png", "image/svg+xml", "image/jpeg"}]
        if not images:
            continue
        meta = c.get("metadata", {}).get("mystnb", {})
        text = " ".join(str(meta.get(k, {}).get(key, "")) for k, key in (("image", "alt"), ("figure", "caption")))
        assert re.search(r"[а-яё]", text, re.I), \
            f"{f}: cell {i} draws a figure without Russian alt/caption: set metadata " \
            '{"mystnb": {"image": {"alt": "…"}, "figure": {"caption": "…"}}}'
        lines = [ln.strip() for ln in src(c).split("\n") if ln.strip() and not ln.strip().startswith("#")]
        assert lines and lines[-1] == "plt.show()", f"{f}: cell {i} draws a figure: end it with plt.show()"


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
