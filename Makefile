# Two commands for a fresh machine (Python 3.11, no GPU):
#   make book   — build the HTML site from the outputs stored in the notebooks
#   make test   — unit tests, nbval over every chapter, site build with -W, link check, browser test
# Both create .venv and install the pinned requirements on first use, and are quick afterwards.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBVAL  := $(BIN)/python -m pytest --nbval --nbval-current-env \
          --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider -n 2 --dist loadscope
JB     := $(BIN)/jupyter-book build . -W --keep-going -q

.PHONY: setup book test unit nbval site site-test browser-deps bench clean help

help:
	@echo "make book | make test | make unit | make nbval | make site | make clean"

$(STAMP): requirements-ci.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-ci.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

setup: $(STAMP)

book: setup
	$(JB)
	@echo "Сайт собран: file://$(CURDIR)/_build/html/index.html"

unit: setup
	$(BIN)/python -m pytest tests -q -p no:cacheprovider --ignore=tests/site -n 2

nbval: setup
	$(NBVAL) book/

site: book site-test

site-test: setup browser-deps
	$(BIN)/python -m pytest tests/site -q -p no:cacheprovider

# Headless Chromium for the browser test (Debian packages; needs root, as on CI).
browser-deps:
	@if ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium + chromium-driver (Debian) for the browser test..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null) \
	      || { echo "apt-get failed: the browser test will be skipped"; true; }; \
	  else echo "chromium/chromedriver not found and not root: the browser test will be skipped"; fi; \
	fi

test: unit nbval site
	@echo "make test: all checks passed"

clean:
	rm -rf _build .pytest_cache
