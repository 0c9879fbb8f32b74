"""The errata appendix (book/appendix/errata.md) stays consistent with the chapters.

Each entry is numbered in order and says what the source says, what is right and where it is
checked; every «Где проверено» names a chapter link followed by section titles in «…» that must
exist as headings of that chapter (a renamed section breaks the reference: fix it here).
"""
import re

from chapters import ROOT, load, markdown_cells

ERRATA = ROOT / "book" / "appendix" / "errata.md"
TEXT = ERRATA.read_text(encoding="utf-8")
ENTRY = re.compile(r"^### (\d+)\. (.*?)$(.*?)(?=^### |^## |\Z)", re.S | re.M)


def _entries():
    part = TEXT[:TEXT.index("## Расхождения с PyTorch")]
    return [(int(n), title, body) for n, title, body in ENTRY.findall(part)]


def _headings(notebook):
    heads = []
    for _, md in markdown_cells(load(notebook)):
        for h in re.findall(r"^#{2,4} (.*)$", md, re.M):
            heads.append(re.sub(r"^\d+\.\s*", "", h).replace("`", "").strip())
    return heads


def test_entries_are_numbered_and_complete():
    entries = _entries()
    assert [n for n, _, _ in entries] == list(range(1, len(entries) + 1)), "errata entries must be numbered 1, 2, …"
    for n, title, body in entries:
        assert re.search(r"\((ошибка|опечатка|неточность)\)\s*$", title), f"#{n}: the title must end with its type"
        for field in ("Сказано", "Верно", "Где проверено"):
            assert f"- **{field}:**" in body, f"#{n}: no «{field}»"


def test_where_checked_names_existing_sections():
    problems = []
    for line in re.findall(r"\*\*Где проверено:\*\*(.*)$", TEXT, re.M):
        for link, rest in re.findall(r"\]\(\.\./([\w/]+\.ipynb)\)([^\[;]*)", line):
            notebook = ROOT / "book" / link
            if not notebook.exists():
                problems.append(f"{link}: no such chapter")
                continue
            heads = _headings(notebook)
            for name in re.findall(r"«([^»]+)»", rest):
                if not any(h.startswith(name) for h in heads):
                    problems.append(f"{link}: no section «{name}» (sections: {heads})")
    assert not problems, "\n".join(problems)
