"""One name per concept: the chapters and appendices use the terms of book/terms.yml.

What is checked: the Russian prose of every chapter (Markdown cells) and of the Markdown pages
(intro, appendices), and the user-facing strings of code cells (string literals with Russian
letters, and plot labels/titles/legends). What is not: code, inline code, math, link targets,
quotations in «…» (the sources' own wording), the exam questions' titles and English words in parentheses («импульс
(momentum)» is how an English term is given).
"""
import re

import pytest
import yaml

from chapter_map import CHAPTERS
from chapters import ROOT, chapter_paths, load, src

TERMS = yaml.safe_load((ROOT / "book" / "terms.yml").read_text(encoding="utf-8"))["terms"]
PAGES = [ROOT / "book" / "intro.md", *sorted((ROOT / "book" / "appendix").glob("*.md"))]
PLOT_TEXT = re.compile(r"(?:label|title|xlabel|ylabel|set_title|set_xlabel|set_ylabel|suptitle|"
                       r"text|annotate)\s*[=(]\s*(?:rf|fr|f|r)?(\"[^\"\n]*\"|'[^'\n]*')")
STRING = re.compile(r"(?:rf|fr|f|r)?(\"[^\"\n]*\"|'[^'\n]*')")


def _rules():
    rules = []
    for t in TERMS:
        allow = [re.compile(a, re.I) for a in t.get("allow", [])]
        for rx in t.get("forbidden", []):
            rules.append((t["ru"], rx, re.compile(rf"(?<![\w-])(?:{rx})(?![\w-])", re.I), allow))
    return rules


RULES = _rules()


EXAM_TITLES = sorted((title for _, _, title, _ in CHAPTERS.values()), key=len, reverse=True)


def prose(md):
    """Russian prose of a Markdown text, with everything that is not prose masked."""
    for title in EXAM_TITLES:                      # the exam's own wording («…, Batch Normalization»)
        md = md.replace(title, "TITLE")
    md = re.sub(r"^(`{3,}|~{3,}).*?^\1", "", md, flags=re.S | re.M)      # code blocks, directives
    md = re.sub(r"^```\{eval-rst\}.*?^```", "", md, flags=re.S | re.M)
    md = re.sub(r"`[^`\n]*`", "CODE", md)
    md = re.sub(r"\$\$.*?\$\$", "MATH", md, flags=re.S)
    md = re.sub(r"\$[^$\n]*\$", "MATH", md)
    md = re.sub(r"\]\([^)]*\)", "]", md)                                  # link targets
    md = re.sub(r"<[^>\n]+>", " ", md)                                     # HTML tags
    md = re.sub(r"«[^«»]*»", "QUOTE", md)                                  # quotations
    md = re.sub(r"\((?=[^()]*[A-Za-z])[^()А-Яа-яЁё]*\)", "(EN)", md)      # English in parentheses
    return md


def code_strings(code):
    """User-facing strings of a code cell: Russian literals and plot labels/titles."""
    out = [m.group(1) for m in PLOT_TEXT.finditer(code)]
    out += [m.group(1) for m in STRING.finditer(code) if re.search(r"[А-Яа-яЁё]", m.group(1))]
    return [prose(s.strip("\"'")) for s in out]


def violations(text, where):
    found = []
    for term, rx, pattern, allow in RULES:
        allowed = [m.span() for a in allow for m in a.finditer(text)]
        for m in pattern.finditer(text):
            if any(a <= m.start() and m.end() <= b for a, b in allowed):
                continue
            ctx = text[max(0, m.start() - 40):m.end() + 30].replace("\n", " ")
            found.append(f"{where}: «{m.group(0)}» — use «{term}» (forbidden /{rx}/): …{ctx}…")
    return found


def test_terms_file_is_complete():
    required = {"батч", "мини-батч", "обратное распространение ошибки", "смещение",
                "поправка на смещённость оценок моментов", "функция потерь", "скорость обучения",
                "градиентный спуск", "стохастический градиентный спуск (SGD)", "функция активации",
                "логит", "эпоха", "якобиан (матрица Якоби)", "вычислительный граф", "функция Хьюбера"}
    names = [t["ru"] for t in TERMS]
    assert not required - set(names), f"book/terms.yml lacks {sorted(required - set(names))}"
    assert len(names) == len(set(names)), "book/terms.yml: a term is listed twice"
    for t in TERMS:
        assert t.get("en") and t.get("defined"), f"{t['ru']}: give the English term and where it is defined"
        assert t["defined"]["q"] in CHAPTERS and t["defined"].get("section"), f"{t['ru']}: bad `defined`"


def test_rules_do_not_flag_legitimate_uses():
    ok = ("Установите пакет `nnlib` из репозитория. Импульс (momentum) сглаживает шаги. "
          "Полный (full-batch) спуск; несмещённая оценка; смещение $b$ слоя; "
          "обратное распространение ошибки (backpropagation); в источнике «мини-пакетный».")
    assert violations(prose(ok), "example") == []
    bad = "Градиент по мини-пакету и по пакету; backprop считает; поправка на смещение; Huber."
    assert len(violations(prose(bad), "example")) == 5


@pytest.fixture(params=chapter_paths(), ids=lambda qp: qp[1].stem)
def chapter(request):
    q, path = request.param
    return path.name, load(path)


def test_chapter_uses_the_terms(chapter):
    f, nb = chapter
    found = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] == "markdown":
            found += violations(prose(src(c)), f"{f}, cell {i}")
        elif c["cell_type"] == "code" and "remove-cell" not in c.get("metadata", {}).get("tags", []):
            for s in code_strings(src(c)):
                found += violations(s, f"{f}, cell {i} (string in code)")
    assert not found, f"{len(found)} terms outside book/terms.yml:\n" + "\n".join(found[:30])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_use_the_terms(page):
    found = violations(prose(page.read_text(encoding="utf-8")), page.name)
    assert not found, f"{len(found)} terms outside book/terms.yml:\n" + "\n".join(found[:30])
