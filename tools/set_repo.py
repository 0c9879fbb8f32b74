"""Point the book at another GitHub repository (a fork), everywhere the URL appears.

    python tools/set_repo.py https://github.com/OWNER/REPO [--branch main]
    (or: make set-repo URL=https://github.com/OWNER/REPO [BRANCH=main])

The URL is defined once, in _config.yml (``repository.url``, ``repository.branch``):
the site's repository/issue/Colab buttons read it from there. Copies that cannot read
the config are rewritten here, in every text file of the repository:
- every chapter's setup cell: ``"nnlib @ git+https://github.com/OWNER/REPO@BRANCH"``;
- links to the repository (README, CONTRIBUTING, docs), with ``/blob/BRANCH/`` paths;
- the published site ``https://OWNER.github.io/REPO/`` and Colab links
  ``colab.research.google.com/github/OWNER/REPO/blob/BRANCH/...``.
``places()`` lists every occurrence; tests/test_repo.py checks that they agree with
_config.yml. Only the standard library is used (no venv needed).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {
    ".git",
    ".venv",
    ".venv-compat",
    "_build",
    "node_modules",
    "_vendor",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    ".ipynb_checkpoints",
}
URL_RE = re.compile(
    r"^https://github\.com/([A-Za-z0-9-]+)/([A-Za-z0-9._-]+?)(?:\.git)?/?$"
)
_REPO_BLOCK = re.compile(r"^repository:\s*\n((?:[ \t]+.*\n?)*)", re.M)


def parse_url(url: str) -> tuple[str, str]:
    m = URL_RE.match(url.strip())
    if not m:
        raise ValueError(
            f"not a GitHub repository URL: {url!r} (expected https://github.com/OWNER/REPO)"
        )
    return m.group(1), m.group(2)


def config(root: Path = ROOT) -> tuple[str, str]:
    """(url, branch) from _config.yml's ``repository`` block."""
    text = (root / "_config.yml").read_text(encoding="utf-8")
    block = _REPO_BLOCK.search(text)
    if not block:
        raise ValueError("_config.yml has no repository: block")
    url = re.search(r"^\s+url:\s*(\S+)", block.group(1), re.M)
    branch = re.search(r"^\s+branch:\s*(\S+)", block.group(1), re.M)
    if not url:
        raise ValueError("_config.yml: repository.url is missing")
    return url.group(1).rstrip("/"), branch.group(1) if branch else "main"


def pages_url(url: str) -> str:
    """Where GitHub Pages publishes a repository's site."""
    owner, repo = parse_url(url)
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if repo.lower() == host else f"https://{host}/{repo}/"


def text_files(root: Path = ROOT):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name in SKIP_DIRS:  # .git is a file in a git worktree
                continue
            if path.stat().st_size > 2_000_000:
                continue
            try:
                yield path, path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue


# What refers to the book's repository; the groups must agree with _config.yml.
PATTERNS = {
    "setup cell": re.compile(
        r"nnlib @ git\+(https://github\.com/[\w-]+/[\w.-]+?)@([\w./-]*[\w-])"
    ),
    "site": re.compile(r"https://([\w-]+)\.github\.io/(?:([\w.-]+)/)?"),
    "colab": re.compile(
        r"colab\.research\.google\.com/github/([\w-]+)/([\w.-]+)/blob/([\w.-]+)/"
    ),
}


# Chapters may link other projects' GitHub Pages; the book's own site is named here.
SITE_FILES = re.compile(
    r"^(README\.md|CONTRIBUTING\.md|_config\.yml|docs/.*|\.github/.*)$"
)
PLACEHOLDER = (
    "OWNER"  # documentation, e.g. `make set-repo URL=https://github.com/OWNER/REPO`
)


def places(root: Path = ROOT) -> list[tuple[str, str, str]]:
    """Every (file, kind, found) naming the book's repository or site."""
    found = []
    for path, text in text_files(root):
        rel = path.relative_to(root).as_posix()
        for kind, rx in PATTERNS.items():
            if kind == "site" and not SITE_FILES.match(rel):
                continue
            for m in rx.finditer(text):
                if PLACEHOLDER in m.group(0):
                    continue
                if kind == "setup cell":
                    value = f"{m.group(1)}@{m.group(2)}"
                elif kind == "site":
                    value = m.group(0)
                else:
                    value = f"https://github.com/{m.group(1)}/{m.group(2)}@{m.group(3)}"
                found.append((rel, kind, value))
    return found


def expected(root: Path = ROOT) -> dict[str, str]:
    url, branch = config(root)
    return {
        "setup cell": f"{url}@{branch}",
        "site": pages_url(url),
        "colab": f"{url}@{branch}",
    }


def switch(
    new_url: str, new_branch: str | None = None, root: Path = ROOT
) -> list[Path]:
    """Rewrite every place from the URL/branch in _config.yml to the new ones."""
    old_url, old_branch = config(root)
    new_owner, new_repo = parse_url(new_url)
    new_url = f"https://github.com/{new_owner}/{new_repo}"
    new_branch = new_branch or old_branch
    old_owner, old_repo = parse_url(old_url)
    if not re.fullmatch(r"[\w./-]+", new_branch):
        raise ValueError(f"not a branch name: {new_branch!r}")
    end = r"(?![\w-])"  # github.com/o/r must not match github.com/o/r-other
    rules = [
        (
            re.compile(re.escape(f"git+{old_url}@{old_branch}") + end),
            f"git+{new_url}@{new_branch}",
        ),
        (
            re.compile(
                re.escape(
                    f"colab.research.google.com/github/{old_owner}/{old_repo}/blob/{old_branch}/"
                )
            ),
            f"colab.research.google.com/github/{new_owner}/{new_repo}/blob/{new_branch}/",
        ),
        (
            re.compile(
                re.escape(old_url) + r"/(blob|tree|edit)/" + re.escape(old_branch) + "/"
            ),
            new_url + r"/\1/" + new_branch + "/",
        ),
        (re.compile(re.escape(pages_url(old_url))), pages_url(new_url)),
        (re.compile(re.escape(old_url) + end), new_url),
    ]
    changed = []
    for path, text in text_files(root):
        new = text
        if path == root / "_config.yml":
            block = _REPO_BLOCK.search(new)
            body = re.sub(
                r"^(\s+branch:\s*)\S+",
                lambda m: m.group(1) + new_branch,
                block.group(1),
                flags=re.M,
            )
            new = new[: block.start(1)] + body + new[block.end(1) :]
        for rx, repl in rules:
            new = rx.sub(repl, new)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Point the book at another GitHub repository."
    )
    ap.add_argument("url", help="https://github.com/OWNER/REPO")
    ap.add_argument(
        "--branch",
        help="the branch Colab installs nnlib from (default: keep the current one)",
    )
    args = ap.parse_args(argv)
    try:
        changed = switch(args.url, args.branch)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    url, branch = config()
    for path in changed:
        print(f"rewrote {path.relative_to(ROOT)}")
    print(f"repository: {url} (branch {branch}); site: {pages_url(url)}")
    print("Enable Pages for the fork: Settings → Pages → Source: GitHub Actions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
