"""Small Sphinx fixes for the book's site (loaded via `sphinx.local_extensions` in _config.yml).

* Jupyter Book 1 registers sphinx-thebe's and sphinx-togglebutton's inline scripts twice; the
  second ``const THEBE_JS_URL = ...`` is a JavaScript SyntaxError on every page. We drop exact
  duplicate script/CSS entries before each page is rendered.
* myst-nb labels a collapsed code cell with one prompt for every case (``nb_code_prompt_show``,
  with an English ``{type}``). We say in Russian what the reader will open: «код» (tag
  ``hide-input``), «результат» (``hide-output``), «код и результат» / «код» (``hide-cell``,
  depending on whether the cell has an output).
"""
from sphinx.transforms.post_transforms import SphinxPostTransform

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
            context[key][:] = _dedupe(context[key])  # in place: later handlers still append (MathJax)


class RussianCellPrompts(SphinxPostTransform):
    """Runs after myst-nb's ``HideInputCells`` (priority 199), which wraps hidden parts."""

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


def setup(app):
    app.connect("html-page-context", _dedupe_assets, priority=100)  # early: emit_firstresult stops at the first handler returning a template
    app.connect("html-page-context", _russian_aria_label)
    app.add_post_transform(RussianCellPrompts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
