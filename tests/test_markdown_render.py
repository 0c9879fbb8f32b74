"""What a reader sees in Jupyter and Colab: every chapter's Markdown rendered by a plain CommonMark
renderer (markdown-it-py's ``commonmark`` preset with raw HTML enabled, as the classic Notebook,
JupyterLab and Colab do before MathJax/KaTeX typesets the math).

The site (myst-nb) knows directives; these renderers do not. So:

* the «Ответ на экзамене» box renders as HTML: its bullets a list, its formulas paragraphs
  with ``$$`` (typeset later by MathJax), not a code block;
* every ``<details>`` survives as HTML, and its answer is parsed as Markdown (a paragraph, a
  list, a formula), not swallowed as raw HTML text;
* no directive text is left over: a backtick fence ```` ```{admonition} ```` becomes a code
  block with the LaTeX shown raw, a colon fence ``:::{admonition}`` shows its ``:::`` lines as
  text. Chapters therefore use no directives at all (docs/chapter-format.md, rule 5).
"""
import re

import pytest
from markdown_it import MarkdownIt

from chapters import chapter_paths, load, markdown_cells

MD = MarkdownIt("commonmark", {"html": True})
# Raw HTML a chapter may use: the answer-box wrapper, its title, <details>/<summary> lines, <br>.
ALLOWED_HTML = re.compile(
    r"<div class=\"admonition [\w -]+\">|</div>|<p class=\"admonition-title\">[^<]*</p>"
    r"|<details( [^>]*)?>|</details>|<summary( [^>]*)?>.*?</summary>|<br ?/?>|<!--.*?-->", re.S)


@pytest.fixture(params=chapter_paths(), ids=lambda qp: qp[1].stem)
def rendered(request):
    q, path = request.param
    nb = load(path)
    return path.name, [(i, md, MD.parse(md), MD.render(md)) for i, md in markdown_cells(nb)]


def test_answer_box_renders_as_markdown(rendered):
    f, cells = rendered
    i, md, tokens, html = cells[0]
    assert '<div class="admonition tip exam-answer">' in html, f"{f}: no answer box in the title cell"
    box = html[html.index('<div class="admonition tip exam-answer">'):]
    box = box[:box.index("</div>")]
    assert "<pre>" not in box and "<code" not in box.replace("<code>", ""), \
        f"{f}: the answer box renders as a code block in Jupyter/Colab"
    assert "<ul>" in box and 5 <= box.count("<li>") <= 8, f"{f}: the answer box's bullets do not render as a list"
    assert box.count("$$") >= 4 and "<p>$$" in box, f"{f}: the key formulas do not render as display math"


def test_details_survive_and_their_answers_are_markdown(rendered):
    f, cells = rendered
    for i, md, tokens, html in cells:
        n = md.count("<details")
        assert html.count("<details") == n and html.count("</details>") == n, \
            f"{f}: cell {i}: <details> blocks lost in rendering"
        assert html.count("<summary") == n, f"{f}: cell {i}: every <details> needs a <summary>"
        for t in tokens:
            if t.type in ("html_block", "html_inline"):
                rest = ALLOWED_HTML.sub("", t.content).strip()
                assert not rest, (f"{f}: cell {i}: text inside a raw HTML block is not parsed as Markdown "
                                  f"in Jupyter/Colab (blank lines missing around it?): {rest[:100]!r}")
        # the answer of each <details> renders to Markdown elements
        for body in re.findall(r"</summary>\n(.*?)</details>", html, re.S):
            assert re.match(r"\s*<(p|ul|ol|pre|table|blockquote|h\d)\b", body), \
                f"{f}: cell {i}: a <details> answer is not rendered as Markdown: {body[:100]!r}"


def test_no_directive_text_left(rendered):
    f, cells = rendered
    for i, md, tokens, html in cells:
        for t in tokens:
            if t.type in ("fence", "code_block") and re.match(r"\{[\w-]+\}", t.info or t.content.lstrip()):
                pytest.fail(f"{f}: cell {i}: directive {t.info or t.content[:40]!r} renders as a code block "
                            f"in Jupyter/Colab")
        text = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", html, flags=re.S)
        m = re.search(r"^(:{3,}\s*\{[\w-]+\}.*|:{3,})$", re.sub(r"<[^>]+>", "", text), re.M)
        assert not m, f"{f}: cell {i}: directive text {m.group(0)!r} shows in Jupyter/Colab"

