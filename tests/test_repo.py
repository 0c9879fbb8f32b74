"""The repository itself: it stands alone, agrees with itself, sets up alike anywhere.

- no file refers to a path outside the repository; relative links stay inside and exist;
- committed notebooks carry no volatile metadata (`make strip`, tools/nbnormalize.py);
- the repository URL agrees with _config.yml everywhere; `make set-repo` switches all
  of it (checked on a copy: the real files are never touched);
- the CI and Pages workflows exist and run what the README says;
- requirement files: the site build has no torch, every pin is exact, and the Makefile's
  PYTHON_MIN is what the pins need;
- the Makefile declares the documented targets, and a too-old Python gets one line.
"""

import json
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import checks  # noqa: E402
import nbnormalize  # noqa: E402
import set_repo  # noqa: E402

FILES = {p.relative_to(ROOT).as_posix(): t for p, t in set_repo.text_files(ROOT)}
NOTEBOOKS = sorted(f for f in FILES if f.startswith("book/") and f.endswith(".ipynb"))
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


# --- the repository stands alone ------------------------------------------------------

# Paths of one machine or of a checkout's neighbours. Spelled in pieces so that this
# file does not match itself.
OUTSIDE = re.compile(
    "|".join(
        [
            r"\.\./" + "shared",
            r"(?<![\w.~-])/(?:" + "work|home|Users|mnt|root" + r")/[\w.-]",
            r"/opt/" + "wheels",
            "file:" + "///",
        ]
    )
)


def test_no_file_refers_to_paths_outside_the_repository():
    hits = [
        f"{f}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for f, text in FILES.items()
        for m in OUTSIDE.finditer(text)
    ]
    assert not hits, "references outside the repository:\n" + "\n".join(hits)


LINK = re.compile(r"\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")


def _markdown(f, text):
    """Markdown prose of a file, without code (examples there are not links)."""
    if f.endswith(".ipynb"):
        cells = json.loads(text)["cells"]
        text = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
        )
    elif not f.endswith(".md"):
        return ""
    prose, fence = [], None
    for line in text.splitlines():
        line = INLINE_CODE.sub("", line)
        m = re.match(r"\s*(`{3,}|~{3,})", line)
        if m and (fence is None or m.group(1).startswith(fence)):
            fence = m.group(1) if fence is None else None
        elif fence is None:
            prose.append(line)
    return "\n".join(prose)


def test_relative_links_stay_inside_and_exist():
    bad = []
    for f, text in FILES.items():
        for m in LINK.finditer(_markdown(f, text)):
            target = m.group(1).split("#")[0]
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # anchor, http(s), mailto, ...
            path = ((ROOT / f).parent / target).resolve()
            if not path.is_relative_to(ROOT):
                bad.append(f"{f}: {m.group(1)} points outside the repository")
            elif not path.exists():
                bad.append(f"{f}: {m.group(1)} does not exist")
    assert not bad, "\n".join(bad)


# --- notebooks: no volatile metadata --------------------------------------------------


@pytest.mark.parametrize("nb", NOTEBOOKS)
def test_notebook_has_no_volatile_metadata(nb):
    found = nbnormalize.volatile(json.loads(FILES[nb]))
    assert not found, (
        f"{nb} carries what changes on every run ({', '.join(found[:4])}"
        f"{', ...' if len(found) > 4 else ''}): run `make strip` (or re-execute it "
        "with "
        f"`make execute NB={nb}`) and commit the result"
    )


def test_normaliser_is_idempotent_and_keeps_outputs():
    nb = {
        "metadata": {"language_info": {"name": "python", "version": "3.11.7"}},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {
                    "execution": {"iopub.execute_input": "2026"},
                    "tags": ["x"],
                },
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["a\n"]},
                    {"output_type": "stream", "name": "stdout", "text": "b\nc"},
                    {"output_type": "stream", "name": "stderr", "text": ["w\n"]},
                    {"output_type": "execute_result", "data": {"text/plain": ["1"]}},
                ],
                "source": [],
                "execution_count": 1,
            }
        ],
    }
    assert nbnormalize.volatile(nb)
    once = nbnormalize.dumps(nbnormalize.normalize(json.loads(json.dumps(nb))))
    twice = nbnormalize.dumps(nbnormalize.normalize(json.loads(once)))
    assert once == twice
    out = json.loads(once)
    assert out["metadata"]["language_info"] == {"name": "python"}
    cell = out["cells"][0]
    assert cell["metadata"] == {"tags": ["x"]} and cell["execution_count"] == 1
    assert [o.get("text") for o in cell["outputs"]] == [
        ["a\n", "b\n", "c"],
        ["w\n"],
        None,
    ]
    assert not nbnormalize.volatile(out)


# --- the repository URL ---------------------------------------------------------------


def test_repository_url_agrees_everywhere():
    url, branch = set_repo.config(ROOT)
    expected = set_repo.expected(ROOT)
    found = set_repo.places(ROOT)
    bad = [
        f"{f} ({kind}): {v} != {expected[kind]}"
        for f, kind, v in found
        if v != expected[kind]
    ]
    assert not bad, "disagree with _config.yml (make set-repo URL=...):\n" + "\n".join(
        bad
    )
    with_setup = {f for f, kind, _ in found if kind == "setup cell"}
    chapters = [f for f in NOTEBOOKS if re.search(r"/q\d\d_", f)]
    assert chapters and set(chapters) <= with_setup
    assert url in README, "README must link the repository"
    assert set_repo.pages_url(url) in README, "README must link the published site"


def test_pages_url():
    assert set_repo.pages_url("https://github.com/Nn-Book/nn-math-book") == (
        "https://nn-book.github.io/nn-math-book/"
    )
    assert (
        set_repo.pages_url("https://github.com/me/me.github.io")
        == "https://me.github.io/"
    )
    with pytest.raises(ValueError):
        set_repo.parse_url("https://gitlab.com/me/book")


def _copy(dst):
    ignore = shutil.ignore_patterns(*set_repo.SKIP_DIRS, "*.egg-info", "*.png", "*.whl")
    shutil.copytree(ROOT, dst, ignore=ignore)
    return dst


def test_set_repo_switches_every_place_on_a_copy(tmp_path):
    before = {f: t for f, t in FILES.items()}
    old_url, old_branch = set_repo.config(ROOT)
    copy = _copy(tmp_path / "repo")
    new = "https://github.com/" + "a-student/my-nn-book"  # in pieces: the switch back
    run = subprocess.run(
        [
            sys.executable,
            str(copy / "tools" / "set_repo.py"),
            new + ".git",
            "--branch",
            "dev",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert set_repo.config(copy) == (new, "dev")
    expected = set_repo.expected(copy)
    assert expected["site"] == "https://a-student.github.io/" + "my-nn-book/"
    found = set_repo.places(copy)
    assert found and all(v == expected[kind] for _, kind, v in found), found
    old = old_url.removeprefix("https://")
    left = [f for f, t in set_repo.text_files(copy) if old in t]
    assert not left, f"still name {old_url}: {left}"
    readme = (copy / "README.md").read_text(encoding="utf-8")
    assert new in readme and expected["site"] in readme
    # and back: byte for byte what it was
    back = subprocess.run(
        [
            sys.executable,
            str(copy / "tools" / "set_repo.py"),
            old_url,
            "--branch",
            old_branch,
        ],
        capture_output=True,
        text=True,
    )
    assert back.returncode == 0, back.stderr
    for path, text in set_repo.text_files(copy):
        rel = path.relative_to(copy).as_posix()
        assert rel not in before or text == before[rel], (
            f"{rel} differs after the round trip"
        )
    assert {
        p.relative_to(ROOT).as_posix(): t for p, t in set_repo.text_files(ROOT)
    } == before


# --- workflows ------------------------------------------------------------------------


def _workflow(name):
    path = ROOT / ".github" / "workflows" / name
    assert path.exists(), f".github/workflows/{name} is missing"
    wf = yaml.safe_load(path.read_text(encoding="utf-8"))
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as True
    runs = [
        s.get("run", "") for job in wf["jobs"].values() for s in job.get("steps", [])
    ]
    uses = [
        s.get("uses", "") for job in wf["jobs"].values() for s in job.get("steps", [])
    ]
    return wf, on, runs, uses


def test_ci_workflow_runs_make_test_on_push_and_pull_requests():
    wf, on, runs, uses = _workflow("ci.yml")
    assert "push" in on and "pull_request" in on
    assert any(re.search(r"\bmake test\b", r) for r in runs)
    assert any(u.startswith("actions/setup-python@") for u in uses)


def test_pages_workflow_deploys_the_site_from_main():
    wf, on, runs, uses = _workflow("pages.yml")
    assert "main" in on["push"]["branches"]
    assert any(re.search(r"\bmake book\b", r) for r in runs)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    perms = wf.get("permissions", {})
    for job in wf["jobs"].values():
        perms = {**perms, **job.get("permissions", {})}
    assert perms.get("pages") == "write" and perms.get("id-token") == "write"
    text = (ROOT / ".github/workflows/pages.yml").read_text(encoding="utf-8")
    assert "_build/html" in text


# --- requirements and the Python floor ------------------------------------------------

PIN = re.compile(r"^([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)$")


def _pins(name):
    out = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("-r "):
            continue
        m = PIN.match(line)
        assert m, f"{name}: {line!r} is not an exact pin (name==version)"
        key = re.sub(r"[-_.]+", "-", m.group(1)).lower()
        assert key not in out, f"{name}: {m.group(1)} pinned twice"
        out[key] = m.group(2)
    return out


def test_requirement_files():
    assert (ROOT / "requirements-torch.txt").read_text(
        encoding="utf-8"
    ) == "torch==2.13.0\n"
    book, ci = _pins("requirements-book.txt"), _pins("requirements-ci.txt")
    assert "torch" not in book and "torch" not in ci, (
        "torch lives in requirements-torch.txt"
    )
    assert not set(book) & set(ci), f"pinned in both: {sorted(set(book) & set(ci))}"
    assert "-r requirements-book.txt" in (ROOT / "requirements-ci.txt").read_text()
    for tool in ("ruff", "pytest", "nbval", "check-jsonschema", "zizmor"):
        assert tool in ci, f"{tool} must be pinned in requirements-ci.txt"


def test_python_floor_is_what_the_pins_need():
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    floor = Version(re.search(r"^PYTHON_MIN := (\S+)", MAKEFILE, re.M).group(1))
    pins = {
        **_pins("requirements-book.txt"),
        **_pins("requirements-ci.txt"),
        "torch": "2.13.0",
    }
    needs = {}
    for name, version in pins.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            pytest.skip(f"{name} is not installed: run in `make test`'s venv")
        if Version(dist.version).base_version != Version(version).base_version:
            pytest.skip(f"{name} {dist.version} installed, {version} pinned")
        spec = SpecifierSet(dist.metadata.get("Requires-Python") or "")
        needs[name] = spec
        assert floor in spec, (
            f"{name}=={version} needs Python {spec}, PYTHON_MIN is {floor}"
        )
    lows = [
        Version(s.version)
        for spec in needs.values()
        for s in spec
        if s.operator in (">=", ">")
    ]
    assert floor == max(lows), (
        f"the pins need Python >= {max(lows)}, PYTHON_MIN is {floor}"
    )
    assert str(floor) in README, "README must name the oldest supported Python"


# --- Makefile -------------------------------------------------------------------------

TARGETS = set(re.findall(r"^([A-Za-z][\w-]*):(?!=)", MAKEFILE, re.M))


def test_makefile_targets():
    documented = {
        "book", "test", "setup", "unit", "nbval", "site", "site-test", "browser-deps",
        "lint", "workflows", "compat", "strip", "execute", "set-repo", "mutants",
        "clean", "distclean",
    }  # fmt: skip
    assert documented <= TARGETS, f"missing: {sorted(documented - TARGETS)}"
    assert "bench" not in TARGETS, "declare `bench` when it does something"
    assert {target for _, target, _, _ in checks.CHECKS} <= TARGETS
    assert "tools/checks.py" in MAKEFILE and "make test" in README


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_too_old_python_gets_one_line(tmp_path):
    fake = tmp_path / "python3.11.2"
    fake.write_text(
        "#!/bin/sh\n# pretends to be Python 3.11.2 (Debian 12)\n"
        'if [ "$1" = -c ]; then exec "%s" -c "import sys; '
        "sys.version_info = (3, 11, 2, 'final', 0)\n$2\"; fi\n"
        'exec "%s" "$@"\n' % (sys.executable, sys.executable)
    )
    fake.chmod(0o755)
    run = subprocess.run(
        ["make", "-n", "book", f"PYTHON={fake}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "3.11.2" in lines[0] and "3.11.5" in lines[0], run.stderr
    ok = subprocess.run(
        ["make", "-n", "help", f"PYTHON={fake}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, "goals that need no venv must not check the interpreter"


def test_make_test_summary_reads_skip_reasons(tmp_path):
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuites><testsuite tests="2" failures="0" errors="0" skipped="1">'
        '<testcase classname="tests.site.test_browser" name="test_pages">'
        '<skipped message="chromium/chromedriver not installed (make browser-deps)"/>'
        '</testcase><testcase classname="t" name="ok"/></testsuite></testsuites>'
    )
    counts, skips = checks.junit_skips(report)
    assert counts["tests"] == 2 and counts["skipped"] == 1
    assert skips == [
        "tests.site.test_browser::test_pages: "
        "chromium/chromedriver not installed (make browser-deps)"
    ]


def test_no_control_characters_in_the_book():
    """A stray "\\a" in a Python string that wrote Markdown ends up as BEL (0x07) and
    breaks the formula it is in; no page or notebook may contain control characters."""
    bad = []
    for path in sorted((ROOT / "book").rglob("*")):
        if path.suffix in (".md", ".ipynb", ".yml") and "_vendor" not in path.parts:
            text = path.read_text(encoding="utf-8")
            for m in re.finditer(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text):
                bad.append(f"{path.relative_to(ROOT)}: {text[max(0, m.start() - 30):m.start()]!r}")
    assert not bad, "\n".join(bad)
