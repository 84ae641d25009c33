# The two set-up commands of the README. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test test-slow test-calendar lint bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/agent-brain serve

test: $(STAMP)
	$(BIN)/ruff check .
	@# Browser tests need Debian's Chromium (never `playwright install`: no network); skipped without it.
	@if ! command -v chromium >/dev/null && command -v apt-get >/dev/null; then \
	  echo "make test: installing Debian's chromium for the browser tests (apt-get, no recommends, no upgrades)"; \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends --no-upgrade chromium fonts-dejavu-core) \
	    >/dev/null 2>&1 || echo "make test: chromium could not be installed; the browser tests will be skipped"; \
	fi
	$(BIN)/python -m pytest -q

# Slow suites (crash injection, conformance, load): a separate step of .ci/run, never skipped.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow; status=$$?; [ $$status -eq 5 ] && echo "no slow tests" || exit $$status

# The suite with the clock moved (+1, +40, +400 days, 00:30 in the demo account's zone), two runs side
# by side on embedded servers of their own: green on any day, next to other runs.
test-calendar: $(STAMP)
	bash .ci/calendar-suites

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'  # LangGraph for bench/compare_langgraph.py only
	@for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done
