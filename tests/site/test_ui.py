"""The site's interface is in Russian: no English button, tooltip or label around the text
(the themes' untranslated strings are replaced in book/_ext/nnbook_sphinx.py, the cell prompts set
in _config.yml), and the footer has no placeholder author line or English date."""
import re

from bs4 import BeautifulSoup

ATTRS = ("title", "aria-label", "placeholder", "data-bs-title", "alt")
# single words and identifiers that are not UI text: keys, product names, code names
IDENTIFIER = re.compile(r"^[\w.\\(){}*-]+$")


def _pages(html_dir):
    return sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def _english(text):
    return (re.search(r"[A-Za-z]{3,}", text) and not re.search(r"[А-Яа-яЁё]", text)
            and not IDENTIFIER.match(text.strip()))


def test_interface_is_russian(html_dir):
    problems = []
    for page in _pages(html_dir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for node in soup.select("article.bd-article, script, style, .bd-toc-nav, nav.bd-links"):
            node.decompose()          # the text itself and the tables of contents (chapter titles)
        for s in soup.stripped_strings:
            if _english(s):
                problems.append(f"{page.name}: text «{s[:60]}»")
        for tag in soup.find_all(True):
            for a in ATTRS:
                if tag.get(a) and _english(tag[a]):
                    problems.append(f"{page.name}: {tag.name}[{a}]=«{tag[a][:60]}»")
    assert not problems, "English interface text:\n" + "\n".join(sorted(set(problems))[:40])


def test_collapsed_cells_and_footer_are_russian(html_dir):
    chapter = next(p for p in _pages(html_dir) if re.match(r"q\d\d_", p.name))
    html = chapter.read_text(encoding="utf-8")
    assert "Show code cell" not in html and "Hide code cell" not in html, "myst-nb prompts are in English"
    assert "Автор: Авторы книги" not in html, "placeholder author line in the footer"
    m = re.search(r'class="last-updated">\s*(.*?)<', html, re.S)
    if m:
        assert re.search(r"\d{1,2} [а-я]+ \d{4}", m.group(1)), f"date not in Russian format: {m.group(1).strip()}"
