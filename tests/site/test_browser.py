"""Headless Chromium over the built site: every page loads, MathJax renders every
formula without errors, every image loads, no resource fails to load, and each chapter page has a
working Colab launch link. Needs Debian's chromium + chromium-driver (`make browser-deps` installs
them as root); without them the test is skipped locally and fails on CI.
"""
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import in_ci

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


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
                 "--window-size=1280,900"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _pages(html_dir):
    return sorted(p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html")
                  if not {"_static", "_sources", "mathjax"} & set(p.parts) and p.name not in ("search.html", "genindex.html"))


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
  formulas: document.querySelectorAll('mjx-container').length,
  hidden_answers: document.querySelectorAll('details.dropdown, .admonition.dropdown, .toggle-hidden, .toggle').length,
  colab: Array.from(document.querySelectorAll('a[href^="https://colab.research.google.com/github/"]')).map(a => a.href),
};
"""


def test_every_page_renders(driver, site_url, html_dir):
    problems, formulas = [], 0
    for page in _pages(html_dir):
        driver.get(f"{site_url}/{page}")
        status = driver.execute_async_script(WAIT_FOR_MATHJAX)
        if status not in ("ok", "no-math"):
            problems.append(f"{page}: {status}")
            continue
        info = driver.execute_script(INSPECT)
        formulas += info["formulas"]
        for key in ("unrendered", "errors", "broken_images"):
            if info[key]:
                problems.append(f"{page}: {key}: {info[key][:5]}")
        if Path(page).name.startswith("q"):
            if info["hidden_answers"] == 0:
                problems.append(f"{page}: no hidden self-check answers")
            want = f"/blob/main/{Path(page).with_suffix('.ipynb').as_posix()}"
            if not any(h.endswith(want) for h in info["colab"]):
                problems.append(f"{page}: no Colab link ending in {want}: {info['colab']}")
        for entry in driver.get_log("browser"):
            if entry["level"] == "SEVERE" and "127.0.0.1" in entry["message"]:
                problems.append(f"{page}: console: {entry['message'][:200]}")
    assert not problems, "\n".join(problems)
    assert formulas > 100, f"only {formulas} formulas rendered in the whole site"
