"""Headless Chromium over the built site, at a desktop width (1280 px) and a phone width (390 px).

On every page: MathJax renders every formula without errors, every image loads and has a Russian
alt text, no resource fails to load, each chapter page has a working Colab launch link and hidden
answers; and nothing
is cut off (docs/chapter-format.md, «Помещается на экран»):

* at both widths the page itself never scrolls sideways
  (``documentElement.scrollWidth <= clientWidth + 1``), with every ``<details>`` opened;
* at 1280 px no display formula (``mjx-container[display]``), code block or output (``pre``) and
  no table is wider than the text column: neither sticking out of the column nor scrolling
  inside its own box (``scrollWidth > clientWidth``), again with every ``<details>`` opened, so
  hidden code and hidden answers must fit too. At 390 px such blocks may scroll inside themselves.

A full-page screenshot of every page at both widths is saved under ``_build/screenshots/``
(``q01_1280.png``, ``q01_390.png``, ``errata_390.png``, ...) with the page heights in
``_build/screenshots/pages.json``. Needs Debian's chromium + chromium-driver (`make browser-deps`
installs them as root); without them the test is skipped locally and fails on CI.
"""
import base64
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import in_ci

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
DESKTOP, PHONE = 1280, 390
WIDTHS = (DESKTOP, PHONE)


@pytest.fixture(scope="module")
def driver():
    if not (CHROMIUM and DRIVER):
        msg = "chromium/chromedriver not installed (make browser-deps)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="nnbook-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                 "--hide-scrollbars", f"--window-size={DESKTOP},900"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _pages(html_dir):
    """Every page of the site, except search/index pages and redirects (``index.html``)."""
    return sorted(p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html")
                  if not {"_static", "_sources", "mathjax"} & set(p.parts)
                  and p.name not in ("search.html", "genindex.html", "py-modindex.html")
                  and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8")[:300])


def _is_chapter(page):
    return re.match(r"q\d\d_", Path(page).name) is not None


def shot_name(page):
    """``book/01_foundations/q01_loss_functions.html`` -> ``q01``; other pages by their stem."""
    stem = Path(page).stem
    return stem.split("_", 1)[0] if _is_chapter(page) else stem


WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
if (!document.querySelector('.math, .MathJax, mjx-container') && !window.MathJax) { done('no-math'); return; }
const t0 = Date.now();
(function poll() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done('ok')).catch(e => done('error: ' + e));
  } else if (Date.now() - t0 > 30000) { done('timeout: MathJax did not start'); }
  else { setTimeout(poll, 100); }
})();
"""

INSPECT = """
const math = Array.from(document.querySelectorAll('span.math, div.math'));
return {
  unrendered: math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
  errors: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]')).map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 120)),
  broken_images: Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src').slice(0, 80)),
  // a figure's alt text must describe it (cell metadata mystnb.image.alt), not be a file name
  bad_alt: Array.from(document.querySelectorAll('.bd-article img')).filter(i => !/[а-яё]/i.test(i.alt || '')).map(i => (i.alt || '(empty)').slice(0, 40)),
  formulas: document.querySelectorAll('mjx-container').length,
  hidden_answers: document.querySelectorAll('.bd-article details:not(.admonition), details.dropdown, .admonition.dropdown, .toggle').length,
  colab: Array.from(document.querySelectorAll('a[href^="https://colab.research.google.com/github/"]')).map(a => a.href),
};
"""

OPEN_ALL_DETAILS = """
document.querySelectorAll('details').forEach(d => { d.open = true; });
document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
"""

# Page-wide overflow, and the outermost elements that cause it (not inside a box that scrolls).
PAGE_OVERFLOW = """
const de = document.documentElement, cw = de.clientWidth;
const scrolls = e => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX);
const free = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (scrolls(a)) return false; return true; };
const sticksOut = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > cw + 1; };
const culprits = [];
for (const e of document.body.querySelectorAll('*')) {
  const cs = getComputedStyle(e);
  if (!sticksOut(e) || cs.position === 'fixed' || !free(e)) continue;
  let p = e.parentElement, outer = true;
  for (; p && p !== document.body; p = p.parentElement) if (sticksOut(p) && free(p)) { outer = false; break; }
  if (outer) culprits.push(`<${e.tagName.toLowerCase()} class="${String(e.className).slice(0, 40)}"> `
                           + `right=${Math.round(e.getBoundingClientRect().right)}: `
                           + `«${(e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 70)}»`);
}
return {scrollWidth: de.scrollWidth, clientWidth: cw, height: de.scrollHeight, culprits: culprits.slice(0, 8)};
"""

# Blocks wider than the text column: formulas, code/output blocks, tables.
WIDE_BLOCKS = """
const art = document.querySelector('article.bd-article') || document.querySelector('main');
const ar = art.getBoundingClientRect(), cs = getComputedStyle(art);
const left = ar.left + parseFloat(cs.paddingLeft), right = ar.right - parseFloat(cs.paddingRight);
const column = right - left;
const out = [];
const label = e => (e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 70);
const check = (e, kind) => {
  const r = e.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) return;            // not displayed
  if (e.scrollWidth > e.clientWidth + 1)                  // scrolls inside its own box
    out.push(`${kind} needs ${e.scrollWidth} px, its box has ${e.clientWidth} px: «${label(e)}»`);
  else if (r.right > right + 1 || r.width > column + 1)  // sticks out of the column
    out.push(`${kind} ${Math.round(r.width)} px sticks out of the ${Math.round(column)} px column: «${label(e)}»`);
};
art.querySelectorAll('mjx-container[display="true"]').forEach(e => check(e, 'formula'));
art.querySelectorAll('pre').forEach(e => check(e, 'code/output'));
art.querySelectorAll('table').forEach(e => check(e, 'table'));
return {column: Math.round(column), wide: out};
"""


def _screenshot(drv, path, width):
    """Full-page PNG via the DevTools protocol (the page can be taller than any window)."""
    height = drv.execute_script("return document.documentElement.scrollHeight")
    data = drv.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    path.write_bytes(base64.b64decode(data["data"]))


def _load(drv, url):
    drv.get(url)
    return drv.execute_async_script(WAIT_FOR_MATHJAX)


def test_every_page_renders(driver, site_url, html_dir):
    driver.set_window_size(DESKTOP, 900)
    problems, formulas = [], 0
    for page in _pages(html_dir):
        status = _load(driver, f"{site_url}/{page}")
        if status not in ("ok", "no-math"):
            problems.append(f"{page}: {status}")
            continue
        info = driver.execute_script(INSPECT)
        formulas += info["formulas"]
        for key in ("unrendered", "errors", "broken_images"):
            if info[key]:
                problems.append(f"{page}: {key}: {info[key][:5]}")
        if info["bad_alt"]:
            problems.append(f"{page}: {len(info['bad_alt'])} figures without a Russian alt text: {info['bad_alt'][:3]}")
        if _is_chapter(page):
            if info["hidden_answers"] == 0:
                problems.append(f"{page}: no hidden answers (<details>)")
            want = f"/blob/main/{Path(page).with_suffix('.ipynb').as_posix()}"
            if not any(h.endswith(want) for h in info["colab"]):
                problems.append(f"{page}: no Colab link ending in {want}: {info['colab']}")
        for entry in driver.get_log("browser"):
            if entry["level"] == "SEVERE" and "127.0.0.1" in entry["message"]:
                problems.append(f"{page}: console: {entry['message'][:200]}")
    assert not problems, "\n".join(problems)
    assert formulas > 100, f"only {formulas} formulas rendered in the whole site"


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_the_screen(driver, site_url, html_dir, width):
    """No sideways scrolling of the page; at 1280 px nothing wider than the text column."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    heights_file = SHOTS / "pages.json"
    heights = json.loads(heights_file.read_text()) if heights_file.exists() else {}
    driver.set_window_size(width, 900)
    problems = []
    for page in _pages(html_dir):
        status = _load(driver, f"{site_url}/{page}")
        if status not in ("ok", "no-math"):
            problems.append(f"{page} @{width}px: {status}")
            continue
        _screenshot(driver, SHOTS / f"{shot_name(page)}_{width}.png", width)
        closed = driver.execute_script(PAGE_OVERFLOW)
        heights.setdefault(page, {})[str(width)] = closed["height"]
        driver.execute_script(OPEN_ALL_DETAILS)
        opened = driver.execute_script(PAGE_OVERFLOW)
        for state, info in (("", closed), (" (all <details> open)", opened)):
            if info["scrollWidth"] > info["clientWidth"] + 1:
                problems.append(
                    f"{page} @{width}px{state}: the page scrolls sideways by "
                    f"{info['scrollWidth'] - info['clientWidth']} px; caused by:\n    "
                    + "\n    ".join(info["culprits"] or ["(not found)"]))
                break
        if width == DESKTOP:
            wide = driver.execute_script(WIDE_BLOCKS)
            problems += [f"{page} @{width}px: {w}" for w in wide["wide"]]
    heights_file.write_text(json.dumps(heights, ensure_ascii=False, indent=1, sort_keys=True))
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)
