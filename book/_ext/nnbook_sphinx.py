"""Small Sphinx fixes for the book's site (``sphinx.local_extensions`` in _config.yml).

* Jupyter Book 1 registers sphinx-thebe's and sphinx-togglebutton's inline scripts
  twice; the second ``const THEBE_JS_URL = ...`` is a JavaScript SyntaxError on every
  page. We drop exact duplicate script/CSS entries before each page is rendered.
* The themes have no Russian for some of their buttons and tooltips («Back to top»,
  «Repository», «Open issue», …): ``UI_RU`` replaces those exact pieces of markup in the
  written pages (never the text of a chapter: each key includes its HTML context).
* myst-nb labels a collapsed code cell with one prompt for every case
  (``nb_code_prompt_show``, with an English ``{type}``). We say in Russian what the
  reader will open: «код» (tag ``hide-input``), «результат» (``hide-output``),
  «код и результат» / «код» (``hide-cell``, depending on whether the cell has an
  output).
"""
from sphinx.transforms.post_transforms import SphinxPostTransform

from pathlib import Path

# exact theme markup -> Russian (templates of pydata-sphinx-theme 0.17,
# sphinx-book-theme 1.3)
UI_RU = {
    '</i>Back to top</button>': '</i>Наверх</button>',
    '<span class="btn__text-container">Repository</span>':
        '<span class="btn__text-container">Репозиторий</span>',
    '<span class="btn__text-container">Open issue</span>':
        '<span class="btn__text-container">Сообщить об ошибке</span>',
    'title="Launch on Colab"': 'title="Открыть в Colab"',
    'alt="Colab logo"': 'alt="Логотип Colab"',
    'title="Toggle primary sidebar"': 'title="Оглавление книги"',
    'title="Toggle secondary sidebar"': 'title="Содержание страницы"',
    'aria-label="Color mode" data-bs-title="Color mode"':
        'aria-label="Цветовая тема" data-bs-title="Цветовая тема"',
    'title="System Settings"': 'title="Как в системе"',
    'aria-label="Launch interactive content"': 'aria-label="Запустить интерактивно"',
    'aria-label="Source repositories"': 'aria-label="Репозиторий"',
    'aria-label="Version warning"': 'aria-label="Предупреждение о версии"',
    'aria-label="Main"': 'aria-label="Оглавление"',
    'aria-label="Page"': 'aria-label="Страница"',
}

PROMPTS = {  # what is hidden -> (show, hide)
    "code": ("Показать код", "Скрыть код"),
    "output": ("Показать результат", "Скрыть результат"),
    "both": ("Показать код и результат", "Скрыть код и результат"),
}


def _dedupe(items):
    seen, out = set(), []
    for item in items:
        # an inline script is registered once with filename None and once with ''
        key = (str(getattr(item, "filename", item) or ""),
               tuple(sorted(getattr(item, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _dedupe_assets(app, pagename, templatename, context, doctree):
    for key in ("script_files", "css_files"):
        if key in context:
            # in place: later handlers still append (MathJax)
            context[key][:] = _dedupe(context[key])


class RussianCellPrompts(SphinxPostTransform):
    """Runs after myst-nb's ``HideInputCells`` (priority 199): it wraps hidden parts."""

    default_priority = 210
    formats = ("html",)

    def run(self, **kwargs):
        from myst_nb.sphinx_ import HideCodeCellNode

        for node in list(self.document.findall(HideCodeCellNode)):
            classes = node.get("classes", [])
            if "above-input" in classes:
                has_output = any(child.get("nb_element") == "cell_code_output"
                                 for child in node.children if hasattr(child, "get"))
                kind = "both" if has_output else "code"
            else:  # below-input / above-output: only the output is hidden
                kind = "output"
            node["prompt_show"], node["prompt_hide"] = PROMPTS[kind]


def _russian_aria_label(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and 'aria-label="Toggle hidden content"' in body:
        context["body"] = body.replace('aria-label="Toggle hidden content"',
                                       'aria-label="Показать или скрыть"')


def _russian_theme_ui(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        if "_static" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        new = text
        for en, ru in UI_RU.items():
            new = new.replace(en, ru)
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    # early: emit_firstresult stops at the first handler returning a template
    app.connect("html-page-context", _dedupe_assets, priority=100)
    app.connect("html-page-context", _russian_aria_label)
    app.add_post_transform(RussianCellPrompts)
    app.connect("build-finished", _russian_theme_ui)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
