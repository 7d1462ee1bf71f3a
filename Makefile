# Two commands do everything on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export FLASK_APP := app

.PHONY: setup system-packages translations messages run serve test lint typecheck unit bench bench-tools lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

setup: system-packages $(STAMP) translations

# The interface's gettext catalogues (mlat/translations/<language>/LC_MESSAGES/messages.po)
# are compiled here, never committed as binaries: a .mo is rebuilt when its .po changes.
CATALOGUES := $(wildcard mlat/translations/*/LC_MESSAGES/messages.po)
translations: $(CATALOGUES:.po=.mo)

mlat/translations/%/LC_MESSAGES/messages.mo: mlat/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -d mlat/translations -l $* 2>&1 | grep -v '^compiling' || true
	@test -f $@

# After changing user-facing strings: extract them and merge them into every catalogue,
# then translate the new or changed entries (marked fuzzy or empty) in each language.
messages: $(STAMP)
	$(BIN)/pybabel extract --sort-by-file -F babel.cfg -k _l -k lazy_ngettext:1,2 -k N_ -k Np_:1,2 \
		--project mlat --copyright-holder "mlat" -o mlat/translations/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete -i mlat/translations/messages.pot -d mlat/translations

# Debian packages for the PDF packets (fonts, HarfBuzz's subsetter) and the browser tests
# (Chromium, pdftoppm); apt-get runs only when one of them is missing.
system-packages:
	@bash scripts/install-system-packages.sh

# `make run PORT=5101` serves on another port.
PORT ?= 5000

run: setup
	$(BIN)/flask init-db
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Production-style: gunicorn with gunicorn.conf.py on 127.0.0.1:8000 (MLAT_BIND, MLAT_WORKERS,
# ...; docs/deploy.md). Without MLAT_REDIS_URL, packet jobs run in threads of each worker.
serve: setup
	$(BIN)/flask init-db
	$(BIN)/gunicorn --config gunicorn.conf.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

test: lint typecheck unit

# The full run takes 20–30 minutes; BENCH_QUICK=1 make bench, or `python -m bench --help`.
bench: setup bench-tools
	$(BIN)/python -m bench

# wrk, the HTTP load generator the page benchmarks use, and nginx, in front of two
# instances in the open-loop load (Debian's packages), when missing.
bench-tools:
	@command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get update -qq && apt-get install -y -qq wrk; } \
		|| echo "wrk is missing (apt-get install wrk): the page benchmarks use a slower client" >&2
	@[ -x /usr/sbin/nginx ] || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq nginx-light; } \
		|| echo "nginx is missing (apt-get install nginx-light): the two-instance run is left out" >&2

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -e '.[dev]'
	.lockenv/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
