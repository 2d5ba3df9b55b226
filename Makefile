# Quick start: `make demo` and `make test`.  Both create .venv on first use.
#
#   make check      lint, format, types, catalogs: no tests (about 10 s)
#   make test-fast  check + the tests not marked slow (for the edit-test loop)
#   make test       check + every test: what CI (.ci/run) and the README run
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo check test-fast test lint typecheck i18n pytest pytest-fast bench clean dovecot postfix

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src plugins tests examples bench
	$(BIN)/ruff format --check src plugins tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy

i18n: $(STAMP)
	$(BIN)/mailplug i18n check

check: lint typecheck i18n

# The IMAP bounce-fetch tests start a private Dovecot (Debian's dovecot-imapd); CI runs as
# root and installs it here.  Without it those tests are skipped, never failed.
dovecot:
	@command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; } || \
	  echo "dovecot-imapd could not be installed: the IMAP fetch tests will be skipped"

# The real-MTA tests (tests/test_postfix.py) start a private Postfix; the package is installed
# with "No configuration" (no system instance is set up or started).  Without it they skip.
postfix:
	@command -v postfix >/dev/null 2>&1 || test -x /usr/sbin/postfix || \
	  { echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections && \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix; } || \
	  echo "postfix could not be installed: the real-MTA tests will be skipped"

pytest: $(STAMP) dovecot postfix
	$(BIN)/pytest -q

pytest-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

test-fast: check pytest-fast

test: check pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
