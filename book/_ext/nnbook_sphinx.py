"""Small Sphinx fixes for the book's site (loaded via `sphinx.local_extensions` in _config.yml).

* Jupyter Book 1 registers sphinx-thebe's and sphinx-togglebutton's inline scripts twice; the
  second ``const THEBE_JS_URL = ...`` is a JavaScript SyntaxError on every page. We drop exact
  duplicate script/CSS entries before each page is rendered.
"""


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


def setup(app):
    app.connect("html-page-context", _dedupe_assets, priority=100)  # early: emit_firstresult stops at the first handler returning a template
    return {"parallel_read_safe": True, "parallel_write_safe": True}
