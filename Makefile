# Two commands matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEV := DJANGO_DEBUG=1
CATALOGUE := core/locale/fr/LC_MESSAGES/django

.PHONY: run test test-postgres lint format check-migrations clean bench audit messages

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-deps: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	$(DEV) $(PY) manage.py migrate --noinput
	$(DEV) $(PY) manage.py setup_schedules
	$(DEV) $(PY) manage.py load_resources
	$(DEV) $(PY) manage.py seed_demo
	@echo ""
	@echo "Recourse is starting at http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the task cluster)"
	@$(DEV) $(PY) manage.py devserver $(HOST):$(PORT)

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

check-migrations: $(VENV)/.dev-deps
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

test: lint check-migrations
	$(VENV)/bin/pytest

# The whole suite again on PostgreSQL and Redis, but for the browser tests (they drive the same
# pages, and `make test` runs them): throwaway servers on loopback, removed after.
test-postgres: $(VENV)/.dev-deps
	@set -e; dir=$$(mktemp -d); trap 'scripts/services stop "$$dir"' EXIT; \
	export $$(scripts/services start "$$dir"); \
	echo "On $$DATABASE_URL and $$REDIS_URL"; \
	$(VENV)/bin/pytest --ignore=tests/browser

# Known vulnerabilities in the installed dependencies (PyPI's advisory data); fails on any found.
audit: $(VENV)/.dev-deps
	$(VENV)/bin/pip-audit --vulnerability-service pypi --skip-editable --progress-spinner off

# Every bench on SQLite and on a throwaway PostgreSQL server (as test-postgres starts it).
BENCHES := case_list escalation insights submission upload http_load
bench: $(VENV)/.dev-deps
	@set -e; dir=$$(mktemp -d); trap 'scripts/services stop "$$dir"' EXIT; \
	export $$(scripts/services start "$$dir"); \
	for name in $(BENCHES); do $(PY) bench/$$name.py; done

# The French catalogue brought up to date with the code (needs GNU gettext), then compiled; every
# new message must be translated in core/locale/fr/LC_MESSAGES/django.po (tests/core/test_i18n.py).
messages: $(VENV)/.dev-deps
	$(DEV) $(PY) manage.py makemessages -l fr --no-obsolete $(foreach dir,.venv build bench tests deploy docs var staticfiles,--ignore=$(dir))
	$(PY) -c "import polib; polib.pofile('$(CATALOGUE).po').save_as_mofile('$(CATALOGUE).mo')"

format: $(VENV)/.dev-deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
