"""Link check of the built site, offline: every local href/src resolves to a file, and every
same-site #fragment names an element id on the target page. External links (Colab, GitHub) are
only checked for their form (no network in CI): the Colab link of each chapter must point at the
chapter's notebook on the configured repository and branch.
"""
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key) and not (tag == "link" and a.get("rel") in ("preconnect", "dns-prefetch")):
                self.links.append((tag, key, a[key]))


def _parse(path: Path) -> _Collector:
    c = _Collector()
    c.feed(path.read_text(encoding="utf-8", errors="replace"))
    return c


def _pages(html_dir):
    return sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def test_local_links_resolve(html_dir):
    parsed = {p: _parse(p) for p in _pages(html_dir)}
    broken = []
    for page, c in parsed.items():
        for tag, key, link in c.links:
            url = urlparse(link)
            if url.scheme or link.startswith(("mailto:", "javascript:", "data:", "//")):
                continue
            target, frag = urldefrag(link)
            target = target.split("?", 1)[0]
            dest = page if not target else (page.parent / unquote(target)).resolve()
            if dest.is_dir():
                dest = dest / "index.html"
            if not dest.exists():
                broken.append(f"{page.relative_to(html_dir)}: {tag}[{key}]={link} -> missing file")
            elif frag and dest.suffix == ".html":
                ids = parsed[dest].ids if dest in parsed else _parse(dest).ids
                if unquote(frag) not in ids:
                    broken.append(f"{page.relative_to(html_dir)}: {link} -> no element id '{frag}'")
    assert not broken, "broken links:\n" + "\n".join(broken[:50])


def test_chapters_have_colab_links(html_dir):
    repo = urlparse(CONFIG["repository"]["url"]).path.strip("/")
    branch = CONFIG["repository"]["branch"]
    chapters = [p for p in _pages(html_dir) if re.match(r"q\d\d_", p.name)]
    assert chapters, "no chapter pages in the built site"
    for page in chapters:
        rel = page.relative_to(html_dir).with_suffix(".ipynb").as_posix()
        want = f"https://colab.research.google.com/github/{repo}/blob/{branch}/{rel}"
        hrefs = [link for _, _, link in _parse(page).links]
        assert want in hrefs, f"{page.name}: no Colab launch link {want}"


def test_mathjax_is_vendored(html_dir):
    assert (html_dir / "mathjax" / "tex-chtml.js").exists()
    for page in _pages(html_dir):
        text = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr" not in text and "mathjax@" not in text, f"{page.name} loads MathJax from a CDN"
    chapter = next(p for p in _pages(html_dir) if re.match(r"q\d\d_", p.name))
    assert "mathjax/tex-chtml.js" in chapter.read_text(encoding="utf-8")
