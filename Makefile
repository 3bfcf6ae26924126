# Two commands: `make run` (the app on its embedded SQLite store) and `make test` (everything).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint typecheck pytest bench venv sysdeps-test node-deps secrets migrate clean help hooks

help:
	@echo "make run   - installe, migre, crée un premier admin si besoin et lance l'application (PORT=$(PORT))"
	@echo "make test  - ruff, mypy et toute la suite pytest (SQLite, PostgreSQL, AppTest, navigateur)"
	@echo "make test-fast - ruff, mypy et les tests sans navigateur ni PostgreSQL (boucle de travail)"
	@echo "make bench - mesures de performance (écrit bench/RESULTS.md)"

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

secrets: $(STAMP)
	@$(PY) -c "from core.config import ensure_secrets_file; ensure_secrets_file() and print('Clé de cookie générée dans .streamlit/secrets.toml')"

migrate: secrets
	$(PY) manage.py migrate

run: migrate
	@$(PY) manage.py ensure-admin
	$(PY) -m streamlit run asgi.py --server.port $(PORT)

# Debian packages the tests need: Chromium for browser tests, PostgreSQL for the store tests, nginx for the
# two replicas behind the proxy (tests/deploy; the test runs its own nginx, never the system's).
sysdeps-test:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installation des paquets Debian :$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Paquets manquants :$$missing — lancez : sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# axe-core (the accessibility audit the browser tests inject), pinned in package-lock.json; `npm ci` runs
# again only when the lock file is newer than the installed tree. Debian's nodejs/npm installed if missing.
NODE_STAMP := node_modules/.package-lock.json

node-deps: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installation des paquets Debian : nodejs npm"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else \
	    echo "Paquets manquants : nodejs npm — lancez : sudo apt-get update && sudo apt-get install -y nodejs npm"; exit 1; \
	  fi; \
	fi
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $(NODE_STAMP)

# ruff, then the layer contract (pyproject.toml [tool.importlinter]: pages -> ui -> services -> db/models).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# The whole tree (the file list is in pyproject.toml [tool.mypy]).
typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Everything but the browser and the `serial` load tests on the machine's cores (pytest-xdist; each worker has
# its own SQLite files and its own PostgreSQL server), then the browser journeys and the load tests one at a
# time: they start servers, time what a phone sees or push fifty writers at once, so they keep the machine to
# themselves. PYTEST_ARGS narrows both runs (a run left with no test, exit code 5, is not a failure).
PYTEST_JOBS ?= auto

pytest: $(STAMP) sysdeps-test node-deps
	$(PY) -m pytest -m "not browser and not serial" -n $(PYTEST_JOBS) $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(PY) -m pytest -m "browser or serial" $(PYTEST_ARGS) || [ $$? -eq 5 ]

test: lint typecheck pytest

# The inner loop: no browser, no PostgreSQL server and no `slow` test (load, concurrency, hostile files each read in
# a memory-capped process, a whole demo day, sweeps of every page or of generated histories); `make test`, which CI
# runs, runs them all.
# Two things only the inner loop's speed depends on, not what is tested:
# - Python keeps the compiled modules (__pycache__, ignored by git) even where the environment sets
#   PYTHONDONTWRITEBYTECODE: without them each xdist worker compiled the whole tree and pytest rewrote the asserts
#   of every test module again at every run (6 s of a worker's 8 s collection here);
# - the tests' SQLite files live on tmpfs when the machine has one: the store commits with synchronous=FULL, an
#   fsync per commit (4 ms on this disk, 0.1 ms on tmpfs, some 5 000 commits per run); a passing test's temporary
#   directory is removed as it ends, so the run holds a few megabytes of memory at a time.
FAST_TMPDIR := $(firstword $(wildcard /dev/shm))

test-fast: lint typecheck
	env -u PYTHONDONTWRITEBYTECODE $(if $(FAST_TMPDIR),TMPDIR=$(FAST_TMPDIR)) $(PY) -m pytest \
	  -m "not browser and not postgres and not slow" -n $(PYTEST_JOBS) -q -o tmp_path_retention_policy=failed $(PYTEST_ARGS)

# Installs the git hooks of .pre-commit-config.yaml (ruff and the layer contract on commit, test-fast on push).
hooks: $(STAMP)
	$(VENV)/bin/pre-commit install --hook-type pre-commit --hook-type pre-push

bench: $(STAMP) sysdeps-test
	$(PY) -m bench.run $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules
