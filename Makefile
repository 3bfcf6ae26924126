# Two commands: `make run` (the app on its embedded SQLite store) and `make test` (everything).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint typecheck pytest bench venv sysdeps-test node-deps secrets migrate clean help

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
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Debian packages the tests need: Chromium for browser tests, PostgreSQL for the store tests.
sysdeps-test:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
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

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy core models db services

pytest: $(STAMP) sysdeps-test node-deps
	$(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# The inner loop: no browser, no PostgreSQL server (both stay in `make test`, which CI runs).
test-fast: lint typecheck
	$(PY) -m pytest -m "not browser and not postgres" -q $(PYTEST_ARGS)

bench: $(STAMP) sysdeps-test
	$(PY) -m bench.run $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules
