# Two commands for readers:  `make book`  and  `make test`  (see README.md).
# Each one creates .venv with Python 3.11 and installs what it needs first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# torch first, pinned: the CPU wheel of 2.13.0; anything else may pull a multi-GB CUDA build.
TORCH  := torch==2.13.0
STAMP  := $(VENV)/.stamp-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: setup book test test-site bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e ".[book,test,site]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@rm -f $(VENV)/.stamp-* && touch $@

## Execute every chapter and build the HTML book into _build/html.
book: setup
	@rm -rf _build/html
	$(BIN)/jupyter-book build . --all -W -n --keep-going || { \
	  for f in _build/html/reports/*.err.log; do [ -f "$$f" ] && { echo "== $$f"; cat "$$f"; }; done; exit 1; }
	@test -z "$$(ls _build/html/reports/*.err.log 2>/dev/null)" || { cat _build/html/reports/*.err.log; exit 1; }
	@echo; echo "The book is at $(CURDIR)/_build/html/index.html"

## The linter, unit tests of arlib and nbval over every notebook in chapters/.
test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The built site in headless Chromium (offline, explorers respond, screenshots).
## Installs Debian's chromium if missing (apt-get, as root) and builds the book if it is not built.
test-site: setup
	@test -x /usr/bin/chromium || { \
	  test "$$(id -u)" = 0 || { echo "test-site: needs /usr/bin/chromium: sudo apt-get install chromium"; exit 1; }; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	@test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python -m tests.site.check_site --html _build/html
	$(BIN)/python -m pytest tests/site/test_checker_fails.py

## Speed tables (median of 3).
bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf _build .pytest_cache
